"""A district (街道) of 20 communities in one database, on SQLite and PostgreSQL: loaded from
a district folder (by the CLI too), every role scoped to its own community, and a
supervisor (督查) who sees all of them side by side and is warned, once a day, about a
community whose week fell below target."""

import csv
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community import clock, district, followup_runner, lifecycle
from community.actors import actor_for_person
from community.district_sample import write_sample
from community.errors import Forbidden
from community.lifecycle import NewRequest
from community.models import (
    Community,
    District,
    DistrictWarning,
    FollowUp,
    FollowUpStatus,
    Grid,
    Offer,
    OutboxMessage,
    Person,
    RequestKind,
    Staff,
    Supervisor,
    Volunteer,
)
from tests.district_world import SUPERVISOR_PHONE, community, load_sample, resident, serve

ROOT = Path(__file__).resolve().parent.parent
CHECK_DAY = datetime(2026, 11, 23, 0, 31)  # 08:31 in Shanghai, just after the 08:30 check


def test_a_district_of_twenty_communities_loads_with_everything_scoped_to_its_community(db, tmp_path):
    load_sample(db.factory, tmp_path, count=20)
    with db.factory() as s:
        communities = s.scalars(select(Community).order_by(Community.code)).all()
        hp = s.scalar(select(District))
        assert (hp.code, hp.name, hp.level) == ("HP", "和平街道", "street")
        assert len(communities) == 20 and {c.district_id for c in communities} == {hp.id}
        assert len({c.name for c in communities}) == 20
        # Codes are per community: every community has its grid G1 and 3号楼.
        assert s.scalar(select(func.count()).select_from(Grid).where(Grid.code == "G1")) == 20
        # Nobody is in two communities: phones differ, and staff belong to their own.
        phones = s.scalars(select(Person.phone).join(Staff, Staff.person_id == Person.id)).all()
        assert len(phones) == len(set(phones)) == 20 * 4
        sup = s.scalar(select(Supervisor))
        actor = actor_for_person(s, sup.person)
        assert actor.supervisor_district_id == hp.id and actor.staff_id is None and actor.volunteer_id is None

    # A resident of C02 is served by C02's volunteers only; C01's staff cannot touch it.
    with clock.use_clock(lambda: CHECK_DAY), db.factory() as s, s.begin():
        c01, c02 = community(s, "C01"), community(s, "C02")
        res = resident(s, c02, "王奶奶", 770001)
        req = lifecycle.submit(
            s,
            actor_for_person(s, res.person),
            NewRequest(kind=RequestKind.SERVICE, description="水管漏水", category="维修"),
        )
        offered = s.scalars(
            select(Person.community_id)
            .join(Volunteer, Volunteer.person_id == Person.id)
            .join(Offer, Offer.volunteer_id == Volunteer.id)
            .where(Offer.request_id == req.id)
        ).all()
        assert offered and set(offered) == {c02.id}
        c01_staff = s.scalar(
            select(Person).join(Staff, Staff.person_id == Person.id).where(Person.community_id == c01.id)
        )
        c01_actor = actor_for_person(s, c01_staff)
        assert lifecycle.allowed_actions(s, c01_actor, req) == []
        assert lifecycle.denial(s, c01_actor, req, "cancel") is not None
        # The supervisor oversees; they act on no request.
        sup_actor = actor_for_person(s, s.scalar(select(Supervisor)).person)
        assert lifecycle.allowed_actions(s, sup_actor, req) == []


def _served_week(db) -> None:
    """C01: satisfaction 1 of 3 (33%), claimed fast; C02: all 5 stars but claimed after 3 hours; C03: fine."""
    with db.factory() as s, s.begin():
        for code, tid in (("C01", 771001), ("C02", 771002), ("C03", 771003)):
            resident(s, community(s, code), f"居民{code}", tid)
    start = CHECK_DAY - timedelta(days=5)
    for i, score in enumerate((2, 3, 5)):
        serve(
            db.factory, "C01", 771001, at=start + timedelta(hours=3 * i), claim_after=timedelta(minutes=10), score=score
        )
    for i in range(4):
        serve(db.factory, "C02", 771002, at=start + timedelta(hours=3 * i), claim_after=timedelta(hours=3), score=5)
    for i in range(3):
        serve(db.factory, "C03", 771003, at=start + timedelta(hours=3 * i), claim_after=timedelta(minutes=20), score=5)


