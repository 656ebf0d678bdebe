"""关爱式服务: staff set a recurring visit for a resident; `community.followups` turns each
occurrence into a `care` request routed like any other."""

from datetime import datetime

from sqlalchemy.orm import Session

from community import clock, lifecycle, texts
from community.actors import Actor
from community.errors import Forbidden, InvalidInput, NotFound
from community.models import CareSchedule, Resident
from community.validation import check_description


def schedule_visits(
    session: Session,
    actor: Actor,
    resident_id: int,
    category: str,
    description: str,
    every_days: int,
    first_visit_at: datetime,
) -> CareSchedule:
    """E.g. a weekly visit (every_days=7) to an elderly resident living alone."""
    if not (actor.is_staff or actor.leader_grid_ids):
        raise Forbidden(texts.ERR_NOT_STAFF)
    resident = session.get(Resident, resident_id)
    if resident is None or resident.person.community_id != actor.community_id:
        raise NotFound(texts.ERR_NOT_FOUND.format(request_id=resident_id))
    if not 1 <= every_days <= 90:
        raise InvalidInput(texts.ERR_CARE_INTERVAL)
    if first_visit_at <= clock.now():
        raise InvalidInput(texts.ERR_CARE_TIME)
    found = lifecycle.find_category(session, actor.community_id, category)
    schedule = CareSchedule(
        community_id=actor.community_id,
        resident_id=resident_id,
        category_id=found.id,
        description=check_description(description),
        every_days=every_days,
        next_visit_at=first_visit_at,
        created_by_person_id=actor.person_id,
        created_at=clock.now(),
    )
    session.add(schedule)
    session.flush()
    return schedule


def stop_visits(session: Session, actor: Actor, schedule_id: int) -> CareSchedule:
    if not (actor.is_staff or actor.leader_grid_ids):
        raise Forbidden(texts.ERR_NOT_STAFF)
    schedule = session.get(CareSchedule, schedule_id)
    if schedule is None or schedule.community_id != actor.community_id:
        raise NotFound(texts.ERR_NOT_FOUND.format(request_id=schedule_id))
    schedule.active = False
    return schedule
