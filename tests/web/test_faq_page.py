"""The information desk's page for staff (/faq): the most asked unanswered questions and
what the desk answers, over HTTP; only for signed-in staff."""

from community import faq
from community.db import transaction
from community.models import Community, FaqEntry


def test_staff_see_the_most_asked_unanswered_questions_and_the_answers(web):
    with transaction(web.db.factory) as s:
        community = s.get(Community, web.world.community.id)
        community.office_hours = "周一至周五 8:30-17:30"
        s.add(
            FaqEntry(
                community_id=community.id,
                key="快递柜",
                questions="快递柜|快递柜在哪",
                answer="快递柜在北门。",
                position=0,
            )
        )
        s.flush()
        for question in [
            "电梯坏了找谁",
            "电梯坏了找谁",
            "电梯坏了找谁修",
            "游泳池开不开",
            "快递柜在哪里",
            "我电话13812345678 狗证在哪办",
        ]:
            faq.answer(s, community, question)

    anonymous = web.client()
    assert anonymous.get("/faq", follow_redirects=False).status_code == 303  # to /login

    page = web.staff_client().get("/faq")
    assert page.status_code == 200
    html = page.text
    gaps = html[: html.index("现在能回答的问题")]
    assert "电梯坏了找谁</td>" in gaps and ">3</td>" in gaps  # three wordings, one question
    assert "游泳池开不开" in gaps and "狗证" in gaps
    assert "13812345678" not in html  # stored redacted
    assert "快递柜在哪里" not in gaps  # answered: not a gap
    answers = html[html.index("现在能回答的问题") :]
    assert "快递柜在北门。" in answers and "周一至周五 8:30-17:30" in answers
    assert 'href="/faq"' in html  # in the navigation
