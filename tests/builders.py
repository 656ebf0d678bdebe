"""A small, fully known community for tests.

Two grids (G1: buildings 1–3, G2: buildings 4–5), a community-wide elderly-care team and a
repair team per grid, categories 维修/助老/代购/理发, one staff member, grid leaders, volunteers
and residents. Names and Telegram ids are fixed so tests can assert on who got what.
"""

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from community.models import (
    Building,
    Community,
    Grid,
    PartyGroup,
    Person,
    Resident,
    ServiceCategory,
    Staff,
    Volunteer,
    VolunteerTeam,
)


@dataclass
class World:
    community: Community
    grids: dict[str, Grid] = field(default_factory=dict)
    buildings: dict[int, Building] = field(default_factory=dict)
    categories: dict[str, ServiceCategory] = field(default_factory=dict)
    teams: dict[str, VolunteerTeam] = field(default_factory=dict)
    volunteers: dict[str, Volunteer] = field(default_factory=dict)
    residents: dict[str, Resident] = field(default_factory=dict)
    staff: Staff | None = None
    leaders: dict[str, Person] = field(default_factory=dict)


_next_tg = iter(range(1000, 10**9))


def person(s: Session, community: Community, name: str, phone: str | None = None, telegram: bool = True) -> Person:
    p = Person(community_id=community.id, name=name, phone=phone, telegram_id=next(_next_tg) if telegram else None)
    s.add(p)
    s.flush()
    return p


def add_volunteer(
    s: Session,
    world: World,
    name: str,
    grid: str | None,
    teams: list[str],
    building: int | None = None,
    max_load: int = 3,
) -> Volunteer:
    v = Volunteer(
        person=person(s, world.community, name, phone="13800000000"),
        grid_id=world.grids[grid].id if grid else None,
        building_id=world.buildings[building].id if building else None,
        max_load=max_load,
        is_party_member=True,
    )
    v.teams = [world.teams[t] for t in teams]
    s.add(v)
    s.flush()
    world.volunteers[name] = v
    return v


def add_resident(s: Session, world: World, name: str, building: int = 1, telegram: bool = True) -> Resident:
    from community import clock

    r = Resident(
        person=person(s, world.community, name, phone="13912345678", telegram=telegram),
        building_id=world.buildings[building].id,
        unit=1,
        room="101",
        consent_at=clock.now(),
    )
    s.add(r)
    s.flush()
    world.residents[name] = r
    return r


def build_world(s: Session) -> World:
    c = Community(code="XFL", name="幸福里社区")
    s.add(c)
    s.flush()
    w = World(community=c)
    for code, name in [("G1", "第一网格"), ("G2", "第二网格")]:
        g = Grid(community_id=c.id, code=code, name=name)
        s.add(g)
        s.flush()
        s.add(PartyGroup(grid_id=g.id, kind="branch", name=f"{name}党支部", secretary_name="王书记"))
        w.grids[code] = g
    for number in range(1, 6):
        b = Building(
            community_id=c.id,
            grid_id=w.grids["G1" if number <= 3 else "G2"].id,
            number=number,
            name=f"{number}号楼",
            aliases="老干部楼" if number == 5 else "",
            units=3,
            floors=6,
        )
        s.add(b)
        w.buildings[number] = b
    for code, name, hours, due in [
        ("repair", "维修", 1.5, 48),
        ("elderly", "助老", 2, 24),
        ("shopping", "代购", 1, 24),
        ("haircut", "理发", 1, 72),
    ]:
        cat = ServiceCategory(community_id=c.id, code=code, name=name, default_hours=hours, due_hours=due, synonyms="")
        s.add(cat)
        w.categories[code] = cat
    s.flush()
    w.categories["repair"].synonyms = "修理|水管|灯泡"
    for code, name, grid, skills in [
        ("repair1", "一网格维修队", "G1", ["repair"]),
        ("repair2", "二网格维修队", "G2", ["repair"]),
        ("care", "社区助老服务队", None, ["elderly", "shopping", "haircut"]),
    ]:
        t = VolunteerTeam(community_id=c.id, code=code, name=name, grid_id=w.grids[grid].id if grid else None)
        t.skills = [w.categories[k] for k in skills]
        s.add(t)
        w.teams[code] = t
    s.flush()
    w.categories["repair"].default_team_id = w.teams["repair1"].id
    w.categories["elderly"].default_team_id = w.teams["care"].id

    staff_person = person(s, c, "李主任", phone="13700000000")
    w.staff = Staff(person=staff_person)
    s.add(w.staff)
    for g in ("G1", "G2"):
        leader = person(s, c, f"{g}网格长", phone="13600000000")
        w.grids[g].leader_person_id = leader.id
        w.leaders[g] = leader
    add_volunteer(s, w, "张师傅", "G1", ["repair1"], building=1)
    add_volunteer(s, w, "刘师傅", "G1", ["repair1"], building=3)
    add_volunteer(s, w, "赵阿姨", "G1", ["care"], building=2)
    add_volunteer(s, w, "孙师傅", "G2", ["repair2"], building=4)
    add_volunteer(s, w, "周大姐", "G2", ["care"], building=5)
    add_resident(s, w, "王奶奶", building=1)
    add_resident(s, w, "陈大爷", building=4)
    add_resident(s, w, "没有手机的吴奶奶", building=2, telegram=False)
    s.flush()
    return w
