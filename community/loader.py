"""The community's structure from spreadsheet-editable CSV files (data/community/).

Staff keep grids, buildings, the service menu, volunteer teams, volunteers and staff in
seven CSV files with Chinese headers (and, optionally, the information desk's questions
and answers in faq.csv), edited in Excel or WPS. `validate_directory` reads
and checks all of them without touching the database and returns every problem with the
file, the row number the spreadsheet shows and the column. `load_directory` loads only a
directory without a single problem, so a half-fixed spreadsheet never leaves a half-loaded
community; it upserts by natural keys, so loading again after editing a row updates it.

Rows deleted from a file are not deleted from the database: requests, ratings and the
ledger point at buildings, teams and volunteers. Building party groups are the exception
(nothing points at them, and a blank 楼院党小组 cell has to mean "none").

Adding a spreadsheet (or a column): its columns in `COLUMNS` (and the file in
`OPTIONAL_FILES` if a community may leave it out), a parser in `PARSE_STEPS`, its
cross-file checks in `_check`, and a load step in `LOAD_STEPS`, which run in order on a
shared `_Loading` (the rows loaded so far, by natural key).
"""

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from community import routing, texts
from community.errors import InvalidInput
from community.faq import normalize_question
from community.models import (
    Building,
    Community,
    DutyShift,
    FaqEntry,
    Grid,
    PartyGroup,
    Person,
    ServiceCategory,
    Staff,
    Volunteer,
    VolunteerTeam,
)
from community.settings import get_settings
from community.validation import normalize_phone, normalize_text

COMMUNITY = "community.csv"
GRIDS = "grids.csv"
BUILDINGS = "buildings.csv"
CATEGORIES = "categories.csv"
TEAMS = "teams.csv"
VOLUNTEERS = "volunteers.csv"
STAFF = "staff.csv"
DUTY = "duty.csv"  # the duty roster for residents who ask for a person (community/handoff.py)
FAQ = "faq.csv"

# Every file's columns: name -> must the cell be filled. A column whose cells may be blank
# may also be left out of the header; any other header is an error (it is usually a typo,
# and silently ignoring it would drop what the staff member typed).
COLUMNS: dict[str, dict[str, bool]] = {
    COMMUNITY: {
        "编号": True,
        "名称": True,
        "时区": False,
        # the office, for residents who ask (community.faq)
        "办公地址": False,
        "办公时间": False,
        "办公电话": False,
        "地图链接": False,
    },
    GRIDS: {"网格编号": True, "网格名称": True, "网格长手机": True, "网格党支部": True, "支部书记": False},
    BUILDINGS: {
        "楼号": True,
        "楼名": False,
        "网格编号": True,
        "单元数": True,
        "层数": True,
        "别名": False,
        "楼院党小组": False,
        "纬度": False,  # WGS84 degrees, optional: a shared location picks the nearest building
        "经度": False,
    },
    CATEGORIES: {
        "编码": True,
        "名称": True,
        "同义词": False,
        "默认服务队": False,
        "默认时长": True,
        "办结时限": True,
        "专业服务": False,
    },
    TEAMS: {"编码": True, "名称": True, "网格编号": False, "技能": True},
    VOLUNTEERS: {
        "姓名": True,
        "手机": True,
        "网格编号": False,
        "楼号": False,
        "服务队": False,
        "在职党员": True,
        "接单上限": False,
        "可服务时间": False,
        "工作单位": False,  # an on-duty party member's employer (在职党员 双报到)
    },
    STAFF: {"姓名": True, "手机": True, "TelegramID": False},
    DUTY: {"星期": True, "开始": True, "结束": True, "值班人手机": True},
    # the information desk: question variants (a list, like 同义词), the answer, and a link or
    # phone to add to it
    FAQ: {"问题": True, "答案": True, "链接": False, "电话": False},
}
FILES = tuple(COLUMNS)
# Files that may be left out of the directory (a community without such a list).
OPTIONAL_FILES: set[str] = {DUTY, FAQ}

# Sane ranges. Building numbers have at most four digits, as many as the address parser
# (community.address) reads in what residents type; due hours stop at 30 days.
BUILDING_NUMBERS = (1, 9999)
UNITS = (1, 20)
FLOORS = (1, 100)
DEFAULT_HOURS = (0.1, 24.0)
DUE_HOURS = (1, 720)
MAX_LOAD = (1, 20)
LATITUDES = (-90.0, 90.0)
LONGITUDES = (-180.0, 180.0)
TELEGRAM_IDS = (1, 10**15)
FAQ_ANSWER_MAX = 1000  # one chat message, read on a phone

# Lists inside a cell: "|" as documented, but people typing in Excel also use 、 , ; and,
# with a Chinese keyboard, their full-width forms ｜，； (normalize_text keeps those).
_LIST_SEPARATORS = re.compile(r"[|,;、｜，；]")
_BUILDING_NUMBER = re.compile(r"(\d+)\s*(?:号楼|号|栋|幢|楼)?")
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?[eE]\+?\d+")
_N = TypeVar("_N", int, float)
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


def _limit(column: Any) -> int:
    """A String column's length, so overlong cells are caught here instead of failing on
    PostgreSQL (and being silently stored on SQLite)."""
    return int(column.property.columns[0].type.length)


@dataclass(frozen=True)
class RowError:
    file: str
    line: int | None  # as the spreadsheet shows it: header = 1, first data row = 2
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return texts.LOAD_AT_FILE.format(file=self.file, message=self.message)
        if self.column is None:
            return texts.LOAD_AT_ROW.format(file=self.file, line=self.line, message=self.message)
        return texts.LOAD_AT_CELL.format(file=self.file, line=self.line, column=self.column, message=self.message)


