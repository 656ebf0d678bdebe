"""The dashboard's core pages: login, overview with charts, the request list (queues, sort,
search, bulk actions), a request's page with its actions, and the ledger (台账) export.
Server-rendered Jinja2; a few lines of vanilla JavaScript at most.

Every page needs a signed-in session (staff, or a grid leader scoped to their grids) and
shows only what that scope holds. Every POST checks the session's CSRF token. Every change
to a request is a call to `community.lifecycle`, the same functions the bot calls, and the
action forms on a page are the actions `lifecycle.allowed_actions` returns for this viewer
and this request; the lifecycle's Chinese refusals are shown as they are.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from community import clock, ledger_export, lifecycle, recognition, staffing
from community.actors import actor_for_person
from community.db import transaction
from community.errors import DomainError, InvalidInput
from community.models import Community, Person, RequestState
from community.models import Request as RequestRow
from community.queues import QUEUE_NAMES
from community.stats import SATISFACTION_TARGET, compute_stats
from web import auth, charts, queries, texts
from web.pages import (
    LoginRequired,
    StaffOnly,
    community_of,
    csrf_refused,
    current_user,
    local_today,
    parse_id,
    render,
    shown,
    utc_from_local_field,
)
from web.rendering import error_page
from web.scope import Scope

__all__ = ["LoginRequired", "StaffOnly", "router"]

router = APIRouter(include_in_schema=False)
# URL action -> lifecycle action (the names lifecycle.allowed_actions returns).
ACTIONS = (
    "publish",
    "reject",
    "dispatch",
    "unassign",
    "confirm",
    "reopen",
    "flag_urgent",
    "unflag_urgent",
    "edit",
    "note",
    "complete_followup",
    "cancel",
)
BULK_ACTIONS = ("publish", "dispatch", "complete_followup")
BULK_MAX = 100
LIST_DISPATCH_CHOICES = 3  # candidates offered on a card in the list
# Rows whose card carries its own dispatch choice; further open rows link to the request's
# dispatch form. Ranking is one query per tier, and a page of 50 rows in 50 grids cost ~0.8 s.
LIST_DISPATCH_ROWS = 10


# --- login ---------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, token: str = "", out: str = ""):
    return render(request, "login.html", None, token=token, message=texts.LOGGED_OUT if out else "")


@router.post("/login")
def login(request: Request, token: str = Form("")):
    settings = request.app.state.settings
    with transaction(request.app.state.factory) as s:
        person = auth.redeem_login_token(s, token)
        cookie = auth.start_session(s, person, settings) if person else None
        member = person is not None and auth.is_member(s, person.id)
        if person is not None and member:  # a supervisor is in no community's audit
            staffing.record(s, actor_for_person(s, person, channel="web"), person.community_id, "login")
    if cookie is None:
        return render(request, "login.html", None, status=403, token="", error=texts.LOGIN_INVALID)
    value, max_age = cookie
    response = RedirectResponse("/" if member else "/district", status_code=303)
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
    with request.app.state.factory() as s:
        supervisor = auth.load_supervisor(s, request.cookies.get(auth.COOKIE_NAME), request.app.state.settings)
    user = supervisor or current_user(request)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    with transaction(request.app.state.factory) as s:
        auth.end_session(s, user.session_id)
    response = RedirectResponse("/login?out=1", status_code=303)
    response.delete_cookie(auth.COOKIE_NAME, path="/")
    return response


# --- overview ------------------------------------------------------------------------------


@router.get("/")
def overview(request: Request, days: str = "30", grid: str = "", team: str = ""):
    """The community (or the leader's grids), optionally one grid or one team: the bot's /stats."""
    user = current_user(request)
    if not days.isdigit() or not 1 <= int(days) <= 366:
        return error_page(request, 400, texts.ERR_BAD_FILTER.format(name="days"))
    grid_id, team_id = parse_id(grid), parse_id(team)
    if (grid and grid_id is None) or (team and team_id is None):
        return error_page(request, 400, texts.ERR_BAD_FILTER.format(name="grid/team"))
    n = int(days)
    target = SATISFACTION_TARGET
    with request.app.state.factory() as s:
        community = s.get(Community, user.community_id)
        options = queries.choices(s, user.scope)
        if grid_id is not None and grid_id not in {g for g, _ in options.grids}:
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
        if team_id is not None and team_id not in {t for t, _ in options.teams}:
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
        scope = user.scope if grid_id is None else Scope(user.community_id, frozenset({grid_id}))
        tz = community.timezone
        end = local_today(tz) + timedelta(days=1)
        start = end - timedelta(days=n)
        lo, hi = ledger_export.utc_bounds(start, end, tz)
        st = compute_stats(s, user.community_id, team_id=team_id, since=lo, until=hi, grid_ids=scope.grid_ids)
        per_day = queries.requests_per_day(s, scope, start, end, tz)
        buckets = queries.time_to_claim_buckets(s, scope, lo, hi)
    per_day_chart = charts.column_chart(
        [(d.strftime("%m-%d"), v) for d, v in per_day], texts.CHART_PER_DAY, every=max(1, math.ceil(n / 7))
    )
    claim_chart = charts.column_chart(
        list(zip(texts.CLAIM_BUCKETS, buckets, strict=True)), texts.CHART_TIME_TO_CLAIM, ticks=texts.CLAIM_TICKS
    )
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
    return render(
        request,
        "overview.html",
        user,
        st=st,
        days=n,
        start=start,
        last=end - timedelta(days=1),
        target=target,
        options=options,
        grid_id=grid_id,
        team_id=team_id,
        per_day_chart=per_day_chart,
        claim_chart=claim_chart,
        sat_grid=sat_grid,
        sat_team=sat_team,
    )


# --- request list --------------------------------------------------------------------------


def _int_or_none(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    number = parse_id(value)
    if number is None:
        raise ValueError(name)
    return number


def parse_filters(params) -> queries.Filters:
    queue = params.get("queue") or None
    state = params.get("state") or None
    if queue is not None and queue not in QUEUE_NAMES:
        raise ValueError("queue")
    if state is not None and state not in {s.value for s in RequestState}:
        raise ValueError("state")
    sort = params.get("sort") or "urgency"
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    if sort not in queries.SORTS:
        raise ValueError("sort")
    return queries.Filters(
        queue=queue,
        state=state,
        grid_id=_int_or_none(params.get("grid"), "grid"),
        team_id=_int_or_none(params.get("team"), "team"),
        category_id=_int_or_none(params.get("category"), "category"),
        overdue=params.get("overdue") == "1",
        low_rating=params.get("low") == "1",
        q=(params.get("q") or "").strip()[:50],
        sort=sort,
        descending=descending,
    )


def _list_page(request: Request, user: auth.StaffSession, *, results: list[str] | None = None, status: int = 200):
    try:
        filters = parse_filters(request.query_params)
        page = _int_or_none(request.query_params.get("page"), "page") or 1
    except ValueError as exc:
        return error_page(request, 400, texts.ERR_BAD_FILTER.format(name=exc.args[0]))
    size = request.app.state.settings.web_page_size
    with request.app.state.factory() as s:
        rows, total = queries.list_requests(s, user.scope, filters, page=page, page_size=size)
        counts = queries.tab_counts(s, user.scope, filters)
        options = queries.choices(s, user.scope)
        cards = _row_actions(s, user, rows)
        bulk_volunteers = queries.bulk_volunteers(s, user.scope)
    pages = max(1, math.ceil(total / size))
    return render(
        request,
        "requests.html",
        user,
        status=status,
        rows=rows,
        cards=cards,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        args=filters.query_args(),
        counts=counts,
        options=options,
        queue_names=QUEUE_NAMES,
        waited=_waited,
        results=results or [],
        bulk_volunteers=bulk_volunteers,
        sorts=texts.SORT_LABELS,
    )


def _row_actions(s, user: auth.StaffSession, rows: list[queries.Row]) -> dict[int, dict]:
    """Each row's one primary action, from the lifecycle's allowed actions for this viewer:
    publish a wish waiting for review, dispatch an open request (to one of its best
    candidates), and whether the viewer may call the resident."""
    out: dict[int, dict] = {}
    # The list's quick pick ranks by grid and skill (one ranking per grid and category on the
    # page: ranking per row cost a page of 50 open requests ~50 rank queries); the request's
    # own page ranks by building too.
    ranked: dict[tuple, list] = {}
    dispatch_rows = 0
    for row in rows:
        req = s.get(RequestRow, row.request_id)
        allowed = set(lifecycle.allowed_actions(s, user.actor, req))
        card = {"allowed": allowed, "candidates": [], "call": user.is_staff and bool(row.phone)}
        if "publish" in allowed:
            card["primary"] = "publish"
        elif "dispatch" in allowed and req.state == RequestState.OPEN:
            card["primary"] = "dispatch"
            dispatch_rows += 1
            key = (req.grid_id, req.category_id)
            if key not in ranked and dispatch_rows <= LIST_DISPATCH_ROWS:
                ranked[key] = queries.volunteers_for(s, req, limit=LIST_DISPATCH_CHOICES, by_building=False)
            card["candidates"] = ranked.get(key)  # None: pick on the request's page
        out[row.request_id] = card
    return out


@router.get("/requests")
def request_list(request: Request):
    return _list_page(request, current_user(request))


@router.post("/requests/bulk")
def bulk(
    request: Request,
    csrf_token: str = Form(""),
    action: str = Form(""),
    ids: Annotated[list[str] | None, Form()] = None,
    volunteer_id: str = Form(""),
    note: str = Form(""),
    back: str = Form(""),
):
    """Bulk publish, bulk dispatch to one volunteer, bulk 回访 done: the same lifecycle call
    for each chosen request, each in its own transaction; every refusal is reported."""
    user = current_user(request)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    chosen = [parse_id(i) for i in (ids or [])[:BULK_MAX]]
    if action not in BULK_ACTIONS or not chosen or None in chosen:
        return _redirect_back(back, texts.BULK_NOTHING)
    target = parse_id(volunteer_id)
    if action == "dispatch" and target is None:
        return _redirect_back(back, texts.ERR_NO_VOLUNTEER)
    done, problems = 0, []
    for request_id in dict.fromkeys(i for i in chosen if i is not None):  # none is None (checked above)
        try:
            with transaction(request.app.state.factory) as s:
                if queries.get_request(s, user.scope, request_id) is None:
                    raise InvalidInput(texts.ERR_NOT_FOUND_PAGE)
                if action == "publish":
                    lifecycle.publish(s, user.actor, request_id)
                elif action == "dispatch":
                    assert target is not None  # refused above
                    lifecycle.dispatch(s, user.actor, request_id, target)
                else:
                    lifecycle.complete_followup(s, user.actor, request_id, note)
            done += 1
        except DomainError as exc:
            problems.append(texts.BULK_PROBLEM.format(id=request_id, message=exc.message))
    summary = texts.BULK_DONE.format(action=texts.BULK_ACTION_NAMES[action], done=done, total=len(set(chosen)))
    return _redirect_back(back, "；".join([summary, *problems]))


def _redirect_back(back: str, message: str) -> RedirectResponse:
    # Only our own list, with its filters: never an open redirect.
    target = back if back.startswith("/requests?") or back == "/requests" else "/requests"
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}done={quote(message[:1500])}", status_code=303)


def _waited(age: timedelta | None) -> str:
    if age is None:
        return texts.NONE_YET
    hours = int(age.total_seconds() // 3600)
    if hours >= 24:
        return texts.WAITED_DAYS.format(days=hours // 24, hours=hours % 24)
    return texts.WAITED_HOURS.format(hours=max(0, hours))


# --- one request ---------------------------------------------------------------------------


def _who(event, actors: dict[int, str]) -> str:
    """History honesty: the system's own steps are 系统; a person is named with their role."""
    if event.actor_role == "system" or event.actor_person_id is None:
        return texts.ROLE_NAMES["system"]
    name = actors.get(event.actor_person_id, "")
    return texts.HISTORY_WHO_ROLE.format(name=name, role=texts.ROLE_NAMES.get(event.actor_role, event.actor_role))


def _request_page(
    request: Request,
    user: auth.StaffSession,
    request_id: int,
    *,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    with request.app.state.factory() as s:
        req = queries.get_request(s, user.scope, request_id)
        if req is None:
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
        resident = req.resident.person
        events = list(req.events)
        actors = queries.event_actors(s, events)
        allowed = lifecycle.allowed_actions(s, user.actor, req)
        context = {
            "req": req,
            "resident": resident,
            "phone": (req.contact_phone or resident.phone or "") if user.is_staff else "",
            "address": req.address_text if user.is_staff else (req.building.name if req.building else ""),
            "category": req.category.name if req.category else None,
            "grid": req.grid.name if req.grid else None,
            "team": req.team.name if req.team else None,
            "volunteer": req.volunteer.person.name if req.volunteer else None,
            "history": [(e, _who(e, actors)) for e in events],
            "rating": req.rating,
            "followups": queries.followups_of(s, req.id),
            "volunteers": queries.volunteers_for(s, req) if "dispatch" in allowed else [],
            "creator": None,
            "state": req.state.value,
            "kind": req.kind.value,
            "allowed": allowed,
            "local_time": clock.to_local(req.preferred_time).strftime("%Y-%m-%dT%H:%M") if req.preferred_time else "",
        }
        if req.created_by_person_id and req.created_by_person_id != resident.id:
            creator = s.get(Person, req.created_by_person_id)
            context["creator"] = creator.name if creator else None
    return render(request, "request.html", user, status=status, message=message, error=error, **context)


@router.get("/requests/{request_id}")
def request_page(request: Request, request_id: str, ok: str = ""):
    user = current_user(request)
    number = parse_id(request_id)
    if number is None:
        return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    return _request_page(request, user, number, message=texts.DONE_MESSAGES.get(ok, ""))


@router.post("/requests/{request_id}/{action}")
def act(
    request: Request,
    request_id: str,
    action: str,
    csrf_token: str = Form(""),
    reason: str = Form(""),
    volunteer_id: str = Form(""),
    note: str = Form(""),
    close: str = Form(""),
    description: str = Form(""),
    address: str = Form(""),
    preferred_time: str = Form(""),
    phone: str = Form(""),
):
    user = current_user(request)
    number = parse_id(request_id)
    if action not in ACTIONS or number is None:
        return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    with request.app.state.factory() as s:
        if queries.get_request(s, user.scope, number) is None:
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    actor = user.actor
    done = action
    tz = community_of(request, user.community_id).timezone
    try:
        with transaction(request.app.state.factory) as s:
            if action == "publish":
                lifecycle.publish(s, actor, number)
            elif action == "reject":
                lifecycle.reject(s, actor, number, reason)
            elif action == "dispatch":
                target = parse_id(volunteer_id)
                if target is None:
                    raise InvalidInput(texts.ERR_NO_VOLUNTEER)
                lifecycle.dispatch(s, actor, number, target)
            elif action == "unassign":
                lifecycle.unassign(s, actor, number)
            elif action in ("flag_urgent", "unflag_urgent"):
                lifecycle.flag_urgent(s, actor, number, urgent=action == "flag_urgent")
            elif action == "note":
                lifecycle.add_note(s, actor, number, note)
            elif action == "confirm":
                lifecycle.confirm(s, actor, number)
            elif action == "reopen":
                lifecycle.reopen(s, actor, number, note)
            elif action == "cancel":
                lifecycle.cancel(s, actor, number, reason)
            elif action == "edit":
                lifecycle.edit(
                    s,
                    actor,
                    number,
                    description=description if description.strip() else None,
                    address=address if address.strip() else None,
                    preferred_time=utc_from_local_field(preferred_time, tz),
                    phone=phone if phone.strip() else None,
                )
            elif action == "complete_followup":
                req = lifecycle.complete_followup(s, actor, number, note)
                if close == "1" and req.state == RequestState.DONE:
                    lifecycle.confirm(s, actor, number)
                    done = "followup_closed"
    except InvalidInput as exc:
        return _request_page(request, user, number, error=exc.message, status=400)
    except DomainError as exc:
        return _request_page(request, user, number, error=shown(user, exc.message), status=409)
    return RedirectResponse(f"/requests/{number}?ok={done}", status_code=303)


# --- ledger export -------------------------------------------------------------------------


def _period(request: Request, tz: str) -> tuple[date, date] | str:
    today = local_today(tz)
    try:
        start = date.fromisoformat(request.query_params.get("start") or today.replace(day=1).isoformat())
        last = date.fromisoformat(request.query_params.get("end") or today.isoformat())
    except ValueError:
        return texts.ERR_BAD_DATE
    if last < start:
        return texts.ERR_DATE_ORDER
    if (last - start).days > 366:
        return texts.ERR_DATE_SPAN
    return start, last


@router.get("/export")
def export_page(request: Request):
    user = current_user(request)
    tz = community_of(request, user.community_id).timezone
    period = _period(request, tz)
    if isinstance(period, str):
        return render(request, "export.html", user, status=400, error=period, start="", end="")
    return render(request, "export.html", user, start=period[0].isoformat(), end=period[1].isoformat(), error="")


@router.get("/export/ledger.{ext}")
def export_file(request: Request, ext: str):
    user = current_user(request)
    if ext not in ("xlsx", "csv"):
        return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    tz = community_of(request, user.community_id).timezone
    period = _period(request, tz)
    if isinstance(period, str):
        return render(request, "export.html", user, status=400, error=period, start="", end="")
    start, last = period
    end = last + timedelta(days=1)
    # Full phone numbers only for staff who ask for them; a grid leader's export is masked.
    full = user.is_staff and request.query_params.get("phones") == "full"
    grids = user.scope.grid_ids
    with request.app.state.factory() as s:
        rows = ledger_export.ledger_rows(s, user.community_id, start, end, full_phone=full, grid_ids=grids)
        totals = ledger_export.volunteer_totals(s, user.community_id, start, end) if user.is_staff else []
        summary = ledger_export.monthly_summary(s, user.community_id, start, end, grid_ids=grids)
        work_units = (
            recognition.work_unit_report_between(s, user.community_id, *ledger_export.utc_bounds(start, end, tz))
            if user.is_staff
            else None
        )
    filename = texts.EXPORT_FILENAME.format(start=start.isoformat(), end=last.isoformat(), ext=ext)
    headers = {"Content-Disposition": f"attachment; filename=\"ledger.{ext}\"; filename*=UTF-8''{quote(filename)}"}
    if ext == "xlsx":
        return Response(
            ledger_export.to_xlsx(rows, totals, summary, work_units=work_units),
            headers=headers,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return Response(
        ledger_export.to_csv(rows).encode("utf-8-sig"), headers=headers, media_type="text/csv; charset=utf-8"
    )
