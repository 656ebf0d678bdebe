"""duty.csv (the duty roster for 转人工) and the buildings' 纬度/经度, through the loader."""

from sqlalchemy import select

from community import routing
from community.loader import validate_directory
from community.models import Building, DutyShift, Person
from tests.test_loader import copy_demo, edit, load, write


def test_the_duty_roster_loads_and_a_reload_replaces_it(db, tmp_path):
    directory = copy_demo(tmp_path)
    report = load(db, directory)
    assert report.counts["duty"].created == 5 * 2 + 1  # the demo: two weekday shifts, Saturday morning
    with db.factory() as s:
        shifts = s.scalars(select(DutyShift).order_by(DutyShift.id)).all()
        first = shifts[0]
        assert (first.weekday, first.start_minute, first.end_minute) == (1, 8 * 60 + 30, 12 * 60)
        assert s.get(Person, first.person_id).name == "陈红"
    write(
        directory / "duty.csv",
        [["星期", "开始", "结束", "值班人手机"], ["周一至周三|周日", "9:00", "17:00", "13700000004"]],
    )
    report = load(db, directory)
    assert (report.counts["duty"].created, report.counts["duty"].removed) == (4, 11)
    with db.factory() as s:
        assert sorted(d.weekday for d in s.scalars(select(DutyShift))) == [1, 2, 3, 7]


def test_without_duty_csv_the_roster_is_left_alone(db, tmp_path):
    directory = copy_demo(tmp_path)
    load(db, directory)
    (directory / "duty.csv").unlink()
    assert validate_directory(directory)[1] == []  # optional
    load(db, directory)
    with db.factory() as s:
        assert len(s.scalars(select(DutyShift)).all()) == 11


def test_bad_roster_and_coordinate_cells_are_reported(tmp_path):
    directory = copy_demo(tmp_path)
    write(
        directory / "duty.csv",
        [
            ["星期", "开始", "结束", "值班人手机"],
            ["周八", "8:30", "12:00", "13700000002"],
            ["每天", "25:00", "08:00", "13700000002"],
            ["工作日", "13:00", "12:00", "13700000002"],
            ["周六", "09:00", "12:00", "13999999999"],
        ],
    )
    edit(directory, "buildings.csv", lambda rows: [rows[0].extend(["纬度", "经度"]), rows[1].extend(["39.9", ""])])
    _, errors = validate_directory(directory)
    found = {(e.file, e.line, e.column) for e in errors}
    assert ("duty.csv", 2, "星期") in found
    assert ("duty.csv", 3, "开始") in found
    assert ("duty.csv", 4, "结束") in found
    assert ("duty.csv", 5, "值班人手机") in found
    assert ("buildings.csv", 2, "经度") in found


def test_building_coordinates_load_and_pick_the_nearest_building(db, tmp_path):
    directory = copy_demo(tmp_path)

    def coordinates(rows):
        rows[0] += ["纬度", "经度"]
        for i, row in enumerate(rows[1:]):
            row += [f"{39.9000 + i * 0.001:.4f}", "116.4000"]

    edit(directory, "buildings.csv", coordinates)
    load(db, directory)
    with db.factory() as s:
        b3 = s.scalar(select(Building).where(Building.number == 3))
        assert (b3.latitude, b3.longitude) == (39.902, 116.4)
        assert routing.nearest_building(s, b3.community_id, 39.90201, 116.40001) == b3.id