class LoadError(InvalidInput):
    """The directory has problems; nothing was loaded. `errors` lists all of them."""

    code = "load_error"
    SHOWN = 30  # the message is shown in a terminal or a chat: the full list is in `errors`

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = list(errors)
        lines = [texts.LOAD_FAILED.format(count=len(self.errors))] + [str(e) for e in self.errors[: self.SHOWN]]
        if len(self.errors) > self.SHOWN:
            lines.append(texts.LOAD_MORE.format(count=len(self.errors) - self.SHOWN))
        super().__init__("\n".join(lines))


# --- parsed rows (a field is None or "" where its cell was bad or blank) ---------------


@dataclass
class CommunityRow:
    line: int
    code: str
    name: str
    timezone: str
    office_address: str = ""
    office_hours: str = ""
    office_phone: str | None = None
    office_map_url: str = ""


@dataclass
class GridRow:
    line: int
    code: str
    name: str
    leader_phone: str | None
    branch: str
    secretary: str


@dataclass
class BuildingRow:
    line: int
    number: int | None
    name: str
    grid: str
    units: int | None
    floors: int | None
    aliases: list[str]
    party_group: str
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class CategoryRow:
    line: int
    code: str
    name: str
    synonyms: list[str]
    default_team: str
    default_hours: float | None
    due_hours: int | None
    skill_required: bool = False  # 专业服务 = 是: skilled teams are asked before grid neighbours


@dataclass
class TeamRow:
    line: int
    code: str
    name: str
    grid: str
    skills: list[str]


@dataclass
class VolunteerRow:
    line: int
    name: str
    phone: str | None
    grid: str  # filled from the building's grid when the cell is blank
    building: int | None
    teams: list[str]
    party_member: bool | None
    max_load: int | None  # None: the DEFAULT_MAX_LOAD setting, read when it is needed
    availability: str
    work_unit: str


@dataclass
class StaffRow:
    line: int
    name: str
    phone: str | None
    telegram_id: int | None


@dataclass
class DutyRow:
    line: int
    weekdays: list[int]  # 1 = Monday … 7 = Sunday
    start: int | None  # local minutes after midnight
    end: int | None
    phone: str | None


@dataclass
class FaqRow:
    line: int
    questions: list[str]
    answer: str
    link: str
    phone: str | None


@dataclass
class ParsedCommunity:
    community: CommunityRow | None = None
    grids: list[GridRow] = field(default_factory=list)
    buildings: list[BuildingRow] = field(default_factory=list)
    categories: list[CategoryRow] = field(default_factory=list)
    teams: list[TeamRow] = field(default_factory=list)
    volunteers: list[VolunteerRow] = field(default_factory=list)
    staff: list[StaffRow] = field(default_factory=list)
    duty: list[DutyRow] = field(default_factory=list)
    duty_present: bool = False  # a duty.csv was there (without one the roster is left alone)
    faq: list[FaqRow] | None = None  # None: no faq.csv in the directory (the desk is left as it is)


# --- reading cells ---------------------------------------------------------------------


@dataclass
class _Sheet:
    file: str
    columns: set[str]  # the known columns present in the header
    rows: list["_Row"]


class _Row:
    """One spreadsheet row. Each getter records a RowError for a bad cell and returns None
    (or the default), so one pass reports every bad cell of every row."""

    def __init__(self, file: str, line: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.file, self.line, self.cells, self.errors = file, line, cells, errors

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.file, self.line, column, message))

    def text(self, column: str, limit: int | None = None) -> str:
        value = self.cells.get(column, "")
        if limit and len(value) > limit:
            self.error(column, texts.LOAD_TOO_LONG.format(value=value, length=len(value), limit=limit))
        return value

    def items(self, column: str, limit: int | None = None) -> list[str]:
        items = list(dict.fromkeys(s.strip() for s in _LIST_SEPARATORS.split(self.cells.get(column, "")) if s.strip()))
        joined = "|".join(items)
        if limit and len(joined) > limit:
            self.error(column, texts.LOAD_TOO_LONG.format(value=joined, length=len(joined), limit=limit))
        return items

    def _in_range(self, column: str, value: _N, bounds: tuple[_N, _N]) -> _N | None:
        if not bounds[0] <= value <= bounds[1]:
            self.error(column, texts.LOAD_OUT_OF_RANGE.format(value=value, low=bounds[0], high=bounds[1]))
            return None
        return value

    def integer(self, column: str, bounds: tuple[int, int], default: int | None = None) -> int | None:
        raw = self.cells.get(column, "")
        if not raw:
            return default  # a required blank cell was reported when the row was read
        try:
            value = int(raw)
        except ValueError:
            self.error(column, texts.LOAD_NOT_INTEGER.format(value=raw))
            return None
        return self._in_range(column, value, bounds)

    def number(self, column: str, bounds: tuple[float, float]) -> float | None:
        raw = self.cells.get(column, "")
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.error(column, texts.LOAD_NOT_NUMBER.format(value=raw))
            return None
        return self._in_range(column, value, bounds)

    def building_number(self, column: str) -> int | None:
        # Staff write "3", "3号楼" or "3栋" for the same building.
        raw = self.cells.get(column, "")
        match = _BUILDING_NUMBER.fullmatch(raw)
        if not raw:
            return None
        if not match:
            self.error(column, texts.LOAD_NOT_BUILDING_NUMBER.format(value=raw))
            return None
        return self._in_range(column, int(match.group(1)), BUILDING_NUMBERS)

    def phone(self, column: str) -> str | None:
        raw = self.cells.get(column, "")
        if not raw:
            return None
        try:
            return normalize_phone(raw)
        except InvalidInput as exc:
            # Excel turns a long number typed into a General cell into 1.39E+10.
            hint = texts.LOAD_PHONE_EXCEL_HINT if _SCIENTIFIC.fullmatch(raw) else ""
            self.error(column, exc.message + hint)
            return None

    def link(self, column: str, limit: int) -> str:
        value = self.text(column, limit)
        if value and not _URL.fullmatch(value):
            self.error(column, texts.LOAD_BAD_LINK.format(value=value))
            return ""
        return value

    def yes_no(self, column: str) -> bool | None:
        raw = self.cells.get(column, "")
        if raw in ("是", "否"):
            return raw == "是"
        if raw:
            self.error(column, texts.LOAD_YES_NO.format(value=raw))
        return None


