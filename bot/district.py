"""/district (also /dudao): a street/district supervisor (督查) sees every community of
their district side by side in chat, and the week's automatic warnings. The figures and
who may see them are `community.district`'s; this module only renders them. Anyone who is
not an active supervisor gets a polite refusal and nothing else."""

import asyncio

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import texts
from community import district
from community import texts as core
from community.actors import actor_for_telegram
from community.errors import DomainError

MESSAGE_MAX_CHARS = 3500  # under Telegram's 4096, with room for the header


def register(app: Application, factory: sessionmaker[Session]) -> None:
    async def overview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        days = district.WARNING_DAYS
        if context.args and context.args[0].isdigit() and 1 <= int(context.args[0]) <= 90:
            days = int(context.args[0])

        def work() -> list[str]:
            with factory() as s:
                return render(district.overview(s, actor_for_telegram(s, update.effective_user.id), days=days))

        try:
            chunks = await asyncio.to_thread(work)
        except DomainError as exc:
            await update.effective_message.reply_text(exc.message)
            return
        for chunk in chunks:
            await update.effective_message.reply_text(chunk)

    app.add_handler(CommandHandler(["district", "dudao"], overview, filters=filters.ChatType.PRIVATE))


def render(view: district.Overview) -> list[str]:
    """The overview as chat messages, each under Telegram's length limit."""
    warned = sum(1 for r in view.rows if r.below_satisfaction or r.slow_claims)
    lines = [texts.DISTRICT_HEAD.format(name=view.district.name, count=len(view.rows), days=view.days, warned=warned)]
    for row in view.rows:
        cells = district.row_cells(row)
        flagged = row.below_satisfaction or row.slow_claims
        lines.append(
            texts.DISTRICT_LINE.format(
                mark="⚠️" if flagged else "·",
                name=cells[0],
                open=cells[1],
                overdue=cells[2],
                red=cells[3],
                rate=cells[4],
                claim=cells[5],
                hours=cells[6],
                flags=texts.DISTRICT_FLAGS.format(flags=cells[7]) if flagged else "",
            )
        )
    if view.warnings:
        lines.append(texts.DISTRICT_WARNINGS_HEAD.format(days=district.WARNING_DAYS))
        for w in view.warnings[: texts.DISTRICT_WARNINGS_SHOWN]:
            lines.append(
                texts.DISTRICT_WARNING_LINE.format(
                    day=w.day.strftime("%m-%d"),
                    name=view.community_names.get(w.community_id, ""),
                    what=core.DISTRICT_WARNING_KINDS[w.kind],
                )
            )
    chunks, current = [], ""
    for line in lines:
        if current and len(current) + len(line) + 1 > MESSAGE_MAX_CHARS:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*chunks, current]
