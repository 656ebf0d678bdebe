"""Photos attached to a request (community.lifecycle.attach_photo): only the resident's own
request, only while it is not done; forwarded to the volunteer holding it (at the claim, or
at once if already claimed), never to the volunteers who only got the offer card."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from community import clock, lifecycle
from community.actors import actor_for_person
from community.errors import DomainError
from community.lifecycle import NewRequest
from community.models import Event, OutboxMessage, RequestKind
from tests.builders import build_world

NOW = datetime(2026, 12, 2, 2, 0)


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: NOW):
        yield


def forwards(s, person) -> list[OutboxMessage]:
    rows = s.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person.id).order_by(OutboxMessage.id))
    return [m for m in rows if m.forward]


def test_only_the_owner_attaches_and_only_the_claimer_gets_it(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
        wang, chen = w.residents["王奶奶"].person, w.residents["陈大爷"].person
        zhang, liu = w.volunteers["张师傅"].person, w.volunteers["刘师傅"].person
        req = lifecycle.submit(
            s, actor_for_person(s, wang), NewRequest(RequestKind.SERVICE, "厨房水管漏水", category="维修")
        )
        ref = {"file_id": "f1", "chat_id": wang.telegram_id, "message_id": 7}
        with pytest.raises(DomainError):
            lifecycle.attach_photo(s, actor_for_person(s, chen), req.id, **ref)  # not hers
        assert lifecycle.recent_request(s, actor_for_person(s, chen), 10) is None
        assert lifecycle.recent_request(s, actor_for_person(s, wang), 10).id == req.id
        lifecycle.attach_photo(s, actor_for_person(s, wang), req.id, **ref)
        assert forwards(s, zhang) == [] and forwards(s, liu) == []  # the offer cards carry nothing
        lifecycle.claim(s, actor_for_person(s, zhang), req.id)
        [sent] = forwards(s, zhang)
        assert sent.forward == {"from_chat_id": wang.telegram_id, "message_id": 7} and forwards(s, liu) == []
        # one sent after the claim goes to the claimer at once
        lifecycle.attach_photo(s, actor_for_person(s, wang), req.id, **(ref | {"message_id": 8}))
        assert [m.forward["message_id"] for m in forwards(s, zhang)] == [7, 8] and forwards(s, liu) == []
        actions = s.scalars(select(Event.action).where(Event.request_id == req.id)).all()
        assert actions.count("attach_photo") == 2
        lifecycle.cancel(s, actor_for_person(s, wang), req.id, "不需要了")
        with pytest.raises(DomainError):
            lifecycle.attach_photo(s, actor_for_person(s, wang), req.id, **(ref | {"message_id": 9}))


def test_right_after_means_within_the_window(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
        wang = w.residents["王奶奶"].person
        req = lifecycle.submit(
            s, actor_for_person(s, wang), NewRequest(RequestKind.SERVICE, "厨房水管漏水", category="维修")
        )
        req.submitted_at = NOW - timedelta(minutes=11)
        s.flush()
        assert lifecycle.recent_request(s, actor_for_person(s, wang), 10) is None
        assert lifecycle.recent_request(s, actor_for_person(s, wang), 15).id == req.id
        assert (
            lifecycle.recent_request(s, actor_for_person(s, wang), None, since=NOW - timedelta(minutes=12)).id == req.id
        )
