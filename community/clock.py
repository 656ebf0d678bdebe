"""The one source of "now" for the domain.

All times are stored as naive UTC datetimes (SQLite keeps no time zone, so one convention
for both databases); they are shown in the community's time zone. Tests and the
accelerated demo replace the clock with `use_clock`.
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_now: Callable[[], datetime] = lambda: datetime.now(UTC).replace(tzinfo=None)  # noqa: E731


def now() -> datetime:
    return _now()


@contextmanager
def use_clock(fn: Callable[[], datetime]) -> Iterator[None]:
    global _now
    previous, _now = _now, fn
    try:
        yield
    finally:
        _now = previous


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


def to_local(dt: datetime, tz: str = "Asia/Shanghai") -> datetime:
    return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def from_local(local: datetime, tz: str = "Asia/Shanghai") -> datetime:
    """A naive local wall time in `tz` as the naive UTC the database keeps."""
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)


def local_text(dt: datetime | None, tz: str = "Asia/Shanghai") -> str:
    return to_local(dt, tz).strftime("%m-%d %H:%M") if dt else "—"
