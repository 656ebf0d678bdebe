"""The staff dashboard: login, overview with charts, request queues, a request's page with
its actions, and the ledger (台账) export. Server-rendered Jinja2; no JavaScript needed.

Every page needs a signed-in staff session and shows only the staff member's community.
Every POST checks the session's CSRF token. Every change to a request is a call to
`community.lifecycle`, the same functions the bot calls; their Chinese error messages are
shown to the user as they are.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from community import clock, ledger_export, lifecycle, recognition
from community.db import transaction
from community.errors import DomainError
from community.models import Community, Person, RequestState
from community.queues import QUEUE_NAMES
from community.stats import compute_stats
from web import auth, charts, queries, texts
from web.rendering import TEMPLATES, error_page

router = APIRouter(include_in_schema=False)
ACTIONS = ("publish", "reject", "dispatch", "urgent", "unurgent", "note", "followup")


class LoginRequired(Exception):
    pass


def _staff(request: Request) -> auth.StaffSession:
    with request.app.state.factory() as s:
        staff = auth.load_session(s, request.cookies.get(auth.COOKIE_NAME), request.app.state.settings)
    if staff is None:
        raise LoginRequired()
    return staff


def _community(request: Request, community_id: int) -> Community:
    with request.app.state.factory() as s:
        return s.get(Community, community_id)


def _render(request: Request, name: str, staff: auth.StaffSession | None, status: int = 200, **context) -> HTMLResponse:
    community = _community(request, staff.community_id) if staff else None
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {"staff": staff, "community": community, "tz": community.timezone if community else "Asia/Shanghai", **context},
        status_code=status,
    )


def _local_today(tz: str) -> date:
    return clock.to_local(clock.now(), tz).date()


# --- login ---------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, token: str = "", out: str = ""):
    return _render(request, "login.html", None, token=token, message=texts.LOGGED_OUT if out else "")


@router.post("/login")
def login(request: Request, token: str = Form("")):
    settings = request.app.state.settings
    with transaction(request.app.state.factory) as s:
        person = auth.redeem_login_token(s, token)
        cookie = auth.start_session(s, person, settings) if person else None
    if cookie is None:
        return _render(request, "login.html", None, status=403, token="", error=texts.LOGIN_INVALID)
    value, max_age = cookie
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        auth.COOKIE_NAME,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.web_cookie_secure,
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")):
    staff = _staff(request)
    if not auth.csrf_ok(staff.csrf_token, csrf_token):
        return error_page(request, 403, texts.ERR_CSRF)
    with transaction(request.app.state.factory) as s:
        auth.end_session(s, staff.session_id)
    response = RedirectResponse("/login?out=1", status_code=303)
    response.delete_cookie(auth.COOKIE_NAME, path="/")
    return response


# --- overview ------------------------------------------------------------------------------


@router.get("/")
def overview(request: Request, days: str = "30"):
    staff = _staff(request)
    if not days.isdigit() or not 1 <= int(days) <= 366:
        return error_page(request, 400, texts.ERR_BAD_FILTER.format(name="days"))
    n = int(days)
    target = request.app.state.settings.web_satisfaction_target
    with request.app.state.factory() as s:
        community = s.get(Community, staff.community_id)
        tz = community.timezone
        end = _local_today(tz) + timedelta(days=1)
        start = end - timedelta(days=n)
        lo, hi = ledger_export.utc_bounds(start, end, tz)
        st = compute_stats(s, community.id, since=lo, until=hi)
        per_day = queries.requests_per_day(s, community.id, start, end, tz)
        buckets = queries.time_to_claim_buckets(s, community.id, lo, hi)
    per_day_chart = charts.column_chart(
        [(d.strftime("%m-%d"), v) for d, v in per_day], texts.CHART_PER_DAY, every=max(1, math.ceil(n / 10))
    )
    claim_chart = charts.column_chart(list(zip(texts.CLAIM_BUCKETS, buckets, strict=True)), texts.CHART_TIME_TO_CLAIM)
    sat_grid = charts.satisfaction_chart(
        [(k, v.rate, v.satisfied, v.rated) for k, v in st.satisfaction_by_grid.items()],
        target,
        texts.CHART_SAT_GRID.format(target=target),
    )
    sat_team = charts.satisfaction_chart(
        [(k, v.rate, v.satisfied, v.rated) for k, v in st.satisfaction_by_team.items()],
        target,
        texts.CHART_SAT_TEAM.format(target=target),
    )
    return _render(
        request,
        "overview.html",
        staff,
        st=st,
        days=n,
        start=start,
        last=end - timedelta(days=1),
        target=target,
        per_day_chart=per_day_chart,
        claim_chart=claim_chart,
        sat_grid=sat_grid,
        sat_team=sat_team,
    )


# --- request list --------------------------------------------------------------------------


def _int_or_none(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 9:
        raise ValueError(name)
    return int(value)


def parse_filters(params) -> queries.Filters:
    queue = params.get("queue") or None
    state = params.get("state") or None
    if queue is not None and queue not in QUEUE_NAMES:
        raise ValueError("queue")
    if state is not None and state not in {s.value for s in RequestState}:
        raise ValueError("state")
    return queries.Filters(
        queue=queue,
        state=state,
        grid_id=_int_or_none(params.get("grid"), "grid"),
        team_id=_int_or_none(params.get("team"), "team"),
        category_id=_int_or_none(params.get("category"), "category"),
        overdue=params.get("overdue") == "1",
        low_rating=params.get("low") == "1",
        q=(params.get("q") or "").strip()[:50],
    )


@router.get("/requests")
def request_list(request: Request):
    staff = _staff(request)
    try:
        filters = parse_filters(request.query_params)
        page = _int_or_none(request.query_params.get("page"), "page") or 1
    except ValueError as exc:
        return error_page(request, 400, texts.ERR_BAD_FILTER.format(name=exc.args[0]))
    size = request.app.state.settings.web_page_size
    with request.app.state.factory() as s:
        rows, total = queries.list_requests(s, staff.community_id, filters, page=page, page_size=size)
        options = queries.choices(s, staff.community_id)
    pages = max(1, math.ceil(total / size))
    args = filters.query_args()
    return _render(
        request,
        "requests.html",
        staff,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        args=args,
        options=options,
        queue_names=QUEUE_NAMES,
        waited=_waited,
    )


def _waited(age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    if hours >= 24:
        return texts.WAITED_DAYS.format(days=hours // 24, hours=hours % 24)
    return texts.WAITED_HOURS.format(hours=max(0, hours))


# --- one request ---------------------------------------------------------------------------


def _request_page(
    request: Request,
    staff: auth.StaffSession,
    request_id: int,
    *,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    with request.app.state.factory() as s:
        req = queries.get_request(s, staff.community_id, request_id)
        if req is None:
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
        resident = req.resident.person
        context = {
            "req": req,
            "resident": resident,
            "phone": req.contact_phone or resident.phone or "",
            "category": req.category.name if req.category else None,
            "grid": req.grid.name if req.grid else None,
            "team": req.team.name if req.team else None,
            "volunteer": req.volunteer.person.name if req.volunteer else None,
            "events": list(req.events),
            "actors": queries.event_actors(s, list(req.events)),
            "rating": req.rating,
            "followups": queries.followups_of(s, req.id),
            "volunteers": queries.volunteers_for(s, req),
            "creator": None,
            "state": req.state.value,
            "kind": req.kind.value,
        }
        if req.created_by_person_id and req.created_by_person_id != resident.id:
            creator = s.get(Person, req.created_by_person_id)
            context["creator"] = creator.name if creator else None
    can = {
        "publish": req.state == RequestState.SUBMITTED,
        "reject": req.state == RequestState.SUBMITTED,
        "dispatch": req.state in (RequestState.OPEN, RequestState.CLAIMED, RequestState.IN_PROGRESS),
        "urgent": req.state not in (RequestState.CLOSED, RequestState.REJECTED, RequestState.CANCELLED),
        "note": True,  # staff may note any request (a call, a visit)
        "followup": bool(req.needs_followup),
    }
    return _render(request, "request.html", staff, status=status, message=message, error=error, can=can, **context)


@router.get("/requests/{request_id}")
def request_page(request: Request, request_id: int, ok: str = ""):
    staff = _staff(request)
    message = texts.DONE_MESSAGES.get(ok, "")
    return _request_page(request, staff, request_id, message=message)


@router.post("/requests/{request_id}/{action}")
def act(
    request: Request,
    request_id: int,
    action: str,
    csrf_token: str = Form(""),
    reason: str = Form(""),
    volunteer_id: str = Form(""),
    note: str = Form(""),
    close: str = Form(""),
):
    staff = _staff(request)
    if action not in ACTIONS:
        return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    if not auth.csrf_ok(staff.csrf_token, csrf_token):
        return error_page(request, 403, texts.ERR_CSRF)
    with request.app.state.factory() as s:
        if queries.get_request(s, staff.community_id, request_id) is None:
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    actor = staff.actor
    done = action
    try:
        with transaction(request.app.state.factory) as s:
            if action == "publish":
                lifecycle.publish(s, actor, request_id)
            elif action == "reject":
                lifecycle.reject(s, actor, request_id, reason)
            elif action == "dispatch":
                if not volunteer_id.isdigit():
                    return _request_page(request, staff, request_id, error=texts.ERR_NO_VOLUNTEER, status=400)
                lifecycle.dispatch(s, actor, request_id, int(volunteer_id))
            elif action in ("urgent", "unurgent"):
                lifecycle.flag_urgent(s, actor, request_id, urgent=action == "urgent")
            elif action == "note":
                lifecycle.add_note(s, actor, request_id, note)
            elif action == "followup":
                req = lifecycle.complete_followup(s, actor, request_id, note)
                if close == "1" and req.state == RequestState.DONE:
                    lifecycle.confirm(s, actor, request_id)
                    done = "followup_closed"
    except DomainError as exc:
        return _request_page(request, staff, request_id, error=exc.message, status=409)
    return RedirectResponse(f"/requests/{request_id}?ok={done}", status_code=303)


# --- ledger export -------------------------------------------------------------------------


def _period(request: Request, tz: str) -> tuple[date, date] | str:
    today = _local_today(tz)
    try:
        start = date.fromisoformat(request.query_params.get("start") or today.replace(day=1).isoformat())
        last = date.fromisoformat(request.query_params.get("end") or today.isoformat())
    except ValueError:
        return texts.ERR_BAD_DATE
    if last < start:
        return texts.ERR_DATE_ORDER
    return start, last


@router.get("/export")
def export_page(request: Request):
    staff = _staff(request)
    tz = _community(request, staff.community_id).timezone
    period = _period(request, tz)
    if isinstance(period, str):
        return _render(request, "export.html", staff, status=400, error=period, start="", end="")
    return _render(request, "export.html", staff, start=period[0].isoformat(), end=period[1].isoformat(), error="")


@router.get("/export/ledger.{ext}")
def export_file(request: Request, ext: str):
    staff = _staff(request)
    if ext not in ("xlsx", "csv"):
        return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    tz = _community(request, staff.community_id).timezone
    period = _period(request, tz)
    if isinstance(period, str):
        return _render(request, "export.html", staff, status=400, error=period, start="", end="")
    start, last = period
    with request.app.state.factory() as s:
        rows = ledger_export.ledger_rows(s, staff.community_id, start, last + timedelta(days=1))
        totals = ledger_export.volunteer_totals(s, staff.community_id, start, last + timedelta(days=1))
        work_units = recognition.work_unit_report_between(
            s, staff.community_id, *ledger_export.utc_bounds(start, last + timedelta(days=1), tz)
        )
    filename = texts.EXPORT_FILENAME.format(start=start.isoformat(), end=last.isoformat(), ext=ext)
    headers = {"Content-Disposition": f"attachment; filename=\"ledger.{ext}\"; filename*=UTF-8''{quote(filename)}"}
    if ext == "xlsx":
        return Response(
            ledger_export.to_xlsx(rows, totals, work_units),
            headers=headers,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return Response(
        ledger_export.to_csv(rows).encode("utf-8-sig"), headers=headers, media_type="text/csv; charset=utf-8"
    )
