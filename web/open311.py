"""Open311 GeoReport v2 for city hotline systems such as 12345, in XML (the spec's default,
as in its examples) and JSON, with a service discovery document.

Reading (`GET`) needs no key when `OPEN311_PUBLIC_READ` is on (the default, as the spec
has it); what is read is public: descriptions pass through `community.redaction.redact`
(phone, door and ID numbers masked), the address is the building only, and no name, phone
or photo of a resident ever leaves. A key that is given must be valid (403 otherwise), and
then names its community; without one the community is `jurisdiction_id` (its code), or
the only one. Writing (`POST`) needs a key: it belongs to one community and was issued by
a staff member, and requests created through it are placed for the resident by that staff
member (代下单, `lifecycle.submit(..., for_resident_id=)`), routed and published like any
other order. Wishes (微心愿) have their own service code, `wish`, and wait for staff review.

Residents: the caller is identified by phone *and* name. An existing resident with both
is reused; otherwise a resident without Telegram is registered (consent is taken by the
hotline operator on the call, as by staff placing an order in person). Phone alone never
matches: a family shares one number. Location: `address_id` (a building id from earlier
answers), `address_string` (3号楼2单元502), or `lat`/`long` (the nearest building, when
buildings have coordinates), in that order.

Status: submitted/open/claimed/in_progress are `open`; done/closed/rejected/cancelled are
`closed`; `status_notes` says which, in Chinese.
"""

from __future__ import annotations

import inspect
import math
import re
from datetime import UTC, datetime, timedelta
from typing import overload
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, or_, select

from community import clock, lifecycle, people, routing
from community.db import transaction
from community.errors import AddressQuestion, DomainError, NotFound
from community.models import Building, Community, Person, RequestKind, RequestState, Resident, ServiceCategory
from community.models import Request as ServiceRequestRow
from community.redaction import redact
from community.validation import normalize_phone, normalize_text
from web import auth, texts

ROOT = "/open311"
PREFIX = f"{ROOT}/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
router = APIRouter(tags=["Open311 GeoReport v2"])

OPEN_STATES = (RequestState.SUBMITTED, RequestState.OPEN, RequestState.CLAIMED, RequestState.IN_PROGRESS)
CLOSED_STATES = (RequestState.DONE, RequestState.CLOSED, RequestState.REJECTED, RequestState.CANCELLED)
WISH_CODE = "wish"  # the service code of 微心愿: never a category code (see services())
MEDIA_URL_MAX = 500
XML_TYPE = "text/xml; charset=utf-8"
FORMATS = ("xml", "json")


class Open311Error(Exception):
    def __init__(self, status: int, description: str, fmt: str = "json") -> None:
        super().__init__(description)
        self.status, self.description, self.fmt = status, description, fmt


# --- response models (they make the OpenAPI document describe the real JSON payloads) -----


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
    description: str = Field(description="Phone, door and ID numbers masked")
    agency_responsible: str | None = Field(description="The volunteer team (志愿服务队) or grid handling it")
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None = Field(description="When it is due to be done")
    address: str = Field(description="The building (no unit or room)")
    address_id: str | None = Field(description="The building's id; may be sent back as address_id")
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None = Field(description="Always null: media are shown to staff only")


class CreatedRequest(BaseModel):
    service_request_id: str
    service_notice: str
    account_id: str | None


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


def _xml_doc(description: str) -> dict:
    return {"content": {"text/xml": {"schema": {"type": "string"}}}, "description": description}


def _errors(fmt: str, *codes: int) -> dict:
    descriptions = {
        400: "A parameter is missing or invalid",
        403: "api_key missing (POST, or GET when public reading is off) or invalid",
        404: "Not found (service_code, service_request_id or jurisdiction_id)",
    }
    if fmt == "xml":
        return {code: _xml_doc(descriptions[code]) for code in codes}
    return {code: {"model": list[Error], "description": descriptions[code]} for code in codes}


API_KEY_DOC = "API key issued with `python -m web api-key --name …`; needed to POST, optional to read"
JURISDICTION_DOC = "The community's code; needed to read without a key when the server has several communities"


# --- XML in the spec's shape ---------------------------------------------------------------


