"""Follow-ups on a controllable clock (no sleeping): each rule fires at its moment and only
then, never for a request in the wrong state; restarts lose and duplicate nothing; quiet
hours defer and release across midnight. Runs on SQLite and PostgreSQL."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from community import care, clock, followup_runner, followups, lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import (
    Event,
    FollowUp,
    OutboxMessage,
    Person,
    Request,
    RequestKind,
    RequestState,
)
from community.outbox import due_messages
from community.stats import compute_stats
from tests.builders import build_world

S = RequestState
START = datetime(2026, 11, 23, 2, 0)  # 10:00 in Shanghai


@pytest.fixture
def fake():
    fake = clock.FakeClock(START)
    with clock.use_clock(fake):
        yield fake


@pytest.fixture
def world(db, fake):
    with db.factory() as s, s.begin():
        return build_world(s)


def act(db, person_id, fn, *args, **kwargs):
    with db.factory() as s, s.begin():
        return fn(s, actor_for_person(s, s.get(Person, person_id)), *args, **kwargs)


def at(db, fake, **delta):
    """Move the clock to START + delta and run the scheduler's work once."""
    fake.current = START + timedelta(**delta)
    return followup_runner.run_due(db.factory)


def kinds(db, person_id, since_id=0):
    with db.factory() as s:
        return s.scalars(
            select(OutboxMessage.kind)
            .where(OutboxMessage.person_id == person_id, OutboxMessage.id > since_id)
            .order_by(OutboxMessage.id)
        ).all()


def last_outbox_id(db):
    with db.factory() as s:
        return s.scalar(select(func.max(OutboxMessage.id))) or 0


def req(db, rid) -> Request:
    with db.factory() as s:
        r = s.get(Request, rid)
        s.expunge(r)
        return r


def resident(world, name="王奶奶"):
    return world.residents[name].person_id


def volunteer(world, name):
    return world.volunteers[name].person_id


def service(db, world, **kw):
    new = NewRequest(
        kind=RequestKind.SERVICE,
        description=kw.pop("description", "帮忙买菜"),
        category=kw.pop("category", "代购"),
        **kw,
    )
    return act(db, resident(world), lifecycle.submit, new).id


def test_unclaimed_widens_at_two_hours_and_red_flags_at_twenty_four(db, world, fake):
    rid = service(db, world)
    assert at(db, fake, hours=1, minutes=59).total == 0
    assert req(db, rid).escalation_level == 0
    report = at(db, fake, hours=2)
    assert report.fired == {"widen": 1}
    assert req(db, rid).escalation_level == 1
    assert kinds(db, world.leaders["G1"].id)[-1] == "escalated"
    assert at(db, fake, hours=23, minutes=59).total == 0
    mark = last_outbox_id(db)
    assert at(db, fake, hours=24).fired == {"red_flag": 1}
    assert req(db, rid).escalation_level == 2
    red = kinds(db, world.staff.person_id, mark)
    assert red == ["red_flag"]
    assert at(db, fake, hours=48).total == 0  # nothing left to fire


def test_a_near_appointment_escalates_earlier(db, world, fake):
    rid = service(db, world, preferred_time=START + timedelta(hours=4))
    assert at(db, fake, minutes=59).total == 0
    assert at(db, fake, hours=1).fired == {"widen": 1}  # 3 h before the appointment
    assert at(db, fake, hours=3).fired == {"red_flag": 1}  # 1 h before
    assert req(db, rid).escalation_level == 2


def test_claiming_in_time_cancels_the_escalations(db, world, fake):
    rid = service(db, world)
    fake.advance(minutes=30)
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, rid)
    assert at(db, fake, hours=30).fired.get("widen") is None
    assert req(db, rid).escalation_level == 0
    with db.factory() as s:
        cancelled = s.scalars(
            select(FollowUp.kind).where(FollowUp.request_id == rid, FollowUp.status == "cancelled")
        ).all()
    assert sorted(cancelled) == ["red_flag", "widen"]


