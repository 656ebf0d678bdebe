"""Who gets in: one-time login links, signed expiring sessions, CSRF on every form, one
community per staff member, API keys."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from community import clock
from community.clock import FakeClock, use_clock
from community.db import transaction
from community.models import Request, RequestState, Staff, WebSession
from web import auth

PAGES = ["/", "/requests", "/requests/1", "/export", "/export/ledger.csv", "/export/ledger.xlsx"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_a_session(web, path):
    web.submit("王奶奶", "厨房水管漏水")
    response = web.client().get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "厨房水管漏水" not in response.text


def test_every_form_post_needs_a_session(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    client = web.client()
    for action in ("publish", "dispatch", "flag_urgent", "note", "complete_followup", "reject", "cancel", "edit"):
        response = client.post(f"/requests/{request_id}/{action}", data={"csrf_token": "x"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    with web.db.factory() as s:
        assert s.get(Request, request_id).priority == 0


def test_login_link_works_once_and_lands_on_the_dashboard(web):
    token = web.login_token()
    client = web.client()
    page = client.get(f"/login?token={token}")
    assert page.status_code == 200 and 'name="token"' in page.text  # a button to press, not a GET that logs in
    response = client.post("/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "李主任" in client.get("/").text

    again = web.client().post("/login", data={"token": token}, follow_redirects=False)
    assert again.status_code == 403
    assert "登录链接无效、已使用或已过期" in again.text
    assert auth.COOKIE_NAME not in again.headers.get("set-cookie", "")


def test_login_link_expires(web):
    fake = FakeClock(clock.now())
    with use_clock(fake):
        token = web.login_token()
        fake.advance(minutes=web.settings.web_login_token_minutes + 1)
        response = web.client().post("/login", data={"token": token}, follow_redirects=False)
    assert response.status_code == 403


def test_unknown_token_and_no_token_do_not_log_in(web):
    client = web.client()
    assert client.post("/login", data={"token": "made-up"}, follow_redirects=False).status_code == 403
    assert client.post("/login", data={}, follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_session_expires(web):
    fake = FakeClock(clock.now())
    with use_clock(fake):
        client = web.staff_client()
        assert client.get("/requests").status_code == 200
        fake.advance(hours=web.settings.web_session_hours, minutes=1)
        response = client.get("/requests", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_forged_or_tampered_cookie_is_refused(web):
    client = web.staff_client()
    value = client.cookies.get(auth.COOKIE_NAME)
    key, _, signature = value.rpartition(".")
    forged = web.client()
    forged.cookies.set(auth.COOKIE_NAME, key + "." + signature[::-1])
    assert forged.get("/", follow_redirects=False).status_code == 303
    unsigned = web.client()
    unsigned.cookies.set(auth.COOKIE_NAME, key)
    assert unsigned.get("/", follow_redirects=False).status_code == 303


def test_deactivated_staff_lose_their_session(web):
    client = web.staff_client()
    with transaction(web.db.factory) as s:
        s.scalar(select(Staff).where(Staff.id == web.world.staff.id)).active = False
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_revokes_the_session_and_needs_csrf(web):
    client = web.staff_client()
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/requests").status_code == 200
    with web.db.factory() as s:
        csrf = s.scalar(select(WebSession.csrf_token))
    stolen = client.cookies.get(auth.COOKIE_NAME)
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.headers["location"] == "/login?out=1"
    replay = web.client()
    replay.cookies.set(auth.COOKIE_NAME, stolen)
    assert replay.get("/", follow_redirects=False).status_code == 303


def _csrf(web) -> str:
    with web.db.factory() as s:
        return s.scalars(select(WebSession.csrf_token).order_by(WebSession.id.desc())).first()


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
def test_actions_without_the_right_csrf_token_change_nothing(web, token):
    request_id = web.submit("王奶奶", "想要一台收音机", kind="wish", category=None, item="收音机")
    client = web.staff_client()
    data = {} if token is None else {"csrf_token": token}
    response = client.post(f"/requests/{request_id}/publish", data=data)
    assert response.status_code == 403
    assert "页面已过期或来源不明" in response.text
    with web.db.factory() as s:
        assert s.get(Request, request_id).state == RequestState.SUBMITTED
    # the same form with the session's token works
    ok = client.post(f"/requests/{request_id}/publish", data={"csrf_token": _csrf(web)}, follow_redirects=False)
    assert ok.status_code == 303


def test_a_csrf_token_of_another_session_is_refused(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    web.staff_client()
    first_csrf = _csrf(web)
    second = web.staff_client()
    assert first_csrf != _csrf(web)
    response = second.post(f"/requests/{request_id}/flag_urgent", data={"csrf_token": first_csrf})
    assert response.status_code == 403


def test_staff_see_only_their_own_community(web, other_staff):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    outsider = web.staff_client(other_staff)
    assert "厨房水管漏水" not in outsider.get("/requests").text
    assert "共 0 条" in outsider.get("/requests").text
    assert outsider.get(f"/requests/{request_id}").status_code == 404
    with outsider as c:
        csrf = _csrf(web)
        response = c.post(f"/requests/{request_id}/flag_urgent", data={"csrf_token": csrf})
    assert response.status_code == 404
    with web.db.factory() as s:
        assert s.get(Request, request_id).priority == 0
    csv = outsider.get("/export/ledger.csv").text
    assert "厨房水管漏水" not in csv and "王奶奶" not in csv


def test_api_key_is_stored_hashed_and_can_be_revoked(web):
    key = web.api_key()
    with transaction(web.db.factory) as s:
        from community.models import ApiKey

        row = s.scalar(select(ApiKey))
        assert key not in (row.key_hash, row.name)
        assert auth.check_api_key(s, key).community_id == web.world.community.id
        row.revoked_at = clock.now() - timedelta(seconds=1)
    client = web.client()
    assert client.get("/open311/v2/services.json", params={"api_key": key}).status_code == 403
