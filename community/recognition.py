"""Recognition for volunteers: hours this month and year and ranks (`/me`), monthly
leaderboards per team and community (opt-out per volunteer), the month-end thank-you,
certificates of service (志愿服务证明) with a verification code, and the on-duty party
members' report per work unit (在职党员 双报到).

Hours are the ledger's (`LedgerEntry`, written by the lifecycle when work is finished), in
the community's months: a month is local calendar days in the community's time zone, so
work finished at 07:30 Beijing time on the 1st counts in the month staff expect.

Ranks count only volunteers who served in the month and did not opt out; equal hours share
a rank (1, 2, 2, 4). A team's board ranks its members by all their hours in the month.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from community import clock, texts
from community.errors import Forbidden, InvalidInput, NotFound
from community.models import (
    Certificate,
    Community,
    FollowUp,
    LedgerEntry,
    Person,
    Rating,
    Volunteer,
    VolunteerTeam,
    team_members,
)
from community.outbox import notify_many
from community.settings import get_settings

if TYPE_CHECKING:
    from openpyxl import Workbook

MONTH_SUMMARY = "month_summary"  # the follow-up kind (one per community and month)
BOARD_SIZE = 10


# --- months -----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, when_utc: datetime, tz: str) -> Month:
        local = clock.to_local(when_utc, tz)
        return cls(local.year, local.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """2026-11, 2026/11, 202611, 2026年11月; InvalidInput otherwise."""
        m = re.fullmatch(r"\s*(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})\s*月?\s*", text or "")
        if m is None or not 1 <= int(m.group(2)) <= 12:
            raise InvalidInput(texts.RECOGNITION_BAD_MONTH.format(text=text))
        return cls(int(m.group(1)), int(m.group(2)))

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start(self, tz: str) -> datetime:
        """Local midnight of the 1st, as naive UTC."""
        return clock.from_local(datetime(self.year, self.month, 1), tz)

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        return self.start(tz), self.next().start(tz)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return texts.MONTH_LABEL.format(year=self.year, month=self.month)


def timezone_of(session: Session, community_id: int) -> str:
    return session.scalar(select(Community.timezone).where(Community.id == community_id)) or get_settings().timezone


# --- hours and ranks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    hours: float = 0.0
    services: int = 0
    points: int = 0


def totals_by_volunteer(session: Session, community_id: int, start: datetime, end: datetime) -> dict[int, Totals]:
    """Ledger hours, services and points per volunteer recorded in [start, end) (naive UTC)."""
    rows = session.execute(
        select(
            LedgerEntry.volunteer_id,
            func.sum(LedgerEntry.hours),
            func.count(func.distinct(LedgerEntry.request_id)),
            func.sum(LedgerEntry.points),
        )
        .join(Volunteer, Volunteer.id == LedgerEntry.volunteer_id)
        .join(Person, Person.id == Volunteer.person_id)
        .where(Person.community_id == community_id, LedgerEntry.at >= start, LedgerEntry.at < end)
        .group_by(LedgerEntry.volunteer_id)
    ).all()
    return {vid: Totals(round(float(h or 0), 2), int(n or 0), int(p or 0)) for vid, h, n, p in rows}


@dataclass(frozen=True)
class BoardLine:
    rank: int
    volunteer_id: int
    name: str
    hours: float
    services: int


@dataclass(frozen=True)
class Board:
    scope: str  # the community's or the team's name
    month: Month
    lines: list[BoardLine]


@dataclass(frozen=True)
class _Placed:
    rank: int
    volunteer_id: int
    totals: Totals


def _ranked(totals: dict[int, Totals], eligible: set[int] | None, excluded: set[int]) -> list[_Placed]:
    """Competition ranking by hours (then services): equal hours share a rank. Only
    volunteers with hours count, of `eligible` (None: all) and not in `excluded`. Works on
    the month's totals alone: names are looked up for the lines shown, not for everyone."""
    order = sorted(
        (
            (vid, t)
            for vid, t in totals.items()
            if t.hours > 0 and vid not in excluded and (eligible is None or vid in eligible)
        ),
        key=lambda item: (-item[1].hours, -item[1].services, item[0]),
    )
    placed: list[_Placed] = []
    for position, (vid, t) in enumerate(order, start=1):
        previous = placed[-1] if placed else None
        rank = previous.rank if previous is not None and previous.totals.hours == t.hours else position
        placed.append(_Placed(rank, vid, t))
    return placed


