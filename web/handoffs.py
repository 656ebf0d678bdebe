"""The 转人工 page: residents waiting for a person (the queue) and those talking to one now,
with the waiting-time statistics; staff take a waiting resident (接待: their Telegram chat
gets the conversation, as from /queue 转人工) or end a conversation. The rules are
community.handoff's (`allowed_actions`), re-checked on every POST."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from community import clock, handoff
from community.db import transaction
from community.errors import DomainError
from community.models import Handoff, HandoffState
from web import texts
from web.pages import csrf_refused, parse_id, render, staff_user
from web.rendering import error_page

router = APIRouter(include_in_schema=False)


@router.get("/handoffs")
def handoffs_page(request: Request, ok: str = "", error: str = ""):
    user = staff_user(request)
    now = clock.now()
    with request.app.state.factory() as s:
        rows = s.scalars(
            select(Handoff)
            .where(Handoff.community_id == user.community_id, Handoff.state.in_(handoff.OPEN_STATES))
            .order_by(Handoff.requested_at, Handoff.id)
        ).all()
        listed = [
            {
                "id": h.id,
                "who": handoff.who(s, h.resident),
                "waiting": h.state == HandoffState.WAITING,
                "staff": h.staff.name if h.staff else "",
                "minutes": int((now - h.requested_at).total_seconds() // 60),
                "said": next((e["text"] for e in reversed(h.transcript or []) if e.get("who") == "resident"), ""),
                "actions": handoff.allowed_actions(s, user.actor, h),
            }
            for h in rows
        ]
        summary = handoff.stats_text(handoff.stats(s, user.community_id))
    return render(
        request, "handoffs.html", user, rows=listed, summary=summary, ok=texts.HO_DONE.get(ok, ""), error=error
    )


@router.post("/handoffs/{handoff_id}/{action}")
def handoff_action(request: Request, handoff_id: str, action: str, csrf_token: str = Form("")):
    user = staff_user(request)
    number = parse_id(handoff_id)
    if number is None or action not in ("take", "end"):
        return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    try:
        with transaction(request.app.state.factory) as s:
            (handoff.take if action == "take" else handoff.end)(s, user.actor, number)
    except DomainError as exc:
        return handoffs_page(request, error=exc.message)
    return RedirectResponse(f"/handoffs?ok={action}", status_code=303)
