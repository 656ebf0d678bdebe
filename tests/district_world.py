"""A sample district of communities loaded into a test database, and requests served in
it with chosen ratings and claim times (for the district tests, bot and web)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from community import clock, lifecycle, people
from community.actors import actor_for_person
from community.district_loader import load_district
from community.district_sample import write_sample
from community.lifecycle import NewRequest
from community.models import Building, Community, Offer, Person, RequestKind, Volunteer

SUPERVISOR_PHONE = "13800000001"


def load_sample(
    factory: sessionmaker[Session], tmp_path: Path, count: int = 20, supervisor_telegram: int | None = 880001
) -> Path:
    folder = write_sample(tmp_path / "district", count, supervisors=[("周督查", SUPERVISOR_PHONE, supervisor_telegram)])
    with factory() as s, s.begin():
        load_district(s, folder)
        # Volunteers who linked their Telegram account (routing offers only reachable ones).
        for i, person in enumerate(s.scalars(select(Person).join(Volunteer, Volunteer.person_id == Person.id))):
            person.telegram_id = person.telegram_id or 5_000_000 + i
    return folder


def community(s: Session, code: str) -> Community:
    return s.scalar(select(Community).where(Community.code == code))


def resident(s: Session, c: Community, name: str, telegram_id: int, building: int = 3):
    b = s.scalar(select(Building).where(Building.community_id == c.id, Building.number == building))
    return people.register_resident(
        s, c, name, phone="13912345678", telegram_id=telegram_id, building_id=b.id, unit=2, room="502", consent=True
    )


def serve(
    factory: sessionmaker[Session],
    code: str,
    resident_telegram: int,
    *,
    at: datetime,
    claim_after: timedelta,
    score: int | None,
    category: str = "维修",
    hours: float = 1.0,
) -> int:
    """A service order in community `code`, submitted at `at`, claimed `claim_after` later
    by a volunteer it was offered to, finished, and rated `score` (None: not rated)."""
    with clock.use_clock(lambda: at), factory() as s, s.begin():
        res = s.scalar(select(Person).where(Person.telegram_id == resident_telegram))
        req = lifecycle.submit(
            s,
            actor_for_person(s, res),
            NewRequest(kind=RequestKind.SERVICE, description="厨房水管漏水", category=category),
        )
        rid = req.id
        offered = s.scalar(select(Offer.volunteer_id).where(Offer.request_id == rid).order_by(Offer.id))
        volunteer = s.get(Volunteer, offered).person
    with clock.use_clock(lambda: at + claim_after), factory() as s, s.begin():
        lifecycle.claim(s, actor_for_person(s, s.get(Person, volunteer.id)), rid)
    with clock.use_clock(lambda: at + claim_after + timedelta(minutes=30)), factory() as s, s.begin():
        lifecycle.finish(s, actor_for_person(s, s.get(Person, volunteer.id)), rid, hours=hours)
    if score is not None:
        with clock.use_clock(lambda: at + claim_after + timedelta(minutes=40)), factory() as s, s.begin():
            res = s.scalar(select(Person).where(Person.telegram_id == resident_telegram))
            lifecycle.rate(s, actor_for_person(s, res), rid, score)
    return rid
