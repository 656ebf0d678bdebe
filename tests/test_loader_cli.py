"""`python -m community load` as staff run it, on SQLite and PostgreSQL: list separators
typed with a Chinese keyboard, and volunteers' load limit following the DEFAULT_MAX_LOAD
setting unless the spreadsheet names one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from community import lifecycle, routing
from community.db import make_engine, session_factory
from community.models import Building, Community, Person, ServiceCategory, Volunteer, VolunteerTeam
from community.routing import rank_candidates, resolve_address
from community.settings import get_settings
from tests.test_loader import copy_demo, edit, set_cell

ROOT_DIR = Path(__file__).resolve().parent.parent


def load(url: str, directory, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "community", "load", str(directory)],
        env={**os.environ, "DATABASE_URL": url, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        cwd=ROOT_DIR,
        check=False,
    )


@pytest.fixture
def settings(monkeypatch):
    """Change a setting as an operator would (the environment), for this process."""

    def set_(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield set_
    get_settings.cache_clear()


def test_full_and_half_width_separators_split_lists_everywhere(db_url, tmp_path):
    routing.invalidate_buildings()  # community ids repeat from test to test
    directory = copy_demo(tmp_path)
    # 同义词: full-width ，；｜ and half-width , ; | and 、, all in one cell
    edit(
        directory,
        "categories.csv",
        lambda rows: set_cell(rows, "repair", "同义词", "修理，水管；漏水｜灯泡、电路,跳闸;马桶|下水道"),
    )
    edit(directory, "teams.csv", lambda rows: set_cell(rows, "elderly", "技能", "elderly，meals；shopping"))
    edit(directory, "buildings.csv", lambda rows: set_cell(rows, "4", "别名", "东四楼，幸福楼｜四号院"))
    edit(directory, "volunteers.csv", lambda rows: set_cell(rows, "王秀英", "服务队", "repair1，elderly"))
    result = load(db_url, directory)
    assert result.returncode == 0, result.stdout + result.stderr

    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        community = s.scalar(select(Community))
        repair = s.scalar(select(ServiceCategory).where(ServiceCategory.code == "repair"))
        assert repair.synonyms.split("|") == ["修理", "水管", "漏水", "灯泡", "电路", "跳闸", "马桶", "下水道"]
        for word in ("水管", "漏水", "跳闸", "下水道"):  # what residents type finds the category
            assert lifecycle.find_category(s, community.id, word).code == "repair"
        elderly = s.scalar(select(VolunteerTeam).where(VolunteerTeam.code == "elderly"))
        assert sorted(c.code for c in elderly.skills) == ["elderly", "meals", "shopping"]
        building = s.scalar(select(Building).where(Building.community_id == community.id, Building.number == 4))
        assert building.aliases.split("|") == ["东四楼", "幸福楼", "四号院"]
        assert resolve_address(s, community.id, "幸福楼2单元301").label == "4号楼2单元301"
        wang = s.scalar(select(Volunteer).join(Person).where(Person.name == "王秀英"))
        assert sorted(t.code for t in wang.teams) == ["elderly", "repair1"]
    engine.dispose()


def _volunteer(s, name: str) -> Volunteer:
    return s.scalar(select(Volunteer).join(Person).where(Person.name == name))


def _offered(s, volunteer: Volunteer) -> bool:
    """Would routing offer this volunteer a repair in their own grid right now?"""
    category = s.scalar(select(ServiceCategory).where(ServiceCategory.code == "repair"))
    found = rank_candidates(
        s,
        grid_id=volunteer.grid_id,
        building_id=None,
        category_id=category.id,
        community_id=category.community_id,
        limit=100,
    )
    return volunteer.id in {c.volunteer_id for c in found}


def test_load_limit_is_the_setting_unless_the_spreadsheet_names_one(db_url, tmp_path, settings):
    directory = copy_demo(tmp_path)
    # demo: 张建国 has 接单上限 5, 王秀英 a blank cell
    result = load(db_url, directory, DEFAULT_MAX_LOAD="7")  # the setting at load time is not copied
    assert result.returncode == 0, result.stdout + result.stderr
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with factory() as s, s.begin():
        zhang, wang = _volunteer(s, "张建国"), _volunteer(s, "王秀英")
        assert (zhang.max_load, wang.max_load) == (5, None)
        zhang.active_load = wang.active_load = 2

    settings("DEFAULT_MAX_LOAD", "3")
    with factory() as s:
        zhang, wang = _volunteer(s, "张建国"), _volunteer(s, "王秀英")
        assert (zhang.load_limit, wang.load_limit) == (5, 3)
        assert _offered(s, wang) and _offered(s, zhang)

    settings("DEFAULT_MAX_LOAD", "2")  # lowered: 王秀英 is full now, 张建国's own 5 stands
    with factory() as s:
        zhang, wang = _volunteer(s, "张建国"), _volunteer(s, "王秀英")
        assert (zhang.load_limit, wang.load_limit) == (5, 2)
        assert not _offered(s, wang) and _offered(s, zhang)

    # The spreadsheet names a limit for 王秀英, then leaves it blank again.
    edit(directory, "volunteers.csv", lambda rows: set_cell(rows, "王秀英", "接单上限", "4"))
    assert load(db_url, directory).returncode == 0
    with factory() as s:
        assert _volunteer(s, "王秀英").load_limit == 4 and _offered(s, _volunteer(s, "王秀英"))
    edit(directory, "volunteers.csv", lambda rows: set_cell(rows, "王秀英", "接单上限", ""))
    assert load(db_url, directory).returncode == 0
    with factory() as s:
        wang = _volunteer(s, "王秀英")
        assert wang.max_load is None and wang.load_limit == 2 and not _offered(s, wang)
    engine.dispose()


def test_a_bad_load_limit_is_reported_and_nothing_loaded(db_url, tmp_path):
    directory = copy_demo(tmp_path)
    edit(directory, "volunteers.csv", lambda rows: set_cell(rows, "王秀英", "接单上限", "很多"))
    result = load(db_url, directory)
    assert result.returncode == 1
    assert "volunteers.csv" in result.stdout and "接单上限" in result.stdout and "很多" in result.stdout