def test_appointment_reminders_evening_before_and_an_hour_before(db, world, fake):
    # Tomorrow 15:00 Shanghai = 07:00 UTC the day after START.
    appointment = START + timedelta(days=1, hours=5)
    rid = service(db, world, preferred_time=appointment)
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, rid)
    mark = last_outbox_id(db)
    assert at(db, fake, hours=9, minutes=59).total == 0
    assert at(db, fake, hours=10).fired == {"remind_resident": 1}  # 20:00 the evening before
    assert "赵阿姨" in _last_text(db, resident(world))
    assert at(db, fake, days=1, hours=3, minutes=59).total == 0
    assert at(db, fake, days=1, hours=4).fired == {"remind_volunteer": 1}  # 14:00, an hour before
    assert kinds(db, volunteer(world, "赵阿姨"), mark) == ["remind_volunteer"]


def _last_text(db, person_id):
    with db.factory() as s:
        return s.scalars(
            select(OutboxMessage.text).where(OutboxMessage.person_id == person_id).order_by(OutboxMessage.id.desc())
        ).first()


def test_unfinished_by_due_time_nudges_then_tells_the_leader(db, world, fake):
    rid = service(db, world)  # 代购 is due 24 h after publishing
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, rid)
    assert at(db, fake, hours=23, minutes=59).total == 0
    assert at(db, fake, hours=24).fired == {"nudge_volunteer": 1}
    assert kinds(db, volunteer(world, "赵阿姨"))[-1] == "nudge_volunteer"
    assert at(db, fake, hours=47, minutes=59).total == 0
    assert at(db, fake, hours=48).fired == {"overdue_leader": 1}
    with db.factory() as s:
        msg = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "overdue_leader")).one()
        assert msg.person_id == world.leaders["G1"].id and msg.buttons[0][0]["action"] == "reassign"
        assert s.scalar(select(func.count()).where(Event.request_id == rid, Event.action == "overdue")) == 1


def test_reassigning_reschedules_and_finishing_removes_the_nudges(db, world, fake):
    rid = service(db, world)
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, rid)
    fake.advance(hours=23, minutes=30)
    act(db, world.staff.person_id, lifecycle.dispatch, rid, world.volunteers["周大姐"].id)
    # The new volunteer gets at least an hour before being nudged.
    assert at(db, fake, hours=24).total == 0
    assert at(db, fake, hours=24, minutes=30).fired == {"nudge_volunteer": 1}
    assert kinds(db, volunteer(world, "周大姐"))[-1] == "nudge_volunteer"
    act(db, volunteer(world, "周大姐"), lifecycle.finish, rid)
    assert at(db, fake, hours=60).fired.get("overdue_leader") is None


def test_done_asks_again_after_a_day_and_closes_unrated_after_three(db, world, fake):
    rid = service(db, world)
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, rid)
    act(db, volunteer(world, "赵阿姨"), lifecycle.finish, rid)
    assert at(db, fake, hours=23, minutes=59).total == 0
    assert at(db, fake, hours=24).fired == {"rate_reminder": 1}
    assert kinds(db, resident(world))[-1] == "rate_reminder"
    assert at(db, fake, hours=71, minutes=59).total == 0
    assert at(db, fake, hours=72).fired == {"close_unrated": 1}
    r = req(db, rid)
    assert r.state == S.CLOSED and r.closed_unrated
    with db.factory() as s:
        sat = compute_stats(s, world.community.id).satisfaction
    assert (sat.rated, sat.satisfied, sat.unrated_closed) == (0, 0, 1)


def test_rating_in_time_stops_the_reminders(db, world, fake):
    rid = service(db, world)
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, rid)
    act(db, volunteer(world, "赵阿姨"), lifecycle.finish, rid)
    fake.advance(hours=3)
    act(db, resident(world), lifecycle.rate, rid, 5)
    assert at(db, fake, hours=100).total == 0
    assert not req(db, rid).closed_unrated


def test_cancelled_request_fires_nothing(db, world, fake):
    rid = service(db, world, preferred_time=START + timedelta(days=1))
    act(db, resident(world), lifecycle.cancel, rid)
    assert at(db, fake, days=5).total == 0
    with db.factory() as s:
        assert s.scalar(select(func.count()).where(FollowUp.request_id == rid, FollowUp.status == "pending")) == 0