def _read(directory: Path, file: str, errors: list[RowError]) -> _Sheet | None:
    """A file's rows, or None when the file cannot be read at all (reported)."""
    path = directory / file
    if not path.is_file() and file in OPTIONAL_FILES:
        return None
    if not path.is_file():
        errors.append(RowError(file, None, None, texts.LOAD_FILE_MISSING.format(directory=directory)))
        return None
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts the file with a byte order mark.
        with path.open(encoding="utf-8-sig", newline="") as f:
            records = list(csv.reader(f))
    except UnicodeDecodeError:
        errors.append(RowError(file, None, None, texts.LOAD_NOT_UTF8))
        return None
    except csv.Error as exc:
        errors.append(RowError(file, None, None, texts.LOAD_BAD_CSV.format(error=exc)))
        return None

    spec = COLUMNS[file]
    header = [normalize_text(h) for h in records[0]] if records else []
    if not any(header):
        errors.append(RowError(file, 1, None, texts.LOAD_NO_HEADER.format(columns=",".join(spec))))
        return None
    for index, name in enumerate(header):
        if name and name not in spec:
            errors.append(RowError(file, 1, name, texts.LOAD_UNKNOWN_COLUMN.format(columns="、".join(spec))))
        elif name and name in header[:index]:
            errors.append(RowError(file, 1, name, texts.LOAD_DUPLICATE_COLUMN))
    for name, required in spec.items():
        if required and name not in header:
            errors.append(RowError(file, 1, name, texts.LOAD_MISSING_COLUMN))
    sheet = _Sheet(file, {name for name in header if name in spec}, [])

    # A record is a spreadsheet row even when a quoted cell spans several text lines,
    # so numbering records (not text lines) gives the row number Excel shows.
    for line, record in enumerate(records[1:], start=2):
        cells: dict[str, str] = {}
        row = _Row(file, line, cells, errors)
        for index, raw in enumerate(record):
            value = normalize_text(raw)
            name = header[index] if index < len(header) else ""
            if name in spec:
                cells.setdefault(name, value)
            elif value and not name:
                row.error(None, texts.LOAD_CELL_WITHOUT_HEADER.format(index=index + 1, value=value))
        if not any(cells.values()):
            continue  # blank rows are common in edited spreadsheets
        for name, required in spec.items():
            if required and name in sheet.columns and not cells.get(name):
                row.error(name, texts.LOAD_EMPTY)
        sheet.rows.append(row)
    return sheet


# --- parsing each file -----------------------------------------------------------------


def _rows(sheet: _Sheet | None) -> list[_Row]:
    return sheet.rows if sheet else []


def _parse(sheets: dict[str, _Sheet | None]) -> ParsedCommunity:
    """Every file's rows into typed rows (bad cells recorded as errors on the way)."""
    p = ParsedCommunity()
    for file, parse in PARSE_STEPS.items():
        if sheets.get(file) is None and file in OPTIONAL_FILES:
            continue  # left out: its parsed rows stay None
        parse(_rows(sheets.get(file)), p)
    return p


def _parse_community(rows: list[_Row], p: ParsedCommunity) -> None:
    for r in rows:
        if p.community is not None:
            r.error(None, texts.LOAD_ONE_COMMUNITY)
            continue
        timezone = r.text("时区", _limit(Community.timezone)) or get_settings().timezone
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            r.error("时区", texts.LOAD_BAD_TIMEZONE.format(value=timezone))
        p.community = CommunityRow(
            r.line,
            r.text("编号", _limit(Community.code)),
            r.text("名称", _limit(Community.name)),
            timezone,
            office_address=r.text("办公地址", _limit(Community.office_address)),
            office_hours=r.text("办公时间", _limit(Community.office_hours)),
            office_phone=r.phone("办公电话"),
            office_map_url=r.link("地图链接", _limit(Community.office_map_url)),
        )


def _parse_grids(rows: list[_Row], p: ParsedCommunity) -> None:
    for r in rows:
        p.grids.append(
            GridRow(
                r.line,
                code=r.text("网格编号", _limit(Grid.code)),
                name=r.text("网格名称", _limit(Grid.name)),
                leader_phone=r.phone("网格长手机"),
                branch=r.text("网格党支部", _limit(PartyGroup.name)),
                secretary=r.text("支部书记", _limit(PartyGroup.secretary_name)),
            )
        )


