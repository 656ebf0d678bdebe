"""Open311 GeoReport v2 as a 12345 hotline system uses it, and every error it can get."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from community import clock, lifecycle
from community.clock import FakeClock, use_clock
from community.db import transaction
from community.models import Event, Person, Request, RequestState, Resident

BASE = "/open311/v2"


@pytest.fixture
def api(web):
    return web.client(), web.api_key()


def _post(client, key, **overrides):
    data = {
        "api_key": key,
        "service_code": "repair",
        "description": "厨房水龙头漏水",
        "address_string": "3号楼2单元502",
        "phone": "13811112222",
        "last_name": "赵",
        "first_name": "秀英",
    }
    data.update(overrides)
    return client.post(f"{BASE}/requests.json", data={k: v for k, v in data.items() if v is not None})


def _error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


def test_services_list_is_the_service_menu(api):
    client, key = api
    services = client.get(f"{BASE}/services.json", params={"api_key": key}).json()
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {"repair", "elderly", "shopping", "haircut", "wish"}  # 微心愿 has its own code
    assert by_code["wish"]["service_name"] == "微心愿"
    assert by_code["repair"]["service_name"] == "维修"
    assert by_code["repair"]["metadata"] is False and by_code["repair"]["type"] == "realtime"
    assert "水管" in by_code["repair"]["keywords"]


def test_service_definition(api):
    client, key = api
    assert client.get(f"{BASE}/services/repair.json", params={"api_key": key}).json() == {
        "service_code": "repair",
        "attributes": [],
    }
    assert "nope" in _error(client.get(f"{BASE}/services/nope.json", params={"api_key": key}), 404)


def test_jurisdiction_must_be_this_community(api):
    client, key = api
    assert client.get(f"{BASE}/services.json", params={"api_key": key, "jurisdiction_id": "XFL"}).status_code == 200
    _error(client.get(f"{BASE}/services.json", params={"api_key": key, "jurisdiction_id": "ELSEWHERE"}), 404)


READS = ["/services.json", "/services/repair.json", "/requests.json", "/requests/1.json"]


@pytest.mark.parametrize("path", READS)
def test_reading_needs_no_key_but_a_wrong_key_is_refused(web, path):
    web.submit("王奶奶", "厨房水管漏水")
    assert web.client().get(BASE + path).status_code == 200  # the spec: GET needs no api_key
    assert web.client().get(BASE + path, params={"api_key": ""}).status_code == 200  # empty = not given
    response = web.client().get(BASE + path, params={"api_key": "nx_wrong"})
    assert "api_key" in _error(response, 403)
    assert "厨房水管漏水" not in response.text


@pytest.mark.parametrize("path", READS)
def test_with_public_reading_off_every_read_needs_a_key(web, path):
    from tests.web.conftest import SETTINGS
    from web.app import create_app

    web.submit("王奶奶", "厨房水管漏水")
    closed = TestClient(create_app(web.db.factory, SETTINGS.model_copy(update={"open311_public_read": False})))
    response = closed.get(BASE + path)
    assert "api_key" in _error(response, 403) and "厨房水管漏水" not in response.text
    assert closed.get(BASE + path, params={"api_key": web.api_key()}).status_code == 200


def test_post_needs_a_valid_api_key_and_creates_nothing_without_one(web):
    client = web.client()
    _error(_post(client, None), 403)
    _error(_post(client, "nx_wrong"), 403)
    with web.db.factory() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 0


def test_create_request_goes_through_the_lifecycle(web, api):
    client, key = api
    response = _post(client, key)
    assert response.status_code == 201, response.text
    [created] = response.json()
    request_id = int(created["service_request_id"])
    assert created["service_notice"]
    with web.db.factory() as s:
        req = s.get(Request, request_id)
        assert req.state == RequestState.OPEN  # a service order is published at once and offered
        assert req.category.code == "repair" and req.building.name == "3号楼" and req.unit == 2 and req.room == "502"
        assert req.team.code == "repair1" and req.contact_phone == "13811112222"
        resident = req.resident.person
        assert resident.name == "赵秀英" and resident.telegram_id is None
        assert req.created_by_person_id == web.world.staff.person_id  # 代下单 by the key's issuer
        assert [e.action for e in s.scalars(select(Event).where(Event.request_id == request_id))] == [
            "submit",
            "publish",
        ]
    detail = client.get(f"{BASE}/requests/{request_id}.json", params={"api_key": key}).json()
    assert detail[0]["status"] == "open" and detail[0]["service_code"] == "repair"
    assert detail[0]["address"] == "3号楼" and detail[0]["agency_responsible"] == "一网格维修队"  # no door number
    assert detail[0]["requested_datetime"].endswith("+08:00")
    assert "13811112222" not in str(detail) and "赵" not in str(detail)  # no phones, no names


def test_same_caller_is_one_resident_but_a_family_member_is_another(web, api):
    client, key = api
    _post(client, key)
    _post(client, key, description="卫生间灯不亮")
    _post(client, key, description="帮忙换个门锁", first_name="建国")  # same phone, another person
    with web.db.factory() as s:
        names = s.scalars(
            select(Person.name)
            .join(Resident, Resident.person_id == Person.id)
            .where(Person.phone == "13811112222")
            .order_by(Person.id)
        ).all()
    assert names == ["赵秀英", "赵建国"]


def test_a_retried_post_returns_the_same_request(api):
    client, key = api
    first = _post(client, key).json()[0]["service_request_id"]
    second = _post(client, key)
    assert second.status_code == 201 and second.json()[0]["service_request_id"] == first


@pytest.mark.parametrize(
    "field,status,words",
    [
        ("service_code", 400, "service_code"),
        ("description", 400, "description"),
        ("phone", 400, "phone"),
        ("address_string", 400, "address_string"),
    ],
)
def test_create_request_missing_fields(web, api, field, status, words):
    client, key = api
    assert words in _error(_post(client, key, **{field: None}), status)
    with web.db.factory() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 0


def test_create_request_invalid_fields(web, api):
    client, key = api
    assert "nope" in _error(_post(client, key, service_code="nope"), 404)
    assert "不是有效的电话号码" in _error(_post(client, key, phone="12345"), 400)
    assert "99号楼" in _error(_post(client, key, address_string="99号楼"), 400)
    assert "描述太长" in _error(_post(client, key, description="漏" * 600), 400)
    with web.db.factory() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 0


def test_query_requests_with_filters(web, api):
    client, key = api
    fake = FakeClock(clock.now() - timedelta(days=10))
    with use_clock(fake):
        old = web.submit("王奶奶", "十天前的维修")
        fake.advance(days=9)
        haircut = web.submit("陈大爷", "上门理发", category="理发")
        repair = web.submit("陈大爷", "楼道灯泡坏了")
    with transaction(web.db.factory) as s:
        lifecycle.cancel(s, web.staff_actor(s), repair, "居民自己修好了")

    def ids(**params):
        response = client.get(f"{BASE}/requests.json", params={"api_key": key, **params})
        assert response.status_code == 200, response.text
        return [int(r["service_request_id"]) for r in response.json()]

    assert ids() == [repair, haircut, old]  # newest first, last 90 days
    assert ids(service_code="haircut") == [haircut]
    assert ids(service_code="haircut,repair") == [repair, haircut, old]
    assert ids(status="open") == [haircut, old]
    assert ids(status="closed") == [repair]
    assert ids(status="open,closed") == [repair, haircut, old]
    since = clock.to_local(clock.now() - timedelta(days=5)).isoformat(timespec="seconds")
    assert ids(start_date=since) == [repair, haircut]
    assert ids(end_date=since) == [old]
    assert ids(start_date=(clock.now() - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")) == [repair, haircut]
    assert ids(service_request_id=f"{old},{repair}", status="open") == [repair, old]  # ids win over filters
    cancelled = client.get(f"{BASE}/requests/{repair}.json", params={"api_key": key}).json()[0]
    assert cancelled["status"] == "closed" and "居民自己修好了" in cancelled["status_notes"]


def test_query_errors(api):
    client, key = api
    assert "status" in _error(client.get(f"{BASE}/requests.json", params={"api_key": key, "status": "pending"}), 400)
    assert "W3C" in _error(client.get(f"{BASE}/requests.json", params={"api_key": key, "start_date": "yesterday"}), 400)
    _error(client.get(f"{BASE}/requests.json", params={"api_key": key, "service_request_id": "1,abc"}), 400)
    _error(client.get(f"{BASE}/requests/999.json", params={"api_key": key}), 404)
    _error(client.get(f"{BASE}/requests/abc.json", params={"api_key": key}), 404)


def test_other_communities_requests_are_not_found(web, other_staff):
    request_id = web.submit("王奶奶", "厨房水管漏水")
    with transaction(web.db.factory) as s:
        from web import auth

        outsider = s.get(Person, other_staff)
        key = auth.create_api_key(s, outsider.community_id, "别的社区", outsider)
    client = web.client()
    _error(client.get(f"{BASE}/requests/{request_id}.json", params={"api_key": key}), 404)
    assert client.get(f"{BASE}/requests.json", params={"api_key": key}).json() == []
    assert [s["service_code"] for s in client.get(f"{BASE}/services.json", params={"api_key": key}).json()] == ["wish"]
    _error(_post(client, key), 404)  # 'repair' is not on that community's menu
    # Without a key, two communities: the reader says which (jurisdiction_id) or is asked to.
    assert "jurisdiction_id" in _error(client.get(f"{BASE}/requests.json"), 400)
    public = client.get(f"{BASE}/requests.json", params={"jurisdiction_id": "XFL"}).json()
    assert [r["service_request_id"] for r in public] == [str(request_id)]
    _error(client.get(f"{BASE}/requests.json", params={"jurisdiction_id": "NOWHERE"}), 404)


def test_openapi_document_describes_open311_errors(web):
    doc = web.client().get("/openapi.json").json()
    paths = doc["paths"]
    assert {p for p in paths if p.startswith("/open311")} == {f"{BASE}/services.{fmt}" for fmt in ("json", "xml")} | {
        f"{BASE}/services/{{service_code}}.{fmt}" for fmt in ("json", "xml")
    } | {f"{BASE}/requests.{fmt}" for fmt in ("json", "xml")} | {
        f"{BASE}/requests/{{service_request_id}}.{fmt}" for fmt in ("json", "xml")
    } | {f"/open311/discovery.{fmt}" for fmt in ("json", "xml")}
    assert not [p for p in paths if not p.startswith("/open311")]  # the HTML pages are not an API
    post = paths[f"{BASE}/requests.json"]["post"]
    assert set(post["responses"]) == {"201", "400", "403", "404"}
    assert "text/xml" in paths[f"{BASE}/requests.xml"]["post"]["responses"]["201"]["content"]
    assert "422" not in str(doc)