def test_a_supervisor_sees_the_communities_side_by_side_and_nobody_else_does(db, tmp_path):
    load_sample(db.factory, tmp_path, count=3)
    _served_week(db)
    with db.factory() as s:
        sup = actor_for_person(s, s.scalar(select(Supervisor)).person)
        view = district.overview(s, sup, now=CHECK_DAY)
        rows = {r.code: r for r in view.rows}
        assert [r.code for r in view.rows] == ["C01", "C02", "C03"]
        assert (rows["C01"].rated, rows["C01"].satisfied, rows["C01"].below_satisfaction) == (3, 1, True)
        assert rows["C01"].median_claim_minutes == 10 and not rows["C01"].slow_claims
        assert rows["C02"].satisfaction == 1.0 and rows["C02"].median_claim_minutes == 180 and rows["C02"].slow_claims
        assert not (rows["C03"].below_satisfaction or rows["C03"].slow_claims)
        assert rows["C01"].volunteer_hours == 3.0 and rows["C02"].volunteer_hours == 4.0
        assert district.flags_text(rows["C01"]) == "满意率低" and district.flags_text(rows["C02"]) == "接单慢"
        # Only the period counts: a week later nothing is rated or claimed.
        later = district.overview(s, sup, now=CHECK_DAY + timedelta(days=8))
        assert all(r.rated == 0 and r.claims == 0 for r in later.rows)
        # Staff, volunteers, residents and strangers are refused.
        staff = s.scalar(select(Person).join(Staff, Staff.person_id == Person.id))
        volunteer = s.scalar(select(Person).join(Volunteer, Volunteer.person_id == Person.id))
        for person in (staff, volunteer):
            with pytest.raises(Forbidden):
                district.overview(s, actor_for_person(s, person), now=CHECK_DAY)
        with pytest.raises(Forbidden):
            district.overview(s, None)


def test_the_daily_check_warns_the_supervisor_once_a_day_through_the_outbox(db, tmp_path):
    load_sample(db.factory, tmp_path, count=3)
    _served_week(db)
    district.ensure_checks(db.factory, now=CHECK_DAY - timedelta(hours=2))
    district.ensure_checks(db.factory, now=CHECK_DAY - timedelta(hours=1))  # twice: still one each
    with db.factory() as s:
        pending = s.scalars(
            select(FollowUp).where(FollowUp.kind == district.CHECK_KIND, FollowUp.status == FollowUpStatus.PENDING)
        ).all()
        assert len(pending) == 3 and {f.due_at for f in pending} == {datetime(2026, 11, 23, 0, 30)}
    # The unique key: the same check cannot be planned twice, whoever tries.
    with pytest.raises(IntegrityError), db.factory() as s, s.begin():
        s.add(FollowUp(community_id=pending[0].community_id, kind=district.CHECK_KIND, due_at=pending[0].due_at))

    with clock.use_clock(lambda: CHECK_DAY):
        report = followup_runner.run_due(db.factory, now=CHECK_DAY)
    assert report.fired.get(district.CHECK_KIND) == 3
    with db.factory() as s:
        warnings = s.scalars(select(DistrictWarning).order_by(DistrictWarning.id)).all()
        names = {c.id: c.code for c in s.scalars(select(Community))}
        assert [(names[w.community_id], w.kind) for w in warnings] == [("C01", "satisfaction"), ("C02", "claim_time")]
        sup = s.scalar(select(Supervisor)).person
        sent = s.scalars(
            select(OutboxMessage).where(OutboxMessage.person_id == sup.id, OutboxMessage.kind == "district_warning")
        ).all()
        assert len(sent) == 2 and all(m.not_before is None for m in sent)  # 08:31: not quiet hours
        assert "幸福里社区" in sent[0].text and "33%" in sent[0].text and "95%" in sent[0].text
        assert "和谐家园社区" in sent[1].text and "180 分钟" in sent[1].text
        # Tomorrow's checks are planned, one per community.
        tomorrow = s.scalars(
            select(FollowUp.due_at).where(
                FollowUp.kind == district.CHECK_KIND, FollowUp.status == FollowUpStatus.PENDING
            )
        ).all()
        assert tomorrow == [datetime(2026, 11, 24, 0, 30)] * 3
        # The supervisor's overview lists the day's warnings.
        view = district.overview(s, actor_for_person(s, sup), now=CHECK_DAY)
        assert [(view.community_names[w.community_id], w.kind) for w in view.warnings] == [
            ("和谐家园社区", "claim_time"),
            ("幸福里社区", "satisfaction"),
        ]

    # Fired again the same day (a second runner, a replayed row): no second warning.
    with db.factory() as s, s.begin():
        for cid in names:
            s.add(FollowUp(community_id=cid, kind=district.CHECK_KIND, due_at=CHECK_DAY - timedelta(seconds=30)))
    followup_runner.run_due(db.factory, now=CHECK_DAY + timedelta(minutes=5))
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(DistrictWarning)) == 2
        assert (
            s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "district_warning"))
            == 2
        )


