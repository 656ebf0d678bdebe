"""The information desk (问答) as residents use it: the bot polling the Bot API emulator, the
real Rasa with the trained model, the real action server, one community database that
staff fill from the spreadsheets with `python -m community load`.

Residents ask the office's phone, its opening hours and how to get a certificate in their
own words, Simplified and Traditional, and get the spreadsheets' answers (community.csv's
办公电话 / 办公时间, faq.csv's 答案; read from the files this test loads, in Traditional
for those who write it). Staff change an answer in the files and load them again: the next
reply is the new answer, with the same Rasa model still running (the action server reads
the desk from the database at every question). A question the desk cannot answer gets the
office's phone and the 找人工 button, not 帮不上忙, and staff find it under /faqgaps.

The Rasa stack is the session's shared one (tests/conftest.py `rasa_stack`), whose
community is tests.builders' world (code XFL, as the sample's community.csv): the folder
loaded here holds the sample's community.csv and faq.csv and only the headers of the other
sheets, so loading it fills the office's fields and the desk and leaves the grids, volunteers
and staff the other tests on the stack rely on as they are (the loader never deletes rows a
file leaves out). The desk is emptied again afterwards."""

import csv
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from opencc import OpenCC
from sqlalchemy import delete, select

from bot import texts
from community.models import Community, FaqEntry, FaqMiss, Person, Resident
from sim.emulator import User
from tests.bot.test_e2e_rasa import bot_and_client, daytime, user_of  # noqa: F401 - daytime is a fixture
from tests.bot.test_e2e_rasa_handoff import polling_app

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "community"
STRUCTURE = ("grids.csv", "buildings.csv", "categories.csv", "teams.csv", "volunteers.csv", "staff.csv")
_ids = itertools.count(773_001)
_traditional = OpenCC("s2tw")  # what a resident writing Traditional reads (the bot's table)

# Several ways of asking each (none of them a line of data/nlu/faq.yml), Traditional last.
PHONE = ("社区的电话号码是多少呀", "我想给居委会打个电话 号码多少", "居委會的聯繫電話")
HOURS = ("社区几点开门啊", "周六居委会上班不", "社區辦公時間是幾點到幾點")
CERTIFICATE = ("我要开个居住证明 要带啥材料", "开证明去哪里办", "開個居住證明要帶什麼材料")
UNANSWERABLE = "火星上有没有核酸检测点"


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def cell(folder: Path, file: str, first_question: str | None, column: str) -> str:
    """A cell of community.csv (its only row) or of the faq.csv row asking `first_question`."""
    header, *rows = read_rows(folder / file)
    row = rows[0] if first_question is None else next(r for r in rows if r[0].split("|")[0] == first_question)
    return row[header.index(column)]


def set_cell(folder: Path, file: str, first_question: str | None, column: str, value: str) -> None:
    header, *rows = read_rows(folder / file)
    row = rows[0] if first_question is None else next(r for r in rows if r[0].split("|")[0] == first_question)
    row[header.index(column)] = value
    write_rows(folder / file, [header, *rows])


def desk_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "community"
    folder.mkdir()
    for file in ("community.csv", "faq.csv"):
        (folder / file).write_bytes((SAMPLE / file).read_bytes())
    for file in STRUCTURE:
        write_rows(folder / file, read_rows(SAMPLE / file)[:1])
    return folder


def load(database_url: str, folder: Path) -> None:
    """What staff run after editing the spreadsheets."""
    result = subprocess.run(
        [sys.executable, "-m", "community", "load", str(folder)],
        env={**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def desk(rasa_stack, tmp_path):
    """The sample's office fields and faq.csv loaded into the stack's community (a folder
    the test may edit and load again); emptied afterwards for the stack's other tests."""
    folder = desk_folder(tmp_path)
    load(rasa_stack.database_url, folder)
    yield folder
    with rasa_stack.factory() as s, s.begin():
        community = s.get(Community, rasa_stack.world.community.id)
        community.office_address = community.office_hours = community.office_phone = None
        community.office_map_url = None
        s.execute(delete(FaqEntry).where(FaqEntry.community_id == community.id))


def resident(rasa_stack, name: str) -> User:
    world = rasa_stack.world
    with rasa_stack.factory() as s, s.begin():
        person = Person(community_id=world.community.id, name=name, telegram_id=next(_ids), phone="13800004444")
        consent = world.residents["王奶奶"].consent_at
        s.add(Resident(person=person, building_id=world.buildings[3].id, unit=2, room="301", consent_at=consent))
    return User(id=person.telegram_id, first_name=name)


def as_read(question: str, text: str) -> str:
    """`text` as the resident who typed `question` reads it."""
    return _traditional.convert(text) if OpenCC("t2s").convert(question) != question else text


async def ask(client, who: User, question: str):
    """Type `question`; the bot's next message to this resident."""
    await client.send_text(who, who.id, question)
    return await client.wait_for(who.id, lambda m: bool(m.text))


async def test_residents_get_the_spreadsheets_answers_and_a_reload_changes_them(rasa_stack, emulator, daytime, desk):  # noqa: F811
    phone = cell(desk, "community.csv", None, "办公电话")
    hours = cell(desk, "community.csv", None, "办公时间")
    certificate = cell(desk, "faq.csv", "开证明", "答案")
    assert phone and hours and certificate  # the sample fills them
    mei = resident(rasa_stack, "梅阿姨")
    staff = user_of(rasa_stack.world.staff.person)
    app, client = bot_and_client(rasa_stack, emulator)
    async with polling_app(app), client:
        for questions, expected in ((PHONE, phone), (HOURS, hours), (CERTIFICATE, certificate)):
            for question in questions:
                reply = await ask(client, mei, question)
                assert as_read(question, expected) in reply.text, (question, reply.text)
                assert texts.HO_BUTTON_HUMAN not in reply.button_texts, (question, reply.text)  # answered
        assert as_read(CERTIFICATE[-1], certificate) != certificate  # the Traditional reply was converted

        # Staff change two answers in the spreadsheets and load them again; Rasa is not touched.
        new_hours = "周一至周日 9:00-18:00，节假日照常办公"
        new_certificate = "开证明改到社区二楼综合窗口办理，请带身份证原件；现在也可以在“暖心”小程序上预约。"
        set_cell(desk, "community.csv", None, "办公时间", new_hours)
        set_cell(desk, "faq.csv", "开证明", "答案", new_certificate)
        load(rasa_stack.database_url, desk)
        for question, old, new in (
            (CERTIFICATE[1], certificate, new_certificate),
            (CERTIFICATE[2], certificate, new_certificate),
            (HOURS[0], hours, new_hours),
        ):
            reply = await ask(client, mei, question)
            assert as_read(question, new) in reply.text, (question, reply.text)
            assert as_read(question, old) not in reply.text, (question, reply.text)

        # A question nobody wrote an answer for: a person is offered, and staff see the gap.
        reply = await ask(client, mei, UNANSWERABLE)
        assert "帮不上" not in reply.text and phone in reply.text, reply.text
        assert texts.HO_BUTTON_HUMAN in reply.button_texts, (reply.text, reply.button_texts)
        await client.send_command(staff, staff.id, "/faqgaps")
        await client.wait_for(staff.id, lambda m: UNANSWERABLE in m.text)
    with rasa_stack.factory() as s:
        misses = s.scalars(select(FaqMiss.text).where(FaqMiss.community_id == rasa_stack.world.community.id)).all()
        assert UNANSWERABLE in misses
        # everything else was answered: no other question of this test was recorded as a miss
        assert not set(misses) & set(PHONE + HOURS + CERTIFICATE)
