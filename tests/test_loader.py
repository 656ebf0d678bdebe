"""The demo community in data/community/*.csv and the all-or-nothing CSV loader, on SQLite
and PostgreSQL."""

import csv
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community.loader import LoadError, load_directory, validate_directory
from community.models import (
    Base,
    Building,
    Community,
    Grid,
    PartyGroup,
    Person,
    ServiceCategory,
    Staff,
    Volunteer,
    VolunteerTeam,
)

DEMO = Path(__file__).resolve().parent.parent / "data" / "community"
MENU = {"家政", "助老", "维修", "理发", "法律咨询", "代购", "陪医", "心理疏导"}
COUNTED = (Community, Grid, PartyGroup, Building, ServiceCategory, VolunteerTeam, Person, Volunteer, Staff)


def copy_demo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEMO, tmp_path / "community"))


def read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)


def edit(directory: Path, file: str, change) -> None:
    """Change a file's rows in place; `change` gets all rows, header first."""
    rows = read(directory / file)
    change(rows)
    write(directory / file, rows)


def set_cell(rows: list[list[str]], key: str, column: str, value: str) -> None:
    """Set the cell in `column` of the row whose first cell is `key`."""
    index = rows[0].index(column)
    row = next(r for r in rows[1:] if r[0] == key)
    row[index] = value


def table_counts(db) -> dict[str, int]:
    with db.factory() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def load(db, directory: Path):
    with db.factory() as s, s.begin():
        return load_directory(s, directory)


def test_demo_community_loads_with_required_sizes(db):
    report = load(db, DEMO)

    with db.factory() as s:
        community = s.scalar(select(Community))
        assert (community.code, community.name, community.timezone) == ("XFL", "幸福里社区", "Asia/Shanghai")
        grids = s.scalars(select(Grid)).all()
        assert len(grids) >= 3
        for grid in grids:
            assert grid.leader is not None, grid.code
            assert grid.leader.volunteer is not None or grid.leader.staff is not None
            assert [g.kind for g in grid.party_groups].count("branch") == 1, grid.code

        buildings = {b.number: b for b in s.scalars(select(Building))}
        assert len(buildings) >= 30 and set(range(1, 31)) <= set(buildings)
        assert any("老干部楼" in b.aliases.split("|") for b in buildings.values())
        building_groups = s.scalars(select(PartyGroup).where(PartyGroup.kind == "building")).all()
        assert building_groups
        for group in building_groups:  # a 楼院党小组 belongs to its building's grid
            assert group.grid_id == s.get(Building, group.building_id).grid_id

        teams = s.scalars(select(VolunteerTeam)).all()
        assert len(teams) >= 6
        categories = s.scalars(select(ServiceCategory)).all()
        assert {c.name for c in categories} >= MENU
        skills = {c.id for t in teams for c in t.skills}
        assert all(c.id in skills for c in categories)  # every menu item can be served
        repair = next(c for c in categories if c.name == "维修")
        assert "漏水" in repair.synonyms.split("|")

        volunteers = s.scalars(select(Volunteer)).all()
        assert len(volunteers) >= 40
        assert sum(v.is_party_member for v in volunteers) > len(volunteers) / 2
        assert len({v.grid_id for v in volunteers if v.grid_id}) == len(grids)
        assert s.scalar(select(func.count()).select_from(Staff)) >= 2
        # A staff member who also volunteers is one person, not two.
        phones = s.scalars(select(Person.phone)).all()
        assert len(phones) == len(set(phones))

    assert report.counts["volunteers"].created == len(volunteers)
    assert report.counts["buildings"].created == len(buildings)


def test_loading_again_updates_edited_rows_and_never_duplicates(db, tmp_path):
    directory = copy_demo(tmp_path)
    load(db, directory)
    before = table_counts(db)

    again = load(db, directory)
    assert table_counts(db) == before
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())

    edit(directory, "buildings.csv", lambda rows: set_cell(rows, "5", "单元数", "5"))
    edit(directory, "buildings.csv", lambda rows: set_cell(rows, "3", "楼院党小组", ""))
    # Two buildings swap names: must not trip the unique (community, name) constraint.
    edit(
        directory,
        "buildings.csv",
        lambda rows: (set_cell(rows, "1", "楼名", "甲楼"), set_cell(rows, "2", "楼名", "1号楼")),
    )
    edit(directory, "buildings.csv", lambda rows: set_cell(rows, "1", "楼名", "2号楼"))
    edit(directory, "categories.csv", lambda rows: set_cell(rows, "repair", "默认时长", "2"))
    edit(directory, "volunteers.csv", lambda rows: set_cell(rows, "张建国", "服务队", "repair1|elderly"))
    edit(directory, "volunteers.csv", lambda rows: set_cell(rows, "张建国", "姓名", "张建民"))
    report = load(db, directory)

    after = table_counts(db)
    assert after == {**before, "party_groups": before["party_groups"] - 1}
    assert report.counts["buildings"].updated == 3
    assert report.counts["party_groups"].removed == 1
    assert report.counts["categories"].updated == 1
    assert report.counts["volunteers"].updated == 1
    with db.factory() as s:
        buildings = {b.number: b for b in s.scalars(select(Building))}
        assert buildings[5].units == 5
        assert (buildings[1].name, buildings[2].name) == ("2号楼", "1号楼")
        assert not s.scalars(select(PartyGroup).where(PartyGroup.building_id == buildings[3].id)).all()
        assert s.scalar(select(ServiceCategory.default_hours).where(ServiceCategory.code == "repair")) == 2.0
        person = s.scalar(select(Person).where(Person.phone == "13901000001"))
        assert person.name == "张建民"
        assert sorted(t.code for t in person.volunteer.teams) == ["elderly", "repair1"]
        assert s.scalar(select(func.count()).select_from(Person).where(Person.name == "张建国")) == 0


