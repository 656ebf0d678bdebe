"""Certificates of service (志愿服务证明) on the web: anyone holding a certificate checks its
verification code at /certificates/verify (a school or employer has no account: the page
is public and shows only what the paper states); signed-in staff issue a volunteer's
certificate as a PDF at /certificates. What a certificate says and how codes are made is
`community.recognition`'s.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from community import recognition
from community.db import transaction
from community.errors import DomainError, NotFound
from community.models import Community, Person, Volunteer
from web import auth, texts
from web.dashboard import LoginRequired
from web.rendering import TEMPLATES, error_page

router = APIRouter(include_in_schema=False)


def _staff(request: Request) -> auth.StaffSession:
    with request.app.state.factory() as s:
        staff = auth.load_session(s, request.cookies.get(auth.COOKIE_NAME), request.app.state.settings)
    if staff is None:
        raise LoginRequired()
    return staff


@router.get("/certificates/verify", response_class=HTMLResponse)
def verify_page(request: Request, code: str = ""):
    """Public: the certificate a code belongs to, or a clear "not found" (404)."""
    shown = None
    if code.strip():
        with request.app.state.factory() as s:
            cert = recognition.verify(s, code)
            shown = recognition.view(s, cert) if cert is not None else None
    status = 404 if code.strip() and shown is None else 200
    return TEMPLATES.TemplateResponse(
        request,
        "certificate_verify.html",
        {"staff": None, "code": code.strip()[:40], "cert": shown, "searched": bool(code.strip())},
        status_code=status,
    )


def _volunteers(request: Request, community_id: int) -> list[tuple[int, str]]:
    with request.app.state.factory() as s:
        return [
            (vid, name)
            for vid, name in s.execute(
                select(Volunteer.id, Person.name)
                .join(Person, Person.id == Volunteer.person_id)
                .where(Person.community_id == community_id)
                .order_by(Person.name, Volunteer.id)
            )
        ]


def _issue_page(request: Request, staff: auth.StaffSession, error: str = "", status: int = 200) -> HTMLResponse:
    with request.app.state.factory() as s:
        community = s.get(Community, staff.community_id)
    return TEMPLATES.TemplateResponse(
        request,
        "certificates.html",
        {
            "staff": staff,
            "community": community,
            "volunteers": _volunteers(request, staff.community_id),
            "error": error,
        },
        status_code=status,
    )


@router.get("/certificates", response_class=HTMLResponse)
def issue_form(request: Request):
    return _issue_page(request, _staff(request))


@router.post("/certificates")
def issue(request: Request, csrf_token: str = Form(""), volunteer_id: str = Form(""), year: str = Form("")):
    """Staff issue a certificate for a volunteer of their own community: the PDF, at once."""
    staff = _staff(request)
    if not auth.csrf_ok(staff.csrf_token, csrf_token):
        return error_page(request, 403, texts.ERR_CSRF)
    if not volunteer_id.isdigit() or (year and not year.isdigit()):
        return _issue_page(request, staff, texts.CERT_PICK_VOLUNTEER, status=400)
    try:
        # The page is rendered after the transaction ends: on SQLite a second session inside
        # it would wait for the write lock this one holds.
        with transaction(request.app.state.factory) as s:
            volunteer = s.get(Volunteer, int(volunteer_id))
            if volunteer is None or volunteer.person.community_id != staff.community_id:
                raise NotFound(texts.CERT_PICK_VOLUNTEER)
            cert = recognition.issue_certificate(
                s, volunteer.id, year=int(year) if year else None, issued_by_person_id=staff.person_id
            )
            shown = recognition.view(s, cert)
    except NotFound as exc:
        return _issue_page(request, staff, exc.message, status=404)
    except DomainError as exc:
        return _issue_page(request, staff, exc.message, status=409)
    filename = texts.CERT_FILENAME.format(name=shown.name, code=shown.code)
    return Response(
        recognition.certificate_pdf(shown),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename=\"certificate.pdf\"; filename*=UTF-8''{quote(filename)}"
        },
    )
