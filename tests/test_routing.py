"""Routing: addresses resolve or become a question, never a guess; candidates are ranked
by tier (grid+skill, grid, community+skill), building, load and recent ratings."""

import pytest

from community import routing
from community.errors import AddressQuestion
from community.models import Building, Volunteer
from community.routing import parse_address, rank_candidates, resolve_address
from tests.builders import add_volunteer, build_world


@pytest.mark.parametrize(
    ("text", "numbers", "unit", "room"),
    [
        ("3号楼2单元502", (3,), 2, "502"),
        ("三号楼二单元五零二", (3,), 2, "502"),
        ("我住十二栋三单元1201室，水管坏了", (12,), 3, "1201"),
        ("３号楼２单元５０２", (3,), 2, "502"),
        ("3-2-502", (3,), 2, "502"),
        ("4号2单元301", (4,), 2, "301"),
        ("5幢602", (5,), None, "602"),
        ("我家在一楼", (), None, None),  # 一楼 is the ground floor, not building 1
        ("3号楼和5号楼之间的路灯", (3, 5), None, None),
        ("1000号楼2单元301", (1000,), 2, "301"),  # large estates number past 999
        ("12-3-1201", (12,), 3, "1201"),
    ],
)
def test_parse_address(text, numbers, unit, room):
    assert parse_address(text) == routing.ParsedAddress(numbers, unit, room)


@pytest.fixture
def world(db):
    with db.factory() as s, s.begin():
        return build_world(s)


def test_resolves_number_alias_and_asks_when_unsure(db, world):
    with db.factory() as s:
        cid = world.community.id
        a = resolve_address(s, cid, "二号楼三单元301")
        assert (a.building_id, a.grid_id, a.unit, a.room, a.label) == (
            world.buildings[2].id,
            world.grids["G1"].id,
            3,
            "301",
            "2号楼3单元301",
        )
        assert resolve_address(s, cid, "老干部楼1单元").building_id == world.buildings[5].id
        for text, fragment in [
            ("", "几号楼"),
            ("小区门口", "几号楼"),
            ("88号楼", "没有找到“88号楼”"),
            ("1号楼5单元", "只有 3 个单元"),
        ]:
            with pytest.raises(AddressQuestion, match=fragment):
                resolve_address(s, cid, text)
        with pytest.raises(AddressQuestion) as err:
            resolve_address(s, cid, "3号楼还是4号楼来着")
        assert err.value.options == ["3号楼", "4号楼"]


def test_two_buildings_with_the_same_number_are_a_question_with_options(db, world):
    with db.factory() as s, s.begin():
        s.add(
            Building(community_id=world.community.id, grid_id=world.grids["G2"].id, number=3, name="东区3号楼", units=2)
        )
    routing.invalidate_buildings()
    with db.factory() as s:
        with pytest.raises(AddressQuestion) as err:
            resolve_address(s, world.community.id, "3号楼")
        assert sorted(err.value.options) == ["3号楼", "东区3号楼"]
        assert resolve_address(s, world.community.id, "东区3号楼2单元").unit == 2  # the full name is unambiguous


def ranked(s, world, building=1, category="repair", **kw):
    b = world.buildings[building]
    return [
        (c.name, c.tier)
        for c in rank_candidates(
            s,
            grid_id=b.grid_id,
            building_id=b.id,
            category_id=world.categories[category].id,
            community_id=world.community.id,
            **kw,
        )
    ]


def test_ranking_prefers_grid_skill_then_grid_then_community_skill(db, world):
    with db.factory() as s:
        # Repair in G1: the G1 repair team first (same building first), then other G1
        # volunteers, then repairers elsewhere (孙师傅 of G2).
        assert ranked(s, world) == [("张师傅", 0), ("刘师傅", 0), ("赵阿姨", 1), ("孙师傅", 2)]
        assert ranked(s, world, building=3) == [("刘师傅", 0), ("张师傅", 0), ("赵阿姨", 1), ("孙师傅", 2)]
        assert ranked(s, world, max_tier=0) == [("张师傅", 0), ("刘师傅", 0)]


def test_ranking_skips_paused_full_and_excluded_and_weighs_load_and_ratings(db, world):
    with db.factory() as s, s.begin():
        zhang = s.get(Volunteer, world.volunteers["张师傅"].id)
        liu = s.get(Volunteer, world.volunteers["刘师傅"].id)
        zhang.building_id = liu.building_id = None  # remove the building advantage
        liu.rating_recent = 4.8
        add_volunteer(s, world, "钱师傅", "G1", ["repair1"]).active_load = 1
        add_volunteer(s, world, "满载的", "G1", ["repair1"], max_load=1).active_load = 1
        add_volunteer(s, world, "休息的", "G1", ["repair1"]).available = False
    with db.factory() as s:
        assert ranked(s, world, max_tier=0) == [("刘师傅", 0), ("张师傅", 0), ("钱师傅", 0)]
        excluded = frozenset({world.volunteers["刘师傅"].id})
        assert ranked(s, world, max_tier=0, exclude=excluded) == [("张师傅", 0), ("钱师傅", 0)]
        assert len(ranked(s, world, limit=2)) == 2
