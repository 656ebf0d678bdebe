"""Routing: address text → building → grid → party group and grid leader; category →
teams by skill; ranked candidate volunteers.

Addresses are read by `community.address`, the one parser Rasa's components use too.

Offer tiers, widened in this order (docs/ARCHITECTURE.md, "Where each rule lives"):
  0. volunteers of the request's grid in a team with the category's skill
  1. any volunteer of the request's grid
  2. volunteers anywhere in the community in a team with the skill
For a specialised category (`ServiceCategory.skill_required`: 法律咨询, 心理疏导, 维修…) tier 2
comes before tier 1: the community's legal team before the grid's cleaners.
Within the offered tiers, candidates are ranked by tier, same building, current load and
recent ratings. An address that cannot be resolved raises `AddressQuestion`: the resident
is asked, never guessed for.
"""

import functools
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, exists, literal, or_, select, true, union_all
from sqlalchemy.orm import Session

from community import address, texts
from community.errors import AddressQuestion
from community.models import (
    Building,
    Grid,
    PartyGroup,
    Person,
    ServiceCategory,
    Volunteer,
    VolunteerTeam,
    team_members,
    team_skills,
)
from community.settings import get_settings

INDEX_TTL_SECONDS = 60
TIER_GRID_SKILL, TIER_GRID, TIER_COMMUNITY_SKILL = 0, 1, 2


# building_numbers, unit, room (and the prefix before the building)
ParsedAddress = address.Address


@dataclass(frozen=True)
class BuildingRef:
    id: int
    grid_id: int
    number: int
    name: str
    units: int
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedAddress:
    building_id: int
    grid_id: int
    unit: int | None
    room: str | None
    label: str  # "3号楼2单元502"


@dataclass(frozen=True)
class GridRoute:
    grid_id: int
    grid_name: str
    leader_person_id: int | None
    party_group: str | None  # 楼院党小组 of the building if any, else the grid's 党支部


REACH_ANY, REACH_TELEGRAM, REACH_PHONE = "any", "telegram", "phone"


@dataclass(frozen=True)
class Candidate:
    volunteer_id: int
    person_id: int
    name: str
    tier: int
    same_building: bool
    load: int
    rating_recent: float


def parse_address(text: str) -> ParsedAddress:
    """Building number(s), unit and room named in free text (`community.address.parse`)."""
    return address.parse(text)


class BuildingIndex:
    """All buildings of one community, in memory. A community has hundreds to a few
    thousand buildings and they change rarely; refreshed after INDEX_TTL_SECONDS or
    when the loader calls `invalidate_buildings()`."""

    def __init__(self, buildings: list[BuildingRef]) -> None:
        self.loaded_at = time.monotonic()
        self.by_number: dict[int, list[BuildingRef]] = {}
        self.named: list[tuple[str, BuildingRef]] = []
        for b in buildings:
            self.by_number.setdefault(b.number, []).append(b)
            for name in (b.name, *b.aliases):
                name = address.normalize(name)  # 东区三号楼 matches what residents type: 东区3号楼
                if name and not re.fullmatch(r"\d+号楼", name):
                    self.named.append((name, b))
        self.named.sort(key=lambda pair: -len(pair[0]))  # longest name wins: 东区3号楼 before 3号楼
        self.numbers = sorted(self.by_number)


_indexes: dict[int, BuildingIndex] = {}


def invalidate_buildings() -> None:
    _indexes.clear()


def building_index(session: Session, community_id: int) -> BuildingIndex:
    index = _indexes.get(community_id)
    if index is None or time.monotonic() - index.loaded_at > INDEX_TTL_SECONDS:
        rows = session.execute(
            select(
                Building.id, Building.grid_id, Building.number, Building.name, Building.units, Building.aliases
            ).where(Building.community_id == community_id)
        ).all()
        index = BuildingIndex(
            [
                BuildingRef(r.id, r.grid_id, r.number, r.name, r.units, tuple(a for a in r.aliases.split("|") if a))
                for r in rows
            ]
        )
        _indexes[community_id] = index
    return index


