"""The admin command line as a staff member uses it, and the demo behind `make run`."""

import shutil

import pytest
from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from community.cli import DEMO_DATA, app
from community.models import Community, Invite
from community.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def invoke(*args):
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def count(url, model):
    with create_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar()


def test_bad_spreadsheets_are_listed_row_by_row_and_nothing_is_loaded(cli_db, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(DEMO_DATA, bad)
    lines = (bad / "buildings.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[2], "G99", 1)  # unknown grid on spreadsheet line 4
    (bad / "buildings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert invoke("init-db")[0] == 0
    code, out = invoke("load", str(bad))
    assert code == 1
    assert "buildings.csv" in out and "G99" in out and "未导入任何数据" in out
    assert count(cli_db, Community) == 0


def test_load_staff_invites_queue_and_stats(cli_db):
    code, out = invoke("invite")
    assert code == 1 and "add-staff" in out  # no staff yet: says how to add one
    assert invoke("load", "--check")[0] == 0
    code, out = invoke("load")
    assert code == 0 and "已导入社区“幸福里社区”" in out
    code, out = invoke("add-staff", "--name", "李主任", "--telegram-id", "424242", "--phone", "13755550001")
    assert code == 0 and "李主任" in out
    code, out = invoke("add-staff", "--name", "李主任", "--phone", "123")
    assert code == 1 and "不是有效的电话号码" in out
    code, out = invoke("invite", "--count", "3", "--team", "repair1")
    assert code == 0 and out.count("/start join-") == 3
    assert count(cli_db, Invite) == 3
    code, out = invoke("queue", "nonsense")
    assert code == 1 and "review" in out and "待审核" in out
    code, out = invoke("queue", "review")
    assert code == 0 and "待审核：共 0 条" in out
    code, out = invoke("stats")
    assert code == 0 and "诉求总数 0" in out and "第一网格" not in out
    code, out = invoke("stats", "--grid", "G404")
    assert code == 1 and "G404" in out


def test_staff_set_up_weekly_care_visits_from_the_command_line(cli_db):
    from community.models import CareSchedule

    assert invoke("load")[0] == 0
    assert invoke("add-staff", "--name", "李主任", "--phone", "13755550001")[0] == 0
    with create_engine(cli_db).begin() as conn:  # an elderly resident registered earlier
        conn.execute(
            text(
                "insert into persons (community_id, name, phone, created_at) values (1, '孤寡老人刘奶奶', '13966667777', '2026-01-01')"
            )
        )
        pid = conn.execute(text("select id from persons where phone = '13966667777'")).scalar()
        conn.execute(text(f"insert into residents (person_id, consent_at) values ({pid}, '2026-01-01')"))
    code, out = invoke("care", "--resident-phone", "139 6666 7777", "--first", "2030-01-07 09:30", "--every", "7")
    assert code == 0 and "每 7 天一次" in out and "01-07 09:30" in out
    with create_engine(cli_db).connect() as conn:
        assert str(conn.execute(text("select next_visit_at from care_schedules")).scalar()).startswith(
            "2030-01-07 01:30"
        )
    code, out = invoke("care", "--resident-phone", "13900009999", "--first", "2030-01-07 09:30")
    assert code == 1 and "没有找到手机号" in out
    code, out = invoke("care", "--resident-phone", "13966667777", "--first", "下周一")
    assert code == 1 and "看不懂" in out
    assert count(cli_db, CareSchedule) == 1