def test_follow_up_for_a_request_in_the_wrong_state_is_skipped(db, world, fake):
    """Even if a row were left pending (say, written by an older version), it never fires
    for a request that moved on."""
    rid = service(db, world)
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, rid)
    with db.factory() as s, s.begin():
        s.add(FollowUp(community_id=world.community.id, request_id=rid, kind="widen", due_at=START))
    report = at(db, fake, minutes=1)
    assert report.total == 0 and report.skipped == 1
    assert req(db, rid).escalation_level == 0


def test_restart_loses_nothing_and_duplicates_nothing(db, world, fake):
    """Rows that came due while no scheduler ran fire once on the first run, oldest first;
    a second run (or a second process start) fires nothing again."""
    first = service(db, world)
    second = service(db, world, description="帮忙买药")
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, second)
    act(db, volunteer(world, "赵阿姨"), lifecycle.finish, second)
    # The process is down for five days. On start:
    report = at(db, fake, days=5)
    assert report.fired == {"widen": 1, "red_flag": 1, "rate_reminder": 1, "close_unrated": 1}
    assert req(db, first).escalation_level == 2 and req(db, second).closed_unrated
    mark = last_outbox_id(db)
    assert at(db, fake, days=5).total == 0  # started again: nothing twice
    assert last_outbox_id(db) == mark


def test_a_stale_appointment_reminder_is_skipped_not_sent(db, world, fake):
    rid = service(db, world, preferred_time=START + timedelta(days=1, hours=5))
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, rid)
    report = at(db, fake, days=3)  # down over the appointment
    assert "remind_volunteer" not in report.fired and "remind_resident" not in report.fired
    assert report.skipped == 2


def test_a_failing_follow_up_is_retried_later_without_blocking_others(db, world, fake, monkeypatch):
    a, b = service(db, world), service(db, world, description="帮忙买药")
    original = lifecycle.escalate

    def flaky(session, actor, request_id, *args):
        if request_id == a:
            raise RuntimeError("database hiccup")
        return original(session, actor, request_id, *args)

    monkeypatch.setattr(lifecycle, "escalate", flaky)
    report = at(db, fake, hours=2)
    assert report.failed == 1 and report.fired == {"widen": 1}
    assert req(db, b).escalation_level == 1 and req(db, a).escalation_level == 0
    monkeypatch.setattr(lifecycle, "escalate", original)
    assert at(db, fake, hours=2, minutes=1).total == 0  # retried after a 2-minute backoff
    assert at(db, fake, hours=2, minutes=2).fired == {"widen": 1}
    assert req(db, a).escalation_level == 1


# --- quiet hours --------------------------------------------------------------------------------


def test_quiet_hours_defer_across_midnight_and_release_in_the_morning(db, world, fake):
    rid = service(db, world)
    act(db, volunteer(world, "赵阿姨"), lifecycle.claim, rid)
    # The nudge comes due at 10:00 the next day; move the due time to 23:00 tonight.
    with db.factory() as s, s.begin():
        row = s.scalars(select(FollowUp).where(FollowUp.request_id == rid, FollowUp.kind == "nudge_volunteer")).one()
        row.due_at = START + timedelta(hours=13)  # 23:00 Shanghai
    at(db, fake, hours=13)
    with db.factory() as s:
        nudge = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge_volunteer")).one()
        assert nudge.not_before == START + timedelta(hours=22)  # 08:00 the next morning
        assert nudge.id not in [m.id for m in due_messages(s, START + timedelta(hours=21, minutes=59))]
        assert nudge.id in [m.id for m in due_messages(s, START + timedelta(hours=22))]


def test_urgent_and_replies_go_at_once_at_night(db, world, fake):
    fake.current = START + timedelta(hours=13, minutes=30)  # 23:30 Shanghai
    rid = service(db, world)
    with db.factory() as s:
        received = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "received")).one()
        offers = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "offer")).all()
        assert received.not_before is None  # the resident just wrote: answer now
        assert offers and all(o.not_before == START + timedelta(hours=22) for o in offers)  # volunteers sleep
    act(db, world.staff.person_id, lifecycle.flag_urgent, rid)
    act(db, resident(world), lifecycle.urge, rid)
    with db.factory() as s:
        urged = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "urged")).one()
        assert urged.urgent and urged.not_before is None