def _opted_out(session: Session, community_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Volunteer.id)
            .join(Person, Person.id == Volunteer.person_id)
            .where(Person.community_id == community_id, Volunteer.leaderboard_opt_out.is_(True))
        )
    )


def _members(session: Session, team_id: int) -> set[int]:
    return set(session.scalars(select(team_members.c.volunteer_id).where(team_members.c.team_id == team_id)))


def _names(session: Session, volunteer_ids: list[int]) -> dict[int, str]:
    if not volunteer_ids:
        return {}
    rows = session.execute(
        select(Volunteer.id, Person.name)
        .join(Person, Person.id == Volunteer.person_id)
        .where(Volunteer.id.in_(volunteer_ids))
    )
    return {vid: name for vid, name in rows}


def leaderboard(
    session: Session, community_id: int, month: Month, *, team_id: int | None = None, limit: int | None = BOARD_SIZE
) -> Board:
    """The month's board of the community, or of one team (its members' hours)."""
    tz = timezone_of(session, community_id)
    totals = totals_by_volunteer(session, community_id, *month.bounds(tz))
    members = _members(session, team_id) if team_id is not None else None
    placed = _ranked(totals, members, _opted_out(session, community_id))
    shown = placed[:limit] if limit else placed
    names = _names(session, [p.volunteer_id for p in shown])
    lines = [
        BoardLine(p.rank, p.volunteer_id, names.get(p.volunteer_id, ""), p.totals.hours, p.totals.services)
        for p in shown
    ]
    if team_id is not None:
        scope = session.scalar(select(VolunteerTeam.name).where(VolunteerTeam.id == team_id)) or ""
    else:
        scope = session.scalar(select(Community.name).where(Community.id == community_id)) or ""
    return Board(scope, month, lines)


@dataclass(frozen=True)
class Rank:
    scope: str
    rank: int | None  # None: did not serve this month, or opted out
    of: int  # how many are ranked


@dataclass(frozen=True)
class Standing:
    """What `/me` shows: this month's and this year's hours and the ranks."""

    month: Month
    month_hours: float
    month_services: int
    year_hours: float
    opted_out: bool
    community: Rank
    teams: list[Rank] = field(default_factory=list)


def standing(session: Session, volunteer_id: int, now: datetime | None = None) -> Standing:
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(texts.RECOGNITION_NOT_VOLUNTEER)
    community_id = volunteer.person.community_id
    tz = timezone_of(session, community_id)
    month = Month.of(now or clock.now(), tz)
    start, end = month.bounds(tz)
    totals = totals_by_volunteer(session, community_id, start, end)
    year_hours = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.hours), 0.0)).where(
            LedgerEntry.volunteer_id == volunteer_id,
            LedgerEntry.at >= Month(month.year, 1).start(tz),
            LedgerEntry.at < end,
        )
    )
    mine = totals.get(volunteer_id, Totals())
    excluded = _opted_out(session, community_id)

    def rank_in(scope: str, eligible: set[int] | None) -> Rank:
        placed = _ranked(totals, eligible, excluded)
        own = next((p.rank for p in placed if p.volunteer_id == volunteer_id), None)
        return Rank(scope, own, len(placed))

    community_name = session.scalar(select(Community.name).where(Community.id == community_id)) or ""
    return Standing(
        month=month,
        month_hours=mine.hours,
        month_services=mine.services,
        year_hours=round(float(year_hours or 0), 2),
        opted_out=volunteer.leaderboard_opt_out,
        community=rank_in(community_name, None),
        teams=[rank_in(team.name, _members(session, team.id)) for team in sorted(volunteer.teams, key=lambda t: t.id)],
    )


def set_leaderboard_opt_out(session: Session, volunteer_id: int, opt_out: bool) -> None:
    """A volunteer leaves (or rejoins) the leaderboards; only they decide, for themselves."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise Forbidden(texts.RECOGNITION_NOT_VOLUNTEER)
    volunteer.leaderboard_opt_out = opt_out


# --- the month-end thank-you --------------------------------------------------------------------


def _summary_due(month: Month, tz: str) -> datetime:
    """When the summary of the month before `month` goes out: `month`'s 1st at MONTH_SUMMARY_AT."""
    hours, minutes = map(int, get_settings().month_summary_at.split(":"))
    return month.start(tz) + timedelta(hours=hours, minutes=minutes)