# Characters XML 1.0 cannot carry at all (control characters a client may send us back).
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _xml_element(tag: str, value: object) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            element.append(_xml_element(key, inner))
    elif isinstance(value, list):  # <attributes><attribute>…, <formats><format>…
        child_tag = tag[:-1] if tag.endswith("s") else "item"
        for inner in value:
            element.append(_xml_element(child_tag, inner))
    else:
        element.text = _xml_value(value)
    return element


def xml_document(root: str, item: str | None, body: object) -> bytes:
    """`<root><item>…</item>…</root>` for lists, `<root>…</root>` for one object, with the
    XML declaration (UTF-8) the spec asks for."""
    element = ElementTree.Element(root)
    if item is None:
        for key, value in dict(body).items():  # type: ignore[call-overload]
            element.append(_xml_element(key, value))
    else:
        for entry in body:  # type: ignore[attr-defined]
            element.append(_xml_element(item, entry))
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def _respond(fmt: str, root: str, item: str | None, body, status: int = 200) -> Response:
    data = [b.model_dump() for b in body] if isinstance(body, list) else body.model_dump()
    if fmt == "xml":
        return Response(xml_document(root, item, data), status_code=status, media_type=XML_TYPE)
    return JSONResponse(data, status_code=status)


def error_response(fmt: str, status: int, description: str) -> Response:
    errors = [{"code": status, "description": description}]
    if fmt == "xml":
        return Response(xml_document("errors", "error", errors), status_code=status, media_type=XML_TYPE)
    return JSONResponse(errors, status_code=status)