def address_label(building_name: str, unit: int | None, room: str | None) -> str:
    """How an address reads everywhere: 3号楼2单元502."""
    return building_name + (f"{unit}单元" if unit else "") + (room or "")


def resolve_address(session: Session, community_id: int, text: str) -> ResolvedAddress:
    """The building, unit and room a resident's address text names, or AddressQuestion."""
    index = building_index(session, community_id)
    clean = address.normalize(text)
    by_name = {b.id: b for name, b in index.named if name in clean}
    parsed = parse_address(clean)
    if by_name:
        matches = list(by_name.values())
    else:
        if not parsed.building_numbers:
            raise AddressQuestion(texts.ASK_ADDRESS)
        matches = [b for n in parsed.building_numbers for b in index.by_number.get(n, [])]
        if not matches:
            raise AddressQuestion(
                texts.ASK_UNKNOWN_BUILDING.format(
                    building=f"{parsed.building_numbers[0]}号楼",
                    first=index.numbers[0] if index.numbers else "-",
                    last=index.numbers[-1] if index.numbers else "-",
                )
            )
    if len(matches) > 1:
        raise AddressQuestion(texts.ASK_WHICH_BUILDING.format(text=text.strip()), [b.name for b in matches])
    building = matches[0]
    if parsed.unit is not None and not 1 <= parsed.unit <= building.units:
        raise AddressQuestion(texts.ASK_UNIT.format(building=building.name, units=building.units))
    return ResolvedAddress(
        building.id, building.grid_id, parsed.unit, parsed.room, address_label(building.name, parsed.unit, parsed.room)
    )


def grid_route(session: Session, grid_id: int, building_id: int | None = None) -> GridRoute:
    grid = session.get_one(Grid, grid_id)
    groups = session.scalars(select(PartyGroup).where(PartyGroup.grid_id == grid_id)).all()
    building_group = next((g for g in groups if building_id and g.building_id == building_id), None)
    branch = next((g for g in groups if g.kind == "branch"), None)
    chosen = building_group or branch
    return GridRoute(grid.id, grid.name, grid.leader_person_id, chosen.name if chosen else None)


def team_for(session: Session, category_id: int | None, grid_id: int | None) -> int | None:
    """The team that owns a request: the grid's own team with the skill, else the
    category's default team, else any community-wide team with the skill."""
    if category_id is None:
        return None
    rows = session.execute(
        select(VolunteerTeam.id, VolunteerTeam.grid_id)
        .join(team_skills, team_skills.c.team_id == VolunteerTeam.id)
        .where(team_skills.c.category_id == category_id)
        .order_by(VolunteerTeam.id)
    ).all()
    own: list[int] = [r.id for r in rows if grid_id is not None and r.grid_id == grid_id]
    if own:
        return own[0]
    default = session.scalar(select(ServiceCategory.default_team_id).where(ServiceCategory.id == category_id))
    if default:
        return default
    wide = [r.id for r in rows if r.grid_id is None]
    return wide[0] if wide else None


