"""The district supervisor (督查) on the web, on SQLite and PostgreSQL: signed in with a
login link from the web CLI, they see /district, every community of their district with the
same rows as the chat's /district and the week's automatic warnings, and no community page
and no resident's phone or door number; staff get a polite 403, strangers the login page.
At a phone's 390 px the page fits the screen."""

import re
import shutil
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from community import clock, district, followup_runner, lifecycle
from community import texts as core
from community.actors import actor_for_person
from community.db import make_engine, session_factory, transaction, upgrade
from community.lifecycle import NewRequest
from community.models import Person, RequestKind, Staff, Supervisor
from community.settings import get_settings
from tests.district_world import SUPERVISOR_PHONE, community, load_sample
from tests.test_district import CHECK_DAY, _served_week
from tests.web.conftest import SETTINGS, live_server
from web import auth, cli
from web.app import create_app

NOW = CHECK_DAY + timedelta(hours=1)
PRIVATE = ("13912345678", "502", "居民C01")  # the C01 resident's phone, door and name


class Street:
    def __init__(self, factory, url):
        self.factory, self.url = factory, url
        self.app = create_app(factory, SETTINGS)

    def token(self, person: Person) -> str:
        with transaction(self.factory) as s:
            return auth.create_login_token(s, s.get(Person, person.id), SETTINGS)

    def signed_in(self, token: str) -> tuple[TestClient, str]:
        client = TestClient(self.app)
        response = client.post("/login", data={"token": token}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return client, response.headers["location"]


@pytest.fixture
def street(db_url, tmp_path):
    engine = make_engine(db_url)
    upgrade(engine)  # as the web CLI does
    factory = session_factory(engine)
    load_sample(factory, tmp_path, count=3, supervisor_telegram=None)

    class Db:  # what _served_week takes
        pass

    db = Db()
    db.factory = factory
    _served_week(db)
    district.ensure_checks(factory, now=CHECK_DAY - timedelta(hours=2))
    with clock.use_clock(lambda: CHECK_DAY):
        followup_runner.run_due(factory, now=CHECK_DAY)  # C01 and C02 get their warning
    with clock.use_clock(lambda: NOW), transaction(factory) as s:
        res = s.scalar(select(Person).where(Person.telegram_id == 771001))
        lifecycle.submit(
            s,
            actor_for_person(s, res),
            NewRequest(kind=RequestKind.SERVICE, description="电话13912345678，3号楼2单元502，灯坏了", category="维修"),
        )
    with clock.use_clock(lambda: NOW):
        yield Street(factory, db_url)
    engine.dispose()


def _person(street, model, code: str | None = None) -> Person:
    with street.factory() as s:
        query = select(Person).join(model, model.person_id == Person.id).order_by(Person.id)
        if code:
            query = query.where(Person.community_id == community(s, code).id)
        return s.scalars(query).first()


def test_the_supervisor_signs_in_from_the_cli_and_sees_the_district(street, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", street.url)
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(cli.app, ["login-link", "--phone", SUPERVISOR_PHONE])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    token = re.search(r"/login\?token=(\S+)", out.output).group(1)
    client, landing = street.signed_in(token)
    assert landing == "/district"

    page = client.get("/district")
    assert page.status_code == 200
    html = page.text
    assert "和平街道 各社区概况" in html and "共 3 个社区，2 个社区需关注" in html
    # The same rows as the chat's /district.
    with street.factory() as s:
        sup = actor_for_person(s, s.scalar(select(Supervisor)).person)
        view = district.overview(s, sup)
    for row in view.rows:
        for cell in district.row_cells(row):
            assert f">{cell}<" in html, cell
    assert "33%（3 条）" in html and "满意率低" in html and "接单慢" in html
    # The week's warnings, both of them.
    assert "近 7 天自动预警" in html
    assert "【自动预警】幸福里社区" in html and "【自动预警】和谐家园社区" in html
    for private in PRIVATE:
        assert private not in html

    # Read-only, and nothing of a community: every community page sends them back to /district.
    for path in ("/", "/requests", "/residents", "/volunteers", "/orders/new", "/export"):
        response = client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers.get("location")) == (303, "/district"), path
    assert client.get("/district?days=30").status_code == 200
    bad = client.get("/district?days=abc")
    assert bad.status_code == 400 and "统计天数应为 1 到 90 之间的整数" in bad.text

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/district", follow_redirects=False).headers["location"] == "/login"


def test_staff_are_refused_politely_and_strangers_sent_to_sign_in(street):
    staff, _ = street.signed_in(street.token(_person(street, Staff, "C01")))
    refused = staff.get("/district")
    assert refused.status_code == 403 and core.ERR_NOT_SUPERVISOR in refused.text
    assert "各社区概况" not in refused.text
    assert staff.get("/").status_code == 200  # their own dashboard is unchanged

    anonymous = TestClient(street.app).get("/district", follow_redirects=False)
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login")
    forged = TestClient(street.app, cookies={auth.COOKIE_NAME: "forged.value"}).get("/district", follow_redirects=False)
    assert forged.headers["location"] == "/login"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_district_page_fits_a_phone(street):
    if shutil.which("/usr/bin/chromium") is None:
        pytest.fail("/usr/bin/chromium is missing: run `make browser`", pytrace=False)
    from playwright import sync_api as playwright_api

    token = street.token(_person(street, Supervisor))
    with live_server(street.factory) as base, playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
        try:
            page = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
            page.goto(f"{base}/login?token={token}")
            page.click("#login")
            playwright_api.expect(page.locator("h2")).to_have_text("和平街道 各社区概况")
            width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], width
            assert page.get_by_text("【自动预警】幸福里社区").is_visible()
        finally:
            chromium.close()