def format_of(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


def validation_error_response(path: str, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    names = ", ".join(str(e.get("loc", ["?"])[-1]) for e in errors)
    if errors and all(e.get("type") == "missing" for e in errors):
        description = texts.O311_MISSING.format(name=names)
    else:
        problems = "; ".join(f"{e.get('loc', ['?'])[-1]}: {e.get('msg', '')}" for e in errors)
        description = texts.O311_INVALID.format(name=names, message=problems)
    return error_response(format_of(path), 400, description)


def fix_openapi(schema: dict) -> None:
    """FastAPI documents 422 for validation errors; this API answers 400 (see the handler)."""
    for path, item in schema.get("paths", {}).items():
        if not path.startswith(ROOT):
            continue
        for operation in item.values():
            operation.get("responses", {}).pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)


# --- helpers -------------------------------------------------------------------------------


def _reader_community(session, api_key: str | None, jurisdiction_id: str | None, fmt: str, public: bool) -> Community:
    """The community a GET reads: the key's, else jurisdiction_id's, else the only one."""
    if api_key:
        client = auth.check_api_key(session, api_key)
        if client is None:
            raise Open311Error(403, texts.O311_API_KEY_INVALID, fmt)
        community = session.get(Community, client.community_id)
        if jurisdiction_id not in (None, "") and jurisdiction_id != community.code:
            raise Open311Error(404, texts.O311_NOT_FOUND_JURISDICTION.format(code=jurisdiction_id), fmt)
        return community
    if not public:
        raise Open311Error(403, texts.O311_API_KEY_INVALID, fmt)
    if jurisdiction_id:
        community = session.scalar(select(Community).where(Community.code == jurisdiction_id))
        if community is None:
            raise Open311Error(404, texts.O311_NOT_FOUND_JURISDICTION.format(code=jurisdiction_id), fmt)
        return community
    found = session.scalars(select(Community).order_by(Community.id).limit(2)).all()
    if not found:
        raise Open311Error(404, texts.O311_NO_COMMUNITY, fmt)
    if len(found) > 1:
        raise Open311Error(400, texts.O311_NEED_JURISDICTION, fmt)
    return found[0]


@overload
def _w3c(dt: datetime, tz: str) -> str: ...
@overload
def _w3c(dt: datetime | None, tz: str) -> str | None: ...
def _w3c(dt: datetime | None, tz: str) -> str | None:
    return clock.to_local(dt, tz).isoformat(timespec="seconds") if dt else None


def _parse_w3c(value: str, tz: str, fmt: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(tz))
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise Open311Error(400, texts.O311_BAD_DATE, fmt) from None


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


WISH_SERVICE = Service(
    service_code=WISH_CODE,
    service_name=texts.KIND_NAMES["wish"],
    description=texts.O311_WISH_DESCRIPTION,
    metadata=False,
    type="realtime",
    keywords=texts.O311_WISH_KEYWORDS,
    group=texts.O311_GROUP,
)


def _categories(session, community_id: int) -> list[ServiceCategory]:
    return list(
        session.scalars(
            select(ServiceCategory)
            .where(
                ServiceCategory.community_id == community_id,
                ServiceCategory.active.is_(True),
                ServiceCategory.code != WISH_CODE,
            )
            .order_by(ServiceCategory.id)
        )
    )


def _as_open311(req: ServiceRequestRow, tz: str) -> ServiceRequest:
    """What anyone may read about a request: no names, phones, door numbers or media."""
    state = req.state.value
    notes = texts.O311_STATUS_NOTES[state].format(reason=redact(req.reason) if req.reason else texts.NONE_YET)
    agency = req.team.name if req.team else (req.grid.name if req.grid else None)
    is_wish = req.kind == RequestKind.WISH
    return ServiceRequest(
        service_request_id=str(req.id),
        status="open" if req.state in OPEN_STATES else "closed",
        status_notes=notes,
        service_name=req.category.name if req.category else texts.KIND_NAMES[req.kind.value],
        service_code=WISH_CODE if is_wish else (req.category.code if req.category else None),
        description=redact(req.description),
        agency_responsible=agency,
        service_notice=None,
        requested_datetime=_w3c(req.submitted_at, tz),
        updated_datetime=_w3c(req.updated_at or req.submitted_at, tz),
        expected_datetime=_w3c(req.due_at, tz),
        address=req.building.name if req.building else "",
        address_id=str(req.building_id) if req.building_id else None,
        zipcode=None,
        lat=None,
        long=None,
        media_url=None,
    )


# --- discovery -----------------------------------------------------------------------------


def _discovery(request: Request, fmt: str) -> Response:
    settings = request.app.state.settings
    base = settings.base_url
    changeset = texts.O311_CHANGESET
    body = Discovery(
        changeset=changeset,
        contact=settings.open311_contact or texts.O311_CONTACT,
        key_service=texts.O311_KEY_SERVICE,
        endpoints=[
            Endpoint(
                specification=SPECIFICATION,
                url=f"{base}{PREFIX}",
                changeset=changeset,
                type="production",
                formats=["text/xml", "application/json"],
            )
        ],
    )
    return _respond(fmt, "discovery", None, body)


@router.get(f"{ROOT}/discovery.json", response_model=Discovery, summary="Service discovery (JSON)")
@router.get(f"{PREFIX}/discovery.json", response_model=Discovery, include_in_schema=False)
def discovery_json(request: Request):
    return _discovery(request, "json")


@router.get(
    f"{ROOT}/discovery.xml",
    response_class=Response,
    responses={200: _xml_doc("The discovery document")},
    summary="Service discovery (XML)",
)
@router.get(f"{PREFIX}/discovery.xml", response_class=Response, include_in_schema=False)
def discovery_xml(request: Request):
    return _discovery(request, "xml")


# --- services ------------------------------------------------------------------------------


def _services(request: Request, fmt: str, api_key, jurisdiction_id) -> Response:
    public = request.app.state.settings.open311_public_read
    with request.app.state.factory() as s:
        community = _reader_community(s, api_key, jurisdiction_id, fmt, public)
        body = [_service(c) for c in _categories(s, community.id)] + [WISH_SERVICE]
    return _respond(fmt, "services", "service", body)


def _service_definition(request: Request, fmt: str, service_code: str, api_key, jurisdiction_id) -> Response:
    public = request.app.state.settings.open311_public_read
    with request.app.state.factory() as s:
        community = _reader_community(s, api_key, jurisdiction_id, fmt, public)
        codes = {c.code for c in _categories(s, community.id)} | {WISH_CODE}
    if service_code not in codes:
        raise Open311Error(404, texts.O311_NOT_FOUND_SERVICE.format(code=service_code), fmt)
    return _respond(fmt, "service_definition", None, ServiceDefinition(service_code=service_code, attributes=[]))


def _register_reads() -> None:
    """The GET endpoints, each as .json and .xml (same handler, its own documented type)."""
    for fmt in FORMATS:
        json_model = fmt == "json"

        def services(
            request: Request,
            api_key: str | None = Query(None, description=API_KEY_DOC),
            jurisdiction_id: str | None = Query(None, description=JURISDICTION_DOC),
            _fmt: str = fmt,
        ):
            return _services(request, _fmt, api_key, jurisdiction_id)

        def service_definition(
            request: Request,
            service_code: str,
            api_key: str | None = Query(None, description=API_KEY_DOC),
            jurisdiction_id: str | None = Query(None, description=JURISDICTION_DOC),
            _fmt: str = fmt,
        ):
            return _service_definition(request, _fmt, service_code, api_key, jurisdiction_id)

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
            _fmt: str = fmt,
        ):
            return _list_requests(
                request, _fmt, api_key, jurisdiction_id, service_request_id, service_code, start_date, end_date, status
            )

        def get_request(
            request: Request,
            service_request_id: str,
            api_key: str | None = Query(None, description=API_KEY_DOC),
            jurisdiction_id: str | None = Query(None, description=JURISDICTION_DOC),
            _fmt: str = fmt,
        ):
            return _get_request(request, _fmt, service_request_id, api_key, jurisdiction_id)

        for path, endpoint, model, summary, codes in (
            (
                "/services",
                services,
                list[Service],
                "Service list (the community's service menu and 微心愿)",
                (400, 403, 404),
            ),
            ("/services/{service_code}", service_definition, ServiceDefinition, "Service definition", (400, 403, 404)),
            ("/requests", list_requests, list[ServiceRequest], "Query service requests", (400, 403, 404)),
            (
                "/requests/{service_request_id}",
                get_request,
                list[ServiceRequest],
                "One service request",
                (400, 403, 404),
            ),
        ):
            for param in ("_fmt",):
                endpoint.__signature__ = _without(endpoint, param)  # type: ignore[union-attr]
            router.add_api_route(
                f"{PREFIX}{path}.{fmt}",
                endpoint,
                methods=["GET"],
                response_model=model if json_model else None,
                response_class=JSONResponse if json_model else Response,
                responses=({200: _xml_doc(summary)} if not json_model else {}) | _errors(fmt, *codes),
                summary=f"{summary} ({fmt.upper()})",
                name=f"{endpoint.__name__}_{fmt}",
            )


