"""The information desk for staff on the web (/faq): the most asked questions residents put
to the desk that it could not answer, and what it answers today (faq.csv and the office's
columns of community.csv). Answers are added in the spreadsheet and loaded with `python -m
community load`: the spreadsheet stays the one place they are kept."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from community import faq
from community.models import Community
from web import auth
from web.dashboard import LoginRequired
from web.rendering import TEMPLATES

router = APIRouter(include_in_schema=False)
GAPS_SHOWN = 30


@router.get("/faq", response_class=HTMLResponse)
def faq_page(request: Request):
    with request.app.state.factory() as s:
        staff = auth.load_session(s, request.cookies.get(auth.COOKIE_NAME), request.app.state.settings)
        if staff is None:
            raise LoginRequired()
        community = s.get(Community, staff.community_id)
        gaps = faq.gaps(s, community, limit=GAPS_SHOWN)
        entries = faq.entries(s, community)
    return TEMPLATES.TemplateResponse(
        request,
        "faq.html",
        {
            "staff": staff,
            "community": community,
            "gaps": gaps,
            "entries": entries,
            "days": faq.GAP_WINDOW_DAYS,
            "tz": community.timezone,
        },
    )
