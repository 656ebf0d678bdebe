"""代下单 on the web: find the resident by phone (whole or the last digits) or name, or
register them on the spot (`community.people.register_resident`, with the consent they
gave in person), then place the order with `lifecycle.submit(..., for_resident_id=...)`,
exactly as the bot's /order does. Staff and grid leaders (for their grids) may do this."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from community import lifecycle, people, routing, staffing
from community.db import transaction
from community.errors import AddressQuestion, DomainError, InvalidInput
from community.models import Community, RequestKind, Resident, ServiceCategory
from web import texts
from web.pages import community_of, csrf_refused, current_user, parse_id, render, utc_from_local_field
from web.rendering import error_page

router = APIRouter(include_in_schema=False)


def _menu(s, community_id: int) -> list[tuple[str, str]]:
    return [
        (c.code, c.name)
        for c in s.scalars(
            select(ServiceCategory)
            .where(ServiceCategory.community_id == community_id, ServiceCategory.active.is_(True))
            .order_by(ServiceCategory.id)
        )
    ]


def _resident_in_scope(s, user, resident_id: int | None) -> Resident | None:
    resident = s.get(Resident, resident_id) if resident_id is not None else None
    if resident is None or resident.person.community_id != user.community_id:
        return None
    grid = resident.building.grid_id if resident.building else None
    return resident if user.scope.allows_grid(grid) else None


def _home(resident: Resident) -> str:
    if resident.building is None:
        return ""
    return routing.address_label(resident.building.name, resident.unit, resident.room)


@router.get("/orders/new")
def order_page(request: Request, q: str = "", resident: str = ""):
    return _order_view(request, q=q, resident=resident)


def _order_view(request: Request, *, q: str = "", resident: str = "", error: str = "", status: int = 200, **form: str):
    user = current_user(request)
    q = q.strip()[:50]
    with request.app.state.factory() as s:
        chosen = _resident_in_scope(s, user, parse_id(resident)) if resident else None
        if resident and chosen is None:
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
        found = people.find_residents(s, user.community_id, q, grid_ids=user.scope.grid_ids) if q else []
        matches = [
            (r.id, r.person.name, _home(r) if user.is_staff else (r.building.name if r.building else "")) for r in found
        ]
        context = {
            "q": q,
            "matches": matches,
            "menu": _menu(s, user.community_id),
            "chosen": (chosen.id, chosen.person.name, _home(chosen) if user.is_staff else "") if chosen else None,
            "form": form,
        }
    return render(request, "order.html", user, status=status, error=error, **context)


@router.post("/orders/register")
def register(
    request: Request,
    csrf_token: str = Form(""),
    name: str = Form(""),
    phone: str = Form(""),
    address: str = Form(""),
    consent: str = Form(""),
):
    """A resident without Telegram, registered by staff or their grid leader (audited)."""
    user = current_user(request)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    try:
        if consent != "1":
            raise InvalidInput(texts.ERR_CONSENT_NEEDED)
        with transaction(request.app.state.factory) as s:
            community = s.get_one(Community, user.community_id)
            where = routing.resolve_address(s, community.id, address)
            if not user.scope.allows_grid(where.grid_id):
                raise InvalidInput(texts.ERR_NOT_YOUR_GRID)
            resident = people.register_resident(
                s,
                community,
                name,
                phone=phone or None,
                building_id=where.building_id,
                unit=where.unit,
                room=where.room,
                consent=True,
                registered_by=user.actor,
            )
            staffing.record(s, user.actor, community.id, "resident_registered", target_person_id=resident.person_id)
            resident_id = resident.id
    except AddressQuestion as exc:
        message = exc.message + (f"（{'、'.join(exc.options)}）" if exc.options else "")
        return _order_view(request, error=message, status=400, name=name, phone=phone, address=address)
    except DomainError as exc:
        return _order_view(request, error=exc.message, status=400, name=name, phone=phone, address=address)
    return RedirectResponse(f"/orders/new?resident={resident_id}", status_code=303)


@router.post("/orders")
def place(
    request: Request,
    csrf_token: str = Form(""),
    resident: str = Form(""),
    kind: str = Form("service"),
    category: str = Form(""),
    item: str = Form(""),
    description: str = Form(""),
    address: str = Form(""),
    preferred_time: str = Form(""),
    phone: str = Form(""),
):
    user = current_user(request)
    if refused := csrf_refused(request, user, csrf_token):
        return refused
    resident_id = parse_id(resident)
    if kind not in (RequestKind.SERVICE.value, RequestKind.WISH.value):
        return error_page(request, 400, texts.ERR_BAD_FILTER.format(name="kind"))
    tz = community_of(request, user.community_id).timezone
    try:
        with transaction(request.app.state.factory) as s:
            target = _resident_in_scope(s, user, resident_id)
            if target is None:
                return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
            if address.strip():
                where = routing.resolve_address(s, user.community_id, address)
                if not user.scope.allows_grid(where.grid_id):
                    raise InvalidInput(texts.ERR_NOT_YOUR_GRID)
            req = lifecycle.submit(
                s,
                user.actor,
                lifecycle.NewRequest(
                    kind=RequestKind(kind),
                    description=description,
                    category=category or None if kind == RequestKind.SERVICE.value else None,
                    item=item or None,
                    address=address.strip() or None,
                    preferred_time=utc_from_local_field(preferred_time, tz),
                    phone=phone.strip() or None,
                ),
                for_resident_id=target.id,
            )
            request_id = req.id
    except lifecycle.Duplicate as exc:
        return RedirectResponse(f"/requests/{exc.request_id}", status_code=303)
    except AddressQuestion as exc:
        message = exc.message + (f"（{'、'.join(exc.options)}）" if exc.options else "")
        return _order_view(request, resident=resident, error=message, status=400, description=description)
    except DomainError as exc:
        return _order_view(request, resident=resident, error=exc.message, status=400, description=description)
    return RedirectResponse(f"/requests/{request_id}?ok=ordered", status_code=303)
