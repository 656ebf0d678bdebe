"""Every action in the bot's staff menu exists on the web. The bot's menu is read from the
bot itself: the commands its staff module registers on a PTB Application (wherever they
sit: plain handlers or a conversation's entry points) and the buttons its staff detail
view and review cards carry; each has a web page or form, checked over HTTP."""

import re

from telegram.ext import ApplicationBuilder, CommandHandler, ConversationHandler, DictPersistence

from bot import staff as bot_staff
from community import lifecycle
from community.db import transaction
from community.models import Request, RequestKind

# Bot command -> the web page that does the same.
WEB_FOR_COMMAND = {
    "queue": "/requests?queue=review",  # the queues, with the same tabs
    "stats": "/?grid={grid}",  # /stats, /stats G1, /stats <team>: the overview, per grid or team
    "invite": "/invites",
    "export": "/export",
    "order": "/orders/new",  # 代下单
}
# These drop a question the bot is waiting for an answer to; a web form has no such state.
CONVERSATION_CONTROLS = {"cancel", "cancel_input"}
# Buttons on the bot's staff detail view and review cards -> the lifecycle action the web form takes.
WEB_FOR_BUTTON = {
    "publish": "publish",
    "reject": "reject",
    "reassign": "dispatch",
    "urgent": "flag_urgent",  # and unflag_urgent
    "staffcancel": "cancel",
    "confirm": "confirm",
    "followup": "complete_followup",
}
NAVIGATION_BUTTONS = {"queue", "detail", "staffres", "staffcat"}  # paging, a request's page, 代下单 steps


def _commands(handlers) -> set[str]:
    found: set[str] = set()
    for handler in handlers:
        if isinstance(handler, CommandHandler):
            found |= set(handler.commands)
        elif isinstance(handler, ConversationHandler):
            found |= _commands(handler.entry_points)
            for state in handler.states.values():
                found |= _commands(state)
            found |= _commands(handler.fallbacks)
    return found


def _bot_staff_commands() -> set[str]:
    # The staff wizards are persistent conversations: the application needs a persistence.
    app = ApplicationBuilder().token("123456:TEST").persistence(DictPersistence()).build()
    bot_staff.register(app, factory=None)
    return _commands([h for group in app.handlers.values() for h in group])


def test_every_bot_staff_command_has_a_web_page(web):
    commands = _bot_staff_commands()
    assert commands == set(WEB_FOR_COMMAND) | CONVERSATION_CONTROLS, commands
    client = web.staff_client()
    for command, path in WEB_FOR_COMMAND.items():
        response = client.get(path.format(grid=web.world.grids["G1"].id))
        assert response.status_code == 200, (command, path)


def test_every_staff_button_of_the_bot_is_a_form_on_the_web(web):
    # The detail view's own buttons, and those that open a staff question (a conversation).
    prefixes = set(re.findall(r"([a-z]+):", bot_staff.CALLBACK_PATTERN)) | set(bot_staff.QUESTION_ENTRIES)
    prefixes |= {"publish", "reject", "reassign", "confirm"}
    assert prefixes == set(WEB_FOR_BUTTON) | NAVIGATION_BUTTONS, prefixes
    wish = web.submit("王奶奶", "想要一台收音机", kind=RequestKind.WISH, category=None)
    service = web.submit("陈大爷", "楼道灯泡坏了")
    done = web.submit("王奶奶", "修门锁")
    with transaction(web.db.factory) as s:
        from community.actors import actor_for_person
        from community.models import Volunteer

        zhang = actor_for_person(s, s.get(Volunteer, web.world.volunteers["张师傅"].id).person)
        lifecycle.claim(s, zhang, done)
        lifecycle.finish(s, zhang, done, hours=1)
        lifecycle.reopen(s, web.staff_actor(s), done, "没修好")
        liu = actor_for_person(s, s.get(Volunteer, web.world.volunteers["刘师傅"].id).person)
        lifecycle.claim(s, liu, done)
        lifecycle.finish(s, liu, done, hours=1)
    client = web.staff_client()
    offered: set[str] = set()
    for request_id in (wish, service, done):
        page = client.get(f"/requests/{request_id}").text
        forms = re.findall(r'data-action="([a-z_]+)"', page)
        with web.db.factory() as s:
            assert forms == lifecycle.allowed_actions(s, web.staff_actor(s), s.get(Request, request_id))
        offered |= set(forms)
    assert set(WEB_FOR_BUTTON.values()) <= offered
