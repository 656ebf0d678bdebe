"""Open311 GeoReport v2 as the spec writes it: XML (the default format) and JSON for every
endpoint, element names and order as in the spec's examples, the discovery document, wishes
under their own code, every location form, account_id kept, media_url for staff only, and
nothing personal in what anyone can read."""

from xml.etree import ElementTree

import pytest

from community.models import Request, RequestKind, RequestState

BASE = "/open311/v2"
# Element order of a request in the spec's GET Service Requests example.
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
PRIVATE = "想要一个轮椅，我电话13812349999，住3号楼2单元601"


def _xml(response, status=200):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ElementTree.fromstring(response.content)


def _post(client, key, fmt="json", **overrides):
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
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


def test_services_and_a_definition_in_xml(web):
    client = web.client()
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and {e.tag for e in root} == {"service"}
    first = root[0]
    assert [e.tag for e in first] == SERVICE_FIELDS
    codes = [s.findtext("service_code") for s in root]
    assert codes[-1] == "wish" and "repair" in codes
    assert first.findtext("metadata") == "false" and first.findtext("type") == "realtime"
    definition = _xml(client.get(f"{BASE}/services/repair.xml"))
    assert definition.tag == "service_definition" and definition.findtext("service_code") == "repair"
    assert definition.find("attributes") is not None and list(definition.find("attributes")) == []
    error = _xml(client.get(f"{BASE}/services/nope.xml"), 404)
    assert (
        error.tag == "errors"
        and error.find("error/code").text == "404"
        and "nope" in error.findtext("error/description")
    )


def test_post_and_read_back_in_xml(web):
    client = web.client()
    created = _xml(_post(client, web.api_key(), "xml", account_id="hotline-77"), 201)
    assert created.tag == "service_requests"
    request = created.find("request")
    assert [e.tag for e in request] == ["service_request_id", "service_notice", "account_id"]
    assert request.findtext("account_id") == "hotline-77"
    request_id = request.findtext("service_request_id")
    one = _xml(client.get(f"{BASE}/requests/{request_id}.xml"))
    [item] = one.findall("request")
    assert [e.tag for e in item] == REQUEST_FIELDS
    assert item.findtext("status") == "open" and item.findtext("service_code") == "repair"
    assert item.findtext("address") == "3号楼" and item.findtext("lat") == "" and item.findtext("media_url") == ""
    listing = _xml(client.get(f"{BASE}/requests.xml", params={"status": "open"}))
    assert [r.findtext("service_request_id") for r in listing] == [request_id]
    forbidden = _xml(_post(client, "nx_wrong", "xml"), 403)
    assert forbidden.find("error/code").text == "403"
    missing = _xml(client.post(f"{BASE}/requests.xml", data={"api_key": web.api_key()}), 400)
    assert "缺少必填参数" in missing.findtext("error/description")


def test_discovery_document(web):
    client = web.client()
    doc = client.get("/open311/discovery.json").json()
    [endpoint] = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = _xml(client.get("/open311/discovery.xml"))
    assert root.tag == "discovery" and [e.tag for e in root] == ["changeset", "contact", "key_service", "endpoints"]
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_what_anyone_reads_is_redacted_and_names_no_one(web):
    request_id = web.submit("王奶奶", PRIVATE)
    for fmt in ("json", "xml"):
        text = web.client().get(f"{BASE}/requests/{request_id}.{fmt}").text
        assert "13812349999" not in text and "601" not in text and "2单元" not in text
        assert "王奶奶" not in text and "13912345678" not in text and "1单元101" not in text
        assert "想要一个轮椅" in text and "***" in text


def test_the_public_api_never_returns_a_residents_numbers_from_free_text(web):
    client = web.client()
    # A long prefix: whatever cuts this text later must not cut inside the number first.
    created = _post(client, web.api_key(), description="家" * 31 + PRIVATE, address_string="3号楼2单元601")
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    reads = [client.get(f"{BASE}/requests/{request_id}.{fmt}").text for fmt in ("json", "xml")]
    reads += [client.get(f"{BASE}/requests.{fmt}").text for fmt in ("json", "xml")]
    for text in reads:
        assert request_id in text
        assert "1381234" not in text and "138123" not in text and "601" not in text and "2单元" not in text
        assert "13811112222" not in text and "秀英" not in text
        assert "家" * 31 + "想要一个轮椅，我电话***，住3号楼***" in text


