"""The information desk (community.faq): faq.csv and community.csv's office columns through
the loader, matching residents' own phrasings (Simplified and Traditional) against the
question variants, misses recorded and reported as gaps; on SQLite and PostgreSQL."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from community import clock, faq
from community.loader import LoadError, load_directory, validate_directory
from community.models import Community, FaqEntry, FaqMiss
from tests.test_loader import copy_demo, edit, read, write

DEMO = Path(__file__).resolve().parent.parent / "data" / "community"

# Phrasings a resident might use, none of them a variant in the spreadsheets, with the
# entry that must answer it ("office_*": community.csv; otherwise faq.csv's first question).
ASKED = {
    "社区的电话号码是多少": "office_phone",
    "居委會電話多少": "office_phone",
    "请问社区怎么联系": "office_phone",
    "能给我社区的联系方式吗": "office_phone",
    "居委会几点上班啊": "office_hours",
    "社區幾點開門": "office_hours",
    "你们周六上班不": "office_hours",
    "办公时间是几点到几点": "office_hours",
    "社区在哪里": "office_address",
    "怎么去居委会": "office_address",
    "我要开个证明 怎么弄": "开证明",
    "開證明需要帶什麼": "开证明",
    "请问开居住证明去哪里": "开证明",
    "证明在哪开": "开证明",
    "老人卡怎么申请": "老年卡",
    "醫保怎麼交": "医保怎么交",
    "快递柜在什么地方": "快递柜",
    "垃圾车几点来": "垃圾清运",
    "暖气不热怎么办": "供暖",
    "明天会停水吗": "停水",
    "物业电话给我一下": "物业电话",
}
# Questions the sample community's desk has no answer for, and requests that are not questions.
NOT_LISTED = [
    "帮我修一下水管",
    "今天天气怎么样",
    "小区有没有游泳池",
    "孩子上学怎么报名",
    "狗证在哪里办",
    "社区能帮我找保姆吗",
]


def sample_index() -> faq.Index:
    parsed, errors = validate_directory(DEMO)
    assert errors == []
    c = parsed.community
    community = Community(
        name=c.name,
        office_address=c.office_address,
        office_hours=c.office_hours,
        office_phone=c.office_phone,
        office_map_url=c.office_map_url,
    )
    sheet = [faq.Entry(f.questions[0], tuple(f.questions), f.answer, f.link, f.phone) for f in parsed.faq]
    return faq.Index(faq.office_entries(community) + sheet)


@pytest.mark.parametrize("question,key", ASKED.items())
def test_rephrased_questions_find_their_entry_above_the_threshold(question, key):
    match = sample_index().best(question)
    assert match is not None and match.entry.key == key, (question, match)
    assert match.score >= faq.ANSWER_THRESHOLD, (question, match)


@pytest.mark.parametrize("question", NOT_LISTED)
def test_questions_about_other_things_stay_below_the_threshold(question):
    match = sample_index().best(question)
    assert match is None or match.score < faq.ANSWER_THRESHOLD, (question, match)


def test_normalisation_drops_what_does_not_change_the_question():
    assert faq.normalize_question("請問，社區幾點開門呀？") == faq.normalize_question("社区几点开门")
    assert faq.normalize_question("开个证明") == faq.normalize_question("开证明")
    assert faq.normalize_question("周六上班不") == faq.normalize_question("周六上班吗")
    assert faq.normalize_question("？？！") == ""


def test_sample_desk_has_the_office_and_at_least_fifteen_answers():
    parsed, errors = validate_directory(DEMO)
    assert errors == []
    assert len(parsed.faq) >= 15
    c = parsed.community
    assert c.office_address and c.office_hours and c.office_phone == "0371-67881234"
    assert c.office_map_url.startswith("https://")
    firsts = {f.questions[0] for f in parsed.faq}
    assert {"开证明", "老年卡", "医保怎么交", "快递柜", "垃圾清运", "供暖", "停水", "物业电话"} <= firsts


# --- the loader --------------------------------------------------------------------------


def test_load_stores_the_desk_and_a_reload_changes_removes_and_keeps(db, tmp_path):
    directory = copy_demo(tmp_path)
    with db.factory() as s, s.begin():
        report = load_directory(s, directory)
    assert report.counts["faq"].created == len(read(directory / "faq.csv")) - 1
    with db.factory() as s:
        community = s.scalar(select(Community))
        assert community.office_phone == "0371-67881234"
        entry = s.scalar(select(FaqEntry).where(FaqEntry.key == "开证明"))
        assert "便民服务窗口" in entry.answer and "开证明要本人去吗" in entry.question_list

    def change(rows):
        for r in rows[1:]:
            if r[0].startswith("开证明"):
                r[1] = "开证明请到社区二楼 201 室。"
        rows[:] = [r for r in rows if not r[0].startswith("低保")]

    edit(directory, "faq.csv", change)
    with db.factory() as s, s.begin():
        report = load_directory(s, directory)
    counts = report.counts["faq"]
    assert (counts.created, counts.updated, counts.removed) == (0, 1, 1)
    with db.factory() as s:
        community = s.scalar(select(Community))
        assert faq.answer(s, community, "怎么开证明").text == "开证明请到社区二楼 201 室。"
        assert s.scalar(select(FaqEntry).where(FaqEntry.key == "低保")) is None

    # A community without faq.csv keeps the desk it has.
    (directory / "faq.csv").unlink()
    with db.factory() as s, s.begin():
        load_directory(s, directory)
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(FaqEntry)) == len(read(DEMO / "faq.csv")) - 2


def test_faq_mistakes_are_reported_with_row_and_column(tmp_path):
    directory = copy_demo(tmp_path)
    rows = read(directory / "faq.csv")
    rows.append(["请问", "问什么都回答这一句", "", ""])  # line len(rows): too short after fillers
    rows.append(["怎么开证明|开户口证明", "重复了", "", ""])  # 怎么开证明 is already in row 2
    rows.append(["电梯坏了找谁", "", "www.example.com", "12345"])  # no answer, not a link, not a phone
    write(directory / "faq.csv", rows)
    n = len(rows)
    _, errors = validate_directory(directory)
    messages = [str(e) for e in errors]
    assert any(m.startswith(f"faq.csv 第{n - 2}行【问题】") and "太短" in m for m in messages), messages
    assert any(m.startswith(f"faq.csv 第{n - 1}行【问题】") and "第 2 行" in m for m in messages), messages
    assert any(m.startswith(f"faq.csv 第{n}行【答案】") for m in messages), messages
    assert any(m.startswith(f"faq.csv 第{n}行【链接】") and "http" in m for m in messages), messages
    assert any(m.startswith(f"faq.csv 第{n}行【电话】") for m in messages), messages
    assert len(errors) == 5, messages


def test_bad_office_cells_are_reported_and_nothing_loads(db, tmp_path):
    directory = copy_demo(tmp_path)

    def change(rows):
        rows[1][rows[0].index("办公电话")] = "1.39E+10"
        rows[1][rows[0].index("地图链接")] = "高德地图搜幸福里"

    edit(directory, "community.csv", change)
    with db.factory() as s, s.begin(), pytest.raises(LoadError) as raised:
        load_directory(s, directory)
    messages = [str(e) for e in raised.value.errors]
    assert any(m.startswith("community.csv 第2行【办公电话】") and "文本" in m for m in messages), messages
    assert any(m.startswith("community.csv 第2行【地图链接】") for m in messages), messages
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(Community)) == 0


# --- answers, misses, gaps ---------------------------------------------------------------


def test_answers_carry_phone_and_link_and_misses_become_gaps(db, tmp_path):
    directory = copy_demo(tmp_path)
    with db.factory() as s, s.begin():
        load_directory(s, directory)
    with db.factory() as s, s.begin():
        community = s.scalar(select(Community))
        reply = faq.answer(s, community, "物业的电话是多少呀")
        assert reply.match.entry.key == "物业电话" and "电话：0371-67885678" in reply.text
        reply = faq.answer(s, community, "社区在哪儿")
        assert "幸福里小区南门东侧" in reply.text and "详情：https://uri.amap.com/" in reply.text
        assert "\n\n" not in reply.text  # Rasa's REST channel would split the message there
        for question in [
            "狗证在哪里办",
            "狗证在哪办理",
            "狗证在哪里办",
            "狗证去哪里办？",
            "小区有游泳池吗",
            "我电话13812345678 小区有游泳池吗",
        ]:
            reply = faq.answer(s, community, question)
            assert reply.match is None and "0371-67881234" in reply.text
    with db.factory() as s:
        community = s.scalar(select(Community))
        stored = s.scalars(select(FaqMiss.text)).all()
        assert not any("13812345678" in t for t in stored)  # redacted before it is stored
        found = faq.gaps(s, community)
        assert [(g.text, g.count) for g in found] == [("狗证在哪里办", 4), ("小区有游泳池吗", 2)]
        assert found[1].examples == ["我电话*** 小区有游泳池吗"]
        report = faq.gaps_text(s, community)
        assert "1. 狗证在哪里办（4 次" in report and "2. 小区有游泳池吗（2 次" in report

    # Staff add the answer: the gap is gone from the report, no one else is touched.
    edit(directory, "faq.csv", lambda rows: rows.append(["狗证在哪里办|办狗证", "养犬登记到辖区派出所办理。", "", ""]))
    with db.factory() as s, s.begin():
        load_directory(s, directory)
    with db.factory() as s:
        community = s.scalar(select(Community))
        assert [g.text for g in faq.gaps(s, community)] == ["小区有游泳池吗"]
        assert faq.answer(s, community, "狗证在哪里办理").match.entry.key == "狗证在哪里办"


def test_gaps_look_back_ninety_days(db, tmp_path):
    with db.factory() as s, s.begin():
        load_directory(s, copy_demo(tmp_path))
    with db.factory() as s, s.begin():
        community = s.scalar(select(Community))
        s.add(FaqMiss(community_id=community.id, text="旧问题游泳池", at=clock.now() - timedelta(days=91)))
        s.add(FaqMiss(community_id=community.id, text="新问题狗证", at=clock.now() - timedelta(days=1)))
    with db.factory() as s:
        community = s.scalar(select(Community))
        assert [g.text for g in faq.gaps(s, community)] == ["新问题狗证"]


def test_an_empty_desk_still_answers_politely(db):
    with db.factory() as s, s.begin():
        community = Community(code="X", name="空社区")
        s.add(community)
        s.flush()
        reply = faq.answer(s, community, "社区几点上班")
        assert reply.match is None and reply.text == faq.texts.FAQ_UNKNOWN
        assert faq.gaps_text(s, community).startswith("最近 90 天")
