"""The dashboard in a real browser: headless Chromium (Debian's /usr/bin/chromium, installed
by `make browser`) driven by Playwright, against uvicorn serving the app on a free port and
a temporary SQLite database. A staff member logs in with a one-time link, filters a queue,
dispatches a request and sees the change in its history."""

import shutil
import socket
import threading
import time

import pytest
import uvicorn
from playwright import sync_api as playwright_api

from community import lifecycle
from community.actors import actor_for_person
from community.db import make_engine, session_factory, transaction, upgrade
from community.models import Person, Resident
from community.routing import invalidate_buildings
from tests.builders import build_world
from tests.web.conftest import SETTINGS
from web import auth
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
MISSING = f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)"


@pytest.fixture(autouse=True)
def chromium_installed():
    # `make test` installs it first, so missing means a broken setup: fail, never skip.
    if shutil.which(CHROMIUM) is None:
        pytest.fail(MISSING, pytrace=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    invalidate_buildings()
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        world = build_world(s)
        wang = actor_for_person(s, s.get(Resident, world.residents["王奶奶"].id).person)
        chen = actor_for_person(s, s.get(Resident, world.residents["陈大爷"].id).person)
        ids = {
            "g1": lifecycle.submit(
                s, wang, lifecycle.NewRequest(kind="service", description="厨房水管漏水", category="维修")
            ).id,
            "g2": lifecycle.submit(
                s, chen, lifecycle.NewRequest(kind="service", description="楼道灯泡坏了", category="维修")
            ).id,
        }
        token = auth.create_login_token(s, s.get(Person, world.staff.person_id), SETTINGS)
    port = _free_port()
    config = uvicorn.Config(create_app(factory, SETTINGS), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield {"base": f"http://127.0.0.1:{port}", "token": token, "ids": ids, "world": world}
    uv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    invalidate_buildings()


@pytest.fixture
def page():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(15000)
        yield context.new_page()
        browser.close()


def test_staff_log_in_filter_dispatch_and_see_the_history(server, page):
    base = server["base"]
    expect = playwright_api.expect

    # Not signed in: sent to the login page.
    page.goto(f"{base}/requests")
    assert page.url == f"{base}/login"
    expect(page.locator("main")).to_contain_text("一次性登录链接")

    # The one-time link from `python -m web login-link`.
    page.goto(f"{base}/login?token={server['token']}")
    page.click("#login")
    expect(page.locator("h2")).to_have_text("社区概况")
    expect(page.locator("header")).to_contain_text("李主任（幸福里社区）")
    expect(page.locator("#card-total")).to_have_text("2")

    # The queue, then filtered to the second grid.
    page.click("text=诉求列表")
    expect(page.locator("#requests tbody tr")).to_have_count(2)
    expect(page.locator("#requests")).to_contain_text("139****5678")  # masked in lists
    page.select_option("select[name=grid]", label="第二网格")
    page.click("#apply")
    expect(page.locator("#requests tbody tr")).to_have_count(1)
    expect(page.locator("#requests tbody tr")).to_contain_text("楼道灯泡坏了")
    expect(page.locator("#total")).to_contain_text("共 1 条")

    # Open it and dispatch it to a volunteer of that grid.
    page.click("#requests tbody tr >> text=楼道灯泡坏了")
    expect(page.locator("#state")).to_have_text("待接单")
    expect(page.locator("#phone")).to_have_text("13912345678")  # in full on the request's own page
    page.select_option("#volunteer-select", label="孙师傅（二网格维修队；在办 0/3）")
    page.click("#dispatch")
    expect(page.locator(".msg")).to_contain_text("已派单")
    expect(page.locator("#state")).to_have_text("已接单")
    expect(page.locator("#volunteer")).to_have_text("孙师傅")
    last = page.locator("#history tbody tr").last
    expect(last.locator(".action")).to_have_text("派单")
    expect(last).to_contain_text("李主任（社区工作人员）")
    expect(last.locator(".note")).to_have_text("孙师傅")

    # Back in the list the request shows who has it now.
    page.goto(f"{base}/requests?state=claimed")
    expect(page.locator("#requests tbody tr")).to_have_count(1)
    expect(page.locator("#requests tbody tr")).to_contain_text("孙师傅")

    # The link was single-use: a second browser cannot reuse it.
    page.context.clear_cookies()
    page.goto(f"{base}/login?token={server['token']}")
    page.click("#login")
    expect(page.locator(".err")).to_contain_text("登录链接无效")