def test_a_wish_has_its_own_code_and_waits_for_review(web):
    client = web.client()
    response = _post(client, web.api_key(), service_code="wish", description="想要一副老花镜")
    assert response.status_code == 201, response.text
    request_id = int(response.json()[0]["service_request_id"])
    with web.db.factory() as s:
        req = s.get(Request, request_id)
        assert req.kind == RequestKind.WISH and req.state == RequestState.SUBMITTED
    [item] = client.get(f"{BASE}/requests/{request_id}.json").json()
    assert item["service_code"] == "wish" and item["service_name"] == "微心愿" and item["status"] == "open"
    web.submit("陈大爷", "楼道灯泡坏了")
    wishes = client.get(f"{BASE}/requests.json", params={"service_code": "wish"}).json()
    assert [r["service_request_id"] for r in wishes] == [str(request_id)]
    assert client.get(f"{BASE}/services/wish.json").json() == {"service_code": "wish", "attributes": []}


def test_every_location_form(web):
    client, key = web.client(), web.api_key()
    by_id = _post(client, key, address_string=None, address_id=str(web.world.buildings[4].id), description="灯坏了")
    assert by_id.status_code == 201, by_id.text
    with web.db.factory() as s:
        req = s.get(Request, int(by_id.json()[0]["service_request_id"]))
        assert req.building.name == "4号楼" and req.grid.code == "G2"
    # lat/long with an address: the address routes; lat/long alone and no building has coordinates: asked politely.
    both = _post(client, key, lat="39.9", long="116.4", description="门锁坏了")
    assert both.status_code == 201, both.text
    alone = _post(client, key, address_string=None, lat="39.9", long="116.4", description="窗户坏了")
    assert alone.status_code == 400 and "address_string" in alone.json()[0]["description"]
    for bad in ({"lat": "north", "long": "116.4"}, {"lat": "91", "long": "116.4"}, {"lat": "nan", "long": "1"}):
        response = _post(client, key, address_string=None, description="坏了", **bad)
        assert response.status_code == 400 and "lat" in response.json()[0]["description"]
    wrong_id = _post(client, key, address_string=None, address_id="999999", description="坏了")
    assert wrong_id.status_code == 400 and "address_id" in wrong_id.json()[0]["description"]
    none = _post(client, key, address_string=None, description="坏了")
    assert none.status_code == 400 and "address_string" in none.json()[0]["description"]


def test_account_id_is_kept_on_a_repeat(web):
    client, key = web.client(), web.api_key()
    first = _post(client, key, account_id="caller-42").json()[0]
    again = _post(client, key).json()[0]  # the hotline retried without the account id
    assert again["service_request_id"] == first["service_request_id"] and again["account_id"] == "caller-42"
    with web.db.factory() as s:
        assert s.get(Request, int(first["service_request_id"])).open311_account_id == "caller-42"


def test_media_url_is_stored_shown_to_staff_and_never_to_readers(web):
    client, key = web.client(), web.api_key()
    url = "https://img.example.org/leak.jpg"
    request_id = _post(client, key, media_url=url).json()[0]["service_request_id"]
    with web.db.factory() as s:
        assert s.get(Request, int(request_id)).media_url == url
    assert url not in client.get(f"{BASE}/requests/{request_id}.json").text
    assert url in web.staff_client().get(f"/requests/{request_id}").text
    bad = _post(client, key, media_url="javascript:alert(1)", description="别的")
    assert bad.status_code == 400 and "media_url" in bad.json()[0]["description"]


@pytest.mark.parametrize("path", ["/services.yaml", "/requests/1.html", "/nothing.xml"])
def test_unknown_paths_are_open311_errors(web, path):
    response = web.client().get(BASE + path)
    assert response.status_code == 404
    if path.endswith(".xml"):
        assert _xml(response, 404).tag == "errors"
    else:
        assert response.json()[0]["code"] == 404


def test_staff_see_what_readers_do_not(web):
    request_id = web.submit("王奶奶", PRIVATE)
    page = web.staff_client().get(f"/requests/{request_id}").text
    assert "13812349999" in page  # staff see the resident's own words
