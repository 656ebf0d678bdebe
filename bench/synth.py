"""Shared pieces of the benchmarks: a throwaway database, a synthetic community built
with bulk inserts, realistic address texts, percentiles and a plain-text table.

The synthetic community (defaults): 50 grids x 20 buildings = 1,000 buildings, 10,000
volunteers spread over grids and buildings, a repair team per grid, 8 community-wide
teams with 1-3 skills each, a 10-category service menu, 2 residents per building, a
grid leader per grid and one staff member. Some volunteers are unavailable, busy (non-zero
active_load, a few at their limit) or rated. Everything is seeded: same seed, same data.
"""

from __future__ import annotations

import os
import platform
import random
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cn2an
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from community import clock
from community.db import connection_problem
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
    team_members,
    team_skills,
)

# --- database ----------------------------------------------------------------------------


@contextmanager
def throwaway_database(url: str | None, label: str) -> Iterator[str]:
    """A URL of an empty database that is ours alone, removed afterwards.

    None: a SQLite file in a fresh directory under /tmp. A PostgreSQL URL is used only
    as the server to connect to: a database `nuanxin_bench_<hex>` is created there and
    dropped at the end; no other database is touched. A SQLite URL must name a file
    that does not exist yet (it is kept, for inspection)."""
    if url is None:
        tmp = Path(tempfile.mkdtemp(prefix=f"nuanxin-bench-{label}-", dir="/tmp"))
        try:
            yield f"sqlite:///{tmp / 'bench.db'}"
        finally:
            for f in tmp.iterdir():
                f.unlink()
            tmp.rmdir()
        return
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and Path(parsed.database).exists():
            raise SystemExit(f"refusing to reuse an existing SQLite file: {parsed.database}")
        yield url
        return
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit(f"unsupported backend: {parsed.get_backend_name()}")
    name = f"nuanxin_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def postgres_reachable(url: str) -> str | None:
    """None if the server answers, else the reason."""
    return connection_problem(url)


def describe_machine(engine: Engine) -> list[str]:
    if engine.dialect.name == "sqlite":
        backend = f"SQLite {sqlite3.sqlite_version} (file, WAL, synchronous=NORMAL)"
    else:
        with engine.connect() as conn:
            backend = "PostgreSQL " + conn.execute(text("show server_version")).scalar()
    return [
        f"machine: nproc={os.cpu_count()}  {platform.machine()}  Python {platform.python_version()}",
        f"backend: {backend}",
    ]


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- the synthetic community ---------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    grids: int = 50
    buildings_per_grid: int = 20
    volunteers: int = 10_000
    residents_per_building: int = 2

    @property
    def buildings(self) -> int:
        return self.grids * self.buildings_per_grid


QUICK = Scale(grids=5, buildings_per_grid=20, volunteers=1_000, residents_per_building=1)