def _parse_buildings(rows: list[_Row], p: ParsedCommunity) -> None:
    for r in rows:
        number = r.building_number("楼号")
        name = r.text("楼名", _limit(Building.name))
        if not name and number is not None:
            name = texts.LOAD_BUILDING_NAME.format(number=number)
        p.buildings.append(
            BuildingRow(
                r.line,
                number=number,
                name=name,
                grid=r.text("网格编号"),
                units=r.integer("单元数", UNITS),
                floors=r.integer("层数", FLOORS),
                aliases=r.items("别名", _limit(Building.aliases)),
                party_group=r.text("楼院党小组", _limit(PartyGroup.name)),
                latitude=r.number("纬度", LATITUDES),
                longitude=r.number("经度", LONGITUDES),
            )
        )
        if bool(r.cells.get("纬度")) != bool(r.cells.get("经度")):
            r.error("经度" if r.cells.get("纬度") else "纬度", texts.LOAD_COORDINATE_PAIR)


def _parse_categories(rows: list[_Row], p: ParsedCommunity) -> None:
    for r in rows:
        p.categories.append(
            CategoryRow(
                r.line,
                code=r.text("编码", _limit(ServiceCategory.code)),
                name=r.text("名称", _limit(ServiceCategory.name)),
                synonyms=r.items("同义词", _limit(ServiceCategory.synonyms)),
                default_team=r.text("默认服务队"),
                default_hours=r.number("默认时长", DEFAULT_HOURS),
                due_hours=r.integer("办结时限", DUE_HOURS),
                skill_required=bool(r.yes_no("专业服务")),
            )
        )


def _parse_teams(rows: list[_Row], p: ParsedCommunity) -> None:
    for r in rows:
        p.teams.append(
            TeamRow(
                r.line,
                code=r.text("编码", _limit(VolunteerTeam.code)),
                name=r.text("名称", _limit(VolunteerTeam.name)),
                grid=r.text("网格编号"),
                skills=r.items("技能"),
            )
        )


def _parse_volunteers(rows: list[_Row], p: ParsedCommunity) -> None:
    for r in rows:
        p.volunteers.append(
            VolunteerRow(
                r.line,
                name=r.text("姓名", _limit(Person.name)),
                phone=r.phone("手机"),
                grid=r.text("网格编号"),
                building=r.building_number("楼号"),
                teams=r.items("服务队"),
                party_member=r.yes_no("在职党员"),
                max_load=r.integer("接单上限", MAX_LOAD),  # blank: the DEFAULT_MAX_LOAD setting
                availability=r.text("可服务时间", _limit(Volunteer.availability_note)),
                work_unit=r.text("工作单位", _limit(Volunteer.work_unit)),
            )
        )


def _parse_staff(rows: list[_Row], p: ParsedCommunity) -> None:
    for r in rows:
        p.staff.append(
            StaffRow(
                r.line,
                name=r.text("姓名", _limit(Person.name)),
                phone=r.phone("手机"),
                telegram_id=r.integer("TelegramID", TELEGRAM_IDS),
            )
        )


_WEEKDAY_NAMES = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7, "七": 7}
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)?([1-7一二三四五六日天七])")
_WEEKDAY_SETS = {"每天": [1, 2, 3, 4, 5, 6, 7], "工作日": [1, 2, 3, 4, 5], "周末": [6, 7]}
_HHMM = re.compile(r"(\d{1,2})[:：](\d{2})")


def _weekday(text: str) -> int | None:
    match = _WEEKDAY.fullmatch(text)
    if not match:
        return None
    day = match.group(1)
    return int(day) if day.isdigit() else _WEEKDAY_NAMES[day]


def _weekdays(r: _Row, column: str) -> list[int]:
    """1,3,5 | 周一|周三 | 周一至周五 | 1-5 | 每天 | 工作日 | 周末"""
    days: list[int] = []
    for item in r.items(column):
        if item in _WEEKDAY_SETS:
            days += _WEEKDAY_SETS[item]
            continue
        ends = re.split(r"[-~～至到]", item)
        found = [d for d in (_weekday(e) for e in ends) if d is not None]
        if len(found) > 2 or len(found) != len(ends):
            r.error(column, texts.LOAD_BAD_WEEKDAY.format(value=item))
            continue
        days += list(range(found[0], found[-1] + 1)) if found[0] <= found[-1] else []
    return sorted(set(days))


def _minute_of_day(r: _Row, column: str) -> int | None:
    raw = r.cells.get(column, "")
    match = _HHMM.fullmatch(raw)
    if not raw:
        return None
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59:
        r.error(column, texts.LOAD_BAD_CLOCK.format(value=raw))
        return None
    minute = int(match.group(1)) * 60 + int(match.group(2))
    if minute > 24 * 60:
        r.error(column, texts.LOAD_BAD_CLOCK.format(value=raw))
        return None
    return minute


def _parse_duty(rows: list[_Row], p: ParsedCommunity) -> None:
    for r in rows:
        start, end = _minute_of_day(r, "开始"), _minute_of_day(r, "结束")
        if start is not None and end is not None and end <= start:
            r.error("结束", texts.LOAD_SHIFT_ORDER)
        p.duty.append(DutyRow(r.line, _weekdays(r, "星期"), start, end, r.phone("值班人手机")))


def _parse_faq(rows: list[_Row], p: ParsedCommunity) -> None:
    p.faq = []
    for r in rows:
        questions = r.items("问题")
        for q in questions:
            if len(q) > _limit(FaqEntry.key):
                r.error("问题", texts.LOAD_TOO_LONG.format(value=q, length=len(q), limit=_limit(FaqEntry.key)))
            elif len(normalize_question(q)) < 2:
                r.error("问题", texts.LOAD_FAQ_SHORT_QUESTION.format(value=q))
        p.faq.append(
            FaqRow(
                r.line,
                questions=questions,
                answer=r.text("答案", FAQ_ANSWER_MAX),
                link=r.link("链接", _limit(FaqEntry.link)),
                phone=r.phone("电话"),
            )
        )


