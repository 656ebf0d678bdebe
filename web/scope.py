"""What a signed-in user may see: a community, or some grids of it (a grid leader's).

All list and page queries of the dashboard take their WHERE clauses from here, so the
scoping rule lives in one place; a wider scope (a district of several communities) is a
change to this class, not to every query.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select

from community.models import Building, Person, Request, Resident, Volunteer


@dataclass(frozen=True)
class Scope:
    community_id: int
    grid_ids: frozenset[int] | None = None  # None: the whole community

    @property
    def whole_community(self) -> bool:
        return self.grid_ids is None

    def requests(self) -> list[ColumnElement[bool]]:
        where = [Request.community_id == self.community_id]
        if self.grid_ids is not None:
            where.append(Request.grid_id.in_(self.grid_ids))
        return where

    def volunteers(self) -> list[ColumnElement[bool]]:
        where = [Person.community_id == self.community_id]
        if self.grid_ids is not None:
            where.append(Volunteer.grid_id.in_(self.grid_ids))
        return where

    def residents(self) -> list[ColumnElement[bool]]:
        where = [Person.community_id == self.community_id]
        if self.grid_ids is not None:
            where.append(Resident.building_id.in_(select(Building.id).where(Building.grid_id.in_(self.grid_ids))))
        return where

    def allows_request(self, req: Request) -> bool:
        return req.community_id == self.community_id and (self.grid_ids is None or req.grid_id in self.grid_ids)

    def allows_grid(self, grid_id: int | None) -> bool:
        return self.grid_ids is None or grid_id in self.grid_ids