def ensure_month_summary(session: Session, community_id: int, after: datetime) -> None:
    """Plan the next month-end summary after `after`, once: the row's unique key (community,
    due time; see models.FollowUp) makes a second plan for the same month a no-op, whichever
    process makes it."""
    tz = timezone_of(session, community_id)
    month = Month.of(after, tz)
    due = _summary_due(month, tz)
    if due <= after:
        due = _summary_due(month.next(), tz)
    exists = session.scalar(
        select(FollowUp.id).where(
            FollowUp.community_id == community_id, FollowUp.kind == MONTH_SUMMARY, FollowUp.due_at == due
        )
    )
    if exists:
        return
    try:
        with session.begin_nested():
            session.add(
                FollowUp(community_id=community_id, request_id=None, kind=MONTH_SUMMARY, due_at=due, created_at=after)
            )
    except IntegrityError:
        pass  # another process planned it first


def ensure_month_summaries(factory: sessionmaker[Session], now: datetime | None = None) -> None:
    """Every community's next summary is planned (called when the scheduler starts)."""
    now = now or clock.now()
    with factory() as s, s.begin():
        for community_id in s.scalars(select(Community.id)):
            ensure_month_summary(s, community_id, now)


def summary_text(name: str, month: Month, totals: Totals, rank: int | None, ranked: int) -> str:
    text = texts.MONTH_SUMMARY.format(
        name=name, month=month.label, services=totals.services, hours=f"{totals.hours:g}", points=totals.points
    )
    if rank is not None:
        text += texts.MONTH_SUMMARY_RANK.format(rank=rank, of=ranked)
    return text + texts.MONTH_SUMMARY_THANKS


def send_month_summaries(session: Session, community_id: int, due_at: datetime) -> int:
    """Thank every volunteer who served in the month before `due_at` (through the outbox,
    so quiet hours hold it until morning). Returns how many were written."""
    tz = timezone_of(session, community_id)
    month = Month.of(due_at, tz).previous()
    totals = totals_by_volunteer(session, community_id, *month.bounds(tz))
    ranks = {p.volunteer_id: p for p in _ranked(totals, None, _opted_out(session, community_id))}
    ranked = len(ranks)
    people = {  # one query for everyone, not one per volunteer
        vid: person
        for vid, person in session.execute(
            select(Volunteer.id, Person)
            .join(Person, Person.id == Volunteer.person_id)
            .where(Person.community_id == community_id)
        )
    }
    messages = []
    for vid, t in sorted(totals.items()):
        person = people.get(vid)
        if person is None or (t.services == 0 and t.hours == 0):
            continue
        line = ranks.get(vid)
        messages.append(
            (person, MONTH_SUMMARY, summary_text(person.name, month, t, line.rank if line else None, ranked))
        )
    return notify_many(session, messages)


def fire_month_summary(session: Session, row: FollowUp, now: datetime) -> bool:
    """The follow-up runner's case for MONTH_SUMMARY: send, then plan next month's."""
    send_month_summaries(session, row.community_id, row.due_at)
    ensure_month_summary(session, row.community_id, max(now, row.due_at) + timedelta(minutes=1))
    return True


# --- certificates of service ------------------------------------------------------------------

# No 0/O, 1/I/L: read off paper and typed in by a school's secretary.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _clean_code(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())


@dataclass(frozen=True)
class CertificateMonth:
    month: str  # 2026-10
    hours: float
    services: int


def _months_between(
    session: Session, volunteer_id: int, start: datetime, end: datetime, tz: str
) -> list[CertificateMonth]:
    rows = session.execute(
        select(LedgerEntry.at, LedgerEntry.hours, LedgerEntry.request_id).where(
            LedgerEntry.volunteer_id == volunteer_id, LedgerEntry.at >= start, LedgerEntry.at < end
        )
    ).all()
    hours: dict[str, float] = {}
    services: dict[str, set[int]] = {}
    for at, h, request_id in rows:
        key = Month.of(at, tz).key
        hours[key] = hours.get(key, 0.0) + float(h or 0)
        if request_id is not None:
            services.setdefault(key, set()).add(request_id)
    return [CertificateMonth(k, round(hours[k], 2), len(services.get(k, ()))) for k in sorted(hours)]


