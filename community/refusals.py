"""Refused presses: who pressed what they may not, and a brake on accounts that keep trying.

A claim (or any other press) refused because the presser has no business with it
(`Forbidden`, `NotFound`: a request never offered to them, another role's button, an id
that is not theirs or does not exist; malformed or stale data: bot/presses.py) is an audit row (`press_refused`) with the presser,
the action and the request id, in its own transaction (the refused action's was rolled
back). One account refused `REFUSAL_LIMIT` times within `REFUSAL_WINDOW` is braked: every
press of theirs is answered "操作太频繁" until the window has passed, and staff are told
once, when the limit is reached. The web's audit page lists the rows (`AuditEntry`).

With sequential request ids a volunteer account could otherwise walk every open request;
the lifecycle refuses each one (`community.lifecycle.denial`), this makes the walk visible
and slow.
"""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from community import clock, staffing, texts
from community.actors import Actor
from community.models import AuditEntry, Person
from community.outbox import notify, staff_of

ACTION = "press_refused"
REFUSAL_WINDOW = timedelta(minutes=10)
REFUSAL_LIMIT = 5


def recent_refusals(session: Session, actor: Actor) -> int:
    if actor.person_id is None:
        return 0
    return (
        session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.actor_person_id == actor.person_id,
                AuditEntry.action == ACTION,
                AuditEntry.at >= clock.now() - REFUSAL_WINDOW,
            )
        )
        or 0
    )


def is_braked(session: Session, actor: Actor) -> bool:
    return recent_refusals(session, actor) >= REFUSAL_LIMIT


def _press_name(action: str) -> str:
    return texts.ACTION_NAMES.get(action) or texts.PRESS_NAMES.get(action, texts.PRESS_OTHER)


def record_refusal(session: Session, actor: Actor, action: str, request_id: int, reason: str) -> int:
    """One refused press; returns how many this account had within the window. Staff hear
    about it when the count reaches the limit."""
    if actor.person_id is None or actor.community_id is None:
        return 0
    staffing.record(
        session,
        actor,
        actor.community_id,
        ACTION,
        note=texts.REFUSAL_NOTE.format(action=_press_name(action), id=request_id, reason=reason),
    )
    count = recent_refusals(session, actor)
    if count == REFUSAL_LIMIT:
        person = session.get_one(Person, actor.person_id)
        minutes = int(REFUSAL_WINDOW.total_seconds() // 60)
        for member in staff_of(session, actor.community_id):
            notify(
                session,
                member,
                "refusals",
                texts.N_REFUSALS_STAFF.format(name=person.name, count=count, minutes=minutes),
            )
    return count