def _without(fn, name: str) -> inspect.Signature:
    """fn's signature without the parameter that fixes its format (FastAPI must not see it)."""
    signature = inspect.signature(fn)
    return signature.replace(parameters=[p for p in signature.parameters.values() if p.name != name])


# --- requests: read ------------------------------------------------------------------------


def _list_requests(
    request: Request, fmt: str, api_key, jurisdiction_id, service_request_id, service_code, start_date, end_date, status
) -> Response:
    settings = request.app.state.settings
    with request.app.state.factory() as s:
        community = _reader_community(s, api_key, jurisdiction_id, fmt, settings.open311_public_read)
        tz = community.timezone
        query = select(ServiceRequestRow).where(ServiceRequestRow.community_id == community.id)
        ids = _split(service_request_id)
        if ids:
            if not all(i.isascii() and i.isdigit() and len(i) < 10 for i in ids):
                raise Open311Error(400, texts.O311_BAD_ID, fmt)
            query = query.where(ServiceRequestRow.id.in_([int(i) for i in ids]))
        else:
            codes = _split(service_code)
            if codes:
                wanted: list[ColumnElement[bool]] = [
                    ServiceRequestRow.category_id.in_(select(ServiceCategory.id).where(ServiceCategory.code.in_(codes)))
                ]
                if WISH_CODE in codes:
                    wanted.append(ServiceRequestRow.kind == RequestKind.WISH)
                query = query.where(or_(*wanted))
            statuses = _split(status)
            if any(v not in ("open", "closed") for v in statuses):
                raise Open311Error(400, texts.O311_BAD_STATUS, fmt)
            if set(statuses) == {"open"}:
                query = query.where(ServiceRequestRow.state.in_(OPEN_STATES))
            elif set(statuses) == {"closed"}:
                query = query.where(ServiceRequestRow.state.in_(CLOSED_STATES))
            start = _parse_w3c(start_date, tz, fmt) if start_date else None
            end = _parse_w3c(end_date, tz, fmt) if end_date else None
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
        body = [_as_open311(r, tz) for r in rows]
    return _respond(fmt, "service_requests", "request", body)


