"""What every dashboard page shares: who is signed in, rendering, CSRF, ids from URLs, and
what each viewer may see of residents' private data.

Staff see residents' phones and door numbers (in fields and in free text); grid leaders
who are not staff see their grids' requests with `community.redaction.redact` applied and
no phone at all, the rule the bot follows for everyone who is neither the claimer nor staff.
"""

from __future__ import annotations

from datetime import date, datetime

from fastapi import Request
from fastapi.responses import HTMLResponse

from community import clock
from community.errors import InvalidInput
from community.models import Community
from community.redaction import redact
from web import auth, texts
from web.rendering import TEMPLATES, error_page

MAX_ID_DIGITS = 9  # ids beyond this are not ours (and would overflow the database's integer)


class LoginRequired(Exception):
    pass


class StaffOnly(Exception):
    """A grid leader asked for a page that only staff may use."""


class SupervisorHome(Exception):
    """A district supervisor asked for a community page: theirs is /district."""


def current_user(request: Request) -> auth.StaffSession:
    cookie, settings = request.cookies.get(auth.COOKIE_NAME), request.app.state.settings
    with request.app.state.factory() as s:
        user = auth.load_session(s, cookie, settings)
        if user is None and auth.load_supervisor(s, cookie, settings) is not None:
            raise SupervisorHome()
    if user is None:
        raise LoginRequired()
    return user


def staff_user(request: Request) -> auth.StaffSession:
    user = current_user(request)
    if not user.is_staff:
        raise StaffOnly()
    return user


def community_of(request: Request, community_id: int) -> Community:
    with request.app.state.factory() as s:
        return s.get(Community, community_id)


def render(request: Request, name: str, user: auth.StaffSession | None, status: int = 200, **context) -> HTMLResponse:
    community = community_of(request, user.community_id) if user else None
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "staff": user,
            "community": community,
            "tz": community.timezone if community else "Asia/Shanghai",
            "shown": lambda text, cut=None: shown(user, text, cut),
            **context,
        },
        status_code=status,
    )


def csrf_refused(request: Request, user: auth.StaffSession | auth.SupervisorSession, token: str):
    """The error page when the form's CSRF token is not this session's, else None."""
    if not auth.csrf_ok(user.csrf_token, token):
        return error_page(request, 403, texts.ERR_CSRF)
    return None


def parse_id(value: str) -> int | None:
    """A database id from a URL or a form field; None for anything else (then: 404 or 400)."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_ID_DIGITS:  # "²".isdigit() is True
        return None
    return int(value)


def local_today(tz: str) -> date:
    return clock.to_local(clock.now(), tz).date()


def shown(user: auth.StaffSession | None, text: str | None, cut: int | None = None) -> str:
    """Free text as this viewer may see it: whole for staff, phone/door/ID numbers masked
    for everyone else; `cut` shortens it after masking (a number cut in half first would
    no longer look like one and escape the mask)."""
    if not text:
        return text or ""
    text = text if user is not None and user.is_staff else redact(text)
    return text if cut is None else text[:cut]


def utc_from_local_field(value: str, tz: str) -> datetime | None:
    """A datetime-local form field (the community's time) as naive UTC; '' means not given."""
    value = value.strip()
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(texts.ERR_BAD_TIME) from None
    return clock.from_local(local, tz)
