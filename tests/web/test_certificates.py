"""Certificates of service on the web (web/certificates.py) and the work-unit sheet of the
ledger export, on a simulated month (tests/recognition_month.py), SQLite and PostgreSQL:
staff issue a PDF for a volunteer of their own community; anyone checks a code on the
public page, which shows what the paper states and nothing more; a wrong code is not found."""

import io
import re
from datetime import datetime

import openpyxl
import pytest
from pypdf import PdfReader

from community import clock, recognition
from community.db import transaction
from community.models import Community, Person, Volunteer
from tests.builders import person
from tests.recognition_month import simulate_month
from tests.web.conftest import SETTINGS
from web import auth
from web.app import create_app


@pytest.fixture
def fake_clock():
    fake = clock.FakeClock(datetime(2026, 10, 1, 2, 0))
    with clock.use_clock(fake):
        yield fake


@pytest.fixture
def site(db, fake_clock):
    world = simulate_month(db.factory, fake_clock)
    fake_clock.current = datetime(2026, 11, 28, 2, 0)
    return world, create_app(db.factory, SETTINGS)


def staff_client(db, app, person_id):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    with transaction(db.factory) as s:
        token = auth.create_login_token(s, s.get(Person, person_id), SETTINGS)
    assert client.post("/login", data={"token": token}, follow_redirects=False).status_code == 303
    return client


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_staff_issue_a_pdf_and_anyone_verifies_its_code(db, site):
    from fastapi.testclient import TestClient

    world, app = site
    anonymous = TestClient(app)
    assert anonymous.get("/certificates", follow_redirects=False).status_code == 303  # to /login

    client = staff_client(db, app, world.staff.person_id)
    form = client.get("/certificates")
    assert form.status_code == 200 and "张师傅" in form.text
    zhang = world.volunteers["张师傅"].id
    assert client.post("/certificates", data={"volunteer_id": zhang}).status_code == 403  # no CSRF token
    response = client.post("/certificates", data={"volunteer_id": zhang, "csrf_token": csrf(form.text)})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))
    assert "张师傅" in text and "累计服务时长6.5小时" in text and "2026年11月34.5" in text
    code = re.search(r"验证码：([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", text).group(1)

    page = anonymous.get("/certificates/verify", params={"code": code.lower().replace("-", " ")})
    assert page.status_code == 200 and "证明有效" in page.text
    assert "张师傅" in page.text and "幸福里社区" in page.text and "6.5 小时" in page.text
    assert "13800000000" not in page.text  # the paper's content only, no phone
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    missing = anonymous.get("/certificates/verify", params={"code": wrong})
    assert missing.status_code == 404 and "未找到验证码" in missing.text and "张师傅" not in missing.text
    assert anonymous.get("/certificates/verify").status_code == 200  # the empty form


def test_staff_cannot_issue_for_another_community_or_without_service(db, site):
    world, app = site
    with transaction(db.factory) as s:
        other = Community(code="OTHER", name="别的社区")
        s.add(other)
        s.flush()
        stranger = Volunteer(person=person(s, other, "外社区志愿者", phone="13811112222"))
        s.add(stranger)
        s.flush()
        stranger_id = stranger.id
    client = staff_client(db, app, world.staff.person_id)
    token = csrf(client.get("/certificates").text)
    refused = client.post("/certificates", data={"volunteer_id": stranger_id, "csrf_token": token})
    assert refused.status_code == 404 and "本社区的一位志愿者" in refused.text
    none = client.post(
        "/certificates", data={"volunteer_id": world.volunteers["张师傅"].id, "year": "2025", "csrf_token": token}
    )
    assert none.status_code == 409 and "2025 年还没有您的服务记录" in none.text
    with db.factory() as s:
        assert s.query(recognition.Certificate).count() == 0


def test_the_ledger_export_has_the_work_unit_sheet(db, site):
    world, app = site
    client = staff_client(db, app, world.staff.person_id)
    response = client.get("/export/ledger.xlsx", params={"start": "2026-11-01", "end": "2026-11-30"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book["在职党员双报到"].iter_rows(values_only=True))
    assert rows[0] == ("工作单位", "姓名", "党员", "服务次数", "服务时长（小时）", "评价次数", "平均评分")
    assert ("区人民医院", "张师傅", "是", 3, 4.5, 0, None) in rows
    assert ("区人民医院", "小计", None, 5, 8.5, 0, None) in rows
    assert ("市第一中学", "赵阿姨", "是", 1, 3, 0, None) in rows
