"""Atomic claims under real concurrency, on SQLite and PostgreSQL: of 50 volunteers
pressing 接单 at the same instant exactly one wins; a volunteer racing for many requests
at once never ends up over their load limit."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from community import lifecycle
from community.actors import SYSTEM, actor_for_person
from community.errors import AlreadyClaimed, DomainError, OverLoad
from community.lifecycle import NewRequest
from community.models import Event, OutboxMessage, Person, Request, RequestKind, RequestState, Volunteer
from tests.builders import add_volunteer, build_world

CLAIMERS = 50


def _race(db, calls):
    """Run (person_id, request_id) claims in parallel threads released at once by a
    barrier; each in its own transaction. Returns [(person_id, request_id, error|None)]."""
    barrier = threading.Barrier(len(calls))

    def one(call):
        person_id, request_id = call
        barrier.wait()
        try:
            with db.factory() as s, s.begin():
                lifecycle.claim(s, actor_for_person(s, s.get(Person, person_id)), request_id)
            return person_id, request_id, None
        except DomainError as exc:
            return person_id, request_id, exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


def test_fifty_concurrent_claims_have_exactly_one_winner(db):
    with db.factory() as s, s.begin():
        world = build_world(s)
        people = [add_volunteer(s, world, f"志愿者{i:02d}", "G1", ["repair1"]).person_id for i in range(CLAIMERS)]
        resident = world.residents["王奶奶"]
        rid = lifecycle.submit(
            s,
            actor_for_person(s, resident.person),
            NewRequest(kind=RequestKind.SERVICE, description="水管爆了", category="维修"),
        ).id
        # Widened (as after two hours unclaimed): every grid volunteer may claim, not only
        # the five who got the first cards.
        lifecycle.escalate(s, SYSTEM, rid, 1, 2)

    results = _race(db, [(p, rid) for p in people])

    winners = [p for p, _, err in results if err is None]
    losers = [err for _, _, err in results if err is not None]
    assert len(winners) == 1
    assert len(losers) == CLAIMERS - 1
    assert all(isinstance(e, AlreadyClaimed) and "已被其他志愿者认领" in e.message for e in losers)
    with db.factory() as s:
        req = s.get(Request, rid)
        winner = s.scalar(select(Volunteer).where(Volunteer.person_id == winners[0]))
        assert req.state == RequestState.CLAIMED and req.volunteer_id == winner.id
        assert winner.active_load == 1
        assert s.scalar(select(func.sum(Volunteer.active_load))) == 1
        assert s.scalar(select(func.count()).where(Event.request_id == rid, Event.action == "claim")) == 1
        assigned = s.scalars(select(OutboxMessage.person_id).where(OutboxMessage.kind == "assigned")).all()
        assert assigned == [winners[0]]


def test_one_volunteer_racing_for_many_requests_stops_at_the_load_limit(db):
    limit, requests = 3, 10
    with db.factory() as s, s.begin():
        world = build_world(s)
        volunteer = add_volunteer(s, world, "抢单的志愿者", "G1", ["repair1"], max_load=limit)
        resident = world.residents["王奶奶"]
        actor = actor_for_person(s, resident.person)
        rids = [
            lifecycle.submit(
                s, actor, NewRequest(kind=RequestKind.SERVICE, description=f"第{i}个水管", category="维修")
            ).id
            for i in range(requests)
        ]
        person_id = volunteer.person_id

    results = _race(db, [(person_id, r) for r in rids])

    won = [r for _, r, err in results if err is None]
    assert len(won) == limit
    assert all(isinstance(err, OverLoad) for _, _, err in results if err is not None)
    with db.factory() as s:
        assert s.scalar(select(Volunteer.active_load).where(Volunteer.person_id == person_id)) == limit
        states = s.scalars(select(Request.state).where(Request.id.in_(rids))).all()
        assert sorted(states).count(RequestState.CLAIMED) == limit
