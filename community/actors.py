"""Who is acting. Roles are always looked up from the database, never taken from a
message or a button: a forged `callback_data` carries no authority here."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from community.models import Grid, Person, Supervisor


@dataclass(frozen=True)
class Actor:
    person_id: int | None
    community_id: int | None
    resident_id: int | None = None
    volunteer_id: int | None = None
    staff_id: int | None = None
    leader_grid_ids: frozenset[int] = field(default_factory=frozenset)
    is_system: bool = False
    # 街道/区 督查: the district whose communities this person oversees (community.district).
    supervisor_district_id: int | None = None
    # Where the action came from, for the audit log: chat | web | cli | open311 | system.
    channel: str = "chat"

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None or self.is_system


SYSTEM = Actor(person_id=None, community_id=None, is_system=True, channel="system")


def actor_for_person(session: Session, person: Person, channel: str = "chat") -> Actor:
    leader_of = session.scalars(select(Grid.id).where(Grid.leader_person_id == person.id)).all()
    supervised = session.scalar(
        select(Supervisor.district_id).where(Supervisor.person_id == person.id, Supervisor.active.is_(True))
    )
    return Actor(
        person_id=person.id,
        community_id=person.community_id,
        resident_id=person.resident.id if person.resident else None,
        # A volunteer deactivated by staff keeps their history but no longer acts as one.
        volunteer_id=person.volunteer.id if person.volunteer and person.volunteer.deactivated_at is None else None,
        staff_id=person.staff.id if person.staff and person.staff.active else None,
        leader_grid_ids=frozenset(leader_of),
        supervisor_district_id=supervised,
        channel=channel,
    )


def actor_for_telegram(session: Session, telegram_id: int) -> Actor | None:
    person = session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    return actor_for_person(session, person) if person else None