def _get_request(request: Request, fmt: str, service_request_id: str, api_key, jurisdiction_id) -> Response:
    public = request.app.state.settings.open311_public_read
    with request.app.state.factory() as s:
        community = _reader_community(s, api_key, jurisdiction_id, fmt, public)
        not_found = Open311Error(404, texts.O311_NOT_FOUND_REQUEST.format(id=service_request_id[:20]), fmt)
        if not (service_request_id.isascii() and service_request_id.isdigit() and len(service_request_id) < 10):
            raise not_found
        req = s.get(ServiceRequestRow, int(service_request_id))
        if req is None or req.community_id != community.id:
            raise not_found
        body = [_as_open311(req, community.timezone)]
    return _respond(fmt, "service_requests", "request", body)


# --- requests: create ----------------------------------------------------------------------


def _coordinate(value: str | None, name: str, low: float, high: float, fmt: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and low <= number <= high):
        raise Open311Error(400, texts.O311_INVALID.format(name=name, message=texts.O311_BAD_COORDINATE), fmt)
    return number


def _location(s, community: Community, fmt: str, address_string, address_id, lat, long) -> str:
    """The address text to route by: address_id's building, address_string, or the building
    nearest to lat/long."""
    if address_id not in (None, ""):
        building = None
        if address_id.isascii() and address_id.isdigit() and len(address_id) < 10:
            building = s.get(Building, int(address_id))
        if building is None or building.community_id != community.id:
            raise Open311Error(
                400, texts.O311_INVALID.format(name="address_id", message=texts.O311_BAD_ADDRESS_ID), fmt
            )
        return building.name
    if normalize_text(address_string):
        return address_string
    latitude = _coordinate(lat, "lat", -90, 90, fmt)
    longitude = _coordinate(long, "long", -180, 180, fmt)
    if latitude is None or longitude is None:
        raise Open311Error(400, texts.O311_NEED_LOCATION, fmt)
    building_id = routing.nearest_building(s, community.id, latitude, longitude)
    if building_id is None:
        raise Open311Error(400, texts.O311_NO_NEAREST_BUILDING, fmt)
    return s.get(Building, building_id).name


def _media_url(value: str | None, fmt: str) -> str | None:
    url = (value or "").strip()
    if not url:
        return None
    if len(url) > MEDIA_URL_MAX or not url.lower().startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise Open311Error(400, texts.O311_INVALID.format(name="media_url", message=texts.O311_BAD_MEDIA_URL), fmt)
    return url


