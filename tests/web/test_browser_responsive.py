"""Every dashboard page in headless Chromium at a phone's 390 px and a desktop's 1366 px: no
horizontal overflow (document.documentElement.scrollWidth <= innerWidth), a screenshot of
each saved and checked, chart text readable and inside its drawing; and on the phone a
staff member publishes, dispatches and calls from the list."""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright import sync_api as playwright_api

from community import lifecycle, people
from community.actors import actor_for_person
from community.db import make_engine, session_factory, transaction, upgrade
from community.models import Community, Person, Resident, Volunteer
from community.routing import invalidate_buildings
from tests.builders import build_world
from tests.web.conftest import SETTINGS, live_server
from web import auth

CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = {"phone": (390, 844), "desktop": (1366, 900)}
MIN_SCREENSHOT_BYTES = 8_000  # a blank or failed page is a few hundred bytes
MIN_CHART_TEXT_PX = 10


@pytest.fixture(autouse=True)
def chromium_installed():
    if shutil.which(CHROMIUM) is None:  # `make test` installs it: missing is a broken setup
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`", pytrace=False)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("NUANXIN_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def site(tmp_path):
    """A community with a day's work in it, served by uvicorn on a free port."""
    invalidate_buildings()
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        world = build_world(s)

        wang = actor_for_person(s, s.get(Resident, world.residents["王奶奶"].id).person)
        chen = actor_for_person(s, s.get(Resident, world.residents["陈大爷"].id).person)
        staff = actor_for_person(s, s.get(Person, world.staff.person_id), channel="web")
        zhang = actor_for_person(s, s.get(Volunteer, world.volunteers["张师傅"].id).person)
        ids = {}
        ids["wish"] = lifecycle.submit(
            s, wang, lifecycle.NewRequest(kind="wish", description="想要一台收音机，听听戏", item="收音机")
        ).id
        ids["open"] = lifecycle.submit(
            s, chen, lifecycle.NewRequest(kind="service", description="楼道灯泡坏了，晚上看不见路", category="维修")
        ).id
        for i in range(12):
            lifecycle.submit(
                s,
                wang if i % 2 else chen,
                lifecycle.NewRequest(
                    kind="service", description=f"第{i}件：厨房水龙头一直滴水，想请师傅来看看", category="维修"
                ),
            )
        ids["done"] = lifecycle.submit(
            s, wang, lifecycle.NewRequest(kind="service", description="修一下门锁", category="维修")
        ).id
        lifecycle.claim(s, zhang, ids["done"])
        lifecycle.finish(s, zhang, ids["done"], hours=1.5, note="换了锁芯")
        lifecycle.rate(s, wang, ids["done"], 5, "师傅很细心")
        community = s.get(Community, world.community.id)
        ids["resident"] = people.register_resident(
            s,
            community,
            "周奶奶",
            phone="13655559876",
            building_id=world.buildings[2].id,
            unit=1,
            room="301",
            consent=True,
            registered_by=staff,
        ).id
        auth.create_api_key(s, community.id, "12345热线", s.get(Person, world.staff.person_id))
        tokens = [auth.create_login_token(s, s.get(Person, world.staff.person_id), SETTINGS) for _ in VIEWPORTS]
        leader_tokens = [auth.create_login_token(s, world.leaders["G1"], SETTINGS) for _ in VIEWPORTS]
    with live_server(factory) as base:
        yield {"base": base, "ids": ids, "world": world, "tokens": tokens, "leader_tokens": leader_tokens}
    engine.dispose()
    invalidate_buildings()


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _page(browser, size):
    context = browser.new_context(locale="zh-CN", viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(20000)
    return context.new_page()


def _login(page, base, token):
    page.goto(f"{base}/login?token={token}")
    page.click("#login")
    playwright_api.expect(page.locator("h2")).to_have_text("社区概况")


def _check(page, shots: Path, name: str) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right
            > window.innerWidth + 0.5).slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' '
            + Math.round(e.getBoundingClientRect().right))"""
    )
    assert width[0] <= width[1], f"{name}: {width[0]} px wide in a {width[1]} px window: {wide}"
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.exists() and path.stat().st_size > MIN_SCREENSHOT_BYTES, name


def _pages(site) -> dict[str, str]:
    ids, world = site["ids"], site["world"]
    return {
        "overview": "/",
        "overview-grid": f"/?grid={world.grids['G1'].id}&days=7",
        "requests": "/requests",
        "queue-review": "/requests?queue=review",
        "queue-unclaimed": "/requests?queue=unclaimed",
        "search": "/requests?q=5678",
        "request-open": f"/requests/{ids['open']}",
        "request-done": f"/requests/{ids['done']}",
        "order-find": "/orders/new?q=周",
        "order-form": f"/orders/new?resident={ids['resident']}",
        "volunteers": "/volunteers",
        "volunteer": f"/volunteers/{world.volunteers['张师傅'].id}",
        "residents": "/residents",
        "resident": f"/residents/{ids['resident']}",
        "staff": "/staff",
        "api-keys": "/api-keys",
        "invites": "/invites",
        "audit": "/audit",
        "export": "/export",
        "not-found": "/requests/99999999999999999999",
    }


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_every_page_fits_the_screen_and_is_photographed(site, browser, shots, device):
    index = list(VIEWPORTS).index(device)
    page = _page(browser, VIEWPORTS[device])
    page.goto(f"{site['base']}/login")
    _check(page, shots, f"{device}-login")
    _login(page, site["base"], site["tokens"][index])
    for name, path in _pages(site).items():
        page.goto(site["base"] + path)
        _check(page, shots, f"{device}-{name}")
    # A grid leader's pages too.
    leader = _page(browser, VIEWPORTS[device])
    _login(leader, site["base"], site["leader_tokens"][index])
    for name in ("requests", "request-open", "volunteers", "overview"):
        path = _pages(site)[name]
        if name == "request-open":
            path = f"/requests/{site['ids']['done']}"  # 王奶奶's, in the leader's grid G1
        leader.goto(site["base"] + path)
        _check(leader, shots, f"{device}-leader-{name}")


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_charts_are_readable_and_nothing_is_cut_off(site, browser, device):
    page = _page(browser, VIEWPORTS[device])
    _login(page, site["base"], site["tokens"][list(VIEWPORTS).index(device)])
    page.goto(f"{site['base']}/?days=30")
    texts = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart text')].map(t => {
            const box = t.getBBox(), view = t.ownerSVGElement.viewBox.baseVal;
            return {text: t.textContent, px: t.getBoundingClientRect().height,
                    left: box.x, right: box.x + box.width, width: view.width};
        })"""
    )
    assert texts, "no chart text"
    assert any("100.0%（1/1）" in t["text"] for t in texts)
    for t in texts:
        assert t["px"] >= MIN_CHART_TEXT_PX, t
        assert t["left"] >= -0.5 and t["right"] <= t["width"] + 0.5, t  # inside the drawing


def test_on_a_phone_staff_publish_dispatch_and_call_from_the_list(site, browser, shots):
    expect = playwright_api.expect
    page = _page(browser, VIEWPORTS["phone"])
    base, ids = site["base"], site["ids"]
    _login(page, base, site["tokens"][0])

    page.goto(f"{base}/requests?queue=review")
    card = page.locator(f'#requests tr[data-id="{ids["wish"]}"]')
    expect(card).to_be_visible()
    assert card.bounding_box()["width"] <= 390
    expect(card).to_contain_text("收音机")
    card.locator("button.publish").click()
    expect(page.locator(".msg")).to_contain_text("已审核通过并发布")
    expect(page.locator("#state")).to_have_text("待接单")

    page.goto(f"{base}/requests?queue=unclaimed&q=楼道灯泡")
    card = page.locator(f'#requests tr[data-id="{ids["open"]}"]')
    expect(card).to_contain_text("待接单")
    call = card.locator("a.tel.button")
    expect(call).to_be_visible()
    assert call.get_attribute("href") == "tel:13912345678"
    box = call.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # reachable with a thumb, on screen
    _check(page, shots, "phone-card-before-dispatch")
    card.locator("select[name=volunteer_id]").select_option(index=1)
    card.locator("button.dispatch").click()
    expect(page.locator(".msg")).to_contain_text("已派单")
    expect(page.locator("#state")).to_have_text("已接单")
    assert re.fullmatch(r"\S+", page.locator("#volunteer").inner_text())
