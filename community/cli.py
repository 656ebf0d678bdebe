"""Admin command line: `python -m community …` (also installed as `nuanxin`).

Every command upgrades the schema first, so a fresh DATABASE_URL just works.
"""

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from community import clock, texts
from community.actors import actor_for_person
from community.db import make_engine, session_factory, transaction, upgrade
from community.errors import DomainError
from community.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:  # imported where used at run time, so each command loads only what it needs
    from sqlalchemy.orm import Session, sessionmaker

    from community.loader import RowError
    from community.queues import QueuePage
    from community.stats import CommunityStats

app = typer.Typer(
    help="暖心 community admin: database, community data, staff, invites, queues, statistics.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(soft_wrap=True)  # long lines stay whole (piped output, tests)
DEMO_DATA = PROJECT_ROOT / "data" / "community"


def _factory(database_url: str | None = None) -> "sessionmaker[Session]":
    engine = make_engine(database_url)
    upgrade(engine)
    return session_factory(engine)


def _fail(message: str) -> NoReturn:
    console.print(f"[bold red]✗[/] {message}")
    raise typer.Exit(1)


@app.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema."""
    _factory()
    console.print(f"[green]✓[/] 数据库已就绪：{get_settings().database_url}")


@app.command()
def load(
    directories: list[Path] = typer.Argument(
        None,
        help="Community folders (community.csv, grids.csv …) or a district folder (district.csv + one per community)",
    ),
    check: bool = typer.Option(False, "--check", help="Only validate; change nothing."),
) -> None:
    """Validate the community spreadsheets and load them (all or nothing): one community, several, or a district."""
    from community.district_loader import is_district_folder, load_district, validate_district
    from community.loader import LoadError, load_directory, validate_directory
    from community.routing import invalidate_buildings

    directories = directories or [DEMO_DATA]
    errors = []
    for directory in directories:
        if is_district_folder(directory):
            errors += validate_district(directory)[1]
        else:
            errors += [
                e if len(directories) == 1 else _in_folder(directory, e) for e in validate_directory(directory)[1]
            ]
    if errors:
        table = Table(title=f"{len(errors)} 处错误，未导入任何数据", title_style="bold red")
        for col in ("文件", "行", "列", "问题"):
            table.add_column(col)
        for e in errors:
            table.add_row(e.file, str(e.line or ""), e.column or "", e.message)
        console.print(table)
        raise typer.Exit(1)
    if check:
        console.print(f"[green]✓[/] {' '.join(map(str, directories))} 校验通过")
        return
    try:
        with transaction(_factory()) as s:
            reports = [load_district(s, d) if is_district_folder(d) else load_directory(s, d) for d in directories]
    except LoadError as exc:  # the database disagrees with the files (e.g. a name taken)
        _fail(exc.message)
    invalidate_buildings()
    for report in reports:
        for line in report.lines():
            console.print(line)


def _in_folder(directory: Path, error: "RowError") -> "RowError":
    from community.loader import RowError

    return RowError(f"{directory.name}/{error.file}", error.line, error.column, error.message)


@app.command("sample-district")
def sample_district(
    out: Path = typer.Argument(..., help="Folder to write the district to"),
    count: int = typer.Option(20, help="How many communities (1–80)"),
) -> None:
    """Write a sample district (the demo community × COUNT, own codes and phones) to load with `load OUT`."""
    from community.district_sample import MAX_COMMUNITIES, write_sample

    if not 1 <= count <= MAX_COMMUNITIES:
        _fail(texts.CLI_SAMPLE_COUNT.format(max=MAX_COMMUNITIES))
    write_sample(out, count)
    console.print(texts.CLI_SAMPLE_WRITTEN.format(count=count, out=out))


@app.command("add-supervisor")
def add_supervisor(
    district: str = typer.Option(..., help="District (街道/区) code, as in district.csv"),
    name: str = typer.Option(..., help="姓名"),
    telegram_id: int = typer.Option(None, help="Telegram user id"),
    phone: str = typer.Option(None, help="手机号"),
) -> None:
    """Add a street/district supervisor (督查): sees every community of the district and gets its warnings."""
    from community import district as districts

    try:
        with transaction(_factory()) as s:
            sup = districts.add_supervisor(s, district, name, phone, telegram_id)
            console.print(texts.CLI_SUPERVISOR_ADDED.format(name=sup.person.name, id=sup.id))
    except DomainError as exc:
        _fail(exc.message)


@app.command("district")
def district_overview(
    phone: str = typer.Option(..., help="The supervisor's phone number"),
    days: int = typer.Option(7, help="Days the rates and hours cover"),
) -> None:
    """Every community of a supervisor's district side by side (what /district shows in chat)."""
    from sqlalchemy import select

    from community import district as districts
    from community.models import Person, Supervisor
    from community.validation import normalize_phone

    try:
        with transaction(_factory()) as s:
            person = s.scalar(
                select(Person)
                .join(Supervisor, Supervisor.person_id == Person.id)
                .where(Person.phone == normalize_phone(phone), Supervisor.active.is_(True))
            )
            if person is None:
                _fail(texts.ERR_NOT_SUPERVISOR)
            view = districts.overview(s, actor_for_person(s, person, channel="cli"), days=days)
            table = Table(title=texts.CLI_DISTRICT_TITLE.format(name=view.district.name, days=days))
            for col in texts.DISTRICT_COLUMNS:
                table.add_column(col)
            for row in view.rows:
                table.add_row(*districts.row_cells(row))
            console.print(table)
    except DomainError as exc:
        _fail(exc.message)


@app.command("add-staff")
def add_staff(
    name: str = typer.Option(..., help="姓名"),
    telegram_id: int = typer.Option(None, help="Telegram user id (from @userinfobot)"),
    phone: str = typer.Option(None, help="手机号"),
    community: str = typer.Option(None, help="Community code (default: the only community)"),
) -> None:
    """Add a staff member (the first one bootstraps the bot's staff side)."""
    from community import people

    try:
        with transaction(_factory()) as s:
            staff = people.add_staff(s, people.community_by_code(s, community), name, phone, telegram_id)
            console.print(f"[green]✓[/] 已添加社区工作人员 {staff.person.name}（编号 {staff.id}）")
    except DomainError as exc:
        _fail(exc.message)


@app.command()
def invite(
    count: int = typer.Option(1, help="How many one-time codes"),
    team: str = typer.Option(None, help="Team code the volunteer joins"),
    days: int = typer.Option(7, help="Days until the codes expire"),
    staff_phone: str = typer.Option(None, help="Issuing staff member's phone (default: the first staff member)"),
) -> None:
    """Issue volunteer invite codes, printed with their /start links."""
    from sqlalchemy import select

    from community import people
    from community.models import Person, Staff

    try:
        with transaction(_factory()) as s:
            query = select(Person).join(Staff, Staff.person_id == Person.id).order_by(Staff.id)
            if staff_phone:
                query = query.where(Person.phone == staff_phone)
            issuer = s.scalars(query).first()
            if issuer is None:
                _fail(texts.CLI_NO_STAFF)
            invites = people.issue_invites(s, actor_for_person(s, issuer, channel="cli"), count, team, days)
            bot = get_settings().bot_username
            table = Table(title=texts.CLI_INVITES_TITLE.format(days=days))
            table.add_column("邀请码")
            table.add_column("链接")
            for inv in invites:
                link = f"https://t.me/{bot}?start=join-{inv.code}" if bot else f"/start join-{inv.code}"
                table.add_row(inv.code, link)
            console.print(table)
    except DomainError as exc:
        _fail(exc.message)


@app.command()
def links() -> None:
    """Each community's link for its posters and QR codes: a new resident opening it is registered there."""
    from community import people

    with transaction(_factory()) as s:
        communities = people.all_communities(s)
        if not communities:
            _fail(texts.ERR_COMMUNITY_UNKNOWN.format(code=""))
        bot = get_settings().bot_username
        table = Table(title=texts.CLI_LINKS_TITLE)
        table.add_column("社区")
        table.add_column("编号")
        table.add_column("链接")
        for c in communities:
            start = f"c-{c.code}"  # bot.resident.COMMUNITY_PREFIX (the core does not import the bot)
            table.add_row(c.name, c.code, f"https://t.me/{bot}?start={start}" if bot else f"/start {start}")
        console.print(table)


@app.command()
def queue(
    name: str = typer.Argument("unclaimed", help="review | unclaimed | overdue | awaiting_rating | low_rating"),
    page: int = typer.Option(1, min=1),
    community: str = typer.Option(None),
) -> None:
    """Show a staff queue (待审核, 待接单, 超时, 待评价, 差评)."""
    from community import people, queues

    factory = _factory()
    try:
        with factory() as s:
            c = people.community_by_code(s, community)
            result = queues.queue(s, c.id, name, limit=20, offset=(page - 1) * 20)
    except DomainError as exc:
        _fail(exc.message)
    console.print(render_queue(queues.QUEUE_NAMES[name], result, page))


def render_queue(label: str, page_data: "QueuePage", page: int) -> Table:
    pages = max(1, -(-page_data.total // 20))
    table = Table(title=f"{label}：共 {page_data.total} 条（第 {page}/{pages} 页）")
    for col in ("编号", "类别", "楼栋", "内容", "已等", "志愿者", "标记"):
        table.add_column(col, overflow="fold")
    for it in page_data.items:
        hours = int(it.age.total_seconds() // 3600)
        table.add_row(
            str(it.request_id),
            it.category or texts.KIND_NAMES[it.kind],
            it.building or "",
            it.summary,
            f"{hours}小时",
            it.volunteer or "",
            " ".join(texts.QUEUE_FLAG_NAMES.get(f, f) for f in it.flags),
        )
    return table


@app.command()
def stats(
    grid: str = typer.Option(None, help="Grid code"),
    team: str = typer.Option(None, help="Team code"),
    community: str = typer.Option(None),
) -> None:
    """Statistics: requests by state, grid, team and category; timings; satisfaction."""
    from sqlalchemy import select

    from community import people
    from community.models import Grid, VolunteerTeam
    from community.stats import compute_stats

    factory = _factory()
    try:
        with factory() as s:
            c = people.community_by_code(s, community)
            grid_id = s.scalar(select(Grid.id).where(Grid.community_id == c.id, Grid.code == grid)) if grid else None
            team_id = (
                s.scalar(select(VolunteerTeam.id).where(VolunteerTeam.community_id == c.id, VolunteerTeam.code == team))
                if team
                else None
            )
            if (grid and grid_id is None) or (team and team_id is None):
                _fail(texts.CLI_SCOPE_UNKNOWN.format(grid=grid or "-", team=team or "-"))
            result = compute_stats(s, c.id, grid_id=grid_id, team_id=team_id)
    except DomainError as exc:
        _fail(exc.message)
    for table in render_stats(result):
        console.print(table)


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def render_stats(st: "CommunityStats") -> list[Table]:
    """Terminal tables for `compute_stats` results (also used by the demo)."""
    overview = Table(title=f"诉求总数 {st.total}", show_header=False)
    t = st.timing
    sat = st.satisfaction
    rows = [
        ("按状态", "，".join(f"{texts.STATE_NAMES[k]} {v}" for k, v in st.by_state.items() if v)),
        (
            "接单用时中位数",
            "—"
            if t.median_minutes_to_claim is None
            else f"{t.median_minutes_to_claim:.0f} 分钟（{t.claim_samples} 单）",
        ),
        (
            "完成用时中位数",
            "—"
            if t.median_minutes_to_finish is None
            else f"{t.median_minutes_to_finish:.0f} 分钟（{t.finish_samples} 单）",
        ),
        (
            "满意率（4–5 星/已评价）",
            f"{_pct(sat.rate)}（{sat.satisfied}/{sat.rated}；未评价关闭 {sat.unrated_closed} 单不计入）",
        ),
        (
            "超时",
            f"红色预警 {st.overdue.red_flag}，超期未完成 {st.overdue.past_due}，差评 {st.overdue.low_rated}，待回访 {st.overdue.needs_followup}",
        ),
    ]
    for k, v in rows:
        overview.add_row(k, v)
    tables = [overview]
    for title, counts, satisfaction in (
        ("按网格", st.by_grid, st.satisfaction_by_grid),
        ("按服务队", st.by_team, st.satisfaction_by_team),
        ("按类别", st.by_category, {}),
    ):
        table = Table(title=title)
        table.add_column("名称")
        table.add_column("诉求数", justify="right")
        if satisfaction:
            table.add_column("满意率", justify="right")
        for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            row = [name, str(n)]
            if satisfaction:
                sat_row = satisfaction.get(name)
                row.append(f"{_pct(sat_row.rate)}（{sat_row.satisfied}/{sat_row.rated}）" if sat_row else "—")
            table.add_row(*row)
        tables.append(table)
    return tables


@app.command()
def care(
    resident_phone: str = typer.Option(..., help="The resident's phone number (registered by staff if needed)"),
    category: str = typer.Option("助老", help="Service menu entry, e.g. 助老"),
    every: int = typer.Option(7, help="Days between visits"),
    first: str = typer.Option(..., help='First visit, local time: "2026-11-30 09:00"'),
    description: str = typer.Option("上门看望", help="What the volunteer does each time"),
    staff_phone: str = typer.Option(None, help="Staff member setting it up (default: the first one)"),
) -> None:
    """Set up recurring care visits (关爱式) for a resident; each becomes a routed request."""
    from datetime import datetime

    from sqlalchemy import select

    from community import care as care_visits
    from community.models import Person, Staff
    from community.validation import normalize_phone

    try:
        local = datetime.strptime(first, "%Y-%m-%d %H:%M")
    except ValueError:
        _fail(texts.CLI_BAD_TIME.format(value=first))
    try:
        with transaction(_factory()) as s:
            query = select(Person).join(Staff, Staff.person_id == Person.id).order_by(Staff.id)
            if staff_phone:
                query = query.where(Person.phone == normalize_phone(staff_phone))
            issuer = s.scalars(query).first()
            if issuer is None:
                _fail(texts.CLI_NO_STAFF)
            resident = s.scalars(
                select(Person).where(
                    Person.phone == normalize_phone(resident_phone), Person.community_id == issuer.community_id
                )
            ).first()
            if resident is None or resident.resident is None:
                _fail(texts.CLI_RESIDENT_UNKNOWN.format(phone=resident_phone))
            tz = get_settings().timezone
            first_utc = clock.from_local(local, tz)
            schedule = care_visits.schedule_visits(
                s,
                actor_for_person(s, issuer, channel="cli"),
                resident.resident.id,
                category,
                description,
                every,
                first_utc,
            )
            console.print(
                texts.CLI_CARE_SET.format(
                    name=resident.name, days=schedule.every_days, first=clock.local_text(schedule.next_visit_at, tz)
                )
            )
    except DomainError as exc:
        _fail(exc.message)


@app.command()
def verify(code: str = typer.Argument(..., help="The verification code printed on the certificate")) -> None:
    """Check a certificate of service (志愿服务证明) by its verification code."""
    from community import recognition

    with _factory()() as s:
        cert = recognition.verify(s, code)
        if cert is None:
            _fail(texts.CLI_CERTIFICATE_UNKNOWN.format(code=code))
        shown = recognition.view(s, cert)
    console.print(
        texts.CLI_CERTIFICATE_VALID.format(
            code=shown.code,
            community=shown.community,
            name=shown.name,
            period=shown.period,
            services=shown.services,
            hours=f"{shown.hours:g}",
            issued=shown.issued,
        )
    )
    for month in shown.months:
        console.print(
            texts.CLI_CERTIFICATE_MONTH.format(
                month=recognition.Month.parse(month.month).label, services=month.services, hours=f"{month.hours:g}"
            )
        )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