def _create(
    request: Request,
    fmt: str,
    *,
    api_key,
    jurisdiction_id,
    service_code,
    description,
    address_string,
    address_id,
    lat,
    long,
    phone,
    first_name,
    last_name,
    account_id,
    media_url,
) -> Response:
    factory = request.app.state.factory
    account = normalize_text(account_id)[:100] or None
    try:
        with transaction(factory) as s:
            client = auth.check_api_key(s, api_key)
            if client is None:
                raise Open311Error(403, texts.O311_API_KEY_INVALID, fmt)
            community = s.get_one(Community, client.community_id)
            if jurisdiction_id not in (None, "") and jurisdiction_id != community.code:
                raise Open311Error(404, texts.O311_NOT_FOUND_JURISDICTION.format(code=jurisdiction_id), fmt)
            for name, value in (("service_code", service_code), ("description", description)):
                if not normalize_text(value):
                    raise Open311Error(400, texts.O311_MISSING.format(name=name), fmt)
            is_wish = service_code == WISH_CODE
            category = None
            if not is_wish:
                category = next((c for c in _categories(s, community.id) if c.code == service_code), None)
                if category is None:
                    raise Open311Error(404, texts.O311_NOT_FOUND_SERVICE.format(code=service_code), fmt)
            if not normalize_text(phone):
                raise Open311Error(400, texts.O311_NEED_PHONE, fmt)
            media = _media_url(media_url, fmt)
            number = normalize_phone(phone)
            address_text = _location(s, community, fmt, address_string, address_id, lat, long)
            address = routing.resolve_address(s, community.id, address_text)
            resident = _resident_for(s, client, community, number, first_name, last_name, address)
            req = lifecycle.submit(
                s,
                client.actor,
                lifecycle.NewRequest(
                    kind=RequestKind.WISH if is_wish else RequestKind.SERVICE,
                    description=description,
                    category=category.code if category else None,
                    address=address_text,
                    phone=number,
                ),
                for_resident_id=resident.id,
            )
            req.media_url, req.open311_account_id = media, account
            auth.touch_api_key(s, client.key_id)
            request_id = req.id
    except lifecycle.Duplicate as exc:  # the hotline retried: answer with the request that exists
        request_id = exc.request_id
        with factory() as s:
            account = s.get(ServiceRequestRow, request_id).open311_account_id or account
    except AddressQuestion as exc:
        options = f"（{'、'.join(exc.options)}）" if exc.options else ""
        raise Open311Error(
            400, texts.O311_INVALID.format(name="address_string", message=exc.message + options), fmt
        ) from None
    except NotFound as exc:
        raise Open311Error(404, exc.message, fmt) from None
    except DomainError as exc:  # InvalidInput (phone, description), Forbidden ...
        raise Open311Error(403 if exc.code == "forbidden" else 400, exc.message, fmt) from None
    notice = texts.O311_WISH_NOTICE if service_code == WISH_CODE else texts.O311_NOTICE
    body = [CreatedRequest(service_request_id=str(request_id), service_notice=notice, account_id=account)]
    return _respond(fmt, "service_requests", "request", body, status=201)


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


def _register_create() -> None:
    for fmt in FORMATS:

        def create_request(
            request: Request,
            api_key: str | None = Form(None, description=API_KEY_DOC),
            jurisdiction_id: str | None = Form(None, description=JURISDICTION_DOC),
            service_code: str = Form(description="A code from services (`wish` for 微心愿)"),
            description: str = Form(description="What the resident needs"),
            address_string: str | None = Form(None, description="Building/unit/room, e.g. 3号楼2单元502"),
            address_id: str | None = Form(None, description="A building id (address_id from earlier answers)"),
            lat: str | None = Form(None, description="WGS84 latitude: the nearest building, with long"),
            long: str | None = Form(None, description="WGS84 longitude, with lat"),
            phone: str = Form(description="The resident's phone number (identifies the resident with the name)"),
            first_name: str | None = Form(None, description="Given name (名)"),
            last_name: str | None = Form(None, description="Family name (姓)"),
            email: str | None = Form(None, description="Accepted and ignored"),
            device_id: str | None = Form(None, description="Accepted and ignored"),
            account_id: str | None = Form(None, description="The caller's account id; kept and echoed back"),
            media_url: str | None = Form(None, description="A photo or page (http/https): shown to staff only"),
            _fmt: str = fmt,
        ):
            return _create(
                request,
                _fmt,
                api_key=api_key,
                jurisdiction_id=jurisdiction_id,
                service_code=service_code,
                description=description,
                address_string=address_string,
                address_id=address_id,
                lat=lat,
                long=long,
                phone=phone,
                first_name=first_name,
                last_name=last_name,
                account_id=account_id,
                media_url=media_url,
            )

        create_request.__signature__ = _without(create_request, "_fmt")  # type: ignore[attr-defined]
        json_model = fmt == "json"
        router.add_api_route(
            f"{PREFIX}/requests.{fmt}",
            create_request,
            methods=["POST"],
            status_code=201,
            response_model=list[CreatedRequest] if json_model else None,
            response_class=JSONResponse if json_model else Response,
            responses=({201: _xml_doc("The created request")} if not json_model else {}) | _errors(fmt, 400, 403, 404),
            summary=f"Create a service request, placed for the resident (代下单) ({fmt.upper()})",
            name=f"create_request_{fmt}",
        )


_register_reads()
_register_create()