def rank_candidates(
    session: Session,
    *,
    grid_id: int | None,
    building_id: int | None,
    category_id: int | None,
    community_id: int,
    max_tier: int = TIER_COMMUNITY_SKILL,
    exclude: frozenset[int] = frozenset(),
    limit: int = 5,
    reach: str = REACH_ANY,
) -> list[Candidate]:
    """Available volunteers below their load limit, best first. `reach`: REACH_TELEGRAM for
    those the bot can send a card to (a Telegram account that has not blocked the bot; the
    offer step), REACH_PHONE for those staff can only call, REACH_ANY for both (dispatch).

    One small query per tier, in tier order, stopping once `limit` are found: each tier is
    narrowed by an index (the grid's volunteers, or the skilled teams' members) instead of
    ranking every volunteer of the community at once, which at 10,000 volunteers cost a
    full scan per request. Within a tier: same building first, then lowest load, then best
    recent ratings, then id.
    """
    specialised = category_id is not None and _skill_required(session, category_id)
    statements = _tier_statements(
        category_id is None,
        specialised,
        grid_id is None,
        building_id is None,
        bool(exclude),
        reach,
        get_settings().default_max_load,
    )
    params: dict[str, object] = {
        "grid_id": grid_id,
        "building_id": building_id,
        "category_id": category_id,
        "community_id": community_id,
        "exclude": sorted(exclude),
    }
    found: list[Candidate] = []
    for tier, stmt in statements:
        if len(found) >= limit:
            break
        if tier > max_tier:
            continue
        rows = session.execute(stmt, {**params, "n": limit - len(found)})
        found += [Candidate(r.id, r.person_id, r.name, tier, r.part == 0, r.active_load, r.rating_recent) for r in rows]
    return found


@functools.cache
def _tier_statements(
    no_category: bool,
    specialised: bool,
    no_grid: bool,
    no_building: bool,
    excluding: bool,
    reach: str,
    default_max_load: int,  # read by Volunteer.load_limit when the statement is built
) -> tuple[tuple[int, Select[Any]], ...]:
    """The tier queries of one shape of request, in tier order, built once: constructing
    them (subqueries, a union) costs more Python than running them. Values are bound
    parameters: grid_id, building_id, category_id, community_id, exclude, n (the limit)."""
    grid_id, building_id = bindparam("grid_id", type_=Integer), bindparam("building_id", type_=Integer)
    skilled_member = exists().where(
        team_members.c.volunteer_id == Volunteer.id,
        team_skills.c.team_id == team_members.c.team_id,
        team_skills.c.category_id == bindparam("category_id"),
    )
    skilled_ids = (
        select(team_members.c.volunteer_id)
        .join(team_skills, team_skills.c.team_id == team_members.c.team_id)
        .where(team_skills.c.category_id == bindparam("category_id"))
    )
    in_grid = Volunteer.grid_id == grid_id
    elsewhere = true() if no_grid else or_(Volunteer.grid_id.is_(None), Volunteer.grid_id != grid_id)
    tiers: list[tuple[int, ColumnElement[bool]]]
    if no_category:  # a wish without a category: everyone has the "skill"
        tiers = [(TIER_GRID_SKILL, in_grid), (TIER_COMMUNITY_SKILL, elsewhere)]
    else:
        tiers = [
            (TIER_GRID_SKILL, and_(in_grid, skilled_member)),
            (TIER_GRID, and_(in_grid, ~skilled_member)),
            (TIER_COMMUNITY_SKILL, and_(elsewhere, Volunteer.id.in_(skilled_ids))),
        ]
        if specialised:
            tiers = [tiers[0], tiers[2], tiers[1]]  # skill first: the community's specialists, then the grid
    if no_grid:
        tiers = [t for t in tiers if t[0] == TIER_COMMUNITY_SKILL]
    base = (
        select(
            Volunteer.id,
            Volunteer.person_id,
            Person.name,
            Volunteer.active_load,
            Volunteer.rating_recent,
        )
        .join(Person, Person.id == Volunteer.person_id)
        .where(
            Person.community_id == bindparam("community_id"),
            Volunteer.available.is_(True),
            Volunteer.deactivated_at.is_(None),
            Volunteer.active_load < Volunteer.load_limit,
        )
        .order_by(Volunteer.active_load, Volunteer.rating_recent.desc(), Volunteer.id)
    )
    if excluding:
        base = base.where(Volunteer.id.not_in(bindparam("exclude", expanding=True)))
    on_telegram = and_(Person.telegram_id.is_not(None), Person.telegram_blocked_at.is_(None))
    if reach == REACH_TELEGRAM:
        base = base.where(on_telegram)
    elif reach == REACH_PHONE:
        base = base.where(~on_telegram, Person.phone.is_not(None))
    # Same building first: a tier is two index walks in one statement, the building's
    # volunteers (ix_volunteers_building_rank) and the rest of the tier (ix_volunteers_grid_rank),
    # each in the within-tier order so it stops at LIMIT instead of sorting the grid (100,000
    # volunteers: ~2,000 a grid); the outer sort sees at most 2 x limit rows.
    n = bindparam("n", type_=Integer)
    rest = or_(Volunteer.building_id.is_(None), Volunteer.building_id != building_id)
    statements = []
    for tier, condition in tiers:
        if no_building:
            stmt = select(base.where(condition).limit(n).subquery(), literal(1).label("part"))
        else:
            near = base.where(condition, Volunteer.building_id == building_id).limit(n).subquery()
            far = base.where(condition, rest).limit(n).subquery()
            u = union_all(select(near, literal(0).label("part")), select(far, literal(1).label("part"))).subquery()
            stmt = select(u).order_by(u.c.part, u.c.active_load, u.c.rating_recent.desc(), u.c.id).limit(n)
        statements.append((tier, stmt))
    return tuple(statements)


