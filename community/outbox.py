"""Writing notifications. Rows are added to the caller's session, so they commit or roll
back together with the state change that caused them; the bot's sender delivers them."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from community.models import Grid, OutboxMessage, Person, Request, Staff


def button(text: str, action: str, request_id: int, **args) -> dict:
    """A button naming a domain action. The bot stores it server-side under a short key;
    the action is re-checked against the database when pressed."""
    return {"text": text, "action": action, "request_id": request_id, **args}


def notify(
    session: Session,
    person: Person | None,
    kind: str,
    text: str,
    *,
    request: Request | None = None,
    buttons: list[list[dict]] | None = None,
    urgent: bool = False,
    edit_of: int | None = None,
) -> OutboxMessage | None:
    """Queue a message to a person; people without Telegram get nothing (returns None)."""
    if person is None or person.telegram_id is None:
        return None
    msg = OutboxMessage(
        person_id=person.id,
        chat_id=person.telegram_id,
        kind=kind,
        text=text,
        buttons=buttons,
        request_id=request.id if request else None,
        urgent=urgent,
        edit_of=edit_of,
    )
    session.add(msg)
    session.flush()
    return msg


def staff_of(session: Session, community_id: int) -> list[Person]:
    return list(
        session.scalars(
            select(Person).join(Staff, Staff.person_id == Person.id).where(
                Person.community_id == community_id, Staff.active.is_(True)
            ).order_by(Person.id)
        )
    )


def leader_or_staff(session: Session, request: Request) -> list[Person]:
    """The grid leader of the request's grid, or all staff when the grid has none."""
    grid = session.get(Grid, request.grid_id) if request.grid_id else None
    if grid and grid.leader_person_id:
        return [session.get(Person, grid.leader_person_id)]
    return staff_of(session, request.community_id)