def test_a_community_in_no_district_is_never_checked(db, tmp_path):
    load_sample(db.factory, tmp_path, count=1)
    with db.factory() as s, s.begin():
        s.add(Community(code="SOLO", name="独立社区"))
    district.ensure_checks(db.factory, now=CHECK_DAY)
    with db.factory() as s:
        checked = s.scalars(select(FollowUp.community_id).where(FollowUp.kind == district.CHECK_KIND)).all()
        assert checked == [community(s, "C01").id]


# --- through the CLI, as the district office runs it -------------------------------------------


def _cli(url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "community", *args],
        env={**os.environ, "DATABASE_URL": url, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.timeout(300)
def test_the_cli_writes_loads_and_shows_a_district_of_twenty(db_url, tmp_path):
    folder = tmp_path / "hp"
    out = _cli(db_url, "sample-district", str(folder), "--count", "20")
    assert out.returncode == 0, out.stderr
    # One bad cell in one community: nothing of the district is loaded, and the error says where.
    bad = tmp_path / "bad"
    write_sample(bad, 20)
    path = bad / "c07" / "buildings.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows[3][3] = "三"  # 单元数 must be a number
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    out = _cli(db_url, "load", str(bad))
    assert out.returncode == 1 and "c07/buildings.csv" in out.stdout and "未导入任何数据" in out.stdout

    out = _cli(db_url, "load", str(folder))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "已导入和平街道（HP）：20 个社区，1 名督查人员。" in out.stdout
    out = _cli(db_url, "district", "--phone", SUPERVISOR_PHONE)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("幸福里社区", "康乐里社区", "碧水湾社区"):
        assert name in out.stdout
    out = _cli(db_url, "district", "--phone", "13700000001")  # C01's staff: not a supervisor
    assert out.returncode == 1 and "督查" in out.stdout
    # Several communities: a command that needs one says to name it.
    out = _cli(db_url, "add-staff", "--name", "新同事", "--phone", "13711112222")
    assert out.returncode == 1 and "请指明社区编号" in out.stdout
    out = _cli(db_url, "add-staff", "--name", "新同事", "--phone", "13711112222", "--community", "C05")
    assert out.returncode == 0, out.stdout + out.stderr
    # Each community's poster link: a new resident opening it is registered there.
    out = _cli(db_url, "links", BOT_USERNAME="nuanxin_bot")
    assert out.returncode == 0, out.stdout + out.stderr
    for code, name in (("C01", "幸福里社区"), ("C20", "康乐里社区")):
        line = next(line for line in out.stdout.splitlines() if name in line)
        assert f"https://t.me/nuanxin_bot?start=c-{code}" in line