# Each file's parser, in file order. A new spreadsheet adds its parser here.
PARSE_STEPS: dict[str, Callable[[list[_Row], ParsedCommunity], None]] = {
    COMMUNITY: _parse_community,
    GRIDS: _parse_grids,
    BUILDINGS: _parse_buildings,
    CATEGORIES: _parse_categories,
    TEAMS: _parse_teams,
    VOLUNTEERS: _parse_volunteers,
    STAFF: _parse_staff,
    DUTY: _parse_duty,
    FAQ: _parse_faq,
}


# --- checks across rows and files ------------------------------------------------------


def _has(sheet: _Sheet | None, column: str) -> bool:
    return sheet is not None and column in sheet.columns


def _index(
    file: str, rows: Sequence[Any], key: Callable[[Any], Any], column: str, errors: list[RowError]
) -> dict[Any, Any]:
    """Rows by key; a repeated key is reported on the later row."""
    seen: dict[Any, Any] = {}
    for row in rows:
        value = key(row)
        if value in (None, ""):
            continue
        if value in seen:
            errors.append(
                RowError(file, row.line, column, texts.LOAD_DUPLICATE.format(value=value, line=seen[value].line))
            )
        else:
            seen[value] = row
    return seen


def _check(sheets: dict[str, _Sheet | None], p: ParsedCommunity, errors: list[RowError]) -> None:
    def err(file: str, line: int, column: str, message: str) -> None:
        errors.append(RowError(file, line, column, message))

    if sheets[COMMUNITY] is not None and p.community is None:
        errors.append(RowError(COMMUNITY, 2, None, texts.LOAD_NO_COMMUNITY))

    # Keys other files refer to. None means "unknown" (file or key column unreadable):
    # references to it are not checked rather than all reported as missing.
    grids = _index(GRIDS, p.grids, lambda g: g.code, "网格编号", errors) if _has(sheets[GRIDS], "网格编号") else None
    buildings = (
        _index(BUILDINGS, p.buildings, lambda b: b.number, "楼号", errors) if _has(sheets[BUILDINGS], "楼号") else None
    )
    # Names are unique in the database too. Rows already reported as a repeated number are
    # left out: a blank name defaults to "7号楼", and one mistake should be one error.
    firsts = [b for b in p.buildings if buildings is None or b.number is None or buildings.get(b.number) is b]
    _index(BUILDINGS, firsts, lambda b: b.name, "楼名", errors)
    categories = (
        _index(CATEGORIES, p.categories, lambda c: c.code, "编码", errors) if _has(sheets[CATEGORIES], "编码") else None
    )
    teams = _index(TEAMS, p.teams, lambda t: t.code, "编码", errors) if _has(sheets[TEAMS], "编码") else None
    volunteers = (
        _index(VOLUNTEERS, p.volunteers, lambda v: v.phone, "手机", errors)
        if _has(sheets[VOLUNTEERS], "手机")
        else None
    )
    staff = _index(STAFF, p.staff, lambda s: s.phone, "手机", errors) if _has(sheets[STAFF], "手机") else None
    _index(STAFF, p.staff, lambda s: s.telegram_id, "TelegramID", errors)

    def ref(
        file: str, line: int, column: str, value: object, known: dict[Any, Any] | None, thing: str, source: str
    ) -> bool:
        if value in (None, "") or known is None or value in known:
            return True
        err(file, line, column, texts.LOAD_UNKNOWN_REF.format(thing=texts.LOAD_THINGS[thing], value=value, file=source))
        return False

    # Residents name a service by its name or a synonym (community.lifecycle.find_category
    # takes the first match): a word shared by two categories would pick one at random.
    words: dict[str, CategoryRow] = {}
    for c in p.categories:
        for word in dict.fromkeys([c.code, c.name, *c.synonyms]):
            other = words.setdefault(word, c)
            if word and other is not c and other.code != c.code:
                column = "同义词" if word in c.synonyms else "名称" if word == c.name else "编码"
                err(
                    CATEGORIES,
                    c.line,
                    column,
                    texts.LOAD_SHARED_WORD.format(word=word, line=other.line, name=other.name),
                )

    for g in p.grids:
        known = volunteers is not None and staff is not None
        if (
            g.leader_phone
            and known
            and g.leader_phone not in (volunteers or {})
            and g.leader_phone not in (staff or {})
        ):
            err(GRIDS, g.line, "网格长手机", texts.LOAD_LEADER_UNKNOWN.format(phone=g.leader_phone))
    for b in p.buildings:
        ref(BUILDINGS, b.line, "网格编号", b.grid, grids, "grid", GRIDS)
    for t in p.teams:
        ref(TEAMS, t.line, "网格编号", t.grid, grids, "grid", GRIDS)
        for skill in t.skills:
            ref(TEAMS, t.line, "技能", skill, categories, "category", CATEGORIES)
    for c in p.categories:
        team_known = ref(CATEGORIES, c.line, "默认服务队", c.default_team, teams, "team", TEAMS)
        if team_known and c.default_team and teams and c.code not in teams[c.default_team].skills:
            err(
                CATEGORIES, c.line, "默认服务队", texts.LOAD_DEFAULT_TEAM_SKILL.format(team=c.default_team, code=c.code)
            )
        # An uncovered category would take orders that no volunteer is ever offered.
        if _has(sheets[TEAMS], "技能") and c.code and not any(c.code in t.skills for t in p.teams):
            err(CATEGORIES, c.line, "编码", texts.LOAD_CATEGORY_UNCOVERED.format(name=c.name, code=c.code))
    for v in p.volunteers:
        ref(VOLUNTEERS, v.line, "网格编号", v.grid, grids, "grid", GRIDS)
        if ref(VOLUNTEERS, v.line, "楼号", v.building, buildings, "building", BUILDINGS) and v.building and buildings:
            v.grid = v.grid or buildings[v.building].grid
        for team in v.teams:
            ref(VOLUNTEERS, v.line, "服务队", team, teams, "team", TEAMS)

    # The person on duty answers residents in chat: a staff member with Telegram.
    for d in p.duty:
        if d.phone and staff is not None and d.phone not in staff:
            err(DUTY, d.line, "值班人手机", texts.LOAD_DUTY_NOT_STAFF.format(phone=d.phone))
    # Two rows asking the same question: a resident asking it would get either answer.
    asked: dict[str, FaqRow] = {}
    for faq_row in p.faq or []:
        for q in faq_row.questions:
            first = asked.setdefault(normalize_question(q), faq_row)
            if first is not faq_row and normalize_question(q):
                err(FAQ, faq_row.line, "问题", texts.LOAD_FAQ_SHARED_QUESTION.format(value=q, line=first.line))

    # One phone is one person: a staff member may also volunteer, under the same name.
    for s in p.staff:
        vol = (volunteers or {}).get(s.phone)
        if vol is not None and vol.name and s.name and vol.name != s.name:
            err(STAFF, s.line, "姓名", texts.LOAD_NAME_MISMATCH.format(phone=s.phone, line=vol.line, other=vol.name))


