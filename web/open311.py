"""Open311 GeoReport v2 (JSON only) for city hotline systems such as 12345.

Every endpoint needs an `api_key` (query parameter; a form field on POST): the spec asks
for one only on POST, but no data of this community leaves without one. A key belongs to
one community and was issued by a staff member; requests created through it are placed
for the resident by that staff member (代下单, `lifecycle.submit(..., for_resident_id=)`),
routed and published like any other service order.

Residents: the caller is identified by phone *and* name. An existing resident with both
is reused; otherwise a resident without Telegram is registered (consent is taken by the
hotline operator on the call, as by staff placing an order in person). Phone alone never
matches: a family shares one number. Locations are `address_string` only (this community
routes by building, not coordinates); `lat`/`long` are accepted and ignored.

Status: submitted/open/claimed/in_progress are `open`; done/closed/rejected/cancelled are
`closed`; `status_notes` says which, in Chinese.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from community import clock, lifecycle, people, routing
from community.db import transaction
from community.errors import AddressQuestion, DomainError, NotFound
from community.models import Community, Person, RequestKind, RequestState, Resident, ServiceCategory
from community.models import Request as ServiceRequestRow
from community.validation import normalize_phone, normalize_text
from web import auth, texts

PREFIX = "/open311/v2"
router = APIRouter(prefix=PREFIX, tags=["Open311 GeoReport v2"])

OPEN_STATES = (RequestState.SUBMITTED, RequestState.OPEN, RequestState.CLAIMED, RequestState.IN_PROGRESS)
CLOSED_STATES = (RequestState.DONE, RequestState.CLOSED, RequestState.REJECTED, RequestState.CANCELLED)


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


# --- response models (they make the OpenAPI document describe the real payloads) ---------


class Error(BaseModel):
    code: int = Field(description="The HTTP status code")
    description: str


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="Always false: services take no extra attributes")
    type: str = Field(description="Always `realtime`")
    keywords: str
    group: str


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[dict] = Field(description="Always empty: services take no extra attributes")


class ServiceRequest(BaseModel):
    service_request_id: str
    status: str = Field(description="`open` or `closed`")
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str
    agency_responsible: str | None = Field(description="The volunteer team (志愿服务队) or grid handling it")
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None = Field(description="When it is due to be done")
    address: str
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class CreatedRequest(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None


ERRORS = {
    400: {"model": list[Error], "description": "A parameter is missing or invalid"},
    403: {"model": list[Error], "description": "api_key missing or invalid"},
    404: {"model": list[Error], "description": "Not found (service_code, service_request_id or jurisdiction_id)"},
}
API_KEY_DOC = "API key issued with `python -m web api-key --name …`"
JURISDICTION_DOC = "Optional; when given it must be the community's code"


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    names = ", ".join(str(e.get("loc", ["?"])[-1]) for e in errors)
    if errors and all(e.get("type") == "missing" for e in errors):
        description = texts.O311_MISSING.format(name=names)
    else:
        problems = "; ".join(f"{e.get('loc', ['?'])[-1]}: {e.get('msg', '')}" for e in errors)
        description = texts.O311_INVALID.format(name=names, message=problems)
    return JSONResponse([{"code": 400, "description": description}], status_code=400)


def fix_openapi(schema: dict) -> None:
    """FastAPI documents 422 for validation errors; this API answers 400 (see the handler)."""
    for path, item in schema.get("paths", {}).items():
        if not path.startswith(PREFIX):
            continue
        for operation in item.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)


# --- helpers -------------------------------------------------------------------------------


def _client(session, api_key: str | None, jurisdiction_id: str | None) -> tuple[auth.ApiClient, Community]:
    client = auth.check_api_key(session, api_key)
    if client is None:
        raise Open311Error(403, texts.O311_API_KEY_INVALID)
    community = session.get(Community, client.community_id)
    if jurisdiction_id not in (None, "") and jurisdiction_id != community.code:
        raise Open311Error(404, texts.ERR_NOT_FOUND_PAGE)
    return client, community


def _w3c(dt: datetime | None, tz: str) -> str | None:
    return clock.to_local(dt, tz).isoformat(timespec="seconds") if dt else None


def _parse_w3c(value: str, tz: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(tz))
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise Open311Error(400, texts.O311_BAD_DATE) from None


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _service(category: ServiceCategory) -> Service:
    return Service(
        service_code=category.code,
        service_name=category.name,
        description=texts.O311_SERVICE_DESCRIPTION.format(name=category.name, hours=category.due_hours),
        metadata=False,
        type="realtime",
        keywords=",".join(s for s in category.synonyms.split("|") if s),
        group=texts.O311_GROUP,
    )


def _as_open311(req: ServiceRequestRow, tz: str) -> ServiceRequest:
    state = req.state.value
    notes = texts.O311_STATUS_NOTES[state].format(reason=req.reason or texts.NONE_YET)
    agency = req.team.name if req.team else (req.grid.name if req.grid else None)
    return ServiceRequest(
        service_request_id=str(req.id),
        status="open" if req.state in OPEN_STATES else "closed",
        status_notes=notes,
        service_name=req.category.name if req.category else texts.KIND_NAMES[req.kind.value],
        service_code=req.category.code if req.category else None,
        description=req.description,
        agency_responsible=agency,
        service_notice=None,
        requested_datetime=_w3c(req.submitted_at, tz),
        updated_datetime=_w3c(req.updated_at or req.submitted_at, tz),
        expected_datetime=_w3c(req.due_at, tz),
        address=req.address_text or "",
        address_id=str(req.building_id) if req.building_id else None,
        zipcode=None,
        lat=None,
        long=None,
        media_url=None,
    )


# --- endpoints -----------------------------------------------------------------------------


@router.get(
    "/services.json",
    response_model=list[Service],
    responses={403: ERRORS[403], 404: ERRORS[404]},
    summary="Service list (the community's service menu)",
)
def services(
    request: Request,
    api_key: str | None = Query(None, description=API_KEY_DOC),
    jurisdiction_id: str | None = Query(None, description=JURISDICTION_DOC),
):
    with request.app.state.factory() as s:
        client, _ = _client(s, api_key, jurisdiction_id)
        rows = s.scalars(
            select(ServiceCategory)
            .where(ServiceCategory.community_id == client.community_id, ServiceCategory.active.is_(True))
            .order_by(ServiceCategory.id)
        ).all()
        return [_service(c) for c in rows]


@router.get(
    "/services/{service_code}.json",
    response_model=ServiceDefinition,
    responses={403: ERRORS[403], 404: ERRORS[404]},
    summary="Service definition",
)
def service_definition(
    request: Request,
    service_code: str,
    api_key: str | None = Query(None, description=API_KEY_DOC),
    jurisdiction_id: str | None = Query(None, description=JURISDICTION_DOC),
):
    with request.app.state.factory() as s:
        client, _ = _client(s, api_key, jurisdiction_id)
        category = s.scalar(
            select(ServiceCategory).where(
                ServiceCategory.community_id == client.community_id,
                ServiceCategory.code == service_code,
                ServiceCategory.active.is_(True),
            )
        )
        if category is None:
            raise Open311Error(404, texts.O311_NOT_FOUND_SERVICE.format(code=service_code))
        return ServiceDefinition(service_code=category.code, attributes=[])


@router.post(
    "/requests.json",
    response_model=list[CreatedRequest],
    status_code=201,
    responses=ERRORS,
    summary="Create a service request (placed for the resident, 代下单)",
)
def create_request(
    request: Request,
    api_key: str | None = Form(None, description=API_KEY_DOC),
    jurisdiction_id: str | None = Form(None, description=JURISDICTION_DOC),
    service_code: str = Form(description="A code from services.json"),
    description: str = Form(description="What the resident needs"),
    address_string: str = Form(description="Building/unit/room, e.g. 3号楼2单元502 (routing is by building)"),
    phone: str = Form(description="The resident's phone number (identifies the resident with the name)"),
    first_name: str | None = Form(None, description="Given name (名)"),
    last_name: str | None = Form(None, description="Family name (姓)"),
    email: str | None = Form(None, description="Accepted and ignored"),
    lat: str | None = Form(None, description="Accepted and ignored: routing is by building"),
    long: str | None = Form(None, description="Accepted and ignored: routing is by building"),
    address_id: str | None = Form(None, description="Accepted and ignored"),
    device_id: str | None = Form(None, description="Accepted and ignored"),
    account_id: str | None = Form(None, description="Echoed back"),
    media_url: str | None = Form(None, description="Accepted and ignored"),
):
    factory = request.app.state.factory
    try:
        with transaction(factory) as s:
            client, community = _client(s, api_key, jurisdiction_id)
            for name, value in (("service_code", service_code), ("description", description)):
                if not normalize_text(value):
                    raise Open311Error(400, texts.O311_MISSING.format(name=name))
            category = s.scalar(
                select(ServiceCategory).where(
                    ServiceCategory.community_id == community.id,
                    ServiceCategory.code == service_code,
                    ServiceCategory.active.is_(True),
                )
            )
            if category is None:
                raise Open311Error(404, texts.O311_NOT_FOUND_SERVICE.format(code=service_code))
            if not normalize_text(phone):
                raise Open311Error(400, texts.O311_NEED_PHONE)
            if not normalize_text(address_string):
                raise Open311Error(400, texts.O311_NEED_LOCATION)
            number = normalize_phone(phone)
            address = routing.resolve_address(s, community.id, address_string)
            resident = _resident_for(s, client, community, number, first_name, last_name, address)
            req = lifecycle.submit(
                s,
                client.actor,
                lifecycle.NewRequest(
                    kind=RequestKind.SERVICE,
                    description=description,
                    category=category.code,
                    address=address_string,
                    phone=number,
                ),
                for_resident_id=resident.id,
            )
            auth.touch_api_key(s, client.key_id)
            request_id = req.id
    except lifecycle.Duplicate as exc:  # the hotline retried: answer with the request that exists
        request_id = exc.request_id
    except AddressQuestion as exc:
        options = f"（{'、'.join(exc.options)}）" if exc.options else ""
        raise Open311Error(
            400, texts.O311_INVALID.format(name="address_string", message=exc.message + options)
        ) from None
    except NotFound as exc:
        raise Open311Error(404, exc.message) from None
    except DomainError as exc:  # InvalidInput (phone, description), Forbidden ...
        status = 403 if exc.code == "forbidden" else 400
        raise Open311Error(status, exc.message) from None
    return [
        CreatedRequest(
            service_request_id=str(request_id), service_notice=texts.O311_NOTICE, account_id=account_id or None
        )
    ]


def _resident_for(s, client, community, phone, first_name, last_name, address) -> Resident:
    name = normalize_text(f"{last_name or ''}{first_name or ''}") or texts.O311_DEFAULT_RESIDENT_NAME
    existing = s.scalars(
        select(Resident)
        .join(Person, Person.id == Resident.person_id)
        .where(Person.community_id == community.id, Person.phone == phone, Person.name == name)
        .order_by(Resident.id)
    ).first()
    if existing is not None:
        return existing
    return people.register_resident(
        s,
        community,
        name,
        phone=phone,
        building_id=address.building_id,
        unit=address.unit,
        room=address.room,
        consent=True,
        registered_by=client.actor,
    )


@router.get("/requests.json", response_model=list[ServiceRequest], responses=ERRORS, summary="Query service requests")
def list_requests(
    request: Request,
    api_key: str | None = Query(None, description=API_KEY_DOC),
    jurisdiction_id: str | None = Query(None, description=JURISDICTION_DOC),
    service_request_id: str | None = Query(
        None, description="Comma-separated ids; when given, other filters are ignored"
    ),
    service_code: str | None = Query(None, description="Comma-separated service codes"),
    start_date: str | None = Query(None, description="W3C datetime; requests submitted at or after it"),
    end_date: str | None = Query(None, description="W3C datetime; requests submitted before it"),
    status: str | None = Query(None, description="Comma-separated: open, closed"),
):
    settings = request.app.state.settings
    with request.app.state.factory() as s:
        client, community = _client(s, api_key, jurisdiction_id)
        tz = community.timezone
        query = select(ServiceRequestRow).where(ServiceRequestRow.community_id == community.id)
        ids = _split(service_request_id)
        if ids:
            if not all(i.isdigit() and len(i) < 10 for i in ids):
                raise Open311Error(400, texts.O311_BAD_ID)
            query = query.where(ServiceRequestRow.id.in_([int(i) for i in ids]))
        else:
            codes = _split(service_code)
            if codes:
                query = query.join(ServiceCategory, ServiceCategory.id == ServiceRequestRow.category_id).where(
                    ServiceCategory.code.in_(codes)
                )
            statuses = _split(status)
            if any(v not in ("open", "closed") for v in statuses):
                raise Open311Error(400, texts.O311_BAD_STATUS)
            if set(statuses) == {"open"}:
                query = query.where(ServiceRequestRow.state.in_(OPEN_STATES))
            elif set(statuses) == {"closed"}:
                query = query.where(ServiceRequestRow.state.in_(CLOSED_STATES))
            start = _parse_w3c(start_date, tz) if start_date else None
            end = _parse_w3c(end_date, tz) if end_date else None
            if start is None and end is None:
                start = clock.now() - timedelta(days=settings.open311_default_days)
            if start is not None:
                query = query.where(ServiceRequestRow.submitted_at >= start)
            if end is not None:
                query = query.where(ServiceRequestRow.submitted_at < end)
        rows = s.scalars(
            query.order_by(ServiceRequestRow.submitted_at.desc(), ServiceRequestRow.id.desc()).limit(
                settings.open311_max_results
            )
        ).all()
        return [_as_open311(r, tz) for r in rows]


@router.get(
    "/requests/{service_request_id}.json",
    response_model=list[ServiceRequest],
    responses=ERRORS,
    summary="One service request",
)
def get_request(
    request: Request,
    service_request_id: str,
    api_key: str | None = Query(None, description=API_KEY_DOC),
    jurisdiction_id: str | None = Query(None, description=JURISDICTION_DOC),
):
    with request.app.state.factory() as s:
        client, community = _client(s, api_key, jurisdiction_id)
        not_found = Open311Error(404, texts.O311_NOT_FOUND_REQUEST.format(id=service_request_id))
        if not (service_request_id.isdigit() and len(service_request_id) < 10):
            raise not_found
        req = s.get(ServiceRequestRow, int(service_request_id))
        if req is None or req.community_id != community.id:
            raise not_found
        return [_as_open311(req, community.timezone)]