def issue_certificate(
    session: Session, volunteer_id: int, *, year: int | None = None, issued_by_person_id: int | None = None
) -> Certificate:
    """A certificate of the volunteer's service in calendar year `year` (this year by
    default, up to now), stored with a fresh verification code."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound(texts.RECOGNITION_NOT_VOLUNTEER)
    community_id = volunteer.person.community_id
    tz = timezone_of(session, community_id)
    now = clock.now()
    this_year = Month.of(now, tz).year
    year = this_year if year is None else year
    if not 2000 <= year <= this_year:
        raise InvalidInput(texts.CERTIFICATE_BAD_YEAR.format(year=year, this_year=this_year))
    start = Month(year, 1).start(tz)
    end = min(Month(year + 1, 1).start(tz), now)
    months = _months_between(session, volunteer_id, start, end, tz)
    if not months:
        raise InvalidInput(texts.CERTIFICATE_NO_SERVICE.format(year=year))
    cert = Certificate(
        code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        community_id=community_id,
        volunteer_id=volunteer_id,
        volunteer_name=volunteer.person.name,
        period_start=start,
        period_end=end,
        hours=round(sum(m.hours for m in months), 2),
        services=sum(m.services for m in months),
        months=[[m.month, m.hours, m.services] for m in months],
        issued_at=now,
        issued_by_person_id=issued_by_person_id,
    )
    session.add(cert)
    session.flush()
    return cert


def verify(session: Session, code: str) -> Certificate | None:
    """The certificate a code belongs to, or None (spaces, dashes and case do not matter)."""
    clean = _clean_code(code)
    if len(clean) != CODE_LENGTH:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == clean))


@dataclass(frozen=True)
class CertificateView:
    """What a certificate states, as the PDF, the CLI and the web page show it."""

    code: str  # formatted: ABCD-EFGH-JKMN
    community: str
    name: str
    period: str  # 2026年1月至2026年11月
    hours: float
    services: int
    months: list[CertificateMonth]
    issued: str  # 2026年11月23日


def view(session: Session, cert: Certificate) -> CertificateView:
    tz = timezone_of(session, cert.community_id)
    first = Month.of(cert.period_start, tz)
    last = Month.of(cert.period_end - timedelta(seconds=1), tz)
    issued = clock.to_local(cert.issued_at, tz)
    return CertificateView(
        code=format_code(cert.code),
        community=session.scalar(select(Community.name).where(Community.id == cert.community_id)) or "",
        name=cert.volunteer_name,
        period=texts.CERTIFICATE_PERIOD.format(first=first.label, last=last.label),
        hours=cert.hours,
        services=cert.services,
        months=[CertificateMonth(str(m), float(h), int(n)) for m, h, n in cert.months],
        issued=texts.DATE_LABEL.format(year=issued.year, month=issued.month, day=issued.day),
    )


def certificate_pdf(cert: CertificateView) -> bytes:
    """The certificate as an A4 PDF in reportlab's built-in CJK font (STSong-Light, a CID
    font every PDF reader has: nothing to embed, no font files to ship)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    title = ParagraphStyle("title", fontName=font, fontSize=24, leading=32, alignment=1)
    body = ParagraphStyle("body", fontName=font, fontSize=13, leading=22, wordWrap="CJK", firstLineIndent=26)
    small = ParagraphStyle("small", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    right = ParagraphStyle("right", parent=small, fontSize=12, leading=20, alignment=2)

    rows: list[list[Any]] = [list(texts.CERTIFICATE_TABLE_HEAD)]
    rows += [[Month.parse(m.month).label, str(m.services), f"{m.hours:g}"] for m in cert.months]
    rows.append([texts.CERTIFICATE_TOTAL, str(cert.services), f"{cert.hours:g}"])
    table = Table(rows, colWidths=[50 * mm, 40 * mm, 50 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 12),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("ALIGN", (1, 0), (-1, -1), "CENTER"),
            ]
        )
    )
    story = [
        Paragraph(texts.CERTIFICATE_TITLE, title),
        Spacer(1, 10 * mm),
        Paragraph(
            texts.CERTIFICATE_BODY.format(
                name=cert.name,
                period=cert.period,
                community=cert.community,
                services=cert.services,
                hours=f"{cert.hours:g}",
            ),
            body,
        ),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 12 * mm),
        Paragraph(cert.community, right),
        Paragraph(cert.issued, right),
        Spacer(1, 12 * mm),
        Paragraph(texts.CERTIFICATE_CODE.format(code=cert.code), small),
        Paragraph(texts.CERTIFICATE_HOW_TO_VERIFY, small),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=texts.CERTIFICATE_TITLE,
        author=cert.community,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=30 * mm,
    )
    doc.build(story)
    return buffer.getvalue()