# (code, name, synonyms, default_hours, due_hours)
CATEGORIES = [
    ("repair", "维修", "修理|水管|灯泡|电路", 1.5, 48),
    ("elderly", "助老", "养老|老人", 2.0, 24),
    ("housekeeping", "家政", "保洁|打扫", 2.0, 48),
    ("haircut", "理发", "剪头", 1.0, 72),
    ("legal", "法律咨询", "法律|律师", 1.0, 72),
    ("shopping", "代购", "买菜|跑腿", 1.0, 24),
    ("escort", "陪医", "陪诊|看病", 3.0, 24),
    ("counseling", "心理疏导", "心理|谈心", 1.0, 48),
    ("tech", "手机电脑", "智能手机|电脑", 1.0, 72),
    ("tutoring", "课业辅导", "辅导|作业", 2.0, 72),
]
# Community-wide teams: (code, name, skills, share of all volunteers who are members).
WIDE_TEAMS = [
    ("care", "社区助老服务队", ["elderly", "escort"], 0.25),
    ("errands", "便民代购队", ["shopping"], 0.15),
    ("home", "巧手家政队", ["housekeeping"], 0.08),
    ("barber", "爱心理发队", ["haircut"], 0.03),
    ("law", "法律服务队", ["legal"], 0.01),
    ("heart", "心理疏导队", ["counseling"], 0.015),
    ("digital", "数码助老队", ["tech", "elderly"], 0.05),
    ("youth", "青年志愿服务队", ["tutoring", "tech", "shopping"], 0.10),
]
REPAIR_TEAM_SHARE = 0.12  # of a grid's volunteers, in that grid's repair team
ALIASES = [
    "老干部楼",
    "教师公寓",
    "粮站宿舍",
    "医院家属院",
    "邮电小区",
    "纺织厂宿舍",
    "供电局宿舍",
    "税务楼",
    "老粮库",
    "园丁楼",
    "铁路宿舍",
    "银行宿舍",
    "水厂宿舍",
    "人武部大院",
    "公安宿舍",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华兰"


@dataclass(frozen=True)
class BuildingInfo:
    id: int
    grid_id: int
    number: int
    name: str
    units: int
    alias: str | None


@dataclass(frozen=True)
class ResidentInfo:
    id: int
    person_id: int
    building_id: int


@dataclass
class World:
    community_id: int
    grid_ids: list[int]
    buildings: list[BuildingInfo]
    categories: dict[str, int]  # code -> id
    category_names: dict[str, str]  # code -> name
    repair_team_by_grid: dict[int, int]
    residents: list[ResidentInfo]
    staff_person_id: int
    counts: dict[str, int] = field(default_factory=dict)
    next_telegram_id: int = 0

    def take_telegram_ids(self, n: int) -> list[int]:
        first = self.next_telegram_id
        self.next_telegram_id += n
        return list(range(first, first + n))


def _ids(session: Session, model, rows: list[dict]) -> list[int]:
    """Bulk INSERT ... RETURNING id (insertmanyvalues), ids in the order of `rows`."""
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def build_world(session: Session, scale: Scale, seed: int = 1) -> World:
    """Create the synthetic community in the session's transaction (bulk inserts only)."""
    rng = random.Random(seed)
    now = clock.now()
    tg = iter(range(7_000_000_000, 8_000_000_000))
    community_id = _ids(session, Community, [{"code": f"BENCH{seed}", "name": "幸福里社区(基准)"}])[0]

    staff_person_id = _ids(
        session,
        Person,
        [
            {
                "community_id": community_id,
                "name": "李主任",
                "telegram_id": next(tg),
                "phone": "13700000000",
                "created_at": now,
            }
        ],
    )[0]
    session.execute(insert(Staff), [{"person_id": staff_person_id, "active": True}])

    leaders = _ids(
        session,
        Person,
        [
            {
                "community_id": community_id,
                "name": f"{_name(rng)}(网格长)",
                "telegram_id": next(tg),
                "phone": "13600000000",
                "created_at": now,
            }
            for _ in range(scale.grids)
        ],
    )
    grid_ids = _ids(
        session,
        Grid,
        [
            {
                "community_id": community_id,
                "code": f"G{g + 1:02d}",
                "name": f"第{cn2an.an2cn(g + 1)}网格",
                "leader_person_id": leaders[g],
            }
            for g in range(scale.grids)
        ],
    )

    aliases = dict(
        zip(
            rng.sample(range(1, min(scale.buildings, 999) + 1), min(len(ALIASES), scale.buildings)),
            ALIASES,
            strict=False,
        )
    )
    brows = []
    for n in range(1, scale.buildings + 1):
        brows.append(
            {
                "community_id": community_id,
                "grid_id": grid_ids[(n - 1) // scale.buildings_per_grid],
                "number": n,
                "name": f"{n}号楼",
                "aliases": aliases.get(n, ""),
                "units": rng.choices([1, 2, 3, 4, 5, 6], weights=[10, 25, 30, 20, 10, 5])[0],
                "floors": rng.choice([6, 6, 7, 11, 18]),
            }
        )
    building_ids = _ids(session, Building, brows)
    buildings = [
        BuildingInfo(i, r["grid_id"], r["number"], r["name"], r["units"], r["aliases"] or None)
        for i, r in zip(building_ids, brows, strict=False)
    ]
    by_grid: dict[int, list[BuildingInfo]] = {}
    for b in buildings:
        by_grid.setdefault(b.grid_id, []).append(b)

    session.execute(
        insert(PartyGroup),
        [
            {
                "grid_id": g,
                "kind": "branch",
                "name": f"第{cn2an.an2cn(i + 1)}网格党支部",
                "secretary_name": _name(rng),
                "building_id": None,
            }
            for i, g in enumerate(grid_ids)
        ]
        + [
            {
                "grid_id": g,
                "kind": "building",
                "name": f"{by_grid[g][0].name}党小组",
                "secretary_name": _name(rng),
                "building_id": by_grid[g][0].id,
            }
            for g in grid_ids
        ],
    )

    cat_ids = _ids(
        session,
        ServiceCategory,
        [
            {
                "community_id": community_id,
                "code": code,
                "name": name,
                "synonyms": syn,
                "default_hours": hours,
                "due_hours": due,
                "active": True,
                "default_team_id": None,
            }
            for code, name, syn, hours, due in CATEGORIES
        ],
    )
    categories = {c[0]: i for c, i in zip(CATEGORIES, cat_ids, strict=False)}

    repair_team_ids = _ids(
        session,
        VolunteerTeam,
        [
            {
                "community_id": community_id,
                "code": f"repair-{i + 1:02d}",
                "name": f"第{cn2an.an2cn(i + 1)}网格维修队",
                "grid_id": g,
            }
            for i, g in enumerate(grid_ids)
        ],
    )
    wide_team_ids = _ids(
        session,
        VolunteerTeam,
        [
            {"community_id": community_id, "code": code, "name": name, "grid_id": None}
            for code, name, _, _ in WIDE_TEAMS
        ],
    )
    session.execute(
        insert(team_skills),
        [{"team_id": t, "category_id": categories["repair"]} for t in repair_team_ids]
        + [
            {"team_id": t, "category_id": categories[skill]}
            for t, (_, _, skills, _) in zip(wide_team_ids, WIDE_TEAMS, strict=False)
            for skill in skills
        ],
    )
    # The first community-wide team having a category's skill is its default team (repair: none,
    # the grid's own repair team is chosen by routing.team_for).
    for code, cat_id in categories.items():
        owner = next(
            (t for t, (_, _, skills, _) in zip(wide_team_ids, WIDE_TEAMS, strict=False) if code in skills), None
        )
        if code != "repair" and owner:
            session.execute(
                ServiceCategory.__table__.update().where(ServiceCategory.id == cat_id).values(default_team_id=owner)
            )

    # Volunteers.
    vol_people, vol_rows = [], []
    for _ in range(scale.volunteers):
        vol_people.append(
            {
                "community_id": community_id,
                "name": _name(rng),
                "telegram_id": next(tg),
                "phone": f"138{rng.randrange(10**8):08d}",
                "created_at": now,
            }
        )
    person_ids = _ids(session, Person, vol_people)
    for pid in person_ids:
        grid = rng.choice(grid_ids) if rng.random() < 0.95 else None
        building = rng.choice(by_grid[grid]).id if grid and rng.random() < 0.85 else None
        max_load = rng.choices([3, 2, 5], weights=[80, 10, 10])[0]
        load = min(max_load, rng.choices([0, 1, 2, 3], weights=[70, 18, 8, 4])[0])
        rated = rng.random() < 0.4
        count = rng.randint(1, 40) if rated else 0
        vol_rows.append(
            {
                "person_id": pid,
                "grid_id": grid,
                "building_id": building,
                "is_party_member": rng.random() < 0.35,
                "available": rng.random() < 0.93,
                "availability_note": rng.choice(["", "", "周末全天", "工作日晚上"]),
                "max_load": max_load,
                "active_load": load,
                "rating_sum": round(count * rng.uniform(3.5, 5.0)),
                "rating_count": count,
                "rating_recent": round(rng.uniform(2.5, 5.0), 3) if rated else 4.0,
                "hours_total": round(rng.uniform(0, 200), 1) if rated else 0.0,
                "points_total": rng.randrange(0, 2000) if rated else 0,
                "joined_at": now,
            }
        )
    volunteer_ids = _ids(session, Volunteer, vol_rows)
    repair_team_by_grid = dict(zip(grid_ids, repair_team_ids, strict=False))
    members = []
    for vid, row in zip(volunteer_ids, vol_rows, strict=False):
        if row["grid_id"] and rng.random() < REPAIR_TEAM_SHARE:
            members.append({"team_id": repair_team_by_grid[row["grid_id"]], "volunteer_id": vid})
        for t, (_, _, _, share) in zip(wide_team_ids, WIDE_TEAMS, strict=False):
            if rng.random() < share:
                members.append({"team_id": t, "volunteer_id": vid})
    session.execute(insert(team_members), members)

    # Residents (80% on Telegram; the rest registered by staff).
    res_people, res_rows = [], []
    for b in buildings:
        for _ in range(scale.residents_per_building):
            res_people.append(
                {
                    "community_id": community_id,
                    "name": _name(rng),
                    "telegram_id": next(tg) if rng.random() < 0.8 else None,
                    "phone": f"139{rng.randrange(10**8):08d}",
                    "created_at": now,
                }
            )
            res_rows.append(
                {
                    "building_id": b.id,
                    "unit": rng.randint(1, b.units),
                    "room": f"{rng.randint(1, 6)}0{rng.randint(1, 4)}",
                    "consent_at": now,
                    "registered_by_person_id": None,
                }
            )
    res_person_ids = _ids(session, Person, res_people)
    for pid, row in zip(res_person_ids, res_rows, strict=False):
        row["person_id"] = pid
    resident_ids = _ids(session, Resident, res_rows)
    residents = [
        ResidentInfo(i, r["person_id"], r["building_id"]) for i, r in zip(resident_ids, res_rows, strict=False)
    ]
    session.flush()
    return World(
        community_id=community_id,
        grid_ids=grid_ids,
        buildings=buildings,
        categories=categories,
        category_names={c[0]: c[1] for c in CATEGORIES},
        repair_team_by_grid=repair_team_by_grid,
        residents=residents,
        staff_person_id=staff_person_id,
        counts={
            "grids": len(grid_ids),
            "buildings": len(buildings),
            "volunteers": len(volunteer_ids),
            "team memberships": len(members),
            "teams": len(repair_team_ids) + len(wide_team_ids),
            "categories": len(categories),
            "residents": len(resident_ids),
            "unavailable": sum(not r["available"] for r in vol_rows),
            "at load limit": sum(r["active_load"] >= r["max_load"] for r in vol_rows),
        },
        next_telegram_id=next(tg),
    )


# --- address texts -------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def address_text(rng: random.Random, b: BuildingInfo) -> str:
    """One way a resident might type or say the address of building `b`."""
    unit = rng.randint(1, b.units)
    room = f"{rng.randint(1, 6)}0{rng.randint(1, 4)}"
    n = b.number
    forms = [
        f"{n}号楼{unit}单元{room}",
        f"{n}栋{unit}单元",
        f"{cn2an.an2cn(n)}栋{cn2an.an2cn(unit)}单元",
        f"{cn2an.an2cn(n)}号楼{cn2an.an2cn(unit)}单元{''.join(cn2an.an2cn(int(d)) if d != '0' else '零' for d in room)}",
        f"{n}-{unit}-{room}",
        f"{n}号楼{unit}单元{room}".translate(_FULL_WIDTH),
        f"{n}号{unit}单元{room}",
        f"{n}幢{room}",
        f"幸福里社区{n}号楼{unit}单元{room}室",
        f"{n}座 {unit}单元",
    ]
    if b.alias:
        forms += [f"{b.alias}", f"{b.alias}{unit}单元{room}", f"住在{b.alias}{unit}单元"] * 3
    return rng.choice(forms)


# --- figures -------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    values = sorted(values)
    k = (len(values) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def latency_row(label: str, seconds: list[float]) -> list[str]:
    ms = [s * 1000.0 for s in seconds]
    return [label, str(len(ms)), *(f"{percentile(ms, p):.3f}" for p in (50, 95, 99)), f"{max(ms):.3f}"]


LATENCY_HEADER = ["case", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"]


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        cells = [r[0] + " " * (widths[0] - _width(r[0]))] + [
            " " * (w - _width(c)) + c for c, w in zip(r[1:], widths[1:], strict=False)
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in s)
