"""Staff actions on people and keys (community.staffing), the specialised-category ranking
and the lookups the web workbench needs, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select

from community import lifecycle, people, routing, staffing
from community.actors import actor_for_person
from community.errors import DomainError, Forbidden, IllegalTransition, NotFound
from community.models import (
    ApiKey,
    AuditEntry,
    Offer,
    Person,
    Resident,
    ServiceCategory,
    Staff,
    Volunteer,
    VolunteerTeam,
)
from tests.builders import add_volunteer, build_world, person


@pytest.fixture
def world(db):
    with db.factory() as s, s.begin():
        return build_world(s)


def _actor(s, person_id):
    return actor_for_person(s, s.get(Person, person_id), channel="web")


def _second_staff(s, world) -> int:
    p = person(s, world.community, "赵干事", phone="13700000001")
    s.add(Staff(person=p))
    s.flush()
    return p.id


def test_offboarding_ends_the_role_and_is_audited_but_never_for_oneself_or_the_last(db, world):
    boss = world.staff.person_id
    with db.factory() as s, s.begin():
        with pytest.raises(Forbidden, match="不能为自己办理离职"):
            staffing.offboard_staff(s, _actor(s, boss), boss)
    with db.factory() as s, s.begin():
        zhao = _second_staff(s, world)
    with db.factory() as s, s.begin():
        staffing.offboard_staff(s, _actor(s, boss), zhao, "调往街道")
    with db.factory() as s, s.begin():
        assert s.scalar(select(Staff.active).where(Staff.person_id == zhao)) is False
        assert _actor(s, zhao).is_staff is False
        [entry] = s.scalars(select(AuditEntry)).all()
        assert (entry.action, entry.actor_person_id, entry.target_person_id, entry.channel, entry.note) == (
            "staff_offboarded",
            boss,
            zhao,
            "web",
            "调往街道",
        )
        with pytest.raises(IllegalTransition, match="已经停用"):
            staffing.offboard_staff(s, _actor(s, boss), zhao)


def test_only_staff_act_on_people(db, world):
    with db.factory() as s, s.begin():
        leader = _actor(s, world.leaders["G1"].id)
        zhang = world.volunteers["张师傅"].id
        for call in (
            lambda: staffing.set_volunteer_paused(s, leader, zhang, True),
            lambda: staffing.deactivate_volunteer(s, leader, zhang),
            lambda: staffing.offboard_staff(s, leader, world.staff.person_id),
        ):
            with pytest.raises(Forbidden):
                call()
        assert s.scalars(select(AuditEntry)).all() == []


def test_a_deactivated_volunteer_gets_no_offer_and_cannot_claim(db, world):
    staff = world.staff.person_id
    zhang = world.volunteers["张师傅"]
    with db.factory() as s, s.begin():
        staffing.deactivate_volunteer(s, _actor(s, staff), zhang.id, "搬走了")
    with db.factory() as s, s.begin():
        wang = actor_for_person(s, s.get(Resident, world.residents["王奶奶"].id).person)
        req = lifecycle.submit(s, wang, lifecycle.NewRequest(kind="service", description="水管漏水", category="维修"))
        offered = set(s.scalars(select(Offer.volunteer_id).where(Offer.request_id == req.id)))
        assert zhang.id not in offered and world.volunteers["刘师傅"].id in offered
        zhang_actor = actor_for_person(s, s.get(Volunteer, zhang.id).person)
        assert zhang_actor.volunteer_id is None
        with pytest.raises(DomainError):
            lifecycle.claim(s, zhang_actor, req.id)
        request_id = req.id
    with db.factory() as s, s.begin():
        # 刘师傅 takes it; he cannot be deactivated while he holds it.
        liu = world.volunteers["刘师傅"]
        lifecycle.claim(s, actor_for_person(s, s.get(Volunteer, liu.id).person), request_id)
    with db.factory() as s, s.begin():
        with pytest.raises(IllegalTransition, match=f"编号 {request_id}"):
            staffing.deactivate_volunteer(s, _actor(s, staff), world.volunteers["刘师傅"].id)
    with db.factory() as s, s.begin():
        staffing.reactivate_volunteer(s, _actor(s, staff), zhang.id)
        assert actor_for_person(s, s.get(Volunteer, zhang.id).person).volunteer_id == zhang.id
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["volunteer_deactivated", "volunteer_reactivated"]


def test_pause_and_resume_on_the_volunteers_behalf(db, world):
    with db.factory() as s, s.begin():
        staffing.set_volunteer_paused(s, _actor(s, world.staff.person_id), world.volunteers["孙师傅"].id, True, "住院")
        v = s.get(Volunteer, world.volunteers["孙师傅"].id)
        assert v.available is False and v.availability_note == "住院"
        names = [
            c.name
            for c in routing.rank_candidates(
                s,
                grid_id=world.grids["G2"].id,
                building_id=None,
                category_id=world.categories["repair"].id,
                community_id=world.community.id,
                limit=10,
            )
        ]
        assert "孙师傅" not in names


def test_revoking_an_api_key(db, world):
    with db.factory() as s, s.begin():
        key = ApiKey(
            community_id=world.community.id,
            name="12345热线",
            key_hash="x" * 64,
            issued_by_person_id=world.staff.person_id,
        )
        s.add(key)
        s.flush()
        staffing.revoke_api_key(s, _actor(s, world.staff.person_id), key.id)
        assert key.revoked_at is not None
        with pytest.raises(IllegalTransition):
            staffing.revoke_api_key(s, _actor(s, world.staff.person_id), key.id)
        with pytest.raises(NotFound):
            staffing.revoke_api_key(s, _actor(s, world.staff.person_id), key.id + 99)


def test_a_specialised_category_asks_the_skilled_team_before_grid_neighbours(db, world):
    with db.factory() as s, s.begin():
        legal = ServiceCategory(community_id=world.community.id, code="legal", name="法律咨询", synonyms="")
        s.add(legal)
        s.flush()
        team = VolunteerTeam(community_id=world.community.id, code="legal", name="法律咨询服务队", grid_id=None)
        team.skills = [legal]
        s.add(team)
        s.flush()
        world.teams["legal"] = team
        add_volunteer(s, world, "钱律师", "G2", ["legal"])
        category_id = legal.id

    def ranked(s):
        return [
            c.name
            for c in routing.rank_candidates(
                s,
                grid_id=world.grids["G1"].id,
                building_id=world.buildings[1].id,
                category_id=category_id,
                community_id=world.community.id,
                limit=10,
            )
        ]

    with db.factory() as s:
        assert ranked(s)[0] != "钱律师"  # an ordinary category: the grid's neighbours first
    with db.factory() as s, s.begin():
        s.get(ServiceCategory, category_id).skill_required = True
    with db.factory() as s:
        names = ranked(s)
        assert names[0] == "钱律师" and set(names[1:]) == {"张师傅", "刘师傅", "赵阿姨"}


def test_find_residents_by_phone_digits_or_name_within_a_scope(db, world):
    with db.factory() as s:
        cid = world.community.id
        assert {r.person.name for r in people.find_residents(s, cid, "13912345678")} == {
            "王奶奶",
            "陈大爷",
            "没有手机的吴奶奶",
        }
        assert {r.person.name for r in people.find_residents(s, cid, "5678")} == {
            "王奶奶",
            "陈大爷",
            "没有手机的吴奶奶",
        }
        assert [r.person.name for r in people.find_residents(s, cid, "陈")] == ["陈大爷"]
        g2 = frozenset({world.grids["G2"].id})
        assert [r.person.name for r in people.find_residents(s, cid, "5678", grid_ids=g2)] == ["陈大爷"]
        assert people.find_residents(s, cid, "  ") == []


def test_nearest_point_and_no_coordinates_means_none(db, world):
    points = [(1, 39.9000, 116.4000), (2, 39.9010, 116.4010)]
    assert routing.nearest(points, 39.9009, 116.4009) == 2
    assert routing.nearest(points, 39.9001, 116.4001) == 1
    assert routing.nearest(points, 40.5, 117.0) is None  # kilometres away: not here
    # 0.001° of latitude is 111 m; of longitude at 39.9°N, 85 m.
    assert 139 < routing.distance_m(39.9000, 116.4000, 39.9010, 116.4010) < 141
    with db.factory() as s, s.begin():
        if hasattr(routing.Building, "latitude"):  # buildings.csv coordinates (engineer handoff's columns)
            s.get(routing.Building, world.buildings[4].id).latitude = 39.9010
            s.get(routing.Building, world.buildings[4].id).longitude = 116.4010
            assert routing.nearest_building(s, world.community.id, 39.9009, 116.4009) == world.buildings[4].id
        else:  # no building has coordinates: callers fall back to the address text
            assert routing.nearest_building(s, world.community.id, 39.9, 116.4) is None