def validate_directory(path: str | Path) -> tuple[ParsedCommunity, list[RowError]]:
    """Read and check every file; touches no database. The parsed community is complete
    only when the error list is empty."""
    directory = Path(path)
    if not directory.is_dir():
        return ParsedCommunity(), [RowError(str(directory), None, None, texts.LOAD_NO_DIRECTORY)]
    errors: list[RowError] = []
    sheets = {file: _read(directory, file, errors) for file in FILES}
    parsed = _parse(sheets)
    parsed.duty_present = sheets[DUTY] is not None
    _check(sheets, parsed, errors)
    # Sorted so the list reads file by file, row by row (the sort is stable within a row).
    errors.sort(key=lambda e: (FILES.index(e.file) if e.file in FILES else -1, e.line or 0))
    return parsed, errors


# --- loading ---------------------------------------------------------------------------

KINDS = (
    "community",
    "grids",
    "party_groups",
    "buildings",
    "categories",
    "teams",
    "volunteers",
    "staff",
    "duty",
    "faq",
)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class LoadReport:
    community_code: str
    community_name: str
    counts: dict[str, Counts] = field(default_factory=lambda: {kind: Counts() for kind in KINDS})

    def note(self, kind: str, created: bool, changed: bool) -> None:
        c = self.counts[kind]
        if created:
            c.created += 1
        elif changed:
            c.updated += 1
        else:
            c.unchanged += 1

    def lines(self) -> list[str]:
        """The report in Chinese, one line per kind, for the CLI."""
        lines = [texts.LOAD_REPORT_HEAD.format(name=self.community_name, code=self.community_code)]
        for kind, c in self.counts.items():
            line = texts.LOAD_REPORT_LINE.format(
                kind=texts.LOAD_KIND_NAMES[kind], created=c.created, updated=c.updated, unchanged=c.unchanged
            )
            lines.append(line + (texts.LOAD_REPORT_REMOVED.format(removed=c.removed) if c.removed else ""))
        return lines


def _set(obj: object, **values: Any) -> bool:
    """Assign attributes; True if any value differed (lists compare as sets)."""
    changed = False
    for name, value in values.items():
        current = getattr(obj, name)
        same = set(current) == set(value) if isinstance(value, list) else current == value
        if not same:
            setattr(obj, name, value)
            changed = True
    return changed


def _existing(session: Session, model: Any, key: Callable[[Any], Any], *where: Any) -> dict[Any, Any]:
    """Existing rows by natural key; the oldest wins if the database holds duplicates."""
    found: dict[Any, Any] = {}
    for obj in session.scalars(select(model).where(*where).order_by(model.id)):
        found.setdefault(key(obj), obj)
    return found


def load_directory(session: Session, path: str | Path) -> LoadReport:
    """Validate the directory, then upsert everything into `session` (the caller commits).
    Raises LoadError, having written nothing, if any file has any problem."""
    parsed, errors = validate_directory(path)
    if errors:
        raise LoadError(errors)
    report = _load(session, parsed)
    routing.invalidate_buildings()  # the address index caches buildings for a minute
    return report


@dataclass
class _Loading:
    """What the load steps share: the rows loaded so far, by natural key."""

    session: Session
    parsed: ParsedCommunity
    report: LoadReport
    community: Community | None = None
    persons: dict[str | None, Person] = field(default_factory=dict)  # by phone
    person_changed: dict[str | None, bool] = field(default_factory=dict)
    grids: dict[str, Grid] = field(default_factory=dict)
    buildings: dict[int | None, Building] = field(default_factory=dict)
    categories: dict[str, ServiceCategory] = field(default_factory=dict)
    teams: dict[str, VolunteerTeam] = field(default_factory=dict)

    @property
    def cid(self) -> int | None:
        return self.community.id if self.community else None


def _load(session: Session, p: ParsedCommunity) -> LoadReport:
    """Upsert the parsed community, step by step; each step may use what earlier steps
    loaded (`_Loading`). A new spreadsheet adds its step to LOAD_STEPS."""
    assert p.community is not None  # validate_directory reports a missing community file
    run = _Loading(session, p, LoadReport(p.community.code, p.community.name))
    run.community = session.scalar(select(Community).where(Community.code == p.community.code))
    _find_people(run)
    _check_against_database(run)
    for step in LOAD_STEPS:
        step(run)
        session.flush()
    return run.report


