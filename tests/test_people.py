"""Staff bootstrap, volunteer invites and resident registration."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from community import clock, people
from community.actors import actor_for_person
from community.errors import Forbidden, InvalidInput
from community.models import Person, Staff, Volunteer
from tests.builders import build_world


@pytest.fixture
def world(db):
    with db.factory() as s, s.begin():
        return build_world(s)


def test_first_staff_member_is_added_once_even_if_run_twice(db, world):
    with db.factory() as s, s.begin():
        community = people.community_by_code(s, "XFL")
        people.add_staff(s, community, "刘书记", "139 0000 1111", 777)
        people.add_staff(s, community, "刘书记", "13900001111", 777)
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(Staff).join(Person).where(Person.telegram_id == 777)) == 1


def test_invite_is_issued_by_staff_only_and_redeemed_once(db, world):
    with db.factory() as s, s.begin():
        with pytest.raises(Forbidden):
            people.issue_invites(s, actor_for_person(s, s.get(Person, world.residents["王奶奶"].person_id)))
        staff = actor_for_person(s, s.get(Person, world.staff.person_id))
        codes = [i.code for i in people.issue_invites(s, staff, count=3, team_code="repair2")]
        with pytest.raises(InvalidInput, match="服务队"):
            people.issue_invites(s, staff, team_code="no-such-team")
    assert len(set(codes)) == 3 and all(len(c) == 8 and not set(c) & set("0O1IL") for c in codes)
    with db.factory() as s, s.begin():
        v = people.redeem_invite(s, codes[0].lower(), telegram_id=5555, name="新来的小李", phone="13811112222")
        assert [t.code for t in v.teams] == ["repair2"] and v.grid_id == world.grids["G2"].id
    with db.factory() as s, s.begin(), pytest.raises(InvalidInput, match="邀请码无效"):
        people.redeem_invite(s, codes[0], telegram_id=6666, name="别人")


def test_expired_invite_is_refused(db, world):
    with db.factory() as s, s.begin():
        staff = actor_for_person(s, s.get(Person, world.staff.person_id))
        code = people.issue_invites(s, staff, days=1)[0].code
    later = clock.now().replace(microsecond=0)
    with clock.use_clock(lambda: datetime(later.year + 1, 1, 1)):
        with db.factory() as s, s.begin(), pytest.raises(InvalidInput, match="过期"):
            people.redeem_invite(s, code, telegram_id=5555, name="小李")


def test_volunteer_from_the_spreadsheet_is_linked_by_phone_not_duplicated(db, world):
    with db.factory() as s, s.begin():
        community = people.community_by_code(s)
        listed = Person(community_id=community.id, name="表格里的老赵", phone="13833334444")
        s.add(listed)
        s.flush()
        s.add(Volunteer(person=listed))
        staff = actor_for_person(s, s.get(Person, world.staff.person_id))
        code = people.issue_invites(s, staff)[0].code
    with db.factory() as s, s.begin():
        v = people.redeem_invite(s, code, telegram_id=4242, name="老赵", phone="138-3333-4444")
        assert v.person.name == "表格里的老赵" and v.person.telegram_id == 4242
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(Person).where(Person.phone == "13833334444")) == 1


def test_resident_registration_needs_consent(db, world):
    with db.factory() as s, s.begin():
        community = people.community_by_code(s)
        with pytest.raises(InvalidInput, match="同意"):
            people.register_resident(s, community, "李奶奶", telegram_id=9001, consent=False)
        resident = people.register_resident(s, community, "李奶奶", telegram_id=9001, consent=True)
        assert resident.consent_at is not None


def test_a_resident_registered_with_a_family_members_phone_is_a_new_person(db, world):
    """Staff register grandma with her son's number: she must not become her son."""
    with db.factory() as s, s.begin():
        community = people.community_by_code(s)
        son = people.register_resident(
            s,
            community,
            "儿子",
            phone="13955556666",
            telegram_id=9100,
            building_id=world.buildings[1].id,
            room="101",
            consent=True,
        )
        grandma = people.register_resident(
            s, community, "奶奶", phone="13955556666", building_id=world.buildings[4].id, room="202", consent=True
        )
        assert grandma.person_id != son.person_id
    with db.factory() as s:
        son_person = s.scalar(select(Person).where(Person.telegram_id == 9100))
        assert son_person.name == "儿子" and son_person.resident.building_id == world.buildings[1].id
