"""`python -m web`: serve the staff dashboard and the Open311 API, and the web's own admin
commands (one-time login links, Open311 API keys). They live here, not in the core's CLI,
because they are the web layer's business: `community/` never imports `web`."""

from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import select

from community.db import make_engine, session_factory, transaction, upgrade
from community.errors import DomainError
from community.models import Person, Staff
from community.validation import normalize_phone
from web import auth, texts
from web.config import get_web_settings

app = typer.Typer(
    help="暖心 web: the staff dashboard, the Open311 API, login links and API keys.",
    add_completion=False,
    invoke_without_command=True,
)
console = Console(soft_wrap=True)  # long lines stay whole (piped output, tests)


def _factory():
    engine = make_engine()
    upgrade(engine)
    return session_factory(engine)


def _fail(message: str) -> NoReturn:
    console.print(f"[bold red]✗[/] {message}")
    raise typer.Exit(1)


def _member_person(s, phone: str) -> Person | None:
    """Staff, a grid leader or a district supervisor with this phone number: who may sign in."""
    return auth.member_by_phone(s, normalize_phone(phone))


def _staff_person(s, phone: str | None) -> Person | None:
    query = select(Person).join(Staff, Staff.person_id == Person.id).where(Staff.active.is_(True)).order_by(Staff.id)
    if phone:
        query = query.where(Person.phone == normalize_phone(phone))
    return s.scalars(query).first()


@app.callback()
def main(ctx: typer.Context) -> None:
    """Without a command: serve the dashboard and the Open311 API (WEB_HOST:WEB_PORT)."""
    if ctx.invoked_subcommand is None:
        serve()


@app.command()
def serve() -> None:
    """Serve the staff dashboard and the Open311 API on WEB_HOST:WEB_PORT (default 127.0.0.1:8000)."""
    import uvicorn

    from web.app import create_app

    settings = get_web_settings()
    try:
        web_app = create_app(settings=settings)
    except RuntimeError as exc:  # e.g. production without WEB_SECRET_KEY: say what to set, no traceback
        raise SystemExit(f"nuanxin web: {exc}") from None
    uvicorn.run(web_app, host=settings.web_host, port=settings.web_port, log_level="info")


@app.command("login-link")
def login_link(
    phone: str = typer.Option(..., help="The staff member's, grid leader's or district supervisor's phone number"),
) -> None:
    """Print a one-time login link for the web (valid for a few minutes): staff, a grid leader, or a supervisor
    (who sees the read-only /district page)."""
    settings = get_web_settings()
    try:
        with transaction(_factory()) as s:
            person = _member_person(s, phone)
            if person is None:
                _fail(texts.CLI_NO_STAFF_PHONE.format(phone=phone))
            token = auth.create_login_token(s, person, settings)
    except DomainError as exc:
        _fail(exc.message)
    console.print(texts.CLI_WEB_LOGIN.format(name=person.name, minutes=settings.web_login_token_minutes))
    print(f"{settings.base_url}/login?token={token}")


@app.command("api-key")
def api_key(
    name: str = typer.Option(..., help="Who uses the key, e.g. 12345热线"),
    staff_phone: str = typer.Option(None, help="Staff member in whose name requests are placed (default: the first)"),
) -> None:
    """Issue an Open311 API key (shown once; only its hash is stored)."""
    try:
        with transaction(_factory()) as s:
            person = _staff_person(s, staff_phone)
            if person is None:
                _fail(texts.CLI_NO_STAFF)
            key = auth.create_api_key(s, person.community_id, name, person)
    except DomainError as exc:
        _fail(exc.message)
    console.print(texts.CLI_API_KEY.format(name=name, staff=person.name))
    print(key)
