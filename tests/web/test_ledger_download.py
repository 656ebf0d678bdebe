"""The 台账 as the office downloads it over HTTP: content, building and unit, the phone
masked unless asked in full, the monthly summary sheet with its chart, and no formula cell
from anything a caller typed (here: a hostile name and description sent through Open311)."""

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from community import clock

HOSTILE_NAME = '=HYPERLINK("http://evil.example","点我")'


def _period():
    today = clock.to_local(clock.now()).date()
    return {"start": (today - timedelta(days=1)).isoformat(), "end": today.isoformat()}


def test_the_xlsx_ledger_has_content_address_summary_and_no_formula_from_user_input(web):
    client = web.client()
    posted = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": web.api_key(),
            "service_code": "repair",
            "description": "+SUM(1,2) 卫生间漏水，电话13812349999",
            "address_string": "3号楼2单元502",
            "phone": "13811112222",
            "first_name": HOSTILE_NAME,
        },
    )
    assert posted.status_code == 201, posted.text
    staff = web.staff_client()
    response = staff.get("/export/ledger.xlsx", params=_period())
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["台账", "志愿者时长", "月度汇总", "在职党员双报到"]
    sheet = list(book["台账"].values)
    row = dict(zip(sheet[0], sheet[1], strict=True))
    assert row["楼栋"] == "3号楼" and row["单元"] == "2单元"
    assert row["内容"].startswith("'+SUM(1,2) 卫生间漏水") and "13812349999" not in row["内容"]  # masked by default
    assert row["电话"] == "138****2222" and row["居民"] == "'" + HOSTILE_NAME
    for ws in book.worksheets:
        formulas = [c.coordinate for r in ws.iter_rows() for c in r if c.data_type == "f"]
        assert formulas == [], ws.title
    summary = list(book["月度汇总"].values)
    assert summary[0][:4] == ("月份", "范围", "名称", "诉求数")
    assert any(r[1] == "网格" and r[2] == "第一网格" and r[3] == 1 for r in summary[1:])
    assert book["月度汇总"]._charts  # the month's chart

    full = load_workbook(io.BytesIO(staff.get("/export/ledger.xlsx", params={**_period(), "phones": "full"}).content))
    row = dict(zip(*list(full["台账"].values)[:2], strict=True))
    assert row["电话"] == "13811112222" and "13812349999" in row["内容"]

    text = staff.get("/export/ledger.csv", params=_period()).content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[1][table[0].index("居民")] == "'" + HOSTILE_NAME