def _people_in_files(p: ParsedCommunity) -> dict[str | None, tuple[str, int | None]]:
    """Phone -> (name, Telegram id) of everyone the files name; staff rows win."""
    people: dict[str | None, tuple[str, int | None]] = {v.phone: (v.name, None) for v in p.volunteers}
    people.update({s.phone: (s.name, s.telegram_id) for s in p.staff})
    return people


def _find_people(run: _Loading) -> None:
    """Several persons may share a phone (a family registered by staff); prefer the one
    who already volunteers or works here, so a reload never creates a second volunteer."""
    phones = list(_people_in_files(run.parsed))
    for person in run.session.scalars(
        select(Person).where(Person.community_id == run.cid, Person.phone.in_(phones)).order_by(Person.id)
    ):
        current = run.persons.get(person.phone)
        if current is None or (
            current.volunteer is None and current.staff is None and (person.volunteer or person.staff)
        ):
            run.persons[person.phone] = person


def _check_against_database(run: _Loading) -> None:
    """Problems only the database can show, checked before the first write."""
    s, p = run.session, run.parsed
    conflicts: list[RowError] = []
    for staff in p.staff:
        holder = s.scalar(select(Person).where(Person.telegram_id == staff.telegram_id)) if staff.telegram_id else None
        if holder is not None and holder is not run.persons.get(staff.phone):
            conflicts.append(
                RowError(STAFF, staff.line, "TelegramID", texts.LOAD_TELEGRAM_TAKEN.format(name=holder.name))
            )
    wanted = {b.name: b for b in p.buildings}
    numbers = [b.number for b in p.buildings]
    for b in s.scalars(select(Building).where(Building.community_id == run.cid, Building.number.not_in(numbers))):
        if b.name in wanted:
            row = wanted[b.name]
            conflicts.append(
                RowError(BUILDINGS, row.line, "楼名", texts.LOAD_BUILDING_NAME_TAKEN.format(number=b.number))
            )
    if conflicts:
        raise LoadError(conflicts)


def _load_community(run: _Loading) -> None:
    p = run.parsed.community
    assert p is not None  # validate_directory reports a missing community file
    created = run.community is None
    if run.community is None:
        run.community = Community(code=p.code)
        run.session.add(run.community)
    changed = _set(
        run.community,
        name=p.name,
        timezone=p.timezone,
        office_address=p.office_address or None,
        office_hours=p.office_hours or None,
        office_phone=p.office_phone,
        office_map_url=p.office_map_url or None,
    )
    run.report.note("community", created, changed)


def _load_people(run: _Loading) -> None:
    for phone, (name, telegram_id) in _people_in_files(run.parsed).items():
        person = run.persons.get(phone)
        if person is None:
            person = run.persons[phone] = Person(community_id=run.cid, phone=phone)
            run.session.add(person)
        values: dict[str, object] = {"name": name}
        if telegram_id is not None:  # a blank cell keeps the account the bot has bound
            values["telegram_id"] = telegram_id
        run.person_changed[phone] = _set(person, **values)


def _load_grids(run: _Loading) -> None:
    run.grids = _existing(run.session, Grid, lambda g: g.code, Grid.community_id == run.cid)
    for row in run.parsed.grids:
        grid = run.grids.get(row.code)
        if created := grid is None:
            grid = run.grids[row.code] = Grid(community_id=run.cid, code=row.code)
            run.session.add(grid)
        run.report.note("grids", created, _set(grid, name=row.name, leader=run.persons[row.leader_phone]))


def _load_grid_branches(run: _Loading) -> None:
    grid_ids = [g.id for g in run.grids.values()]
    branches = _existing(
        run.session, PartyGroup, lambda g: g.grid_id, PartyGroup.kind == "branch", PartyGroup.grid_id.in_(grid_ids)
    )
    for row in run.parsed.grids:
        grid = run.grids[row.code]
        branch = branches.get(grid.id)
        if created := branch is None:
            branch = PartyGroup(kind="branch", grid=grid)
            run.session.add(branch)
        run.report.note("party_groups", created, _set(branch, name=row.branch, secretary_name=row.secretary))


def _load_buildings(run: _Loading) -> None:
    s = run.session
    run.buildings = _existing(s, Building, lambda b: b.number, Building.community_id == run.cid)
    # Two buildings swapping names would break the (community, name) unique constraint on
    # the first UPDATE: park renamed buildings under a temporary unique name first.
    renamed = [
        run.buildings[r.number]
        for r in run.parsed.buildings
        if r.number in run.buildings and run.buildings[r.number].name != r.name
    ]
    for b in renamed:
        b.name = f"#{b.id}"
    s.flush()
    for row in run.parsed.buildings:
        building = run.buildings.get(row.number)
        if created := building is None:
            building = run.buildings[row.number] = Building(community_id=run.cid, number=row.number)
            s.add(building)
        changed = _set(
            building,
            name=row.name,
            grid=run.grids[row.grid],
            units=row.units,
            floors=row.floors,
            aliases="|".join(row.aliases),
            latitude=row.latitude,
            longitude=row.longitude,
        )
        run.report.note("buildings", created, changed or building in renamed)


