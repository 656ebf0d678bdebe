"""The staff side of the bot: work queues, request details and staff actions, statistics,
volunteer invites, the 台账 export, and 代下单 (ordering for a resident without Telegram).

Every command and button looks the user up in the database and checks that they are
active staff (or, for 代下单 and 回访, a grid leader, as the lifecycle allows): a button's
callback_data only says which request it is about. Database work runs in a thread, one
short transaction at a time, and `on_commit()` wakes the outbox sender after a change.

Questions that take the next text (a reject or cancel reason, a 回访 note, the 代下单
steps) are one persistent ConversationHandler (bot/wizards.py), so an open question survives a
restart; a new question replaces whichever was open, and /cancel drops it. Refusals
(DomainError) are the reply; anything unexpected goes to the application's error handler
(bot/errors.py).
"""

import asyncio
import copy
import functools
import logging
import math
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import presses, texts, wizards
from community import clock, handoff, ledger_export, lifecycle, people, queues, recognition, routing
from community import texts as core
from community.actors import Actor, actor_for_telegram
from community.errors import (
    AddressQuestion,
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from community.lifecycle import Duplicate, NewRequest
from community.models import (
    ACTIVE_STATES,
    Building,
    Community,
    Event,
    Grid,
    Person,
    Request,
    RequestKind,
    RequestState,
    Resident,
    ServiceCategory,
    VolunteerTeam,
)
from community.settings import get_settings
from community.stats import compute_stats
from community.validation import check_description, normalize_phone, normalize_text

log = logging.getLogger(__name__)

PAGE_SIZE = 8
IDS_PER_ROW = 4  # the #id buttons under a queue page
LINE_SUMMARY_CHARS = 12
EVENTS_SHOWN = 5
SATISFACTION_TARGET = 0.95  # the districts' 满意率 bar
INVITE_MAX = 50  # links per message, so the reply stays under Telegram's 4096 characters
INVITE_DAYS = 7
EXPORT_MAX_DAYS = 366
ORDER_OPTIONS_MAX = 10
DEFAULT_QUEUE = "review"
S = RequestState

HANDOFF_QUEUE = ("转人工", "human", "人工")  # /queue 转人工: the handoff queue (bot/handoff.py)
QUEUE_KEY = "staff_queue"  # user_data: [name, page] last shown, for the detail view's 返回列表
WIZARD = wizards.Wizard("staff_questions", texts.STAFF_DRAFT_EXPIRED)
REASON, ORDER = "reason", "order"  # the wizard's states: one answer to a question; 代下单
# The question a button asks: (the lifecycle action it leads to, grid leaders may too, the prompt).
QUESTIONS = {
    "reject": ("reject", True, texts.ASK_REJECT_REASON),
    "staffcancel": ("cancel", False, texts.STAFF_ASK_CANCEL_REASON),
    "followup": ("complete_followup", True, texts.STAFF_ASK_FOLLOWUP_NOTE),
}
QUESTION_ENTRIES = {"reject": r"^reject:\d+$", "staffcancel": r"^staffcancel:\d+$", "followup": r"^followup:\d+$"}

# Buttons outside the wizard (staffres/staffcat pressed with no 代下单 open are stale).
CALLBACK_PATTERN = r"^(queue:\d+:[a-z_]+|detail:\d+|urgent:\d+:[01]|staffres:\d+|staffcat:\d+)$"


def register(
    app: Application, factory: sessionmaker[Session], on_commit: Callable[[], None] = lambda: None
) -> "StaffHandlers":
    handlers = StaffHandlers(factory, on_commit)
    private = filters.ChatType.PRIVATE  # details carry phone numbers: never in a group chat
    app.add_handler(handlers.questions(), group=wizards.STAFF_GROUP)
    for name, callback in [
        ("queue", handlers.queue),
        ("stats", handlers.stats),
        ("invite", handlers.invite),
        ("export", handlers.export),
        ("cancel_input", handlers.cancel_input),
    ]:
        app.add_handler(CommandHandler(name, callback, filters=private))
    app.add_handler(CallbackQueryHandler(handlers.on_press, pattern=CALLBACK_PATTERN))
    return handlers


async def _tell(update: Update, context: ContextTypes.DEFAULT_TYPE, exc: DomainError) -> None:
    if update.callback_query:  # a press: counted if it is a probe (bot/presses.py)
        await presses.refuse_error(update, context, exc)
    else:
        await update.effective_message.reply_text(exc.message)


def _refusals(fn):
    """A refusal (DomainError) is the reply; anything else is the error handler's."""

    @functools.wraps(fn)
    async def wrapper(self, update: Update, context: ContextTypes.DEFAULT_TYPE):
        try:
            return await fn(self, update, context)
        except DomainError as exc:
            await _tell(update, context, exc)
            return None

    return wrapper


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


async def _edit(query, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:  # 刷新 with nothing changed
        if "not modified" not in str(exc).lower():
            raise


def _age(minutes: float, precise: bool = False) -> str:
    """How long something waited, in whole units for a list; `precise` keeps one decimal."""
    if minutes < 60:
        return texts.STAFF_MINUTES.format(n=max(0, round(minutes) if precise else int(minutes)))
    unit, template = (60, texts.STAFF_HOURS) if minutes < 48 * 60 else (1440, texts.STAFF_DAYS)
    return template.format(n=f"{round(minutes / unit, 1):g}" if precise else int(minutes // unit))


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _question_text(exc: DomainError) -> str:
    if isinstance(exc, AddressQuestion) and exc.options:
        return exc.message + texts.STAFF_OPTIONS.format(options="、".join(exc.options))
    return exc.message


class StaffHandlers:
    def __init__(self, factory: sessionmaker[Session], on_commit: Callable[[], None]) -> None:
        self.factory = factory
        self.on_commit = on_commit

    def _actor(self, s: Session, telegram_id: int, *, leaders: bool = False) -> Actor:
        actor = actor_for_telegram(s, telegram_id)
        if actor is None or not (actor.is_staff or (leaders and actor.leader_grid_ids)):
            raise Forbidden(texts.STAFF_ONLY)
        return actor

    def _as_staff(self, telegram_id: int, fn, *, leaders: bool = False):
        """fn(session, actor) in one transaction, after the role check."""
        with self.factory() as s, s.begin():
            return fn(s, self._actor(s, telegram_id, leaders=leaders))

    # --- queues ---------------------------------------------------------------------------

    @_refusals
    async def queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/queue [review|unclaimed|overdue|awaiting_rating|low_rating], also by Chinese label;
        /queue 转人工 (or human): residents waiting for a person (bot/handoff.py)."""
        if context.args and context.args[0].lower() in HANDOFF_QUEUE:
            await context.application.bot_data["handoff"].queue(update, context)
            return
        by_label = {label: name for name, label in queues.QUEUE_NAMES.items()}
        name = by_label.get(context.args[0], context.args[0].lower()) if context.args else DEFAULT_QUEUE
        text, keyboard, page = await asyncio.to_thread(
            self._as_staff, update.effective_user.id, lambda s, a: self._queue_page(s, a, name, 1)
        )
        context.user_data[QUEUE_KEY] = [name, page]
        await update.effective_message.reply_text(text, reply_markup=keyboard)

    def _queue_page(self, s: Session, actor: Actor, name: str, page: int) -> tuple[str, InlineKeyboardMarkup, int]:
        result = queues.queue(s, actor.community_id, name, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        pages = max(1, math.ceil(result.total / PAGE_SIZE))
        if page > pages:  # the queue shrank since that page was shown
            page = pages
            result = queues.queue(s, actor.community_id, name, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        label = queues.QUEUE_NAMES[name]
        if result.items:
            lines = [texts.STAFF_QUEUE_HEAD.format(queue=label, total=result.total, page=page, pages=pages)]
            for item in result.items:
                flags = "、".join(texts.STAFF_FLAGS.get(f, f) for f in item.flags)
                lines.append(
                    texts.STAFF_QUEUE_LINE.format(
                        id=item.request_id,
                        category=item.category or core.KIND_NAMES[item.kind],
                        building=item.building or core.NO_BUILDING,
                        summary=_short(item.summary, LINE_SUMMARY_CHARS),
                        age=_age(item.age.total_seconds() / 60),
                        flags=texts.STAFF_FLAGS_WRAP.format(flags=flags) if flags else "",
                    )
                )
        else:
            lines = [texts.STAFF_QUEUE_EMPTY.format(queue=label)]
        ids = [_button(f"#{i.request_id}", f"detail:{i.request_id}") for i in result.items]
        rows = [ids[i : i + IDS_PER_ROW] for i in range(0, len(ids), IDS_PER_ROW)]
        nav = [_button(texts.STAFF_PREV, f"queue:{page - 1}:{name}")] if page > 1 else []
        nav.append(_button(texts.STAFF_PAGE.format(page=page, pages=pages), f"queue:{page}:{name}"))
        if page < pages:
            nav.append(_button(texts.STAFF_NEXT, f"queue:{page + 1}:{name}"))
        rows.append(nav)
        rows.append(
            [
                _button(texts.STAFF_CURRENT.format(label=lbl) if key == name else lbl, f"queue:1:{key}")
                for key, lbl in queues.QUEUE_NAMES.items()
            ]
        )
        return "\n".join(lines), InlineKeyboardMarkup(rows), page

    # --- one request ---------------------------------------------------------------------------

    def _request(self, s: Session, actor: Actor, request_id: int) -> Request:
        req = s.get(Request, request_id)
        if req is None or req.community_id != actor.community_id:
            raise NotFound(core.ERR_NOT_FOUND.format(request_id=request_id))
        return req

    def _detail(self, s: Session, actor: Actor, request_id: int, back: list) -> tuple[str, InlineKeyboardMarkup]:
        req = self._request(s, actor, request_id)
        resident = req.resident.person
        now = clock.now()
        kind = core.KIND_NAMES[req.kind]
        if req.category:
            kind = texts.STAFF_DETAIL_KIND.format(kind=kind, category=req.category.name)
        lines = [texts.STAFF_DETAIL_HEAD.format(id=req.id, kind=kind, state=core.STATE_NAMES[req.state])]
        lines.append(
            texts.STAFF_DETAIL_RESIDENT.format(
                name=resident.name,
                phone=req.contact_phone or resident.phone or core.UNKNOWN,
                note=texts.STAFF_NO_TELEGRAM if resident.telegram_id is None else "",
            )
        )
        lines.append(
            texts.STAFF_DETAIL_ADDRESS.format(
                address=req.address_text or core.UNKNOWN, grid=req.grid.name if req.grid else core.STATS_NO_GRID
            )
        )
        content = f"{req.item}：{req.description}" if req.item and req.item not in req.description else req.description
        lines.append(texts.STAFF_DETAIL_CONTENT.format(text=content))
        if req.preferred_time:
            lines.append(texts.STAFF_DETAIL_APPOINTMENT.format(time=clock.local_text(req.preferred_time)))
        if req.team:
            lines.append(texts.STAFF_DETAIL_TEAM.format(team=req.team.name))
        if req.volunteer:
            v = req.volunteer.person
            lines.append(texts.STAFF_DETAIL_VOLUNTEER.format(name=v.name, phone=v.phone or core.UNKNOWN))
        lines += [
            texts.STAFF_DETAIL_STAGE.format(stage=label, time=clock.local_text(getattr(req, field)))
            for field, label in texts.STAFF_STAGES.items()
            if getattr(req, field)
        ]
        if req.due_at and req.state in (S.OPEN, *ACTIVE_STATES):
            lines.append(texts.STAFF_DETAIL_DUE.format(time=clock.local_text(req.due_at)))
        if req.hours:
            lines.append(texts.STAFF_DETAIL_HOURS.format(hours=f"{req.hours:g}"))
        flags = self._flags(req, now)
        if flags:
            lines.append(texts.STAFF_DETAIL_FLAGS.format(flags="、".join(flags)))
        if req.rating:
            lines.append(texts.STAFF_DETAIL_RATING.format(score=req.rating.score, comment=req.rating.comment or "—"))
        if req.reason:
            lines.append(texts.STAFF_DETAIL_REASON.format(reason=req.reason))
        if req.finish_note:
            lines.append(texts.STAFF_DETAIL_NOTE.format(note=req.finish_note))
        lines += [texts.STAFF_DETAIL_EVENTS, *self._events(s, req)]
        return "\n".join(lines), self._detail_buttons(req, back)

    def _flags(self, req: Request, now) -> list[str]:
        red_after = timedelta(hours=get_settings().red_flag_after_hours)
        found = []
        if req.priority:
            found.append("urgent")
        if req.state == S.OPEN and (
            req.escalation_level == 2 or (req.published_at and now - req.published_at > red_after)
        ):
            found.append("red_flag")
        elif req.state == S.OPEN and req.escalation_level == 1:
            found.append("escalated")
        if req.state in ACTIVE_STATES and req.due_at and req.due_at < now:
            found.append("past_due")
        if req.needs_followup:
            found.append("needs_followup")
        if req.rating and req.rating.score <= 2:
            found.append("low_rating")
        if req.closed_unrated:
            found.append("closed_unrated")
        return [texts.STAFF_FLAGS[f] for f in found]

    def _events(self, s: Session, req: Request) -> list[str]:
        events = s.scalars(
            select(Event).where(Event.request_id == req.id).order_by(Event.id.desc()).limit(EVENTS_SHOWN)
        ).all()
        ids = {e.actor_person_id for e in events} - {None}
        names = dict(s.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
        return [
            texts.STAFF_EVENT_LINE.format(
                time=clock.local_text(e.at),
                who=names.get(e.actor_person_id) or core.ROLE_NAMES.get(e.actor_role, e.actor_role),
                action=core.EVENT_NAMES.get(e.action, e.action),
                note=f"：{e.note}" if e.note else "",
            )
            for e in reversed(events)
        ]

    def _detail_buttons(self, req: Request, back: list) -> InlineKeyboardMarkup:
        # publish/reject/reassign/confirm are handled by bot/callbacks.py: same callback_data.
        rows = []
        if req.state == S.SUBMITTED:
            rows.append(
                [_button(core.BUTTON_PUBLISH, f"publish:{req.id}"), _button(core.BUTTON_REJECT, f"reject:{req.id}")]
            )
        elif req.state in (S.OPEN, *ACTIVE_STATES):
            urgent = (
                _button(texts.STAFF_UNFLAG_URGENT, f"urgent:{req.id}:0")
                if req.priority
                else _button(texts.STAFF_FLAG_URGENT, f"urgent:{req.id}:1")
            )
            rows.append(
                [
                    _button(
                        texts.STAFF_DISPATCH if req.state == S.OPEN else core.BUTTON_REASSIGN, f"reassign:{req.id}"
                    ),
                    urgent,
                    _button(texts.STAFF_CANCEL_REQUEST, f"staffcancel:{req.id}"),
                ]
            )
        elif req.state == S.DONE:
            rows.append([_button(texts.STAFF_CONFIRM, f"confirm:{req.id}")])
        if req.needs_followup:
            rows.append([_button(texts.STAFF_FOLLOWUP_DONE_BUTTON, f"followup:{req.id}")])
        name, page = back
        rows.append(
            [_button(texts.STAFF_BACK, f"queue:{page}:{name}"), _button(texts.STAFF_REFRESH, f"detail:{req.id}")]
        )
        return InlineKeyboardMarkup(rows)

    # --- buttons ----------------------------------------------------------------------------------

    @_refusals
    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        action, _, rest = query.data.partition(":")
        await getattr(self, f"_press_{action}")(query, context, rest)

    async def _press_queue(self, query, context, rest: str) -> None:
        page, _, name = rest.partition(":")
        text, keyboard, page = await asyncio.to_thread(
            self._as_staff, query.from_user.id, lambda s, a: self._queue_page(s, a, name, max(1, int(page)))
        )
        context.user_data[QUEUE_KEY] = [name, page]
        await _edit(query, text, keyboard)
        await query.answer()

    async def _press_detail(self, query, context, rest: str) -> None:
        back = context.user_data.get(QUEUE_KEY, [DEFAULT_QUEUE, 1])
        text, keyboard = await asyncio.to_thread(
            self._as_staff, query.from_user.id, lambda s, a: self._detail(s, a, int(rest), back)
        )
        await _edit(query, text, keyboard)
        await query.answer()

    async def _press_urgent(self, query, context, rest: str) -> None:
        request_id, urgent = int(rest.split(":")[0]), rest.endswith(":1")
        back = context.user_data.get(QUEUE_KEY, [DEFAULT_QUEUE, 1])

        def work(s: Session, actor: Actor):
            req = self._request(s, actor, request_id)
            if req.state not in (S.SUBMITTED, S.OPEN, *ACTIVE_STATES):
                raise IllegalTransition(
                    core.ERR_WRONG_STATE.format(state=core.STATE_NAMES[req.state], action=texts.STAFF_FLAG_URGENT)
                )
            if bool(req.priority) != urgent:  # a second tap on a stale card changes nothing
                lifecycle.flag_urgent(s, actor, request_id, urgent)
                s.flush()
            return self._detail(s, actor, request_id, back)

        text, keyboard = await asyncio.to_thread(self._as_staff, query.from_user.id, work)
        self.on_commit()
        await _edit(query, text, keyboard)
        await query.answer(texts.STAFF_URGENT_ON if urgent else texts.STAFF_URGENT_OFF)

    async def _press_staffres(self, query, context, rest: str) -> None:
        raise presses.StaleButton()  # 代下单 is not open (any more): the wizard takes these

    _press_staffcat = _press_staffres

    # --- the questions wizard: reason, 回访 note, 代下单 ---------------------------------------

    def questions(self) -> ConversationHandler:
        typed = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
        return wizards.conversation(
            WIZARD,
            entry_points=[
                *(CallbackQueryHandler(self._ask, pattern=pattern) for pattern in QUESTION_ENTRIES.values()),
                CommandHandler("order", self._begin_order, filters=filters.ChatType.PRIVATE),
            ],
            states={
                REASON: [MessageHandler(typed, self._answer)],
                ORDER: [
                    MessageHandler(typed, self._order_text),
                    CallbackQueryHandler(self._order_press, pattern=r"^(staffres|staffcat):\d+$"),
                ],
            },
            fallbacks=[
                CommandHandler(["cancel", "cancel_input"], self._drop),
                *wizards.ended_by([wizards.GUIDED_ORDER_ENTRY]),  # they started ordering as a resident
            ],
        )

    @wizards.step
    @_refusals
    async def _ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        """驳回 / 取消 / 已回访 pressed: checked now, then the next text is the answer."""
        query = update.callback_query
        question, _, rest = query.data.partition(":")
        request_id = int(rest)
        action, leaders, prompt = QUESTIONS[question]

        def check(s: Session, actor: Actor) -> None:
            refusal = lifecycle.denial(s, actor, self._request(s, actor, request_id), action)
            if refusal is not None:
                raise refusal

        await asyncio.to_thread(self._as_staff, query.from_user.id, check, leaders=leaders)
        wizards.open_draft(context, WIZARD.name, question=question, request_id=request_id)
        await query.answer()
        await query.message.reply_text(prompt.format(id=request_id))
        return REASON

    @wizards.step
    async def _answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        question = wizards.draft(context, WIZARD.name)
        if question is None or "question" not in question:
            return wizards.PASS
        fn = {"reject": self._reject, "staffcancel": self._cancel_request, "followup": self._followup}[
            question["question"]
        ]
        request_id, text = question["request_id"], update.message.text
        try:
            reply = await asyncio.to_thread(
                self._as_staff,
                update.effective_user.id,
                lambda s, a: fn(s, a, request_id, text),
                leaders=QUESTIONS[question["question"]][1],
            )
        except InvalidInput as exc:  # e.g. a blank reason: the question stays open
            await update.message.reply_text(exc.message + texts.STAFF_TRY_AGAIN)
            return None
        except DomainError as exc:
            wizards.close_draft(context, WIZARD.name)
            await update.message.reply_text(exc.message)
            return wizards.END
        wizards.close_draft(context, WIZARD.name)
        self.on_commit()
        await update.message.reply_text(reply)
        return wizards.END

    @staticmethod
    def _reject(s: Session, actor: Actor, request_id: int, text: str) -> str:
        req = lifecycle.reject(s, actor, request_id, text)
        return texts.STAFF_REJECTED.format(id=req.id, reason=req.reason)

    @staticmethod
    def _cancel_request(s: Session, actor: Actor, request_id: int, text: str) -> str:
        if not normalize_text(text):
            raise InvalidInput(core.ERR_REASON_REQUIRED)
        req = lifecycle.cancel(s, actor, request_id, text)
        return texts.STAFF_CANCELLED.format(id=req.id, reason=req.reason)

    @staticmethod
    def _followup(s: Session, actor: Actor, request_id: int, text: str) -> str:
        req = lifecycle.complete_followup(s, actor, request_id, text)
        return texts.STAFF_FOLLOWUP_RECORDED.format(id=req.id)

    @wizards.step
    async def _drop(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        """/cancel or /cancel_input while a question or 代下单 is open."""
        wizards.close_draft(context, WIZARD.name)
        await update.message.reply_text(texts.STAFF_INPUT_CANCELLED)
        return wizards.END

    async def cancel_input(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel_input with nothing open (an open question is the wizard's)."""
        await update.message.reply_text(texts.STAFF_NOTHING_PENDING)

    # --- statistics, invites, export -----------------------------------------------------------------

    @_refusals
    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stats, /stats <grid code>, /stats <team code>."""
        code = context.args[0] if context.args else None

        def work(s: Session, actor: Actor) -> str:
            grid_id = team_id = None
            title = s.get(Community, actor.community_id).name
            if code:
                grid = s.scalar(
                    select(Grid).where(Grid.community_id == actor.community_id, func.lower(Grid.code) == code.lower())
                )
                team = (
                    None
                    if grid
                    else s.scalar(
                        select(VolunteerTeam).where(
                            VolunteerTeam.community_id == actor.community_id,
                            func.lower(VolunteerTeam.code) == code.lower(),
                        )
                    )
                )
                if grid is None and team is None:
                    raise InvalidInput(texts.STAFF_STATS_UNKNOWN.format(code=code))
                grid_id, team_id, title = (grid.id, None, grid.name) if grid else (None, team.id, team.name)
            rendered = _render_stats(title, compute_stats(s, actor.community_id, grid_id=grid_id, team_id=team_id))
            if code is None:  # the community's view: residents put through to a person, and how long they waited
                rendered += "\n" + handoff.stats_text(handoff.stats(s, actor.community_id))
            return rendered

        text = await asyncio.to_thread(self._as_staff, update.effective_user.id, work)
        await update.effective_message.reply_text(text)

    @_refusals
    async def invite(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/invite [count] [team code]: one-time volunteer join links."""
        args = list(context.args or [])
        count = int(args.pop(0)) if args and args[0].isdigit() else 1
        team_code = args[0] if args else None
        if not 1 <= count <= INVITE_MAX:
            raise InvalidInput(texts.STAFF_INVITE_LIMIT.format(limit=INVITE_MAX))
        bot_name = context.bot.username

        def work(s: Session, actor: Actor) -> tuple[list[str], str]:
            invites = people.issue_invites(s, actor, count, team_code, days=INVITE_DAYS)
            team = s.get(VolunteerTeam, invites[0].team_id) if invites[0].team_id else None
            return [i.code for i in invites], team.name if team else ""

        codes, team = await asyncio.to_thread(self._as_staff, update.effective_user.id, work)
        self.on_commit()
        head = texts.STAFF_INVITE_HEAD.format(
            days=INVITE_DAYS, team=texts.STAFF_INVITE_TEAM.format(team=team) if team else ""
        )
        links = [texts.STAFF_INVITE_LINK.format(n=n, bot=bot_name, code=c) for n, c in enumerate(codes, 1)]
        await update.effective_message.reply_text(
            "\n".join([head, *links]), link_preview_options=LinkPreviewOptions(is_disabled=True)
        )

    @_refusals
    async def export(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/export [YYYY-MM-DD YYYY-MM-DD] (both days included; default this month)."""
        args = context.args or []
        if len(args) not in (0, 2):
            raise InvalidInput(texts.STAFF_EXPORT_USAGE)
        try:
            chosen = [date.fromisoformat(a.replace("/", "-")) for a in args]
        except ValueError:
            raise InvalidInput(texts.STAFF_EXPORT_USAGE) from None
        if chosen and not (chosen[0] <= chosen[1] and (chosen[1] - chosen[0]).days < EXPORT_MAX_DAYS):
            raise InvalidInput(texts.STAFF_EXPORT_USAGE)

        def work(s: Session, actor: Actor):
            if chosen:
                first, last = chosen
            else:  # this month, in the community's own calendar
                today = clock.to_local(clock.now(), s.get(Community, actor.community_id).timezone).date()
                first = today.replace(day=1)
                last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            end = last + timedelta(days=1)
            rows = ledger_export.ledger_rows(s, actor.community_id, first, end)
            tz = s.get(Community, actor.community_id).timezone
            units = recognition.work_unit_report_between(
                s, actor.community_id, *ledger_export.utc_bounds(first, end, tz)
            )  # the 在职党员双报到 sheet
            summary = ledger_export.monthly_summary(s, actor.community_id, first, end)
            totals = ledger_export.volunteer_totals(s, actor.community_id, first, end)
            return first, last, rows, totals, units, summary

        first, last, rows, totals, units, summary = await asyncio.to_thread(
            self._as_staff, update.effective_user.id, work
        )
        data = await asyncio.to_thread(  # outside the transaction
            functools.partial(ledger_export.to_xlsx, rows, totals, summary, work_units=units)
        )
        caption = texts.STAFF_EXPORT_CAPTION.format(
            first=first,
            last=last,
            count=len(rows),
            hours=f"{sum(t.hours for t in totals):g}",
            volunteers=len({(t.volunteer, t.phone) for t in totals}),
        )
        await context.bot.send_document(
            update.effective_chat.id,
            document=data,
            filename=texts.STAFF_EXPORT_FILENAME.format(first=first, last=last),
            caption=caption,
        )

    # --- 代下单 --------------------------------------------------------------------------------------

    @wizards.step
    @_refusals
    async def _begin_order(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        """/order: phone → (known resident | name → address) → category → description → submit."""
        await asyncio.to_thread(self._as_staff, update.effective_user.id, lambda s, a: None, leaders=True)
        wizards.open_draft(context, WIZARD.name, order={})
        await update.effective_message.reply_text(texts.STAFF_ORDER_ASK_PHONE)
        return ORDER

    @wizards.step
    async def _order_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        draft = wizards.draft(context, WIZARD.name)
        if draft is None or "order" not in draft:
            return wizards.PASS
        return await self._order_step(update, context, draft, text=update.message.text)

    @wizards.step
    @_refusals
    async def _order_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> object:
        query = update.callback_query
        draft = wizards.draft(context, WIZARD.name)
        if draft is None or "order" not in draft:
            return wizards.PASS
        action, _, rest = query.data.partition(":")
        step, answer = (
            ("resident", {"pick": int(rest)}) if action == "staffres" else ("category", {"category": int(rest)})
        )
        if _order_next(draft["order"]) != step:
            raise presses.StaleButton()
        return await self._order_step(update, context, draft, **answer)

    async def _order_step(self, update: Update, context, draft: dict, **answer) -> object:
        """One answer to 代下单, applied to a copy: a failure half-way (the database went away)
        leaves the draft as it was, so the retried message is the same answer again."""
        order = copy.deepcopy(draft["order"])
        try:
            reply, keyboard, finished = await asyncio.to_thread(
                self._order_advance, update.effective_user.id, order, **answer
            )
        except DomainError as exc:  # no longer staff: the conversation ends
            wizards.close_draft(context, WIZARD.name)
            await _tell(update, context, exc)
            return wizards.END
        draft["order"] = order
        if update.callback_query:
            await _edit(update.callback_query, reply, keyboard)
            await update.callback_query.answer()
        else:
            await update.message.reply_text(reply, reply_markup=keyboard)
        if finished:
            wizards.close_draft(context, WIZARD.name)
            self.on_commit()
            return wizards.END
        return None

    def _order_advance(
        self,
        telegram_id: int,
        order: dict,
        *,
        text: str | None = None,
        pick: int | None = None,
        category: int | None = None,
    ) -> tuple[str, InlineKeyboardMarkup | None, bool]:
        """Apply one answer to `order` (kept in user_data), then ask the next question or
        submit. A refused answer is explained and its question asked again.
        Returns (reply, keyboard, finished)."""
        problem = ""
        with self.factory() as s, s.begin():
            actor = self._actor(s, telegram_id, leaders=True)
            try:
                if text is not None:
                    self._order_answer(s, actor, order, text)
                elif pick is not None:
                    self._order_pick(s, actor, order, pick)
                elif category is not None:
                    self._order_category(s, actor, order, category)
            except DomainError as exc:
                problem = _question_text(exc)
            if problem or _order_next(order) != "submit":
                return self._order_prompt(s, actor, order, problem) + (False,)
        try:
            # Its own transaction: a refused submission also rolls back the new resident.
            with self.factory() as s, s.begin():
                request_id = self._order_submit(s, self._actor(s, telegram_id, leaders=True), order)
        except (Duplicate, Forbidden, NotFound) as exc:
            return exc.message, None, True
        except AddressQuestion as exc:
            order["need_address"] = True
            order.pop("building_id", None)
            problem = _question_text(exc)
        except DomainError as exc:
            order.pop("description", None)
            problem = exc.message
        else:
            kind = texts.STAFF_ORDER_WISH_NEXT if order["category_id"] == 0 else texts.STAFF_ORDER_SERVICE_NEXT
            keyboard = InlineKeyboardMarkup([[_button(texts.STAFF_VIEW_DETAIL, f"detail:{request_id}")]])
            return texts.STAFF_ORDER_DONE.format(name=order["who"], id=request_id, next=kind), keyboard, True
        with self.factory() as s, s.begin():
            return self._order_prompt(s, self._actor(s, telegram_id, leaders=True), order, problem) + (False,)

    def _order_answer(self, s: Session, actor: Actor, order: dict, text: str) -> None:
        step = _order_next(order)
        if step == "phone":
            phone = normalize_phone(text)
            matches = s.execute(
                select(Resident.id, Person.name, Building.name, Resident.unit, Resident.room)
                .join(Person, Person.id == Resident.person_id)
                .outerjoin(Building, Building.id == Resident.building_id)
                .where(Person.community_id == actor.community_id, Person.phone == phone)
                .order_by(Resident.id)
                .limit(ORDER_OPTIONS_MAX)
            ).all()
            order["phone"] = phone
            if matches:
                order["options"] = [
                    [
                        rid,
                        texts.STAFF_ORDER_OPTION.format(
                            name=name,
                            address=(building or "")
                            + (texts.STAFF_UNIT.format(unit=unit) if unit else "")
                            + (room or "")
                            or core.NO_BUILDING,
                        ),
                    ]
                    for rid, name, building, unit, room in matches
                ]
            else:
                order["new"] = True
        elif step == "name":
            name = normalize_text(text)
            if not name or len(name) > 50:
                raise InvalidInput(core.ERR_NAME_REQUIRED)
            order["name"] = order["who"] = name
        elif step == "address":
            address = routing.resolve_address(s, actor.community_id, text)
            order.update(address=text, building_id=address.building_id, unit=address.unit, room=address.room)
        elif step == "description":
            order["description"] = check_description(text)
        else:  # a button step: the prompt (with its buttons) is shown again
            raise InvalidInput(texts.STAFF_ORDER_USE_BUTTONS)

    def _order_pick(self, s: Session, actor: Actor, order: dict, resident_id: int) -> None:
        if resident_id == 0:
            order["new"] = True
            return
        if resident_id not in [rid for rid, _ in order.get("options", [])]:
            raise presses.StaleButton()
        resident = s.get(Resident, resident_id)
        order["resident_id"], order["who"] = resident.id, resident.person.name
        if resident.building_id is None:
            order["need_address"] = True

    def _order_category(self, s: Session, actor: Actor, order: dict, category_id: int) -> None:
        if category_id:
            cat = s.get(ServiceCategory, category_id)
            if cat is None or cat.community_id != actor.community_id or not cat.active:
                raise presses.StaleButton()
        order["category_id"] = category_id

    def _order_prompt(
        self, s: Session, actor: Actor, order: dict, problem: str
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        step, keyboard = _order_next(order), None
        if step == "phone":
            prompt = texts.STAFF_ORDER_ASK_PHONE
        elif step == "resident":
            prompt = texts.STAFF_ORDER_PICK.format(phone=order["phone"])
            keyboard = InlineKeyboardMarkup(
                [[_button(label, f"staffres:{rid}")] for rid, label in order["options"]]
                + [[_button(texts.STAFF_ORDER_NEW_RESIDENT, "staffres:0")]]
            )
        elif step == "name":
            prompt = texts.STAFF_ORDER_ASK_NAME.format(phone=order["phone"])
        elif step == "address":
            prompt = texts.STAFF_ORDER_ASK_ADDRESS.format(name=order["who"])
        elif step == "category":
            menu = s.execute(
                select(ServiceCategory.id, ServiceCategory.name)
                .where(ServiceCategory.community_id == actor.community_id, ServiceCategory.active.is_(True))
                .order_by(ServiceCategory.id)
            ).all()
            buttons = [_button(name, f"staffcat:{cid}") for cid, name in menu] + [
                _button(core.KIND_NAMES["wish"], "staffcat:0")
            ]
            prompt = texts.STAFF_ORDER_ASK_CATEGORY.format(name=order["who"])
            keyboard = InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)])
        else:
            prompt = texts.STAFF_ORDER_ASK_DESCRIPTION.format(name=order["who"])
        return (f"{problem}\n{prompt}" if problem else prompt), keyboard

    def _order_submit(self, s: Session, actor: Actor, order: dict) -> int:
        if order.get("new"):
            community = s.get(Community, actor.community_id)
            resident = people.register_resident(  # never merged with a family member sharing the phone
                s,
                community,
                order["name"],
                phone=order["phone"],
                building_id=order["building_id"],
                unit=order.get("unit"),
                room=order.get("room"),
                consent=True,
                registered_by=actor,
            )
            resident_id = resident.id
        else:
            resident_id = order["resident_id"]
        category = s.get(ServiceCategory, order["category_id"]) if order["category_id"] else None
        new = NewRequest(
            kind=RequestKind.SERVICE if category else RequestKind.WISH,
            description=order["description"],
            category=category.code if category else None,
            address=order.get("address") if order.get("need_address") else None,
            phone=order["phone"],
        )
        return lifecycle.submit(s, actor, new, for_resident_id=resident_id).id


def _order_next(order: dict) -> str:
    """The first unanswered question of 代下单, or "submit"."""
    if "phone" not in order:
        return "phone"
    if "resident_id" not in order and not order.get("new"):
        return "resident"
    if order.get("new") and "name" not in order:
        return "name"
    if (order.get("new") or order.get("need_address")) and "building_id" not in order:
        return "address"
    if "category_id" not in order:
        return "category"
    if "description" not in order:
        return "description"
    return "submit"


def _duration(minutes: float | None) -> str:
    return "—" if minutes is None else _age(minutes, precise=True)


def _render_stats(title: str, st) -> str:
    sat, timing, alerts = st.satisfaction, st.timing, st.overdue
    states = " · ".join(f"{core.STATE_NAMES[k]} {v}" for k, v in st.by_state.items() if v)
    lines = [
        texts.STAFF_STATS_HEAD.format(scope=title, total=st.total),
        texts.STAFF_STATS_STATES.format(states=states or "—"),
        texts.STAFF_STATS_CLAIM.format(time=_duration(timing.median_minutes_to_claim), n=timing.claim_samples),
        texts.STAFF_STATS_FINISH.format(time=_duration(timing.median_minutes_to_finish), n=timing.finish_samples),
    ]
    target = f"{SATISFACTION_TARGET:.0%}"
    if sat.rate is None:
        lines.append(texts.STAFF_STATS_NO_RATING.format(target=target))
    else:
        verdict = texts.STAFF_STATS_MET if sat.rate >= SATISFACTION_TARGET else texts.STAFF_STATS_MISSED
        lines.append(
            texts.STAFF_STATS_SATISFACTION.format(
                rate=f"{sat.rate:.1%}", satisfied=sat.satisfied, rated=sat.rated, target=target, verdict=verdict
            )
        )
    if sat.unrated_closed:
        lines.append(texts.STAFF_STATS_UNRATED.format(n=sat.unrated_closed))
    lines.append(
        texts.STAFF_STATS_ALERTS.format(
            red=alerts.red_flag, past_due=alerts.past_due, low=alerts.low_rated, followup=alerts.needs_followup
        )
    )
    return "\n".join(lines)
