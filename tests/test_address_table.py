"""One address parser, two paths, the same answers.

Every row is a real way residents write an address (门洞, 栋, 座, 3-502, 三号楼二单元五零二,
7-2-601, Traditional characters, full-width digits, with and without the community's name,
with noise around). Each row goes through

* the domain's path: `routing.parse_address` and `routing.resolve_address` on a community
  (what the guided order, 代下单, Open311 and the Rasa form's validation call), on SQLite
  and PostgreSQL;
* Rasa's path: the NLU pipeline's own components in Rasa's Python 3.10 environment
  (`ChineseTextNormalizer`, then `ChineseEntityNormalizer` on an `address` entity over the
  text, as DIET tags it), and then the value Rasa puts in the slot through the domain again,
  as the form's validation does;

and both must give the row's building(s), unit and room.
"""

import json
import subprocess
from pathlib import Path

import pytest

from community.errors import AddressQuestion
from community.models import Building, Community, Grid
from community.routing import parse_address, resolve_address

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
COMMUNITY_NAME = "幸福里社区"
BUILDINGS = [*range(1, 31), 102, 1000]
UNITS = 6

# (text, building numbers, unit, room); no building or several: the resident is asked.
ROWS = [
    # plain 号楼 / 单元 / room
    ("3号楼2单元502", (3,), 2, "502"),
    ("3号楼2单元502室", (3,), 2, "502"),
    ("12号楼1单元301", (12,), 1, "301"),
    ("3 号楼 2 单元 502", (3,), 2, "502"),
    ("3号楼2单元", (3,), 2, None),
    ("3号楼", (3,), None, None),
    ("3号楼502", (3,), None, "502"),
    ("3号楼1101室", (3,), None, "1101"),
    ("3号楼2单元502号", (3,), 2, "502"),
    ("3号楼2单元502房", (3,), 2, "502"),
    ("3号楼2单元502户", (3,), 2, "502"),
    # 门洞 / 门 / 单
    ("3号楼2门洞502", (3,), 2, "502"),
    ("3号楼2门502", (3,), 2, "502"),
    ("3号楼二门洞五零二", (3,), 2, "502"),
    ("5号楼3门洞", (5,), 3, None),
    ("3号楼2单502", (3,), 2, "502"),
    # 栋 / 幢 / 座 / 号院
    ("3栋2单元502室", (3,), 2, "502"),
    ("7栋3单元201", (7,), 3, "201"),
    ("5栋301", (5,), None, "301"),
    ("5幢602", (5,), None, "602"),
    ("3幢2单元502", (3,), 2, "502"),
    ("8座1201", (8,), None, "1201"),
    ("8座2单元1201", (8,), 2, "1201"),
    ("3栋楼2单元502", (3,), 2, "502"),
    ("第3栋2单元502", (3,), 2, "502"),
    ("6号院2单元101", (6,), 2, "101"),
    ("4号2单元301", (4,), 2, "301"),
    ("3楼2单元502", (3,), 2, "502"),
    # dashes
    ("3-502", (3,), None, "502"),
    ("3-2-502", (3,), 2, "502"),
    ("7-2-601", (7,), 2, "601"),
    ("12-3-1201", (12,), 3, "1201"),
    ("7－2－601", (7,), 2, "601"),
    ("7—2—601", (7,), 2, "601"),
    ("3 - 2 - 502", (3,), 2, "502"),
    ("3#2-502", (3,), 2, "502"),
    ("3栋2-502", (3,), 2, "502"),
    ("3号2-502", (3,), 2, "502"),
    ("7-2-601室", (7,), 2, "601"),
    ("住在3-502的王阿姨", (3,), None, "502"),
    # Chinese numerals
    ("三号楼二单元五零二", (3,), 2, "502"),
    ("三号楼二单元502", (3,), 2, "502"),
    ("十二号楼一单元三零一", (12,), 1, "301"),
    ("二十三栋一单元1201", (23,), 1, "1201"),
    ("七栋三单元二零一", (7,), 3, "201"),
    ("十栋", (10,), None, None),
    ("一百零二号楼三单元", (102,), 3, None),
    ("两号楼两单元", (2,), 2, None),
    ("三号楼二单元五〇二", (3,), 2, "502"),
    ("三栋二单元五零二", (3,), 2, "502"),
    # full width and Traditional characters
    ("３号楼２单元５０２", (3,), 2, "502"),
    ("3號樓2單元502", (3,), 2, "502"),
    ("三號樓二單元五零二", (3,), 2, "502"),
    ("3棟2單元502室", (3,), 2, "502"),
    # with the community's (or a compound's) name
    ("幸福里社区3号楼2单元502", (3,), 2, "502"),
    ("幸福里小区3栋2单元502", (3,), 2, "502"),
    ("幸福里3号楼2门洞502", (3,), 2, "502"),
    ("幸福里社区3-2-502", (3,), 2, "502"),
    ("幸福里社区7-2-601", (7,), 2, "601"),
    ("幸福里小区三号楼二单元五零二", (3,), 2, "502"),
    # noise around
    ("我住十二栋三单元1201室，水管坏了", (12,), 3, "1201"),
    ("我家厨房水管漏水了，麻烦师傅来看看 3号楼2单元502", (3,), 2, "502"),
    ("地址：3号楼2单元502，电话13812345678", (3,), 2, "502"),
    ("3号楼2单元5楼502", (3,), 2, "502"),
    ("3号楼2单元5层", (3,), 2, None),
    ("3号楼5楼", (3,), None, None),
    ("麻烦明天上午来3号楼2单元502修一下", (3,), 2, "502"),
    ("我在12号楼1单元301，腿脚不方便", (12,), 1, "301"),
    ("3号楼2单元502 王秀兰", (3,), 2, "502"),
    ("1000号楼2单元301", (1000,), 2, "301"),
    # several buildings, or none: the resident is asked
    ("3号楼和5号楼之间的路灯", (3, 5), None, None),
    ("我家在一楼", (), None, None),
    ("2单元502", (), 2, "502"),
    ("12月3号10点来", (), None, None),
    ("电话138-1234-5678", (), None, None),
    ("0371-12345678", (), None, None),
    ("我家住在旁边", (), None, None),
    ("明天下午三点", (), None, None),
    ("", (), None, None),
]


