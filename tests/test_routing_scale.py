"""Ranking at a larger scale equals a brute-force ranking computed here from the rows.

A synthetic community (bench/synth.py: 5 grids, 50 buildings, 2,000 volunteers) made
messier than the bench's: paused, deactivated and full volunteers, the load-limit default
(max_load NULL), no or a blocked Telegram account, no phone, a volunteer whose building is in
another grid, specialised categories, many ties on load and rating. The expected ranking is
computed in Python from plain rows, following the rules in docs/ARCHITECTURE.md, without
calling community.routing; both backends (the `db` fixture).
"""

import random
from datetime import datetime

import pytest
from sqlalchemy import select, update

from bench.synth import Scale, build_world
from community import routing
from community.models import Person, ServiceCategory, Volunteer, team_members, team_skills
from community.settings import get_settings

SPECIALISED = ("legal", "counseling")


@pytest.fixture
def messy(db):
    rng = random.Random(16)
    with db.factory() as s, s.begin():
        world = build_world(s, Scale(grids=5, buildings_per_grid=10, volunteers=2_000, residents_per_building=0))
        s.execute(update(ServiceCategory).where(ServiceCategory.code.in_(SPECIALISED)).values(skill_required=True))
        vols = s.execute(select(Volunteer.id, Volunteer.person_id)).all()
        buildings = [b.id for b in world.buildings]
        for vid, pid in vols:
            r = rng.random()
            changes: dict[str, object] = {}
            if r < 0.04:
                changes["deactivated_at"] = datetime(2026, 11, 1)
            elif r < 0.12:
                changes["max_load"] = None  # the DEFAULT_MAX_LOAD setting applies
            elif r < 0.14:
                changes["building_id"] = rng.choice(buildings)  # possibly outside its grid
            if changes:
                s.execute(update(Volunteer).where(Volunteer.id == vid).values(**changes))
            r = rng.random()
            if r < 0.08:
                s.execute(update(Person).where(Person.id == pid).values(telegram_id=None))
            elif r < 0.12:
                s.execute(update(Person).where(Person.id == pid).values(telegram_blocked_at=datetime(2026, 11, 2)))
            if rng.random() < 0.05:
                s.execute(update(Person).where(Person.id == pid).values(phone=None))
    return world


def brute_force(
    rows, skills, *, community_id, grid_id, building_id, category_id, specialised, max_tier, exclude, limit, reach
):
    """The ranking from plain rows (all of community_id): eligible volunteers, tier, same
    building, load, rating, id."""
    default_limit = get_settings().default_max_load
    # Tier order: a wish without a category has no "grid, no skill" tier; a specialised
    # category asks the community's specialists before the grid's others.
    order = [0, 2] if category_id is None else [0, 2, 1] if specialised else [0, 1, 2]
    ranked = []
    for v in rows:
        limit_v = v.max_load if v.max_load is not None else default_limit
        on_telegram = v.telegram_id is not None and v.telegram_blocked_at is None
        if not v.available or v.deactivated_at is not None or v.active_load >= limit_v or v.id in exclude:
            continue
        if reach == routing.REACH_TELEGRAM and not on_telegram:
            continue
        if reach == routing.REACH_PHONE and (on_telegram or v.phone is None):
            continue
        skilled = category_id is None or category_id in skills.get(v.id, set())
        in_grid = grid_id is not None and v.grid_id == grid_id
        if grid_id is None:
            tier = 2 if skilled else None
        elif in_grid:
            tier = 0 if skilled else (1 if category_id is not None else None)
        else:
            tier = 2 if skilled else None
        if tier is None or tier > max_tier:
            continue
        same = building_id is not None and v.building_id == building_id
        ranked.append(((order.index(tier), not same, v.active_load, -v.rating_recent, v.id), (v.id, tier, same)))
    ranked.sort()
    return [r[1] for r in ranked[:limit]]


def test_ranking_of_2000_volunteers_equals_brute_force(db, messy):
    world = messy
    with db.factory() as s:
        rows = s.execute(
            select(
                Volunteer.id,
                Volunteer.grid_id,
                Volunteer.building_id,
                Volunteer.available,
                Volunteer.deactivated_at,
                Volunteer.max_load,
                Volunteer.active_load,
                Volunteer.rating_recent,
                Person.telegram_id,
                Person.telegram_blocked_at,
                Person.phone,
            )
            .join(Person, Person.id == Volunteer.person_id)
            .where(Person.community_id == world.community_id)
        ).all()
        skills: dict[int, set[int]] = {}
        for vid, cat in s.execute(
            select(team_members.c.volunteer_id, team_skills.c.category_id).join(
                team_skills, team_skills.c.team_id == team_members.c.team_id
            )
        ):
            skills.setdefault(vid, set()).add(cat)

    rng = random.Random(7)
    categories = [*world.categories.items(), (None, None)]
    some_ids = [r.id for r in rows]
    checked = tiers_seen = 0
    seen: set[int] = set()
    for _ in range(120):
        b = rng.choice(world.buildings)
        code, category_id = rng.choice(categories)
        grid_id, building_id = (b.grid_id, b.id) if rng.random() < 0.9 else (None, None)
        kw = {
            "grid_id": grid_id,
            "building_id": building_id,
            "category_id": category_id,
            "community_id": world.community_id,
            "max_tier": rng.choice([0, 1, 2, 2, 2]),
            "exclude": frozenset(rng.sample(some_ids, rng.choice([0, 0, 3, 30]))),
            "limit": rng.choice([1, 5, 5, 5, 12]),
            "reach": rng.choice(
                [routing.REACH_ANY, routing.REACH_TELEGRAM, routing.REACH_TELEGRAM, routing.REACH_PHONE]
            ),
        }
        expected = brute_force(rows, skills, specialised=code in SPECIALISED, **kw)
        with db.factory() as s:
            got = [(c.volunteer_id, c.tier, c.same_building) for c in routing.rank_candidates(s, **kw)]
        assert got == expected, kw
        checked += 1
        seen |= {tier for _, tier, _ in got}
        tiers_seen += len(got)
    # The cases reach every tier and the same-building rule, not only empty results.
    assert checked == 120 and seen == {0, 1, 2} and tiers_seen > 300
