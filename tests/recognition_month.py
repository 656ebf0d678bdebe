"""A simulated month of volunteer work for the recognition tests, done through the
lifecycle on a fake clock (staff dispatch, the volunteer finishes with hours), so the
ledger holds exactly what the real product writes.

November 2026 (Asia/Shanghai), on tests.builders' community:

| volunteer | team           | October | November                          |
|-----------|----------------|---------|-----------------------------------|
| 张师傅    | 一网格维修队   | 2 h (1) | 2 + 1.5 + 1 = 4.5 h (3)           |
| 周大姐    | 社区助老服务队 | —       | 2.5 + 2 = 4.5 h (2)               |
| 刘师傅    | 一网格维修队   | —       | 2 + 2 = 4 h (2), opted out        |
| 赵阿姨    | 社区助老服务队 | —       | 3 h (1)                           |
| 孙师傅    | 二网格维修队   | 1 h (1) | —                                 |

The November board: 1. 张师傅 4.5 (3 services), 1. 周大姐 4.5 (2), 3. 赵阿姨 3;
刘师傅 is not listed. One job finishes at 07:30 on 1 November Beijing time (23:30 UTC on
31 October): it is November's.
"""

import itertools
from datetime import datetime

from community import lifecycle
from community.actors import actor_for_person
from community.lifecycle import NewRequest
from community.models import Person, RequestKind, Volunteer
from tests.builders import build_world

_texts = itertools.count(1)

# (when, naive UTC; volunteer; resident; category; hours)
JOBS = [
    (datetime(2026, 10, 12, 2, 0), "张师傅", "王奶奶", "维修", 2.0),
    (datetime(2026, 10, 20, 2, 0), "孙师傅", "陈大爷", "维修", 1.0),
    (datetime(2026, 10, 31, 23, 30), "张师傅", "王奶奶", "维修", 2.0),  # 11-01 07:30 in Shanghai
    (datetime(2026, 11, 5, 2, 0), "张师傅", "王奶奶", "维修", 1.5),
    (datetime(2026, 11, 9, 2, 0), "张师傅", "王奶奶", "维修", 1.0),
    (datetime(2026, 11, 6, 2, 0), "周大姐", "陈大爷", "助老", 2.5),
    (datetime(2026, 11, 18, 2, 0), "周大姐", "陈大爷", "助老", 2.0),
    (datetime(2026, 11, 10, 2, 0), "刘师傅", "王奶奶", "维修", 2.0),
    (datetime(2026, 11, 11, 2, 0), "刘师傅", "王奶奶", "维修", 2.0),
    (datetime(2026, 11, 25, 2, 0), "赵阿姨", "王奶奶", "助老", 3.0),
]
OPTED_OUT = "刘师傅"
WORK_UNITS = {"张师傅": "区人民医院", "刘师傅": "区人民医院", "赵阿姨": "市第一中学"}


def serve(s, world, volunteer: str, resident: str, category: str, hours: float) -> int:
    """One job: the resident orders, staff dispatch it, the volunteer finishes with hours."""
    res = s.get(Person, world.residents[resident].person_id)
    staff = s.get(Person, world.staff.person_id)
    worker = s.get(Volunteer, world.volunteers[volunteer].id)
    req = lifecycle.submit(
        s,
        actor_for_person(s, res),
        NewRequest(kind=RequestKind.SERVICE, description=f"{category}的事情第{next(_texts)}件", category=category),
    )
    lifecycle.dispatch(s, actor_for_person(s, staff), req.id, worker.id)
    lifecycle.finish(s, actor_for_person(s, worker.person), req.id, hours=hours)
    return req.id


def simulate_month(factory, fake_clock):
    """Build the community and play the table above; returns the world (ids only are safe
    to use after its session closed)."""
    with factory() as s, s.begin():
        world = build_world(s)
        for name, unit in WORK_UNITS.items():
            world.volunteers[name].work_unit = unit
    for at, volunteer, resident, category, hours in sorted(JOBS):
        fake_clock.current = at
        with factory() as s, s.begin():
            serve(s, world, volunteer, resident, category, hours)
    with factory() as s, s.begin():
        s.get(Volunteer, world.volunteers[OPTED_OUT].id).leaderboard_opt_out = True
    return world
