"""Offers go only to volunteers the bot can reach; when nobody reachable matches, the
resident is told so honestly and the grid leader and staff get the phone-only volunteers to
call; after 放弃 the volunteers whose cards said 已被认领 get the request again. On SQLite
and PostgreSQL (the `db` fixture)."""

from datetime import datetime

import pytest
from sqlalchemy import select

from community import clock, lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import Offer, OfferStatus, OutboxMessage, RequestKind
from tests.builders import add_volunteer, build_world


@pytest.fixture(autouse=True)
def daytime():
    with clock.use_clock(lambda: datetime(2026, 11, 23, 2, 0)):  # 10:00 in Shanghai
        yield


def _order(s, world, text="厨房水管漏水"):
    wang = world.residents["王奶奶"].person
    return lifecycle.submit(
        s, actor_for_person(s, wang), NewRequest(kind=RequestKind.SERVICE, description=text, category="维修")
    )


def _messages(s, person, request_id, kind=None):
    q = select(OutboxMessage).where(OutboxMessage.person_id == person.id, OutboxMessage.request_id == request_id)
    if kind:
        q = q.where(OutboxMessage.kind == kind)
    return s.scalars(q.order_by(OutboxMessage.id)).all()


def test_cards_go_only_to_volunteers_the_bot_can_reach(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
        # Spreadsheet volunteers with no Telegram account, in the same building as the resident:
        # they would rank first, and used to take the offer slots.
        for name in ("表格志愿者甲", "表格志愿者乙", "表格志愿者丙", "表格志愿者丁", "表格志愿者戊"):
            add_volunteer(s, w, name, "G1", ["repair1"], building=1).person.telegram_id = None
        blocked = add_volunteer(s, w, "拉黑了的", "G1", ["repair1"], building=1)
        blocked.person.telegram_blocked_at = clock.now()
        paused = add_volunteer(s, w, "暂停中的", "G1", ["repair1"], building=1)
        paused.available = False
        s.flush()
        req = _order(s, w)
        offered = {o.volunteer_id for o in s.scalars(select(Offer).where(Offer.request_id == req.id))}
        assert offered == {w.volunteers["张师傅"].id, w.volunteers["刘师傅"].id}
        assert _messages(s, w.volunteers["张师傅"].person, req.id, "offer")
        assert not _messages(s, w.residents["王奶奶"].person, req.id, "no_volunteer_yet")


def test_nobody_reachable_tells_the_resident_and_lists_phones_for_staff_and_the_leader(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
        for v in w.volunteers.values():
            v.person.telegram_id = None  # spreadsheet volunteers, not linked yet
        w.volunteers["张师傅"].person.phone = "13855550001"
        s.flush()
        req = _order(s, w)
        assert not s.scalars(select(Offer).where(Offer.request_id == req.id)).all()
        told = [m.text for m in _messages(s, w.residents["王奶奶"].person, req.id)]
        assert any("暂时还没有能在线接单的志愿者" in t for t in told), told
        for person in (w.staff.person, w.leaders["G1"]):
            [alert] = _messages(s, person, req.id, "no_candidates")
            assert "13855550001" in alert.text and "张师傅" in alert.text


def test_a_wish_published_with_nobody_reachable_is_not_announced_as_sent(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
        for v in w.volunteers.values():
            v.person.telegram_id = None
        s.flush()
        chen = w.residents["陈大爷"].person
        wish = lifecycle.submit(
            s, actor_for_person(s, chen), NewRequest(kind=RequestKind.WISH, description="想要收音机")
        )
        lifecycle.publish(s, actor_for_person(s, w.staff.person), wish.id)
        [published] = _messages(s, chen, wish.id, "published")
        assert "暂时还没有能在线接单的志愿者" in published.text and "已审核通过并发布" not in published.text


def test_after_release_the_earlier_offer_holders_get_a_fresh_card(db):
    with db.factory() as s, s.begin():
        w = build_world(s)
        zhang, liu = w.volunteers["张师傅"], w.volunteers["刘师傅"]
        req = _order(s, w)
        lifecycle.claim(s, actor_for_person(s, zhang.person), req.id)
        [liu_card] = _messages(s, liu.person, req.id, "offer")
        lifecycle.release(s, actor_for_person(s, zhang.person), req.id, "临时有事")
        cards = _messages(s, liu.person, req.id, "offer")
        assert len(cards) == 2 and cards[-1].id != liu_card.id and cards[-1].edit_of is None
        assert "claim" in str(cards[-1].buttons)
        assert len(_messages(s, zhang.person, req.id, "offer")) == 1  # not offered again to who released it
        status = s.scalar(select(Offer.status).where(Offer.request_id == req.id, Offer.volunteer_id == liu.id))
        assert status == OfferStatus.OFFERED
        # 刘师傅 can claim it from the fresh card, and the card is withdrawn again for the others.
        lifecycle.claim(s, actor_for_person(s, liu.person), req.id)
        assert s.get(type(req), req.id).volunteer_id == liu.id
