"""台账 export: one row per request submitted in a period (content, building and unit, the
resident's phone masked unless the exporter asks for it in full, every stage's time, the
volunteer, hours, rating and comment), each volunteer's hours and points, and a monthly
summary per grid and per team against the 95% satisfaction target with a chart, as an Excel
workbook or CSV.

Cells that begin with = + - @, a tab or a carriage return are written with a leading
apostrophe (OWASP's CSV-injection advice), so nothing a resident, a caller or an Open311
client typed becomes a formula in Excel or WPS; in the workbook every text cell is a
string cell (no formula cell comes from user input).

A period is whole local days in the community's time zone, `start` inclusive and `end`
exclusive (November is 11-01 to 12-01), so a request made at 07:30 Beijing time on the
1st (23:30 UTC the day before) belongs to the month staff expect.

Two different questions, two different filters: the request sheet lists requests
*submitted* in the period (what residents asked for); the volunteer sheet sums ledger
entries *recorded* in the period (work done), which is how service hours are reported.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from community import recognition, texts
from community.models import (
    Building,
    Community,
    Grid,
    LedgerEntry,
    Person,
    Rating,
    Request,
    Resident,
    ServiceCategory,
    Volunteer,
    VolunteerTeam,
)
from community.redaction import redact
from community.stats import SATISFACTION_TARGET, compute_stats

STAGES = (
    "submitted_at",
    "published_at",
    "claimed_at",
    "started_at",
    "done_at",
    "closed_at",
    "rejected_at",
    "cancelled_at",
)
TIME_FORMAT = "%Y-%m-%d %H:%M"
YES, NO = texts.EXPORT_YES, texts.EXPORT_NO


@dataclass(frozen=True)
class LedgerRow:
    request_id: int
    kind: str  # Chinese: 微心愿 / 便民服务 / 关爱服务
    category: str
    grid: str
    building: str
    unit: str  # "2单元", or "" when not known
    resident: str
    phone: str  # masked (139****5678) unless the export asked for full numbers
    content: str  # the item and description; phone and door numbers in it masked likewise
    state: str  # Chinese state name
    # Stage times in the community's local time (naive), None if the stage was not reached.
    submitted_at: datetime | None
    published_at: datetime | None
    claimed_at: datetime | None
    started_at: datetime | None
    done_at: datetime | None
    closed_at: datetime | None
    rejected_at: datetime | None
    cancelled_at: datetime | None
    volunteer: str  # everyone credited in the ledger, and whoever holds it now
    hours: float | None  # from the ledger; None when nobody has finished it
    points: int | None
    rating: int | None
    comment: str
    needs_followup: bool


@dataclass(frozen=True)
class VolunteerTotal:
    volunteer: str
    phone: str
    team: str
    services: int
    hours: float
    points: int


# (header, LedgerRow field) in sheet order; the Chinese headers live in community/texts.py.
LEDGER_COLUMNS = texts.EXPORT_LEDGER_COLUMNS
TOTAL_COLUMNS = texts.EXPORT_TOTAL_COLUMNS
LEDGER_SHEET, TOTALS_SHEET, TOTAL_LABEL = texts.EXPORT_LEDGER_SHEET, texts.EXPORT_TOTALS_SHEET, texts.EXPORT_TOTAL_LABEL


def utc_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """Local midnights of `start` and `end` as naive UTC, the form times are stored in."""
    zone = ZoneInfo(tz)

    def midnight(d: date) -> datetime:
        return datetime.combine(d, time(), zone).astimezone(UTC).replace(tzinfo=None)

    return midnight(start), midnight(end)


def _timezone(session: Session, community_id: int) -> str:
    return session.scalar(select(Community.timezone).where(Community.id == community_id)) or "Asia/Shanghai"


def mask_phone(phone: str | None) -> str:
    """138****5678: enough to tell callers apart, not enough to call them."""
    if not phone:
        return ""
    if sum(ch.isdigit() for ch in phone) < 7:
        return "****"
    return phone[:3] + "****" + phone[-4:]


def ledger_rows(
    session: Session,
    community_id: int,
    start: date,
    end: date,
    *,
    full_phone: bool = False,
    grid_ids: frozenset[int] | None = None,
) -> list[LedgerRow]:
    """One row per request submitted in [start, end) (local dates), oldest first.
    `full_phone`: phone numbers (and those in the content) in full, for staff who file the
    ledger; otherwise masked. `grid_ids`: only requests of these grids."""
    tz = _timezone(session, community_id)
    lo, hi = utc_bounds(start, end, tz)
    in_period = [Request.community_id == community_id, Request.submitted_at >= lo, Request.submitted_at < hi]
    if grid_ids is not None:
        in_period.append(Request.grid_id.in_(grid_ids))
    resident_person, volunteer_person = aliased(Person), aliased(Person)
    rows = session.execute(
        select(
            Request,
            ServiceCategory.name,
            Grid.name,
            Building.name,
            resident_person.name,
            resident_person.phone,
            volunteer_person.name,
            Rating.score,
            Rating.comment,
        )
        .join(Resident, Resident.id == Request.resident_id)
        .join(resident_person, resident_person.id == Resident.person_id)
        .outerjoin(ServiceCategory, ServiceCategory.id == Request.category_id)
        .outerjoin(Grid, Grid.id == Request.grid_id)
        .outerjoin(Building, Building.id == Request.building_id)
        .outerjoin(Volunteer, Volunteer.id == Request.volunteer_id)
        .outerjoin(volunteer_person, volunteer_person.id == Volunteer.person_id)
        .outerjoin(Rating, Rating.request_id == Request.id)
        .where(*in_period)
        .order_by(Request.submitted_at, Request.id)
    ).all()

    # Hours and points come from the ledger, not the request: a request reopened and
    # finished again has two entries, possibly by two volunteers, and both count.
    credited: dict[int | None, tuple[list[str], float, int]] = {}
    entries = session.execute(
        select(LedgerEntry.request_id, Person.name, func.sum(LedgerEntry.hours), func.sum(LedgerEntry.points))
        .join(Request, Request.id == LedgerEntry.request_id)
        .join(Volunteer, Volunteer.id == LedgerEntry.volunteer_id)
        .join(Person, Person.id == Volunteer.person_id)
        .where(*in_period)
        .group_by(LedgerEntry.request_id, Person.id, Person.name)
        .order_by(LedgerEntry.request_id, Person.id)
    )
    for request_id, name, entry_hours, entry_points in entries:
        names, h, p = credited.get(request_id, ([], 0.0, 0))
        credited[request_id] = ([*names, name], h + float(entry_hours or 0), p + int(entry_points or 0))

    def local(dt: datetime | None) -> datetime | None:
        return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None) if dt else None

    out = []
    hours: float | None
    points: int | None
    for req, category, grid, building, resident, resident_phone, volunteer, score, comment in rows:
        names, hours, points = credited.get(req.id, ([], None, None))
        if volunteer and volunteer not in names:
            names = [*names, volunteer]
        phone = req.contact_phone or resident_phone or ""
        content = f"{req.item}：{req.description}" if req.item and req.item not in req.description else req.description
        out.append(
            LedgerRow(
                request_id=req.id,
                kind=texts.KIND_NAMES[req.kind],
                category=category or "",
                grid=grid or "",
                building=building or "",
                unit=texts.EXPORT_UNIT.format(unit=req.unit) if req.unit else "",
                resident=resident,
                phone=phone if full_phone else mask_phone(phone),
                content=content if full_phone else redact(content),
                state=texts.STATE_NAMES[req.state],
                **{stage: local(getattr(req, stage)) for stage in STAGES},
                volunteer="、".join(names),
                hours=round(hours, 2) if hours is not None else None,
                points=points,
                rating=score,
                comment=comment or "",
                needs_followup=bool(req.needs_followup),
            )
        )
    return out


def volunteer_totals(session: Session, community_id: int, start: date, end: date) -> list[VolunteerTotal]:
    """Hours and points per volunteer and team from ledger entries recorded in [start, end),
    most hours first."""
    lo, hi = utc_bounds(start, end, _timezone(session, community_id))
    hours = func.sum(LedgerEntry.hours)
    rows = session.execute(
        select(
            Person.name,
            Person.phone,
            VolunteerTeam.name,
            func.count(LedgerEntry.id),
            hours,
            func.sum(LedgerEntry.points),
        )
        .join(Volunteer, Volunteer.id == LedgerEntry.volunteer_id)
        .join(Person, Person.id == Volunteer.person_id)
        .outerjoin(VolunteerTeam, VolunteerTeam.id == LedgerEntry.team_id)
        .where(Person.community_id == community_id, LedgerEntry.at >= lo, LedgerEntry.at < hi)
        .group_by(Volunteer.id, Person.name, Person.phone, VolunteerTeam.id, VolunteerTeam.name)
        .order_by(hours.desc(), Person.name, VolunteerTeam.name)
    ).all()
    return [
        VolunteerTotal(name, phone or "", team or texts.STATS_NO_TEAM, n, round(float(h or 0), 2), int(p or 0))
        for name, phone, team, n, h, p in rows
    ]


# --- the monthly summary ----------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    month: str  # "2026-11"
    scope_kind: str  # 全社区 / 网格 / 服务队
    name: str
    requests: int
    finished: int  # done or closed
    median_claim_minutes: float | None
    median_finish_minutes: float | None
    rated: int
    satisfied: int
    satisfaction: float | None
    target: float
    target_met: bool | None  # None when nothing was rated


def _months(start: date, end: date) -> list[tuple[date, date]]:
    """[start, end) cut at month boundaries."""
    out, first = [], start
    while first < end:
        next_month = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = min(next_month, end)
        out.append((first, last))
        first = last
    return out


def monthly_summary(
    session: Session, community_id: int, start: date, end: date, *, grid_ids: frozenset[int] | None = None
) -> list[SummaryRow]:
    """Per local month in [start, end): the community (unless scoped to grids), each grid and
    each team: requests submitted, finished, median minutes to claim and to finish, and
    satisfaction against SATISFACTION_TARGET. From `community.stats.compute_stats`, the same
    figures as the dashboard and the bot's /stats."""
    tz = _timezone(session, community_id)
    grids = session.execute(select(Grid.id, Grid.name).where(Grid.community_id == community_id).order_by(Grid.id)).all()
    teams = session.execute(
        select(VolunteerTeam.id, VolunteerTeam.name)
        .where(VolunteerTeam.community_id == community_id)
        .order_by(VolunteerTeam.id)
    ).all()
    if grid_ids is not None:
        grids = [g for g in grids if g.id in grid_ids]
    out: list[SummaryRow] = []
    for first, last in _months(start, end):
        lo, hi = utc_bounds(first, last, tz)
        month = first.strftime("%Y-%m")
        scopes: list[tuple[str, str, dict[str, Any]]] = []
        if grid_ids is None:
            scopes.append((texts.EXPORT_SCOPE_COMMUNITY, texts.EXPORT_SCOPE_COMMUNITY, {}))
        scopes += [(texts.EXPORT_SCOPE_GRID, g.name, {"grid_id": g.id}) for g in grids]
        if grid_ids is None:
            scopes += [(texts.EXPORT_SCOPE_TEAM, t.name, {"team_id": t.id}) for t in teams]
        for kind, name, scope in scopes:
            st = compute_stats(session, community_id, since=lo, until=hi, **scope)
            sat = st.satisfaction
            out.append(
                SummaryRow(
                    month=month,
                    scope_kind=kind,
                    name=name,
                    requests=st.total,
                    finished=st.by_state["done"] + st.by_state["closed"],
                    median_claim_minutes=_round(st.timing.median_minutes_to_claim),
                    median_finish_minutes=_round(st.timing.median_minutes_to_finish),
                    rated=sat.rated,
                    satisfied=sat.satisfied,
                    satisfaction=sat.rate,
                    target=SATISFACTION_TARGET,
                    target_met=None if sat.rate is None else sat.rate >= SATISFACTION_TARGET,
                )
            )
    return out


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


