"""台账 export: one row per request submitted in a period, and each volunteer's hours and
points, as an Excel workbook or CSV.

A period is whole local days in the community's time zone, `start` inclusive and `end`
exclusive (November is 11-01 to 12-01), so a request made at 07:30 Beijing time on the
1st (23:30 UTC the day before) belongs to the month staff expect.

Two different questions, two different filters: the request sheet lists requests
*submitted* in the period (what residents asked for); the volunteer sheet sums ledger
entries *recorded* in the period (work done), which is how service hours are reported.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
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
    resident: str
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


def ledger_rows(session: Session, community_id: int, start: date, end: date) -> list[LedgerRow]:
    """One row per request submitted in [start, end) (local dates), oldest first."""
    tz = _timezone(session, community_id)
    lo, hi = utc_bounds(start, end, tz)
    in_period = [Request.community_id == community_id, Request.submitted_at >= lo, Request.submitted_at < hi]
    resident_person, volunteer_person = aliased(Person), aliased(Person)
    rows = session.execute(
        select(
            Request,
            ServiceCategory.name,
            Grid.name,
            Building.name,
            resident_person.name,
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
    credited: dict[int, tuple[list[str], float, int]] = {}
    entries = session.execute(
        select(LedgerEntry.request_id, Person.name, func.sum(LedgerEntry.hours), func.sum(LedgerEntry.points))
        .join(Request, Request.id == LedgerEntry.request_id)
        .join(Volunteer, Volunteer.id == LedgerEntry.volunteer_id)
        .join(Person, Person.id == Volunteer.person_id)
        .where(*in_period)
        .group_by(LedgerEntry.request_id, Person.id, Person.name)
        .order_by(LedgerEntry.request_id, Person.id)
    )
    for request_id, name, hours, points in entries:
        names, h, p = credited.get(request_id, ([], 0.0, 0))
        credited[request_id] = ([*names, name], h + float(hours or 0), p + int(points or 0))

    def local(dt: datetime | None) -> datetime | None:
        return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None) if dt else None

    out = []
    for req, category, grid, building, resident, volunteer, score, comment in rows:
        names, hours, points = credited.get(req.id, ([], None, None))
        if volunteer and volunteer not in names:
            names = [*names, volunteer]
        out.append(
            LedgerRow(
                request_id=req.id,
                kind=texts.KIND_NAMES[req.kind],
                category=category or "",
                grid=grid or "",
                building=building or "",
                resident=resident,
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


def _cell(value):
    if isinstance(value, bool):
        return YES if value else NO
    return value


def to_xlsx(
    rows: list[LedgerRow], totals: list[VolunteerTotal], work_units: list[recognition.WorkUnitLine] | None = None
) -> bytes:
    """A workbook with two sheets, 台账 and 志愿者时长 (with a 合计 row), and 在职党员双报到
    when `work_units` is given (community.recognition.work_unit_report)."""
    from openpyxl import Workbook  # imported here: only the export needs it
    from openpyxl.styles import Font

    book = Workbook()
    ledger = book.active
    ledger.title = LEDGER_SHEET
    ledger.append([header for header, _ in LEDGER_COLUMNS])
    for row in rows:
        ledger.append([_cell(getattr(row, name)) for _, name in LEDGER_COLUMNS])
    sheet = book.create_sheet(TOTALS_SHEET)
    sheet.append([header for header, _ in TOTAL_COLUMNS])
    for total in totals:
        sheet.append([getattr(total, name) for _, name in TOTAL_COLUMNS])
    sheet.append(
        [
            TOTAL_LABEL,
            "",
            "",
            sum(t.services for t in totals),
            round(sum(t.hours for t in totals), 2),
            sum(t.points for t in totals),
        ]
    )

    for ws, columns in ((ledger, LEDGER_COLUMNS), (sheet, TOTAL_COLUMNS)):
        ws.freeze_panes = "A2"
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for index, (header, name) in enumerate(columns, start=1):
            letter = ws.cell(row=1, column=index).column_letter
            is_time = name in STAGES
            ws.column_dimensions[letter].width = 17 if is_time else max(8, 2 * len(header) + 2)
            if is_time:
                for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "yyyy-mm-dd hh:mm"
    if work_units is not None:
        recognition.add_work_unit_sheet(book, work_units)
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