def is_candidate(
    session: Session, volunteer_id: int, *, grid_id: int | None, category_id: int | None, community_id: int
) -> bool:
    """Would a widened offer (every tier) reach this volunteer, load and pauses aside? Used
    to let a volunteer claim a widened request whose card went to others first."""
    skilled = exists().where(
        team_members.c.volunteer_id == Volunteer.id,
        team_skills.c.team_id == team_members.c.team_id,
        team_skills.c.category_id == category_id,
    )
    reach: list[ColumnElement[bool]] = [skilled] if category_id is not None else [true()]
    if grid_id is not None:
        reach.append(Volunteer.grid_id == grid_id)
    found = session.scalar(
        select(Volunteer.id)
        .join(Person, Person.id == Volunteer.person_id)
        .where(
            Volunteer.id == volunteer_id,
            Person.community_id == community_id,
            Volunteer.deactivated_at.is_(None),
            or_(*reach),
        )
    )
    return found is not None


def _skill_required(session: Session, category_id: int) -> bool:
    return bool(session.scalar(select(ServiceCategory.skill_required).where(ServiceCategory.id == category_id)))


# --- coordinates (Open311 lat/long, a shared location) -----------------------------------------

EARTH_RADIUS_M = 6_371_000.0
NEAREST_MAX_METRES = 500.0  # farther than this from every building: not in this community


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine); plenty for buildings a few hundred metres apart."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def nearest(
    points: Iterable[tuple[int, float, float]], lat: float, lon: float, max_metres: float = NEAREST_MAX_METRES
) -> int | None:
    """The id of the point (id, lat, lon) nearest to (lat, lon) within `max_metres`, or None."""
    best: tuple[float, int] | None = None
    for point_id, plat, plon in points:
        d = distance_m(lat, lon, plat, plon)
        if d <= max_metres and (best is None or d < best[0]):
            best = (d, point_id)
    return best[1] if best else None


def nearest_building(session: Session, community_id: int, lat: float, lon: float) -> int | None:
    """The id of the community's building nearest to a WGS84 point, or None when no building
    has coordinates (or none is within NEAREST_MAX_METRES). Building coordinates are optional
    columns (`latitude`, `longitude`, from buildings.csv); until a database has them this
    answers None and callers fall back to the address text."""
    latitude, longitude = getattr(Building, "latitude", None), getattr(Building, "longitude", None)
    if latitude is None or longitude is None:
        return None
    rows = session.execute(
        select(Building.id, latitude, longitude).where(
            Building.community_id == community_id, latitude.is_not(None), longitude.is_not(None)
        )
    ).all()
    return nearest(((r[0], float(r[1]), float(r[2])) for r in rows), lat, lon)