def test_the_table_is_large_and_varied():
    assert len(ROWS) >= 60
    assert len({text for text, *_ in ROWS}) == len(ROWS)
    for word in ("门洞", "栋", "座", "3-502", "三号楼二单元五零二", "7-2-601", COMMUNITY_NAME):
        assert any(word in text for text, *_ in ROWS), word


@pytest.mark.parametrize(("text", "numbers", "unit", "room"), ROWS)
def test_domain_parser(text, numbers, unit, room):
    parsed = parse_address(text)
    assert (parsed.building_numbers, parsed.unit, parsed.room) == (numbers, unit, room)


def _label(numbers, unit, room):
    return f"{numbers[0]}号楼" + (f"{unit}单元" if unit else "") + (room or "")


def test_domain_resolves_each_row(db):
    """resolve_address names the row's building, unit and room, or asks when the row
    names no building or several."""
    with db.factory() as s, s.begin():
        community = Community(code="XFL", name=COMMUNITY_NAME)
        s.add(community)
        s.flush()
        grid = Grid(community_id=community.id, code="G1", name="第一网格")
        s.add(grid)
        s.flush()
        s.add_all(
            Building(community_id=community.id, grid_id=grid.id, number=n, name=f"{n}号楼", units=UNITS, floors=18)
            for n in BUILDINGS
        )
        s.flush()
        wrong = []
        for text, numbers, unit, room in ROWS:
            try:
                got = resolve_address(s, community.id, text).label
            except AddressQuestion:
                got = None
            want = _label(numbers, unit, room) if len(numbers) == 1 else None
            if got != want:
                wrong.append((text, got, want))
    assert wrong == []


_RASA_SCRIPT = r"""
import json, sys
from rasa.shared.nlu.training_data.message import Message
from nlu.components import ChineseEntityNormalizer, ChineseTextNormalizer

texts = json.loads(sys.stdin.read())
normalizer = ChineseTextNormalizer(ChineseTextNormalizer.get_default_config())
entities = ChineseEntityNormalizer(ChineseEntityNormalizer.get_default_config())
out = []
for text in texts:
    message = Message.build(text=text)
    normalizer.process([message])
    clean = message.get("text") or ""
    message.set("entities", [
        {"entity": "address", "start": 0, "end": len(clean), "value": clean, "extractor": "DIETClassifier"}
    ])
    entities.process([message])
    address = [e for e in message.get("entities") if e["entity"] == "address"]
    out.append({"value": address[0]["value"] if address else None, "info": address[0].get("additional_info") if address else None})
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def through_rasa():
    """Every row through Rasa's own components, in Rasa's environment (one process)."""
    assert RASA_PYTHON.exists(), "make rasa-env did not create .venv-rasa"
    texts = [text for text, *_ in ROWS if text]
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", _RASA_SCRIPT],
        input=json.dumps(texts, ensure_ascii=False),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(zip(texts, json.loads(result.stdout.strip().splitlines()[-1]), strict=True))


@pytest.mark.parametrize(("text", "numbers", "unit", "room"), [row for row in ROWS if row[0]])
def test_rasa_components_agree(through_rasa, text, numbers, unit, room):
    got = through_rasa[text]
    if len(numbers) == 1 or (not numbers and (unit or room)):
        # Rasa read the address itself: its parts, and a canonical value
        info = got["info"]
        assert info is not None, got
        want = (str(numbers[0]) if numbers else None, str(unit) if unit else None, room)
        assert (info["building"], info["unit"], info["room"]) == want
        assert got["value"].endswith(_label(numbers, unit, room) if numbers else f"{unit}单元" + (room or ""))
    # and what Rasa puts in the slot reads the same in the domain (the form's validation)
    parsed = parse_address(got["value"])
    assert (parsed.building_numbers, parsed.unit, parsed.room) == (numbers, unit, room)
