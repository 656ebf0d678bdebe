"""The workbench through HTTP as staff and grid leaders use it: a 300-request backlog in the
right order with counts on every tab, phone search, sorting, bulk actions, the actions a
request offers (from lifecycle.allowed_actions), 代下单, the directories, offboarding, API
keys, invites, the audit page, and a grid leader's scope."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community import clock, lifecycle, people
from community.actors import actor_for_person
from community.clock import FakeClock, use_clock
from community.db import transaction
from community.models import (
    ApiKey,
    AuditEntry,
    Event,
    OutboxMessage,
    Person,
    Request,
    RequestKind,
    RequestState,
    Resident,
    ServiceCategory,
    Staff,
    Volunteer,
    VolunteerTeam,
)
from tests.builders import add_volunteer
from web import auth


def _csrf(client) -> str:
    page = client.get("/requests").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', html)]


def _actor(s, web, name):
    person = s.scalar(select(Person).where(Person.name == name))
    return actor_for_person(s, person)


def _resident(web, name, phone, building=1):
    with transaction(web.db.factory) as s:
        community = s.get(type(web.world.community), web.world.community.id)
        return people.register_resident(
            s,
            community,
            name,
            phone=phone,
            building_id=web.world.buildings[building].id,
            unit=1,
            room="301",
            consent=True,
        ).id


def _order_for(web, resident_id, text, kind=RequestKind.SERVICE, category="维修"):
    with transaction(web.db.factory) as s:
        return lifecycle.submit(
            s,
            web.staff_actor(s),
            lifecycle.NewRequest(kind=kind, description=text, category=category),
            for_resident_id=resident_id,
        ).id


@pytest.fixture
def backlog(web):
    """310 open requests: 60 published 30 hours ago (red-flagged), then 250 fresh ones."""
    fake = FakeClock(clock.now() - timedelta(hours=30))
    names = ["王奶奶", "陈大爷"]
    old, new = [], []
    with use_clock(fake):
        for batch, target, count in ((0, old, 60), (1, new, 250)):
            if batch:
                fake.advance(hours=30)
            for start in range(0, count, 50):
                with transaction(web.db.factory) as s:
                    for i in range(start, min(count, start + 50)):
                        actor = _actor(s, web, names[i % 2])
                        text = f"第{batch}批第{i}号：水管漏水"
                        target.append(
                            lifecycle.submit(
                                s, actor, lifecycle.NewRequest(kind="service", description=text, category="维修")
                            ).id
                        )
                        fake.advance(seconds=10)
    return old, new


def test_a_300_request_backlog_puts_the_oldest_red_flag_first_with_counts_on_every_tab(web, backlog):
    old, new = backlog
    client = web.staff_client()
    page = client.get("/requests?queue=unclaimed").text
    ids = _ids(page)
    assert ids[0] == old[0]  # the oldest red-flagged request: first on page 1
    assert ids[: len(old)] == old[: len(ids)]  # red flags first, oldest waiting first
    assert "待接单（310）" in page and "全部（310）" in page and "超时（60）" in page and "待审核（0）" in page
    assert "共 310 条，第 1/7 页" in page
    # The same order on the default list; newest-first only when asked.
    assert _ids(client.get("/requests").text)[0] == old[0]
    newest = _ids(client.get("/requests?queue=unclaimed&sort=-submitted").text)
    assert newest[0] == new[-1]
    # Filters and sort stay in the links (next page, tabs).
    filtered = client.get("/requests?queue=unclaimed&sort=-submitted&grid=" + str(web.world.grids["G1"].id)).text
    assert re.search(r'id="next"[^>]*>|href="/requests\?[^"]*queue=unclaimed[^"]*sort=-submitted[^"]*page=2', filtered)


def test_phone_search_finds_a_callers_requests_by_the_whole_or_part_of_the_number(web):
    zhou = _resident(web, "周奶奶", "13655559876")
    mine = _order_for(web, zhou, "门锁坏了")
    other = web.submit("王奶奶", "厨房水管漏水")
    client = web.staff_client()
    for q in ("13655559876", "136 5555 9876", "136-5555-9876", "9876", "59876"):
        found = _ids(client.get("/requests", params={"q": q}).text)
        assert mine in found and other not in found, q
    assert _ids(client.get("/requests", params={"q": "#" + str(other)}).text) == [other]


def test_waiting_time_is_not_shown_for_finished_requests(web):
    done = web.submit("王奶奶", "修门锁")
    with transaction(web.db.factory) as s:
        lifecycle.claim(s, _actor(s, web, "张师傅"), done)
        lifecycle.finish(s, _actor(s, web, "张师傅"), done, hours=1)
        lifecycle.rate(s, _actor(s, web, "王奶奶"), done, 5)
    row = web.staff_client().get("/requests").text.split(f'data-id="{done}"')[1].split("</tr>")[0]
    assert '<td data-label="已等" class="short">—</td>' in row


def test_bulk_publish_dispatch_and_followup(web):
    wishes = [web.submit("王奶奶", f"想要第{i}本书", kind=RequestKind.WISH, category=None) for i in range(3)]
    client = web.staff_client()
    csrf = _csrf(client)
    done = client.post(
        "/requests/bulk", data={"csrf_token": csrf, "action": "publish", "ids": [str(i) for i in wishes]}
    )
    assert done.status_code == 200 and "批量发布：3/3 条已完成" in done.text
    zhang = web.world.volunteers["张师傅"].id
    moved = client.post(
        "/requests/bulk",
        data={"csrf_token": csrf, "action": "dispatch", "volunteer_id": str(zhang), "ids": [str(i) for i in wishes]},
    )
    # 张师傅 takes at most 3 at once: all three fit; a fourth would be refused and reported.
    assert "批量派单：3/3 条已完成" in moved.text
    extra = web.submit("陈大爷", "楼道灯泡坏了")
    over = client.post(
        "/requests/bulk",
        data={"csrf_token": csrf, "action": "dispatch", "volunteer_id": str(zhang), "ids": [str(extra)]},
    )
    assert "0/1" in over.text and f"编号 {extra}" in over.text
    with web.db.factory() as s:
        assert {s.get(Request, i).volunteer_id for i in wishes} == {zhang}
        assert s.get(Request, extra).state == RequestState.OPEN
    # 回访 done in bulk, with one note; a request with nothing to follow up is reported.
    with transaction(web.db.factory) as s:
        for i in wishes[:2]:
            lifecycle.finish(s, _actor(s, web, "张师傅"), i, hours=1)
            lifecycle.rate(s, _actor(s, web, "王奶奶"), i, 1, "不满意")
    followed = client.post(
        "/requests/bulk",
        data={"csrf_token": csrf, "action": "complete_followup", "note": "已电话回访", "ids": [str(i) for i in wishes]},
    )
    assert "批量完成回访：2/3 条已完成" in followed.text and "没有待回访的事项" in followed.text
    with web.db.factory() as s:
        assert not any(s.get(Request, i).needs_followup for i in wishes)
    forged = client.post("/requests/bulk", data={"csrf_token": "x", "action": "publish", "ids": ["1"]})
    assert forged.status_code == 403


def _forms(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


def test_the_actions_on_a_request_page_are_the_lifecycles_allowed_actions(web):
    wish = web.submit("王奶奶", "想要一台收音机", kind=RequestKind.WISH, category=None)
    service = web.submit("陈大爷", "楼道灯泡坏了")
    client = web.staff_client()
    for request_id in (wish, service):
        with web.db.factory() as s:
            req = s.get(Request, request_id)
            expected = lifecycle.allowed_actions(s, web.staff_actor(s), req)
        assert _forms(client.get(f"/requests/{request_id}").text) == expected
    assert _forms(client.get(f"/requests/{wish}").text) == [
        "publish",
        "reject",
        "flag_urgent",
        "edit",
        "note",
        "cancel",
    ]


def test_taking_a_request_back_from_the_web_offers_it_again(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")  # offered to 张师傅 and 刘师傅
    with transaction(web.db.factory) as s:
        lifecycle.claim(s, _actor(s, web, "张师傅"), request_id)
    client = web.staff_client()
    page = client.get(f"/requests/{request_id}").text
    assert _forms(page)[:2] == ["dispatch", "unassign"]
    back = client.post(f"/requests/{request_id}/unassign", data={"csrf_token": _csrf(client)})
    assert '<span id="state">待接单</span>' in back.text and '<dd id="volunteer">—</dd>' in back.text
    zhang, liu = (web.world.volunteers[n] for n in ("张师傅", "刘师傅"))
    with web.db.factory() as s:
        mine = s.scalars(select(OutboxMessage).where(OutboxMessage.request_id == request_id)).all()
        task = next(m for m in mine if m.person_id == zhang.person_id and m.kind == "assigned")
        assert [m.edit_of for m in mine if m.person_id == zhang.person_id and m.kind == "reassigned"] == [task.id]
        fresh = [m for m in mine if m.person_id == liu.person_id and m.kind == "offer"]
        assert len(fresh) == 2 and fresh[-1].buttons  # his first card, and the fresh one
        assert len([m for m in mine if m.person_id == zhang.person_id and m.kind == "offer"]) == 1  # not again
        assert s.get(Volunteer, zhang.id).active_load == 0
    leader = web.staff_client(web.world.leaders["G2"].id)  # not this grid's leader
    assert leader.post(f"/requests/{request_id}/unassign", data={"csrf_token": _csrf(leader)}).status_code == 404


def test_cancel_edit_reassign_confirm_and_reopen_from_the_web(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    client = web.staff_client()
    csrf = _csrf(client)
    edited = client.post(
        f"/requests/{request_id}/edit",
        data={
            "csrf_token": csrf,
            "description": "厨房和卫生间水管都漏水",
            "address": "2号楼1单元202",
            "preferred_time": "2030-01-05T15:00",
        },
    )
    assert "已修改" in edited.text and "厨房和卫生间水管都漏水" in edited.text and "2号楼1单元202" in edited.text
    zhang, liu = web.world.volunteers["张师傅"].id, web.world.volunteers["刘师傅"].id
    client.post(f"/requests/{request_id}/dispatch", data={"csrf_token": csrf, "volunteer_id": str(zhang)})
    moved = client.post(f"/requests/{request_id}/dispatch", data={"csrf_token": csrf, "volunteer_id": str(liu)})
    assert '<dd id="volunteer">刘师傅</dd>' in moved.text
    with transaction(web.db.factory) as s:
        lifecycle.finish(s, _actor(s, web, "刘师傅"), request_id, hours=1)
    reopened = client.post(f"/requests/{request_id}/reopen", data={"csrf_token": csrf, "note": "居民说还在漏"})
    assert '<span id="state">待接单</span>' in reopened.text
    no_reason = client.post(f"/requests/{request_id}/cancel", data={"csrf_token": csrf, "reason": " "})
    assert no_reason.status_code == 400 and "请填写原因" in no_reason.text
    cancelled = client.post(f"/requests/{request_id}/cancel", data={"csrf_token": csrf, "reason": "居民自己修好了"})
    assert '<span id="state">已取消</span>' in cancelled.text and "居民自己修好了" in cancelled.text
    again = client.post(f"/requests/{request_id}/cancel", data={"csrf_token": csrf, "reason": "再取消"})
    assert again.status_code == 409 and _forms(again.text) == ["note", "complete_followup"]  # reopened: 回访 due
    other = web.submit("陈大爷", "换灯泡")
    with transaction(web.db.factory) as s:
        lifecycle.claim(s, _actor(s, web, "孙师傅"), other)
        lifecycle.finish(s, _actor(s, web, "孙师傅"), other, hours=1)
    closed = client.post(f"/requests/{other}/confirm", data={"csrf_token": csrf})
    assert '<span id="state">已完结</span>' in closed.text


@pytest.mark.parametrize(
    "path",
    [
        "/requests/99999999999999999999",
        "/requests/-1",
        "/requests/1e9",
        "/requests/²",
        "/volunteers/99999999999999999999",
        "/residents/１",
    ],
)
def test_out_of_range_ids_are_not_found(web, path):
    assert web.staff_client().get(path).status_code == 404
    assert web.staff_client().post(path + "/publish", data={"csrf_token": "x"}).status_code in (403, 404)


def test_history_names_the_system_and_the_resident_honestly(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    page = web.staff_client().get(f"/requests/{request_id}").text
    history = page[page.index('id="history"') :]
    rows = re.findall(r'class="who">([^<]+)</td>\s*<td data-label="操作" class="action">([^<]+)<', history)
    assert rows == [("王奶奶（居民）", "提交"), ("系统", "发布")]
    assert "王奶奶（系统）" not in page


def test_dispatch_for_a_specialised_category_lists_the_skilled_team_first(web):
    with transaction(web.db.factory) as s:
        legal = ServiceCategory(community_id=web.world.community.id, code="legal", name="法律咨询", skill_required=True)
        s.add(legal)
        s.flush()
        team = VolunteerTeam(community_id=web.world.community.id, code="legal", name="法律咨询服务队")
        team.skills = [legal]
        s.add(team)
        s.flush()
        web.world.teams["legal"] = team
        add_volunteer(s, web.world, "钱律师", "G2", ["legal"])
    request_id = web.submit("王奶奶", "咨询遗产继承", category="法律咨询")
    page = web.staff_client().get(f"/requests/{request_id}").text
    options = re.findall(r'<option value="\d+">([^（<]+)（', page[page.index('id="volunteer-select"') :])
    assert options[0] == "钱律师" and "张师傅" in options


# --- 代下单 ------------------------------------------------------------------------------------


def test_order_for_a_resident_found_by_phone_or_name(web):
    zhou = _resident(web, "周奶奶", "13655559876")
    client = web.staff_client()
    csrf = _csrf(client)
    for q in ("13655559876", "9876", "周奶奶"):
        found = client.get("/orders/new", params={"q": q}).text
        assert f'href="/orders/new?resident={zhou}"' in found, q
    form = client.get(f"/orders/new?resident={zhou}").text
    assert "为周奶奶下单（1号楼1单元301）" in form
    placed = client.post(
        "/orders",
        data={
            "csrf_token": csrf,
            "resident": str(zhou),
            "kind": "service",
            "category": "repair",
            "description": "马桶堵了",
        },
    )
    assert placed.status_code == 200 and "已为居民下单" in placed.text and "马桶堵了" in placed.text
    with web.db.factory() as s:
        req = s.scalar(select(Request).where(Request.description == "马桶堵了"))
        assert req.resident_id == zhou and req.created_by_person_id == web.world.staff.person_id
        assert req.state == RequestState.OPEN and [e.channel for e in req.events][0] == "web"
    bad = client.post(
        "/orders",
        data={"csrf_token": csrf, "resident": str(zhou), "kind": "service", "category": "", "description": "x"},
    )
    assert bad.status_code == 400 and "目前可以预约" in bad.text


def test_register_a_resident_on_the_spot_then_order(web):
    client = web.staff_client()
    csrf = _csrf(client)
    nope = client.post(
        "/orders/register",
        data={"csrf_token": csrf, "name": "孙爷爷", "phone": "13700001111", "address": "3号楼1单元101"},
    )
    assert nope.status_code == 400 and "请确认居民已同意" in nope.text
    wrong = client.post(
        "/orders/register", data={"csrf_token": csrf, "name": "孙爷爷", "address": "99号楼", "consent": "1"}
    )
    assert wrong.status_code == 400 and "99号楼" in wrong.text
    made = client.post(
        "/orders/register",
        data={"csrf_token": csrf, "name": "孙爷爷", "phone": "13700001111", "address": "3号楼1单元101", "consent": "1"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    resident_id = int(made.headers["location"].split("=")[1])
    with web.db.factory() as s:
        resident = s.get(Resident, resident_id)
        assert resident.person.name == "孙爷爷" and resident.person.telegram_id is None
        assert resident.registered_by_person_id == web.world.staff.person_id
        assert (
            s.scalar(select(AuditEntry.action).where(AuditEntry.target_person_id == resident.person_id))
            == "resident_registered"
        )
    placed = client.post(
        "/orders",
        data={
            "csrf_token": csrf,
            "resident": str(resident_id),
            "kind": "wish",
            "item": "轮椅",
            "description": "想要一个轮椅",
        },
    )
    assert "已为居民下单" in placed.text and '<span id="state">待审核</span>' in placed.text


# --- directories, offboarding, keys, invites, audit -----------------------------------------------


def test_volunteer_directory_with_history_hours_ratings_pause_and_deactivate(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    with transaction(web.db.factory) as s:
        lifecycle.claim(s, _actor(s, web, "张师傅"), request_id)
        lifecycle.finish(s, _actor(s, web, "张师傅"), request_id, hours=2)
        lifecycle.rate(s, _actor(s, web, "王奶奶"), request_id, 4, "挺好")
    client = web.staff_client()
    csrf = _csrf(client)
    listing = client.get("/volunteers").text
    zhang = web.world.volunteers["张师傅"].id
    row = listing.split(f'data-id="{zhang}"')[1].split("</tr>")[0]
    assert "2 小时" in row and "4.0 星（1 次评价）" in row and "接单中" in row
    page = client.get(f"/volunteers/{zhang}").text
    assert f'href="/requests/{request_id}"' in page and "4 星" in page
    paused = client.post(f"/volunteers/{zhang}/pause", data={"csrf_token": csrf, "note": "出差一周"})
    assert '<span id="status">暂停接单</span>' in paused.text
    client.post(f"/volunteers/{zhang}/resume", data={"csrf_token": csrf})
    gone = client.post(f"/volunteers/{zhang}/deactivate", data={"csrf_token": csrf, "note": "搬走了"})
    assert '<span id="status">已停用</span>' in gone.text
    busy = web.submit("陈大爷", "楼道灯泡坏了")
    with transaction(web.db.factory) as s:
        lifecycle.claim(s, _actor(s, web, "孙师傅"), busy)
    refused = client.post(f"/volunteers/{web.world.volunteers['孙师傅'].id}/deactivate", data={"csrf_token": csrf})
    assert "请先改派" in refused.text and f"编号 {busy}" in refused.text
    with web.db.factory() as s:
        assert s.get(Volunteer, web.world.volunteers["孙师傅"].id).deactivated_at is None


def test_resident_directory_with_their_requests(web):
    request_id = web.submit("陈大爷", "楼道灯泡坏了")
    client = web.staff_client()
    found = client.get("/residents", params={"q": "陈"}).text
    chen = web.world.residents["陈大爷"].id
    assert f'href="/residents/{chen}"' in found and "13912345678" in found
    page = client.get(f"/residents/{chen}").text
    assert f'href="/requests/{request_id}"' in page and "4号楼1单元101" in page


def test_offboarding_a_staff_member_ends_their_session_and_their_keys(web):
    with transaction(web.db.factory) as s:
        zhao = Person(community_id=web.world.community.id, name="赵干事", phone="13700000001")
        s.add(zhao)
        s.flush()
        s.add(Staff(person=zhao))
        s.flush()
        zhao_id = zhao.id
        key = auth.create_api_key(s, zhao.community_id, "赵的热线", zhao)
    zhao_client = web.staff_client(zhao_id)
    assert zhao_client.get("/requests").status_code == 200
    boss = web.staff_client()
    csrf = _csrf(boss)
    assert boss.post(f"/staff/{web.world.staff.person_id}/offboard", data={"csrf_token": csrf}).status_code == 200
    assert (
        "不能为自己办理离职"
        in boss.post(f"/staff/{web.world.staff.person_id}/offboard", data={"csrf_token": csrf}).text
    )
    done = boss.post(f"/staff/{zhao_id}/offboard", data={"csrf_token": csrf, "note": "调走"})
    assert "已办理离职" in done.text and "已离职" in done.text
    assert zhao_client.get("/requests", follow_redirects=False).status_code == 303  # signed out at once
    posted = web.client().post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "repair",
            "description": "灯坏了",
            "address_string": "1号楼",
            "phone": "13811112222",
        },
    )
    assert posted.status_code == 403
    keys = boss.get("/api-keys").text
    assert "签发人已离职" in keys


def test_api_keys_listed_and_revoked(web):
    key = web.api_key("12345热线")
    client = web.staff_client()
    csrf = _csrf(client)
    page = client.get("/api-keys").text
    assert "12345热线" in page and "有效" in page and key not in page  # the key itself is never shown again
    with web.db.factory() as s:
        key_id = s.scalar(select(ApiKey.id))
    revoked = client.post(f"/api-keys/{key_id}/revoke", data={"csrf_token": csrf})
    assert "密钥已吊销" in revoked.text and "已吊销" in revoked.text
    response = web.client().get("/open311/v2/services.json", params={"api_key": key})
    assert response.status_code == 403


def test_invite_links_from_the_web(web):
    client = web.staff_client()
    csrf = _csrf(client)
    page = client.post("/invites", data={"csrf_token": csrf, "count": "3", "team": "repair1"}).text
    links = re.findall(r"https://t\.me/[^?]+\?start=join-([A-Z0-9]+)", page)
    assert len(links) == 3
    with web.db.factory() as s:
        from community.models import Invite

        invites = s.scalars(select(Invite)).all()
        assert {i.code for i in invites} == set(links) and {i.team_id for i in invites} == {
            web.world.teams["repair1"].id
        }
    assert client.post("/invites", data={"csrf_token": csrf, "count": "500"}).status_code == 400


def test_the_audit_page_lists_staff_actions_from_chat_and_web(web):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    with transaction(web.db.factory) as s:
        lifecycle.flag_urgent(s, web.staff_actor(s), request_id)  # the bot: channel chat
    client = web.staff_client()  # a sign-in: audited
    csrf = _csrf(client)
    client.post(f"/requests/{request_id}/note", data={"csrf_token": csrf, "note": "居民下午在家"})
    page = client.get("/audit").text
    rows = re.findall(
        r'class="who">([^<]+)</td>\s*<td data-label="渠道" class="channel">([^<]+)</td><td data-label="操作" class="what">([^<]+)<',
        page,
    )
    assert ("李主任", "网页", "补充说明") in rows
    assert ("李主任", "聊天", "标记紧急") in rows  # the same person's action in the bot
    assert ("李主任", "网页", "登录工作台") in rows
    web_only = client.get("/audit?channel=web").text
    assert "聊天" not in re.findall(r'class="channel">([^<]+)<', web_only)
    assert client.get("/audit?channel=bogus").status_code == 400


# --- a grid leader ----------------------------------------------------------------------------------


def test_a_grid_leader_signs_in_with_a_cli_link_and_sees_only_their_grid(web):
    g1_private = web.submit(
        "王奶奶", "想要一个轮椅，我电话13812349999，住1号楼2单元601", kind=RequestKind.WISH, category=None
    )
    g1 = web.submit("王奶奶", "厨房水管漏水")
    g2 = web.submit("陈大爷", "楼道灯泡坏了")
    leader = web.staff_client(web.world.leaders["G1"].id)
    listing = leader.get("/requests").text
    assert set(_ids(listing)) == {g1_private, g1}
    assert "13812349999" not in listing and "601" not in listing and "tel:" not in listing
    assert "第一网格" in listing and "G1网格长（幸福里社区 · 网格长）" in listing
    assert leader.get(f"/requests/{g2}").status_code == 404
    page = leader.get(f"/requests/{g1_private}").text
    assert "13812349999" not in page and "13912345678" not in page and "1单元101" not in page
    assert _forms(leader.get(f"/requests/{g1}").text) == ["dispatch"]  # what the lifecycle allows a leader
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    zhang = web.world.volunteers["张师傅"].id
    done = leader.post(f"/requests/{g1}/dispatch", data={"csrf_token": csrf, "volunteer_id": str(zhang)})
    assert '<dd id="volunteer">张师傅</dd>' in done.text
    assert (
        leader.post(f"/requests/{g2}/dispatch", data={"csrf_token": csrf, "volunteer_id": str(zhang)}).status_code
        == 404
    )
    assert leader.post(f"/requests/{g1}/publish", data={"csrf_token": csrf}).status_code == 409  # staff only
    for path in ("/staff", "/api-keys", "/audit", "/invites"):
        assert leader.get(path).status_code == 403, path
    volunteers = leader.get("/volunteers").text
    assert "张师傅" in volunteers and "孙师傅" not in volunteers
    assert "王奶奶" in leader.get("/residents").text and "陈大爷" not in leader.get("/residents").text
    overview = leader.get("/").text
    assert 'id="card-total">2</div>' in overview  # G1's two requests, not G2's
    assert leader.get(f"/?grid={web.world.grids['G2'].id}").status_code == 404
    csv_text = leader.get("/export/ledger.csv", params={"phones": "full"}).content.decode("utf-8-sig")
    assert "厨房水管漏水" in csv_text and "楼道灯泡坏了" not in csv_text
    assert "13912345678" not in csv_text and "139****5678" in csv_text  # a leader's export is always masked


def test_a_grid_leader_never_reads_half_a_phone_number_where_a_summary_is_cut(web):
    # The list and the resident's and volunteer's pages cut summaries at 40 characters; this
    # prefix puts the cut six digits into the number, where a cut-then-mask would leak "138123"
    # (too short to look like a phone any more).
    request_id = web.submit("王奶奶", "家" * 31 + "我电话13812349999，住7号楼2单元601")
    zhang = web.world.volunteers["张师傅"]
    with transaction(web.db.factory) as s:
        lifecycle.dispatch(s, web.staff_actor(s), request_id, zhang.id)
        resident_id = s.get(Request, request_id).resident_id
    leader = web.staff_client(web.world.leaders["G1"].id)
    pages = {
        "list": leader.get("/requests").text,
        "resident": leader.get(f"/residents/{resident_id}").text,
        "volunteer": leader.get(f"/volunteers/{zhang.id}").text,
    }
    for name, page in pages.items():
        assert f'href="/requests/{request_id}"' in page, name
        assert "家" * 31 + "我电话***" in page, name
        assert "138123" not in page and "601" not in page, name
    staff_list = web.staff_client().get("/requests").text
    assert "家" * 31 + "我电话138123" in staff_list  # staff read the resident's own words


def test_a_grid_leader_login_link_from_the_cli(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from community.db import make_engine, session_factory, upgrade
    from community.settings import get_settings
    from tests.builders import build_world
    from web import cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        world = build_world(s)
        s.get(Person, world.leaders["G2"].id).phone = "13600000002"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["login-link", "--phone", "13600000002"])
        assert result.exit_code == 0, result.output
        assert "G2网格长" in result.output and "/login?token=" in result.output
    finally:
        get_settings.cache_clear()
        engine.dispose()


def test_a_leader_replaced_loses_access(web):
    leader = web.staff_client(web.world.leaders["G1"].id)
    assert leader.get("/requests").status_code == 200
    with transaction(web.db.factory) as s:
        from community.models import Grid

        s.get(Grid, web.world.grids["G1"].id).leader_person_id = None
    assert leader.get("/requests", follow_redirects=False).status_code == 303


def test_login_is_audited(web):
    web.staff_client()
    with web.db.factory() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "login")) == 1
        assert s.scalar(select(Event.id)) is None


def test_bulk_dispatch_offers_a_volunteer_on_the_default_load_limit(web, monkeypatch):
    """A volunteer whose spreadsheet names no 接单上限 (max_load NULL: the DEFAULT_MAX_LOAD
    setting) is offered for bulk dispatch too, with the setting as the limit shown."""
    from community.settings import get_settings

    monkeypatch.setenv("DEFAULT_MAX_LOAD", "4")
    get_settings.cache_clear()
    zhang = web.world.volunteers["张师傅"].id
    with transaction(web.db.factory) as s:
        s.get(Volunteer, zhang).max_load = None
    web.submit("陈大爷", "楼道灯泡坏了")  # the bulk form shows with a row to act on
    page = web.staff_client().get("/requests").text
    picker = page.split('id="bulk-volunteer"')[1].split("</select>")[0]
    option = re.search(rf'<option value="{zhang}">([^<]*)</option>', picker)
    assert option and option.group(1).endswith("在办 0/4）"), picker
    get_settings.cache_clear()