def _load_building_groups(run: _Loading) -> None:
    """楼院党小组: a blank cell removes the building's group (nothing points at groups)."""
    building_ids = [b.id for b in run.buildings.values()]
    groups = _existing(
        run.session,
        PartyGroup,
        lambda g: g.building_id,
        PartyGroup.kind == "building",
        PartyGroup.building_id.in_(building_ids),
    )
    for row in run.parsed.buildings:
        building = run.buildings[row.number]
        group = groups.get(building.id)
        if row.party_group:
            if created := group is None:
                group = PartyGroup(kind="building", building_id=building.id)
                run.session.add(group)
            run.report.note("party_groups", created, _set(group, grid=building.grid, name=row.party_group))
        elif group is not None:
            run.session.delete(group)
            run.report.counts["party_groups"].removed += 1


def _load_categories_and_teams(run: _Loading) -> None:
    """Teams name categories as skills and categories name a default team: categories
    first, then teams, then each category's default team."""
    s = run.session
    run.categories = _existing(s, ServiceCategory, lambda c: c.code, ServiceCategory.community_id == run.cid)
    new_categories = {row.code for row in run.parsed.categories if row.code not in run.categories}
    category_changed: dict[str, bool] = {}
    for row in run.parsed.categories:
        category = run.categories.get(row.code)
        if category is None:
            category = run.categories[row.code] = ServiceCategory(community_id=run.cid, code=row.code)
            s.add(category)
        category_changed[row.code] = _set(
            category,
            name=row.name,
            synonyms="|".join(row.synonyms),
            default_hours=row.default_hours,
            due_hours=row.due_hours,
            skill_required=row.skill_required,
        )

    run.teams = _existing(s, VolunteerTeam, lambda t: t.code, VolunteerTeam.community_id == run.cid)
    for team_row in run.parsed.teams:
        team = run.teams.get(team_row.code)
        if created := team is None:
            team = run.teams[team_row.code] = VolunteerTeam(community_id=run.cid, code=team_row.code)
            s.add(team)
        changed = _set(
            team,
            name=team_row.name,
            grid_id=run.grids[team_row.grid].id if team_row.grid else None,
            skills=[run.categories[code] for code in team_row.skills],
        )
        run.report.note("teams", created, changed)
    s.flush()  # team ids for the categories' default team

    for row in run.parsed.categories:
        category = run.categories[row.code]
        changed = _set(category, default_team_id=run.teams[row.default_team].id if row.default_team else None)
        run.report.note("categories", row.code in new_categories, category_changed[row.code] or changed)


def _load_volunteers(run: _Loading) -> None:
    for row in run.parsed.volunteers:
        person = run.persons[row.phone]
        volunteer = person.volunteer
        if created := volunteer is None:
            volunteer = Volunteer(person=person)
            run.session.add(volunteer)
        changed = _set(
            volunteer,
            grid_id=run.grids[row.grid].id if row.grid else None,
            building_id=run.buildings[row.building].id if row.building else None,
            is_party_member=row.party_member,
            max_load=row.max_load,  # None: the DEFAULT_MAX_LOAD setting (Volunteer.load_limit)
            availability_note=row.availability,
            work_unit=row.work_unit or None,
            teams=[run.teams[code] for code in row.teams],
        )
        run.report.note("volunteers", created, changed or run.person_changed[row.phone])


def _load_staff(run: _Loading) -> None:
    for row in run.parsed.staff:
        person = run.persons[row.phone]
        if created := person.staff is None:
            run.session.add(Staff(person=person))
        run.report.note("staff", created, run.person_changed[row.phone])


def _load_duty(run: _Loading) -> None:
    """The roster is the file: a row taken out is a shift no longer worked. Without a
    duty.csv the roster in the database is left as it is."""
    if not run.parsed.duty_present:
        return
    s = run.session
    old = {
        (d.person_id, d.weekday, d.start_minute, d.end_minute): d
        for d in s.scalars(select(DutyShift).where(DutyShift.community_id == run.cid))
    }
    keep = set()
    for row in run.parsed.duty:
        person = run.persons[row.phone]
        for day in row.weekdays:
            key = (person.id, day, row.start, row.end)
            created = key not in old and key not in keep
            if created:
                s.add(
                    DutyShift(
                        community_id=run.cid,
                        person_id=person.id,
                        weekday=day,
                        start_minute=row.start,
                        end_minute=row.end,
                    )
                )
            keep.add(key)
            run.report.note("duty", created, False)
    for key, shift in old.items():
        if key not in keep:
            s.delete(shift)
            run.report.counts["duty"].removed += 1


def _load_faq(run: _Loading) -> None:
    """faq.csv, keyed by each row's first question; rows gone from the file are removed
    (nothing points at them). Without a faq.csv the desk is left as it is."""
    if run.parsed.faq is None:
        return
    existing = _existing(run.session, FaqEntry, lambda e: e.key, FaqEntry.community_id == run.cid)
    kept: set[str] = set()
    for position, row in enumerate(run.parsed.faq):
        key = row.questions[0]
        kept.add(key)
        entry = existing.get(key)
        if created := entry is None:
            entry = existing[key] = FaqEntry(community_id=run.cid, key=key)
            run.session.add(entry)
        changed = _set(
            entry,
            questions="|".join(row.questions),
            answer=row.answer,
            link=row.link or None,
            phone=row.phone,
            position=position,
        )
        run.report.note("faq", created, changed)
    for key, entry in existing.items():
        if key not in kept and entry.id is not None:
            run.session.delete(entry)
            run.report.counts["faq"].removed += 1


# In order: each step may use what the ones before it loaded (and flushed).
LOAD_STEPS: list[Callable[[_Loading], None]] = [
    _load_community,
    _load_people,
    _load_grids,
    _load_grid_branches,
    _load_buildings,
    _load_building_groups,
    _load_categories_and_teams,
    _load_volunteers,
    _load_staff,
    _load_duty,
    _load_faq,
]