# --- digest and care visits ---------------------------------------------------------------------


def test_morning_digest_goes_to_leaders_and_staff_once_a_day(db, world, fake):
    service(db, world)
    followups.ensure_digests(db.factory)
    assert at(db, fake, hours=21, minutes=59).fired.get("digest") is None  # 07:59
    assert at(db, fake, hours=22).fired.get("digest") == 1  # 08:00 next day
    assert kinds(db, world.leaders["G1"].id)[-1] == "digest"
    assert "第一网格" in _last_text(db, world.leaders["G1"].id)
    assert kinds(db, world.staff.person_id)[-1] == "digest"
    followups.ensure_digests(db.factory)  # a restart re-ensures: still one pending
    assert at(db, fake, hours=23).fired.get("digest") is None
    assert at(db, fake, days=1, hours=22).fired.get("digest") == 1
    with db.factory() as s:
        assert s.scalar(select(func.count()).where(FollowUp.kind == "digest", FollowUp.status == "pending")) == 1


def test_weekly_care_visit_becomes_a_routed_request_and_never_backfills(db, world, fake):
    first_visit = START + timedelta(days=2)
    with db.factory() as s, s.begin():
        staff = actor_for_person(s, s.get(Person, world.staff.person_id))
        schedule_id = care.schedule_visits(
            s, staff, world.residents["陈大爷"].id, "助老", "每周上门看望，量血压", 7, first_visit
        ).id
    assert at(db, fake, days=0, hours=23).care_requests == 0
    assert at(db, fake, days=1).care_requests == 1  # 24 h ahead of the visit
    with db.factory() as s:
        r = s.scalars(select(Request).where(Request.kind == RequestKind.CARE)).one()
        assert r.state == S.OPEN and r.preferred_time == first_visit and r.grid_id == world.grids["G2"].id
    assert at(db, fake, days=1, hours=1).care_requests == 0  # not twice
    # Down for three weeks: the next run creates one request for the next visit, not three.
    assert at(db, fake, days=30).care_requests == 1
    with db.factory() as s:
        from community.models import CareSchedule

        assert s.scalar(select(func.count()).where(Request.kind == RequestKind.CARE)) == 2
        assert s.get(CareSchedule, schedule_id).next_visit_at > START + timedelta(days=30)


def test_three_runners_at_once_fire_each_due_row_exactly_once(db, world, fake):
    """Several bot processes (or a tick and its wake-up) run the scheduler on one database:
    every due row is fired by exactly one of them, none twice, none lost."""
    import threading

    rids = []
    for who, what in (("赵阿姨", "帮忙买菜"), ("赵阿姨", "帮忙买药")):
        rid = service(db, world, description=what)
        act(db, volunteer(world, who), lifecycle.claim, rid)
        rids.append(rid)
    due = START + timedelta(minutes=1)
    with db.factory() as s, s.begin():
        s.execute(
            FollowUp.__table__.update().where(FollowUp.status == "pending").values(status="cancelled")
        )  # only the rows below are due
        for i in range(120):
            s.add(
                FollowUp(
                    community_id=world.community.id,
                    request_id=rids[i % 2],
                    kind="nudge_volunteer",
                    due_at=due,
                    created_at=START,
                )
            )
    before = last_outbox_id(db)
    reports, errors = [], []
    go = threading.Barrier(3)

    def runner():
        go.wait()
        try:
            reports.append(followup_runner.run_due(db.factory, now=due + timedelta(seconds=1)))
        except Exception as exc:  # noqa: BLE001 - a thread cannot raise into the test: the assertion shows it
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.total for r in reports) == 120
    with db.factory() as s:
        assert s.scalar(select(func.count()).where(OutboxMessage.id > before)) == 120
        assert (
            s.scalar(select(func.count()).where(FollowUp.kind == "nudge_volunteer", FollowUp.status == "done")) == 120
        )
