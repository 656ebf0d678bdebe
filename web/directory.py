"""The people pages: volunteer and resident directories with their history, hours and
ratings; staff (offboarding); Open311 API keys (revoking); volunteer invites; the audit log.

Grid leaders see the volunteers and residents of their grids (without phone numbers);
everything that changes people or keys is for staff, through `community.staffing` and
`community.people`, each change with its audit row.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from community import people, staffing
from community.db import transaction
from community.errors import DomainError
from community.models import (
    ApiKey,
    AuditEntry,
    Event,
    LedgerEntry,
    Person,
    Rating,
    Resident,
    Staff,
    Volunteer,
    VolunteerTeam,
)
from community.models import (
    Request as RequestRow,
)
from community.settings import get_settings
from web import texts
from web.pages import csrf_refused, current_user, parse_id, render, staff_user
from web.rendering import error_page

router = APIRouter(include_in_schema=False)
LIST_LIMIT = 200
AUDIT_LIMIT = 300
INVITE_MAX = 50
INVITE_DAYS = 7
# Roles whose request events are staff actions (the audit page lists them with audit_log).
STAFF_ROLES = ("staff", "grid_leader")


def _contains(column, text: str):
    return column.contains(text, autoescape=True)


# --- volunteers ------------------------------------------------------------------------------


@router.get("/volunteers")
def volunteers(request: Request, q: str = ""):
    user = current_user(request)
    q = q.strip()[:50]
    with request.app.state.factory() as s:
        query = (
            select(Volunteer)
            .join(Person, Person.id == Volunteer.person_id)
            .where(*user.scope.volunteers())
            .options(selectinload(Volunteer.teams), selectinload(Volunteer.person))
            .order_by(Volunteer.deactivated_at.is_not(None), Person.name, Volunteer.id)
            .limit(LIST_LIMIT)
        )
        if q:
            digits = "".join(ch for ch in q if ch.isdigit())
            query = query.where(or_(_contains(Person.name, q), *([_contains(Person.phone, digits)] if digits else [])))
        rows = list(s.scalars(query))
    return render(request, "volunteers.html", user, rows=rows, q=q, status_of=_status)


def _status(v: Volunteer) -> str:
    if v.deactivated_at is not None:
        return texts.VOL_DEACTIVATED
    return texts.VOL_ACTIVE if v.available else texts.VOL_PAUSED


@router.get("/volunteers/{volunteer_id}")
def volunteer_page(request: Request, volunteer_id: str, ok: str = "", error: str = ""):
    user = current_user(request)
    number = parse_id(volunteer_id)
    with request.app.state.factory() as s:
        v = s.get(Volunteer, number) if number is not None else None
        if v is None or v.person.community_id != user.community_id or not user.scope.allows_grid(v.grid_id):
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
        history = s.execute(
            select(RequestRow, Rating.score)
            .outerjoin(Rating, Rating.request_id == RequestRow.id)
            .where(
                or_(
                    RequestRow.volunteer_id == v.id,
                    RequestRow.id.in_(select(LedgerEntry.request_id).where(LedgerEntry.volunteer_id == v.id)),
                )
            )
            .order_by(RequestRow.submitted_at.desc())
            .limit(LIST_LIMIT)
        ).all()
        context = {
            "v": v,
            "person": v.person,
            "teams": "、".join(t.name for t in v.teams) or texts.VOLUNTEER_NO_TEAM,
            "history": history,
            "vol_status": _status(v),
        }
    message = texts.DONE_PEOPLE.get(ok, "")
    return render(request, "volunteer.html", user, message=message, error=error[:300], **context)


@router.post("/volunteers/{volunteer_id}/{action}")
def volunteer_action(
    request: Request, volunteer_id: str, action: str, csrf_token: str = Form(""), note: str = Form("")
):
    user = staff_user(request)
    number = parse_id(volunteer_id)
    if number is None or action not in ("pause", "resume", "deactivate", "reactivate"):
        return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    try:
        with transaction(request.app.state.factory) as s:
            if action in ("pause", "resume"):
                staffing.set_volunteer_paused(s, user.actor, number, action == "pause", note)
            elif action == "deactivate":
                staffing.deactivate_volunteer(s, user.actor, number, note)
            else:
                staffing.reactivate_volunteer(s, user.actor, number, note)
    except DomainError as exc:
        return volunteer_page(request, volunteer_id, error=exc.message)
    done = {"pause": "paused", "resume": "resumed", "deactivate": "deactivated", "reactivate": "reactivated"}[action]
    return RedirectResponse(f"/volunteers/{number}?ok={done}", status_code=303)


# --- residents -------------------------------------------------------------------------------


@router.get("/residents")
def residents(request: Request, q: str = ""):
    user = current_user(request)
    q = q.strip()[:50]
    with request.app.state.factory() as s:
        if q:
            found = people.find_residents(s, user.community_id, q, grid_ids=user.scope.grid_ids)
        else:
            found = list(
                s.scalars(
                    select(Resident)
                    .join(Person, Person.id == Resident.person_id)
                    .where(*user.scope.residents())
                    .order_by(Person.name, Resident.id)
                    .limit(LIST_LIMIT)
                )
            )
        counts = dict(
            s.execute(
                select(RequestRow.resident_id, func.count())
                .where(RequestRow.resident_id.in_([r.id for r in found]))
                .group_by(RequestRow.resident_id)
            ).all()
        )
        rows = [(r, r.person, _home(r), counts.get(r.id, 0)) for r in found]
    return render(request, "residents.html", user, rows=rows, q=q)


def _home(resident: Resident) -> str:
    if resident.building is None:
        return ""
    unit = f"{resident.unit}单元" if resident.unit else ""
    return resident.building.name + unit + (resident.room or "")


@router.get("/residents/{resident_id}")
def resident_page(request: Request, resident_id: str):
    user = current_user(request)
    number = parse_id(resident_id)
    with request.app.state.factory() as s:
        r = s.get(Resident, number) if number is not None else None
        building_grid = r.building.grid_id if r is not None and r.building else None
        if r is None or r.person.community_id != user.community_id or not user.scope.allows_grid(building_grid):
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
        history = s.execute(
            select(RequestRow, Rating.score)
            .outerjoin(Rating, Rating.request_id == RequestRow.id)
            .where(RequestRow.resident_id == r.id, *user.scope.requests())
            .order_by(RequestRow.submitted_at.desc())
            .limit(LIST_LIMIT)
        ).all()
        context = {"r": r, "person": r.person, "home": _home(r), "history": history}
    return render(request, "resident.html", user, **context)


# --- staff -----------------------------------------------------------------------------------


@router.get("/staff")
def staff_list(request: Request, ok: str = "", error: str = ""):
    user = staff_user(request)
    with request.app.state.factory() as s:
        rows = s.execute(
            select(Staff, Person)
            .join(Person, Person.id == Staff.person_id)
            .where(Person.community_id == user.community_id)
            .order_by(Staff.active.desc(), Person.name)
        ).all()
        keys = dict(
            s.execute(
                select(ApiKey.issued_by_person_id, func.count())
                .where(ApiKey.community_id == user.community_id, ApiKey.revoked_at.is_(None))
                .group_by(ApiKey.issued_by_person_id)
            ).all()
        )
    return render(
        request, "staff.html", user, rows=rows, keys=keys, message=texts.DONE_PEOPLE.get(ok, ""), error=error[:300]
    )


@router.post("/staff/{person_id}/offboard")
def offboard(request: Request, person_id: str, csrf_token: str = Form(""), note: str = Form("")):
    user = staff_user(request)
    number = parse_id(person_id)
    if number is None:
        return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    try:
        with transaction(request.app.state.factory) as s:
            staffing.offboard_staff(s, user.actor, number, note)
    except DomainError as exc:
        return staff_list(request, error=exc.message)
    return RedirectResponse("/staff?ok=offboarded", status_code=303)


# --- API keys ----------------------------------------------------------------------------------


@router.get("/api-keys")
def api_keys(request: Request, ok: str = "", error: str = ""):
    user = staff_user(request)
    with request.app.state.factory() as s:
        rows = s.execute(
            select(ApiKey, Person, Staff.active)
            .join(Person, Person.id == ApiKey.issued_by_person_id)
            .outerjoin(Staff, Staff.person_id == Person.id)
            .where(ApiKey.community_id == user.community_id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())
        ).all()
    return render(request, "api_keys.html", user, rows=rows, message=texts.DONE_PEOPLE.get(ok, ""), error=error[:300])


@router.post("/api-keys/{key_id}/revoke")
def revoke(request: Request, key_id: str, csrf_token: str = Form("")):
    user = staff_user(request)
    number = parse_id(key_id)
    if number is None:
        return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    try:
        with transaction(request.app.state.factory) as s:
            staffing.revoke_api_key(s, user.actor, number)
    except DomainError as exc:
        return api_keys(request, error=exc.message)
    return RedirectResponse("/api-keys?ok=revoked", status_code=303)


# --- invites (the bot's /invite) -----------------------------------------------------------------


@router.get("/invites")
def invites_page(request: Request):
    user = staff_user(request)
    with request.app.state.factory() as s:
        teams = s.execute(
            select(VolunteerTeam.code, VolunteerTeam.name)
            .where(VolunteerTeam.community_id == user.community_id)
            .order_by(VolunteerTeam.id)
        ).all()
    return render(request, "invites.html", user, teams=teams, links=[], days=INVITE_DAYS, error="")


@router.post("/invites")
def invites_create(request: Request, csrf_token: str = Form(""), count: str = Form("1"), team: str = Form("")):
    user = staff_user(request)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    number = parse_id(count)
    with request.app.state.factory() as s:
        teams = s.execute(
            select(VolunteerTeam.code, VolunteerTeam.name)
            .where(VolunteerTeam.community_id == user.community_id)
            .order_by(VolunteerTeam.id)
        ).all()
    if number is None or not 1 <= number <= INVITE_MAX:
        error = texts.INVITE_LIMIT.format(limit=INVITE_MAX)
        return render(request, "invites.html", user, status=400, teams=teams, links=[], days=INVITE_DAYS, error=error)
    try:
        with transaction(request.app.state.factory) as s:
            made = people.issue_invites(s, user.actor, number, team or None, days=INVITE_DAYS)
            codes = [i.code for i in made]
            staffing.record(s, user.actor, user.community_id, "invites_issued", note=f"{len(codes)} {team}".strip())
    except DomainError as exc:
        return render(
            request, "invites.html", user, status=400, teams=teams, links=[], days=INVITE_DAYS, error=exc.message
        )
    bot = get_settings().bot_username or "your_bot"
    links = [f"https://t.me/{bot}?start=join-{code}" for code in codes]
    return render(request, "invites.html", user, teams=teams, links=links, days=INVITE_DAYS, error="")


# --- the audit log ---------------------------------------------------------------------------------


@router.get("/audit")
def audit(request: Request, channel: str = ""):
    """Every staff action, newest first: request events taken by staff or grid leaders (from
    chat, the web, the CLI or Open311) and the audit_log rows (sign-ins, offboarding…)."""
    user = staff_user(request)
    if channel and channel not in texts.CHANNEL_NAMES:
        return error_page(request, 400, texts.ERR_BAD_FILTER.format(name="channel"))
    with request.app.state.factory() as s:
        events = select(Event, RequestRow.id).join(RequestRow, RequestRow.id == Event.request_id)
        events = events.where(RequestRow.community_id == user.community_id, Event.actor_role.in_(STAFF_ROLES))
        entries = select(AuditEntry).where(AuditEntry.community_id == user.community_id)
        if channel:
            events = events.where(Event.channel == channel)
            entries = entries.where(AuditEntry.channel == channel)
        found = [
            (e.at, e.actor_person_id, e.channel, texts.EVENT_NAMES.get(e.action, e.action), e.note, request_id, None)
            for e, request_id in s.execute(events.order_by(Event.at.desc(), Event.id.desc()).limit(AUDIT_LIMIT))
        ]
        found += [
            (a.at, a.actor_person_id, a.channel, texts.AUDIT_ACTIONS[a.action], a.note, None, a.target_person_id)
            for a in s.scalars(entries.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(AUDIT_LIMIT))
        ]
        found.sort(key=lambda row: row[0], reverse=True)
        found = found[:AUDIT_LIMIT]
        ids = {row[1] for row in found} | {row[6] for row in found}
        names = dict(s.execute(select(Person.id, Person.name).where(Person.id.in_(ids - {None}))).all())
    return render(request, "audit.html", user, rows=found, names=names, channel=channel)
