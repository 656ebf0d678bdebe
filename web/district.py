"""/district: a district supervisor's (督查) read-only overview on the web, the same rows
as the chat's /district (`community.district.overview` and `row_cells`) and the week's
automatic warnings. Only an active supervisor sees it: staff and grid leaders get a polite
403, anyone not signed in the login page. Nothing on it names a resident."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from community import district
from community import texts as core
from web import auth, texts
from web.rendering import TEMPLATES, error_page

router = APIRouter(include_in_schema=False)
MAX_DAYS = 90


@router.get("/district")
def district_page(request: Request, days: str = ""):
    cookie, settings = request.cookies.get(auth.COOKIE_NAME), request.app.state.settings
    with request.app.state.factory() as s:
        supervisor = auth.load_supervisor(s, cookie, settings)
        if supervisor is None:
            if auth.load_session(s, cookie, settings) is not None:
                return error_page(request, 403, core.ERR_NOT_SUPERVISOR)
            return RedirectResponse("/login", status_code=303)
        period = district.WARNING_DAYS
        if days:
            if not (days.isascii() and days.isdigit() and len(days) <= 2 and 1 <= int(days) <= MAX_DAYS):
                return error_page(request, 400, texts.ERR_DISTRICT_DAYS)
            period = int(days)
        view = district.overview(s, supervisor.actor, days=period)
        rows = [(district.row_cells(r), r.below_satisfaction or r.slow_claims) for r in view.rows]
        warnings = [
            (
                w.day.strftime("%Y-%m-%d"),
                view.community_names.get(w.community_id, ""),
                district.warning_text(
                    view.community_names.get(w.community_id, ""), w.kind, w.value, w.target, w.samples
                ),
            )
            for w in view.warnings
        ]
        return TEMPLATES.TemplateResponse(
            request,
            "district.html",
            {
                "staff": None,
                "supervisor": supervisor,
                "district_name": view.district.name,
                "days": view.days,
                "warning_days": district.WARNING_DAYS,
                "columns": core.DISTRICT_COLUMNS,
                "rows": rows,
                "warned": sum(1 for _, flagged in rows if flagged),
                "warnings": warnings,
            },
        )
