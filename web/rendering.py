"""The page templates and the error page, shared by the dashboard's routes and the app's
error handlers (so neither module imports the other)."""

from pathlib import Path

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from community import clock
from web import texts

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
TEMPLATES.env.globals["t"] = texts
TEMPLATES.env.filters["local"] = lambda dt, tz="Asia/Shanghai", fmt="%Y-%m-%d %H:%M": (
    clock.to_local(dt, tz).strftime(fmt) if dt else texts.NONE_YET
)


def error_page(request, status: int, message: str) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "error.html", {"message": message, "staff": None}, status_code=status)