# --- on-duty party members by work unit (在职党员 双报到) -------------------------------------------


@dataclass(frozen=True)
class WorkUnitMember:
    name: str
    party_member: bool
    services: int
    hours: float
    ratings: int
    rating_avg: float | None


@dataclass(frozen=True)
class WorkUnitLine:
    work_unit: str
    members: list[WorkUnitMember]

    @property
    def serving(self) -> int:
        return sum(1 for m in self.members if m.services or m.hours)

    @property
    def services(self) -> int:
        return sum(m.services for m in self.members)

    @property
    def hours(self) -> float:
        return round(sum(m.hours for m in self.members), 2)

    @property
    def ratings(self) -> int:
        return sum(m.ratings for m in self.members)

    @property
    def rating_avg(self) -> float | None:
        rated = [(m.rating_avg or 0) * m.ratings for m in self.members]
        return round(sum(rated) / self.ratings, 2) if self.ratings else None


def work_unit_report_between(session: Session, community_id: int, start: datetime, end: datetime) -> list[WorkUnitLine]:
    """Per work unit: its registered members' services, hours and ratings in [start, end)."""
    members = session.execute(
        select(Volunteer.id, Volunteer.work_unit, Volunteer.is_party_member, Person.name)
        .join(Person, Person.id == Volunteer.person_id)
        .where(Person.community_id == community_id, Volunteer.work_unit.is_not(None), Volunteer.work_unit != "")
        .order_by(Volunteer.work_unit, Person.name, Volunteer.id)
    ).all()
    totals = totals_by_volunteer(session, community_id, start, end)
    ratings = {
        vid: (int(n), float(avg))
        for vid, n, avg in session.execute(
            select(Rating.volunteer_id, func.count(Rating.id), func.avg(Rating.score))
            .where(Rating.created_at >= start, Rating.created_at < end, Rating.volunteer_id.is_not(None))
            .group_by(Rating.volunteer_id)
        )
    }
    units: dict[str, list[WorkUnitMember]] = {}
    for vid, unit, party, name in members:
        t = totals.get(vid, Totals())
        n, avg = ratings.get(vid, (0, 0.0))
        units.setdefault(unit or "", []).append(
            WorkUnitMember(name, bool(party), t.services, t.hours, n, round(avg, 2) if n else None)
        )
    return [WorkUnitLine(unit, lines) for unit, lines in units.items()]


def work_unit_report(session: Session, community_id: int, month: Month) -> list[WorkUnitLine]:
    """The monthly report per work unit (the ledger export's sheet and the staff command)."""
    return work_unit_report_between(session, community_id, *month.bounds(timezone_of(session, community_id)))


def add_work_unit_sheet(book: Workbook, report: Sequence[WorkUnitLine]) -> None:
    """The 在职党员双报到 sheet of the ledger workbook: one row per member, a subtotal per unit."""
    from openpyxl.styles import Font

    sheet = book.create_sheet(texts.WORK_UNIT_SHEET)
    sheet.append(list(texts.WORK_UNIT_COLUMNS))
    for unit in report:
        for m in unit.members:
            sheet.append(
                [
                    unit.work_unit,
                    m.name,
                    texts.EXPORT_YES if m.party_member else texts.EXPORT_NO,
                    m.services,
                    m.hours,
                    m.ratings,
                    m.rating_avg if m.rating_avg is not None else "",
                ]
            )
        sheet.append(
            [
                unit.work_unit,
                texts.WORK_UNIT_SUBTOTAL,
                "",
                unit.services,
                unit.hours,
                unit.ratings,
                unit.rating_avg if unit.rating_avg is not None else "",
            ]
        )
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 24
