"""The dashboard as staff use it: queues and filters, a request's page, the actions (all
through community.lifecycle), charts and the ledger export."""

import csv
import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from community import clock, lifecycle
from community.actors import actor_for_person
from community.clock import FakeClock, use_clock
from community.db import transaction
from community.models import Event, Request, RequestKind, RequestState, Resident, Volunteer, WebSession
from web.queries import mask_phone


def _csrf(web) -> str:
    with web.db.factory() as s:
        return s.scalars(select(WebSession.csrf_token).order_by(WebSession.id.desc())).first()


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]


def _volunteer_actor(s, web, name):
    return actor_for_person(s, s.get(Volunteer, web.world.volunteers[name].id).person)


def _resident_actor(s, web, name):
    return actor_for_person(s, s.get(Resident, web.world.residents[name].id).person)


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("010-12345678") == "010****5678"
    assert mask_phone(None) == ""
    assert mask_phone("12345") == "****"


def test_list_masks_phones_and_the_request_page_shows_the_full_number(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    client = web.staff_client()
    listing = client.get("/requests").text
    row = listing.split(f'data-id="{request_id}"')[1].split("</tr>")[0]
    # Shown masked; staff may call it: the number is only in the tap-to-call link.
    assert ">139****5678<" in row and row.replace('href="tel:13912345678"', "").count("13912345678") == 0
    page = client.get(f"/requests/{request_id}").text
    assert "13912345678" in page


def test_queues_and_filters(web):
    wish = web.submit("王奶奶", "想要一台收音机", kind=RequestKind.WISH, category=None, item="收音机")
    repair_g1 = web.submit("王奶奶", "厨房水管漏水")
    repair_g2 = web.submit("陈大爷", "楼道灯泡坏了")
    elderly = web.submit("陈大爷", "陪我去医院复查", category="助老")
    client = web.staff_client()
    g1, g2 = web.world.grids["G1"].id, web.world.grids["G2"].id

    assert _ids(client.get("/requests?queue=review").text) == [wish]
    assert set(_ids(client.get("/requests?queue=unclaimed").text)) == {repair_g1, repair_g2, elderly}
    assert set(_ids(client.get(f"/requests?grid={g2}").text)) == {repair_g2, elderly}
    assert set(_ids(client.get(f"/requests?grid={g1}&state=open").text)) == {repair_g1}
    assert _ids(client.get(f"/requests?category={web.world.categories['elderly'].id}").text) == [elderly]
    assert _ids(client.get(f"/requests?team={web.world.teams['repair2'].id}").text) == [repair_g2]
    assert _ids(client.get("/requests?q=灯泡").text) == [repair_g2]
    assert set(_ids(client.get("/requests?q=陈大爷").text)) == {repair_g2, elderly}
    assert _ids(client.get("/requests", params={"q": f"#{wish}"}).text) == [wish]
    assert wish in _ids(client.get("/requests", params={"q": str(wish)}).text)
    assert "没有符合条件的诉求" in client.get("/requests?q=没有这个词").text
    assert client.get("/requests?q=100%25").status_code == 200  # LIKE wildcards are literal
    assert client.get("/requests?state=bogus").status_code == 400
    assert client.get("/requests?grid=abc").status_code == 400


def test_overdue_and_low_rating_filters(web):
    fake = FakeClock(clock.now())
    with use_clock(fake):
        stale = web.submit("王奶奶", "厨房水管漏水")
        fake.advance(hours=30)
        fresh = web.submit("陈大爷", "楼道灯泡坏了")
        done = web.submit("王奶奶", "修一下门锁")
        with transaction(web.db.factory) as s:
            lifecycle.claim(s, _volunteer_actor(s, web, "张师傅"), done)
            lifecycle.finish(s, _volunteer_actor(s, web, "张师傅"), done, hours=1)
            lifecycle.rate(s, _resident_actor(s, web, "王奶奶"), done, 1, "没修好")
        client = web.staff_client()
        overdue = client.get("/requests?overdue=1").text
        assert _ids(overdue) == [stale]
        assert "红色预警" in overdue
        assert _ids(client.get("/requests?queue=overdue").text) == [stale]
        low = client.get("/requests?low=1").text
        assert _ids(low) == [done] and "差评" in low and "待回访" in low
        assert fresh not in _ids(low)


def test_request_page_shows_history_rating_and_followups(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    with transaction(web.db.factory) as s:
        lifecycle.claim(s, _volunteer_actor(s, web, "张师傅"), request_id)
        lifecycle.finish(s, _volunteer_actor(s, web, "张师傅"), request_id, hours=2, note="换了新阀门")
        lifecycle.rate(s, _resident_actor(s, web, "王奶奶"), request_id, 2, "来得太晚")
    page = web.staff_client().get(f"/requests/{request_id}").text
    history = page[page.index('id="history"') :]
    for words in ("提交", "接单", "完成", "评价", "需要回访", "张师傅（志愿者）", "王奶奶（居民）", "换了新阀门"):
        assert words in history, words
    assert "2 星" in page and "来得太晚" in page
    assert "这条诉求需要回访" in page
    assert 'id="followups"' in page


def test_publish_and_reject_a_wish(web):
    first = web.submit("王奶奶", "想要一台收音机", kind=RequestKind.WISH, category=None, item="收音机")
    second = web.submit("陈大爷", "想要一部智能手机", kind=RequestKind.WISH, category=None, item="手机")
    client = web.staff_client()
    response = client.post(f"/requests/{first}/publish", data={"csrf_token": _csrf(web)})
    assert response.status_code == 200 and "已审核通过并发布" in response.text
    assert '<span id="state">待接单</span>' in response.text
    empty = client.post(f"/requests/{second}/reject", data={"csrf_token": _csrf(web), "reason": " "})
    assert empty.status_code == 400 and "请填写原因" in empty.text  # bad input: 400
    rejected = client.post(f"/requests/{second}/reject", data={"csrf_token": _csrf(web), "reason": "超出服务范围"})
    assert '<span id="state">未通过</span>' in rejected.text and "超出服务范围" in rejected.text
    again = client.post(f"/requests/{first}/publish", data={"csrf_token": _csrf(web)})
    assert again.status_code == 409 and "不能发布" in again.text  # the lifecycle's own message
    with web.db.factory() as s:
        actions = s.scalars(select(Event.action).where(Event.request_id == second)).all()
        assert actions == ["submit", "reject"]
        assert s.get(Request, first).state == RequestState.OPEN


def test_dispatch_and_reassign(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    zhang, liu = web.world.volunteers["张师傅"].id, web.world.volunteers["刘师傅"].id
    client = web.staff_client()
    page = client.get(f"/requests/{request_id}").text
    assert "张师傅（一网格维修队；在办 0/3）" in page
    done = client.post(f"/requests/{request_id}/dispatch", data={"csrf_token": _csrf(web), "volunteer_id": str(zhang)})
    assert '<dd id="volunteer">张师傅</dd>' in done.text and "已派单" in done.text
    moved = client.post(f"/requests/{request_id}/dispatch", data={"csrf_token": _csrf(web), "volunteer_id": str(liu)})
    assert '<dd id="volunteer">刘师傅</dd>' in moved.text
    assert "张师傅 → 刘师傅" in moved.text
    same = client.post(f"/requests/{request_id}/dispatch", data={"csrf_token": _csrf(web), "volunteer_id": str(liu)})
    assert same.status_code == 409 and "已经由刘师傅负责" in same.text
    none = client.post(f"/requests/{request_id}/dispatch", data={"csrf_token": _csrf(web), "volunteer_id": ""})
    assert none.status_code == 400 and "请选择一位志愿者" in none.text
    with web.db.factory() as s:
        assert s.get(Volunteer, zhang).active_load == 0 and s.get(Volunteer, liu).active_load == 1


def test_flag_urgent_shows_in_the_list(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    client = web.staff_client()
    page = client.post(f"/requests/{request_id}/flag_urgent", data={"csrf_token": _csrf(web)}).text
    assert 'id="urgent-flag"' in page and "已标记加急" in page and "取消加急" in page
    assert "加急" in client.get("/requests").text.split(f'data-id="{request_id}"')[1].split("</tr>")[0]
    page = client.post(f"/requests/{request_id}/unflag_urgent", data={"csrf_token": _csrf(web)}).text
    assert 'id="urgent-flag"' not in page


def test_followup_done_and_closed(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    with transaction(web.db.factory) as s:
        lifecycle.claim(s, _volunteer_actor(s, web, "张师傅"), request_id)
        lifecycle.finish(s, _volunteer_actor(s, web, "张师傅"), request_id, hours=1)
        lifecycle.reopen(s, _resident_actor(s, web, "王奶奶"), request_id, "还在漏")
        lifecycle.claim(s, _volunteer_actor(s, web, "刘师傅"), request_id)
        lifecycle.finish(s, _volunteer_actor(s, web, "刘师傅"), request_id, hours=1)
    client = web.staff_client()
    empty = client.post(f"/requests/{request_id}/complete_followup", data={"csrf_token": _csrf(web), "note": ""})
    assert empty.status_code == 400 and "请简单记录回访的情况" in empty.text
    page = client.post(
        f"/requests/{request_id}/complete_followup",
        data={"csrf_token": _csrf(web), "note": "电话回访，居民说已修好", "close": "1"},
    ).text
    assert "回访已记录，诉求已关闭" in page
    assert '<span id="state">已完结</span>' in page and "电话回访，居民说已修好" in page
    assert "这条诉求需要回访" not in page
    again = client.post(
        f"/requests/{request_id}/complete_followup", data={"csrf_token": _csrf(web), "note": "再打一次"}
    )
    assert again.status_code == 409 and "没有待回访的事项" in again.text


def test_staff_note_any_request_and_it_shows_in_the_history(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    client = web.staff_client()
    assert 'id="note"' in client.get(f"/requests/{request_id}").text
    page = client.post(f"/requests/{request_id}/note", data={"csrf_token": _csrf(web), "note": "居民下午在家"}).text
    assert "备注已添加" in page
    history = page[page.index('id="history"') :]
    assert "补充说明" in history and "居民下午在家" in history
    empty = client.post(f"/requests/{request_id}/note", data={"csrf_token": _csrf(web), "note": "  "})
    assert empty.status_code == 400  # the lifecycle's refusal, shown; nothing written
    with web.db.factory() as s:
        assert s.scalars(select(Event.note).where(Event.request_id == request_id, Event.action == "note")).all() == [
            "居民下午在家"
        ]


def test_unknown_action_and_request_are_not_found(web):
    client = web.staff_client()
    assert client.get("/requests/999").status_code == 404
    assert client.get("/requests/abc").status_code == 404
    assert client.post("/requests/1/delete", data={"csrf_token": _csrf(web)}).status_code == 404


def test_overview_counts_and_charts(web):
    fake = FakeClock(clock.now())
    with use_clock(fake):
        a = web.submit("王奶奶", "厨房水管漏水")
        web.submit("陈大爷", "楼道灯泡坏了")
        fake.advance(minutes=45)
        with transaction(web.db.factory) as s:
            lifecycle.claim(s, _volunteer_actor(s, web, "张师傅"), a)
            lifecycle.finish(s, _volunteer_actor(s, web, "张师傅"), a, hours=1)
            lifecycle.rate(s, _resident_actor(s, web, "王奶奶"), a, 5, "很好")
        page = web.staff_client().get("/?days=7").text
    assert '<div class="num" id="card-total">2</div>' in page
    assert "100.0%" in page  # one rated, satisfied
    per_day = page[page.index('id="chart-per-day"') : page.index('id="chart-claim"')]
    assert per_day.count('class="bar"') == 7 and 'data-value="2"' in per_day
    claim = page[page.index('id="chart-claim"') : page.index('id="chart-sat-grid"')]
    assert "30分钟–2小时：1" in claim
    sat_grid = page[page.index('id="chart-sat-grid"') : page.index('id="chart-sat-team"')]
    assert "第一网格：100.0%（1/1）" in sat_grid and 'class="target"' in sat_grid
    assert web.staff_client().get("/?days=0").status_code == 400


def test_satisfaction_below_target_is_marked(web):
    ids = [web.submit("王奶奶", f"修理第{i}处") for i in range(2)]
    with transaction(web.db.factory) as s:
        for request_id, score in zip(ids, (5, 2), strict=True):
            lifecycle.claim(s, _volunteer_actor(s, web, "张师傅"), request_id)
            lifecycle.finish(s, _volunteer_actor(s, web, "张师傅"), request_id, hours=1)
            lifecycle.rate(s, _resident_actor(s, web, "王奶奶"), request_id, score)
    page = web.staff_client().get("/").text
    team = page[page.index('id="chart-sat-team"') :]
    assert "一网格维修队：50.0%（1/2）" in team
    assert 'fill="#e67e22"' in team  # below the 95% target
    assert 'class="num below" id="card-satisfaction">50.0%' in page


def test_ledger_export_xlsx_and_csv(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    with transaction(web.db.factory) as s:
        lifecycle.claim(s, _volunteer_actor(s, web, "张师傅"), request_id)
        lifecycle.finish(s, _volunteer_actor(s, web, "张师傅"), request_id, hours=2)
        lifecycle.rate(s, _resident_actor(s, web, "王奶奶"), request_id, 5, "师傅很细心")
    client = web.staff_client()
    assert "导出 Excel" in client.get("/export").text
    today = clock.to_local(clock.now()).date()
    period = {"start": (today - timedelta(days=1)).isoformat(), "end": today.isoformat()}
    response = client.get("/export/ledger.xlsx", params=period)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    ledger = list(book["台账"].values)
    assert ledger[0][0] == "编号" and ledger[1][0] == request_id
    row = dict(zip(ledger[0], ledger[1], strict=True))
    assert (
        row["志愿者"] == "张师傅"
        and row["服务时长（小时）"] == 2
        and row["评分"] == 5
        and row["评价内容"] == "师傅很细心"
    )
    assert row["接单时间"] is not None and row["完成时间"] is not None
    totals = list(book["志愿者时长"].values)
    assert totals[1][0] == "张师傅" and totals[1][2] == "一网格维修队" and totals[1][4] == 2 and totals[1][5] == 20

    text = client.get("/export/ledger.csv", params=period).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == str(request_id) and "师傅很细心" in rows[1]
    earlier = {"start": (today - timedelta(days=10)).isoformat(), "end": (today - timedelta(days=5)).isoformat()}
    assert (
        len(list(csv.reader(io.StringIO(client.get("/export/ledger.csv", params=earlier).content.decode("utf-8-sig")))))
        == 1
    )
    bad = client.get("/export/ledger.csv", params={"start": "2026-13-01", "end": "x"})
    assert bad.status_code == 400 and "日期格式不正确" in bad.text
    backwards = client.get("/export/ledger.xlsx", params={"start": "2026-11-20", "end": "2026-11-01"})
    assert backwards.status_code == 400 and "结束日期需要晚于开始日期" in backwards.text


def test_cli_web_login_and_api_key(tmp_path, monkeypatch):
    """The admin CLI prints a login link and an API key that work against the same database."""
    from typer.testing import CliRunner

    from community.db import make_engine, session_factory, upgrade
    from community.settings import get_settings
    from tests.builders import build_world
    from tests.web.conftest import SETTINGS
    from web import cli
    from web.app import create_app

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)  # the CLI upgrades the schema with the migrations, so start from them
    factory = session_factory(engine)
    with transaction(factory) as s:
        build_world(s)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        unknown = runner.invoke(cli.app, ["login-link", "--phone", "13811110000"])
        assert unknown.exit_code == 1 and "没有手机号为 13811110000 的在职社区工作人员" in unknown.output
        result = runner.invoke(cli.app, ["login-link", "--phone", "13700000000"])
        assert result.exit_code == 0, result.output
        link = re.search(r"http://127\.0\.0\.1:8000/login\?token=(\S+)", result.output)
        assert link
        app = create_app(factory, SETTINGS)
        from fastapi.testclient import TestClient

        client = TestClient(app)
        assert client.post("/login", data={"token": link.group(1)}, follow_redirects=False).status_code == 303
        assert "李主任" in client.get("/").text

        key_out = runner.invoke(cli.app, ["api-key", "--name", "12345热线"])
        assert key_out.exit_code == 0, key_out.output
        key = re.search(r"^(nx_\S+)$", key_out.output, re.M).group(1)
        services = TestClient(app).get("/open311/v2/services.json", params={"api_key": key})
        assert services.status_code == 200 and {s["service_code"] for s in services.json()} >= {"repair", "elderly"}
    finally:
        get_settings.cache_clear()
        engine.dispose()


def test_production_needs_a_secret_key():
    import pytest

    from web.config import WebSettings

    with pytest.raises(RuntimeError, match="WEB_SECRET_KEY"):
        WebSettings(web_env="production", web_secret_key="").secret_key()
    assert WebSettings(web_env="production", web_secret_key="k" * 40).secret_key() == "k" * 40


def test_dispatch_choices_are_the_volunteers_who_can_take_it(web):
    request_id = web.submit("陈大爷", "楼道灯泡坏了")  # building 4, grid G2
    with transaction(web.db.factory) as s:
        s.get(Volunteer, web.world.volunteers["刘师傅"].id).available = False
    page = web.staff_client().get(f"/requests/{request_id}").text
    select_html = page[page.index('id="volunteer-select"') : page.index("</select>")]
    names = re.findall(r">(\S+?)（", select_html)
    assert names[0] == "孙师傅"  # the grid's repair volunteer first
    assert "刘师傅" not in names  # paused: lifecycle.dispatch would refuse him anyway
    assert "张师傅" in names


def test_pages_are_not_cached_or_framed(web):
    response = web.staff_client().get("/requests")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert web.client().get("/login?token=abc").headers["referrer-policy"] == "no-referrer"
