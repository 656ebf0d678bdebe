"""A district folder: a street's or district's communities loaded into one database.

    和平街道/
        district.csv       编号,名称,级别              one row; 级别 街道 or 区 (blank: 街道)
        supervisors.csv    姓名,手机,TelegramID        optional: the office's 督查 (TelegramID may be blank)
        c01/  community.csv grids.csv buildings.csv …   one folder per community, as data/community/
        c02/  …

Every community folder is checked first (`community.loader.validate_directory`), and the
district's own files too; only a district without a single problem is loaded, in the
caller's transaction, so a half-fixed folder never leaves half a district. Codes, numbers
and phones are matched within their own community (two communities both have a 3号楼 and
a grid G1); a community's code is unique in the whole database.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import district, routing, texts
from community.errors import InvalidInput
from community.loader import COMMUNITY, LoadError, LoadReport, RowError, load_directory, validate_directory
from community.models import Community, District
from community.validation import normalize_phone, normalize_text

DISTRICT = "district.csv"
SUPERVISORS = "supervisors.csv"
LEVELS = {"街道": "street", "区": "district", "": "street"}


@dataclass
class SupervisorRow:
    line: int
    name: str
    phone: str | None
    telegram_id: int | None


@dataclass
class ParsedDistrict:
    code: str = ""
    name: str = ""
    level: str = "street"
    supervisors: list[SupervisorRow] = field(default_factory=list)
    communities: list[Path] = field(default_factory=list)  # the community folders, in name order


@dataclass
class DistrictReport:
    code: str
    name: str
    communities: list[LoadReport]
    supervisors: int

    def lines(self) -> list[str]:
        lines = [
            texts.DISTRICT_LOAD_HEAD.format(
                name=self.name, code=self.code, communities=len(self.communities), supervisors=self.supervisors
            )
        ]
        for report in self.communities:
            lines += report.lines()
        return lines


def is_district_folder(path: str | Path) -> bool:
    return (Path(path) / DISTRICT).is_file()


def community_folders(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir() and (p / COMMUNITY).is_file())


def _rows(path: Path, file: str, columns: tuple[str, ...], errors: list[RowError]) -> list[tuple[int, dict[str, str]]]:
    try:
        with (path / file).open(encoding="utf-8-sig", newline="") as f:
            records = list(csv.reader(f))
    except UnicodeDecodeError:
        errors.append(RowError(file, None, None, texts.LOAD_NOT_UTF8))
        return []
    if not records:
        errors.append(RowError(file, None, None, texts.DISTRICT_LOAD_EMPTY_FILE))
        return []
    header = [normalize_text(h) for h in records[0]]
    unknown = [h for h in header if h and h not in columns]
    if unknown or columns[0] not in header:
        errors.append(RowError(file, 1, None, texts.DISTRICT_LOAD_HEADER.format(columns="，".join(columns))))
        return []
    out = []
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        out.append((line, {h: normalize_text(v) for h, v in zip(header, record, strict=False) if h}))
    return out


def validate_district(path: str | Path) -> tuple[ParsedDistrict, list[RowError]]:
    """Check the district's files and every community folder; touches no database. Errors
    in a community's files name the folder (`c03/buildings.csv`)."""
    path = Path(path)
    p, errors = ParsedDistrict(), list[RowError]()
    rows = _rows(path, DISTRICT, ("编号", "名称", "级别"), errors)
    if len(rows) != 1 and not errors:
        errors.append(RowError(DISTRICT, None, None, texts.DISTRICT_LOAD_ONE_ROW))
    for line, cells in rows[:1]:
        p.code, p.name = cells.get("编号", ""), cells.get("名称", "")
        if not p.code:
            errors.append(RowError(DISTRICT, line, "编号", texts.DISTRICT_LOAD_REQUIRED))
        if not p.name:
            errors.append(RowError(DISTRICT, line, "名称", texts.DISTRICT_LOAD_REQUIRED))
        level = cells.get("级别", "")
        if level not in LEVELS:
            errors.append(RowError(DISTRICT, line, "级别", texts.DISTRICT_LOAD_LEVEL))
        p.level = LEVELS.get(level, "street")
    if (path / SUPERVISORS).is_file():
        for line, cells in _rows(path, SUPERVISORS, ("姓名", "手机", "TelegramID"), errors):
            name, typed, tid = cells.get("姓名", ""), cells.get("手机", ""), cells.get("TelegramID", "")
            if not name:
                errors.append(RowError(SUPERVISORS, line, "姓名", texts.DISTRICT_LOAD_REQUIRED))
            phone = None
            try:
                phone = normalize_phone(typed) if typed else None
            except InvalidInput as exc:
                errors.append(RowError(SUPERVISORS, line, "手机", exc.message))
            if tid and not tid.isdigit():
                errors.append(RowError(SUPERVISORS, line, "TelegramID", texts.DISTRICT_LOAD_TELEGRAM_ID))
            p.supervisors.append(SupervisorRow(line, name, phone, int(tid) if tid.isdigit() else None))
    p.communities = community_folders(path)
    if not p.communities:
        errors.append(RowError(str(path), None, None, texts.DISTRICT_LOAD_NO_COMMUNITY))
    codes: dict[str, str] = {}
    for folder in p.communities:
        parsed, community_errors = validate_directory(folder)
        errors += [RowError(f"{folder.name}/{e.file}", e.line, e.column, e.message) for e in community_errors]
        code = parsed.community.code if parsed.community else ""
        if code and code in codes:
            errors.append(
                RowError(
                    f"{folder.name}/{COMMUNITY}", 2, "编号", texts.DISTRICT_LOAD_CODE_TWICE.format(other=codes[code])
                )
            )
        codes.setdefault(code, folder.name)
    return p, errors


def load_district(session: Session, path: str | Path) -> DistrictReport:
    """Validate, then upsert the district, each of its communities and its supervisors
    into `session` (the caller commits). Raises LoadError, having written nothing."""
    parsed, errors = validate_district(path)
    if errors:
        raise LoadError(errors)
    row = session.scalar(select(District).where(District.code == parsed.code))
    if row is None:
        row = District(code=parsed.code)
        session.add(row)
    row.name, row.level = parsed.name, parsed.level
    session.flush()
    reports = []
    for folder in parsed.communities:
        report = load_directory(session, folder)
        community = session.scalars(select(Community).where(Community.code == report.community_code)).one()
        community.district_id = row.id
        reports.append(report)
    session.flush()
    for sup in parsed.supervisors:
        district.add_supervisor(session, row.code, sup.name, sup.phone, sup.telegram_id)
    routing.invalidate_buildings()
    return DistrictReport(row.code, row.name, reports, len(parsed.supervisors))
