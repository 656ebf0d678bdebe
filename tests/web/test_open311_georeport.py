"""A real Open311 client, `georeport` from PyPI, against the API served by uvicorn, in JSON
and in XML: it lists the services, gets one, and reads requests back, with no key, as the
spec allows. georeport 0.3.1 has no method to create a request, so the POST is made the way
it makes its calls (`requests`, form-encoded) to the same root address, and georeport then
reads the new request back."""

import pytest
import requests
import xmltodict  # georeport's own XML parser
from georeport import GeoReport

from tests.web.conftest import live_server


@pytest.fixture
def api(web):
    web.submit("王奶奶", "厨房水管漏水，我电话13812349999")
    with live_server(web.db.factory) as base:
        yield f"{base}/open311/v2", web.api_key()


def _as_list(value):
    return value if isinstance(value, list) else [value]  # xmltodict gives one <request> as a dict


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_lists_gets_posts_and_reads_back(api, fmt):
    root, key = api
    client = GeoReport(root, output_format=fmt)

    services = _as_list(client.get_service_list())
    codes = [s["service_code"] for s in services]
    assert "repair" in codes and "wish" in codes
    repair = next(s for s in services if s["service_code"] == "repair")
    assert repair["service_name"] == "维修" and str(repair["metadata"]).lower() == "false"

    definition = client.get_service_definition("repair")
    assert definition["service_code"] == "repair"

    posted = requests.post(
        f"{root}/requests.{fmt}",
        data={
            "api_key": key,
            "service_code": "repair",
            "description": f"卫生间灯不亮（{fmt}）",
            "address_string": "4号楼1单元201",
            "phone": "13811112222",
            "last_name": "赵",
            "first_name": "秀英",
            "account_id": f"acct-{fmt}",
        },
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    request_id = (
        posted.json()[0]["service_request_id"]
        if fmt == "json"
        else xmltodict.parse(posted.content)["service_requests"]["request"]["service_request_id"]
    )

    one = client.get_service_request(request_id)
    assert one["service_request_id"] == request_id and one["status"] == "open"
    assert one["address"] == "4号楼" and "201" not in str(one)

    listed = _as_list(client.get_service_requests(status="open"))
    assert request_id in [r["service_request_id"] for r in listed]
    assert "13812349999" not in str(listed)  # a resident's number in free text stays private

    picked = _as_list(client.get_service_requests(service_request_id=request_id))
    assert [r["service_request_id"] for r in picked] == [request_id]