def test_bad_rows_are_all_reported_and_nothing_is_loaded(db, tmp_path):
    directory = copy_demo(tmp_path)
    edit(directory, "buildings.csv", lambda rows: set_cell(rows, "12", "网格编号", "G9"))  # line 13
    edit(directory, "buildings.csv", lambda rows: set_cell(rows, "20", "单元数", "三"))  # line 21
    edit(directory, "buildings.csv", lambda rows: rows.append(["7", "7号楼副楼", "G1", "2", "6", "", ""]))  # line 40

    def volunteers(rows):
        rows[1][rows[0].index("可服务时间")] = "周末\n全天"  # one spreadsheet row, two text lines
        rows[2][rows[0].index("手机")] = "1390100000"  # line 3, ten digits
        rows[4][rows[0].index("服务队")] = "elderly|nosuch"  # line 5

    edit(directory, "volunteers.csv", volunteers)

    def drop_due_hours_column(rows):
        index = rows[0].index("办结时限")
        for row in rows:
            del row[index]

    edit(directory, "categories.csv", drop_due_hours_column)

    _, errors = validate_directory(directory)
    expected = {
        ("buildings.csv", 13, "网格编号"),
        ("buildings.csv", 21, "单元数"),
        ("buildings.csv", 40, "楼号"),
        ("volunteers.csv", 3, "手机"),
        ("volunteers.csv", 5, "服务队"),
        ("categories.csv", 1, "办结时限"),
    }
    assert {(e.file, e.line, e.column) for e in errors} == expected
    assert len(errors) == len(expected)

    with db.factory() as s, s.begin():  # commits: whatever the loader wrote would stay
        with pytest.raises(LoadError) as caught:
            load_directory(s, directory)
    assert {(e.file, e.line, e.column) for e in caught.value.errors} == expected
    shown = caught.value.message
    assert "buildings.csv 第13行【网格编号】：网格“G9”不存在" in shown
    assert "buildings.csv 第40行【楼号】：“7”与第 8 行重复" in shown
    assert "volunteers.csv 第5行【服务队】：服务队“nosuch”不存在" in shown
    assert "volunteers.csv 第3行【手机】" in shown and "1390100000" in shown
    assert "buildings.csv 第21行【单元数】：“三”不是整数" in shown
    assert "categories.csv 第1行【办结时限】" in shown

    with db.factory() as s:
        for table in Base.metadata.sorted_tables:
            assert s.scalar(select(func.count()).select_from(table)) == 0, table.name


def test_excel_utf8_bom_files_load(db, tmp_path):
    directory = copy_demo(tmp_path)
    for path in directory.glob("*.csv"):
        write(path, read(path), encoding="utf-8-sig")
    assert (directory / "community.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    load(db, directory)

    with db.factory() as s:
        assert s.scalar(select(Community.code)) == "XFL"
        assert s.scalar(select(func.count()).select_from(Grid)) == len(read(DEMO / "grids.csv")) - 1


def test_spreadsheet_mistakes_get_helpful_messages(tmp_path):
    directory = copy_demo(tmp_path)
    (directory / "staff.csv").unlink()
    (directory / "teams.csv").write_bytes((directory / "teams.csv").read_text("utf-8").encode("gbk"))
    edit(directory, "volunteers.csv", lambda rows: set_cell(rows, "张建国", "手机", "1.39E+10"))
    edit(directory, "volunteers.csv", lambda rows: set_cell(rows, "王秀英", "在职党员", "Y"))
    edit(directory, "grids.csv", lambda rows: rows[0].__setitem__(rows[0].index("支部书记"), "书记"))

    _, errors = validate_directory(directory)

    by_place = {(e.file, e.line, e.column): e.message for e in errors}
    assert "找不到这个文件" in by_place[("staff.csv", None, None)]
    assert "UTF-8" in by_place[("teams.csv", None, None)]
    assert "科学计数法" in by_place[("volunteers.csv", 2, "手机")]
    assert "“是”或“否”" in by_place[("volunteers.csv", 3, "在职党员")]
    assert "不认识这个列名" in by_place[("grids.csv", 1, "书记")]
    # With staff.csv and teams.csv unreadable, references to them are not reported as
    # missing one by one (the leaders G1/G2 are staff; every team code would "not exist").
    assert len(errors) == 5


def test_telegram_id_conflict_loads_nothing_and_blank_cell_keeps_binding(db, tmp_path):
    directory = copy_demo(tmp_path)
    with db.factory() as s, s.begin():
        other = Community(code="OTHER", name="别的社区")
        s.add(other)
        s.flush()
        s.add(Person(community_id=other.id, name="别人", telegram_id=555))
    edit(directory, "staff.csv", lambda rows: set_cell(rows, "李淑芬", "TelegramID", "555"))

    with db.factory() as s, s.begin():
        with pytest.raises(LoadError) as caught:
            load_directory(s, directory)
    assert [(e.file, e.line, e.column) for e in caught.value.errors] == [("staff.csv", 2, "TelegramID")]
    assert "别人" in caught.value.message
    assert table_counts(db)["communities"] == 1 and table_counts(db)["persons"] == 1

    edit(directory, "staff.csv", lambda rows: set_cell(rows, "李淑芬", "TelegramID", "777"))
    load(db, directory)
    edit(directory, "staff.csv", lambda rows: set_cell(rows, "李淑芬", "TelegramID", ""))
    load(db, directory)  # a blank cell must not unbind the account staff already use
    with db.factory() as s:
        assert s.scalar(select(Person.telegram_id).where(Person.phone == "13700000001")) == 777
