"""Who is writing, for the answers that depend on it: `/start`, `/help`, an unknown command,
free text from someone who is not a resident.

Staff, grid leaders, volunteers and district supervisors get their own greeting and help, never the resident
consent prompt; a person who is also a resident who has consented is answered as a resident
when they write free text (they may be asking for help themselves). The role comes from the
database (`community.actors`), never from the message.
"""

from telegram.ext import Application, CommandHandler, ConversationHandler

from bot import texts
from community.actors import actor_for_telegram
from community.models import Person


def role_help(session, telegram_id: int) -> tuple[str | None, bool]:
    """(the help for the sender's role, or None for residents and newcomers; whether they
    are a resident who has consented)."""
    actor = actor_for_telegram(session, telegram_id)
    if actor is None or actor.person_id is None:
        return None, False
    person = session.get(Person, actor.person_id)
    consented = bool(person.resident and person.resident.consent_at)
    if actor.is_staff:
        return texts.HELP_STAFF.format(name=person.name), consented
    if actor.leader_grid_ids:
        return texts.HELP_LEADER.format(name=person.name), consented
    if actor.volunteer_id is not None:
        return texts.HELP_VOLUNTEER.format(name=person.name), consented
    if actor.supervisor_district_id is not None:  # a district office's 督查: /district, never the consent
        return texts.HELP_SUPERVISOR.format(name=person.name), consented
    return None, consented


def known_commands(app: Application) -> frozenset[str]:
    """Every command some handler of `app` answers, in any group, wizards included."""
    found: set[str] = set()

    def visit(handler) -> None:
        if isinstance(handler, CommandHandler):
            found.update(handler.commands)
        elif isinstance(handler, ConversationHandler):
            for h in [*handler.entry_points, *handler.fallbacks, *(x for hs in handler.states.values() for x in hs)]:
                visit(h)

    for handlers in app.handlers.values():
        for handler in handlers:
            visit(handler)
    return frozenset(found)