# --- writing: neutralised cells, sheets, the chart ----------------------------------------------

# OWASP CSV injection: a cell starting with one of these is read as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; everything
    else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return YES if value else NO
    return neutralise(value)


def _append(ws: Any, values: list[Any]) -> None:
    """One row; every text cell is written as a string cell, never as a formula."""
    ws.append([_cell(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


# A sheet writer: (workbook, session) -> None. The web's export adds the 在职党员 work-unit sheet
# here (engineer data: `community.recognition.work_unit_report`), after the summary.
SheetWriter = Callable[[Any], None]


def write_table(book: Any, title: str, columns: list[tuple[str, str]], rows: list[Any]) -> Any:
    """A sheet with a bold header row and one row per item (attributes named by `columns`)."""
    from openpyxl.styles import Font

    ws = book.create_sheet(title)
    _append(ws, [header for header, _ in columns])
    for item in rows:
        _append(ws, [getattr(item, name) for _, name in columns])
    ws.freeze_panes = "A2"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    return ws


def _summary_sheet(book: Any, summary: list[SummaryRow]) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.series import SeriesLabel

    ws = write_table(book, texts.EXPORT_SUMMARY_SHEET, texts.EXPORT_SUMMARY_COLUMNS, summary)
    names = [name for _, name in texts.EXPORT_SUMMARY_COLUMNS]
    for index, name in enumerate(names, start=1):
        letter = ws.cell(row=1, column=index).column_letter
        ws.column_dimensions[letter].width = 14 if name != "name" else 22
        if name in ("satisfaction", "target"):
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    # The chart: requests and finished per grid, for the last month of the period.
    grid_rows = [i for i, r in enumerate(summary, start=2) if r.scope_kind == texts.EXPORT_SCOPE_GRID]
    if not grid_rows:
        return
    last_month = summary[grid_rows[-1] - 2].month
    rows = [i for i in grid_rows if summary[i - 2].month == last_month]
    chart = BarChart()
    chart.title = texts.EXPORT_CHART_TITLE.format(month=last_month)
    chart.y_axis.title = texts.EXPORT_CHART_REQUESTS
    first, last = rows[0], rows[-1]
    requests_col, finished_col, name_col = (
        names.index("requests") + 1,
        names.index("finished") + 1,
        names.index("name") + 1,
    )
    chart.add_data(Reference(ws, min_col=requests_col, max_col=finished_col, min_row=first, max_row=last))
    chart.set_categories(Reference(ws, min_col=name_col, min_row=first, max_row=last))
    for series, label in zip(chart.series, (texts.EXPORT_CHART_REQUESTS, texts.EXPORT_CHART_FINISHED), strict=True):
        series.tx = SeriesLabel(v=label)
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, f"A{len(summary) + 4}")


def to_xlsx(
    rows: list[LedgerRow],
    totals: list[VolunteerTotal],
    summary: list[SummaryRow] | None = None,
    extra_sheets: tuple[SheetWriter, ...] = (),
    work_units: list[recognition.WorkUnitLine] | None = None,
) -> bytes:
    """A workbook: 台账, 志愿者时长 (with a 合计 row), and, when given, 月度汇总 with its chart,
    在职党员双报到 (community.recognition.work_unit_report) and any extra sheets (each writer
    adds its own to the book)."""
    from openpyxl import Workbook  # imported here: only the export needs it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ledger = book.worksheets[0]  # the one sheet a new workbook has
    ledger.title = LEDGER_SHEET
    _append(ledger, [header for header, _ in LEDGER_COLUMNS])
    for row in rows:
        _append(ledger, [getattr(row, name) for _, name in LEDGER_COLUMNS])
    sheet = book.create_sheet(TOTALS_SHEET)
    _append(sheet, [header for header, _ in TOTAL_COLUMNS])
    for total in totals:
        _append(sheet, [getattr(total, name) for _, name in TOTAL_COLUMNS])
    _append(
        sheet,
        [
            TOTAL_LABEL,
            "",
            "",
            sum(t.services for t in totals),
            round(sum(t.hours for t in totals), 2),
            sum(t.points for t in totals),
        ],
    )

    for ws, columns in ((ledger, LEDGER_COLUMNS), (sheet, TOTAL_COLUMNS)):
        ws.freeze_panes = "A2"
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for index, (header, name) in enumerate(columns, start=1):
            letter = get_column_letter(index)
            is_time = name in STAGES
            ws.column_dimensions[letter].width = 17 if is_time else max(8, 2 * len(header) + 2)
            if is_time:
                for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "yyyy-mm-dd hh:mm"
    if summary is not None:
        _summary_sheet(book, summary)
    if work_units is not None:
        recognition.add_work_unit_sheet(book, work_units)
    for write in extra_sheets:
        write(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(rows: list[LedgerRow]) -> str:
    """The 台账 sheet as CSV text. Write it with encoding "utf-8-sig" so Excel and WPS
    recognise the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for header, _ in LEDGER_COLUMNS])
    for row in rows:
        values = []
        for _, name in LEDGER_COLUMNS:
            value = _cell(getattr(row, name))
            values.append(
                value.strftime(TIME_FORMAT) if isinstance(value, datetime) else ("" if value is None else value)
            )
        writer.writerow(values)
    return buffer.getvalue()
