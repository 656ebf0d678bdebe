"""The one source of "now" for the domain.

All times are stored as naive UTC datetimes (SQLite keeps no time zone, so one convention
for both databases); they are shown in the community's time zone. Tests and the
accelerated demo replace the clock with `use_clock`.

Several processes (the bot, the Rasa action server) can share one accelerated clock through
the environment (`ScaledClock.from_env`, installed at import when NUANXIN_CLOCK_START is set):

    NUANXIN_CLOCK_START       ISO time (naive UTC) the simulation starts at
    NUANXIN_CLOCK_SPEED       simulated seconds per real second (default 1)
    NUANXIN_CLOCK_EPOCH       the real unix time that corresponds to START, or
    NUANXIN_CLOCK_EPOCH_FILE  a file holding it: the clock stays at START until the file exists
                              (so a launcher can start the clock once every process is ready)
"""

import os
import time
from collections.abc import Callable, Iterator, Mapping
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


class ScaledClock:
    """Simulated time = start + real time elapsed since the epoch × speed. Frozen at `start`
    before the epoch, or while the epoch file does not exist yet. The epoch file holds one line
    per segment, `<real unix time> [<speed>]`: a launcher appends a line to change the speed
    from then on (fast-forward through the night); every process sees it at its next call."""

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        epoch: float | None = None,
        epoch_file: str | None = None,
        real: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError("NUANXIN_CLOCK_SPEED must be positive")
        self.start, self.speed, self.epoch_file, self.real = start, speed, epoch_file, real
        self.segments: list[tuple[float, float]] = [] if epoch is None else [(epoch, speed)]
        self._file_key: tuple[int, int] | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "ScaledClock | None":
        if not env.get("NUANXIN_CLOCK_START"):
            return None
        start = datetime.fromisoformat(env["NUANXIN_CLOCK_START"])
        if start.tzinfo is not None:
            start = start.astimezone(UTC).replace(tzinfo=None)
        epoch = env.get("NUANXIN_CLOCK_EPOCH")
        return cls(
            start,
            float(env.get("NUANXIN_CLOCK_SPEED") or 1),
            float(epoch) if epoch else None,
            env.get("NUANXIN_CLOCK_EPOCH_FILE") or None,
        )

    def _load(self) -> None:
        if not self.epoch_file:
            return
        try:
            st = os.stat(self.epoch_file)
            if (st.st_mtime_ns, st.st_size) == self._file_key:
                return
            with open(self.epoch_file) as f:
                lines = [line.split() for line in f.read().splitlines() if line.strip()]
            segments = [(float(p[0]), float(p[1]) if len(p) > 1 else self.speed) for p in lines]
        except (OSError, ValueError, IndexError):  # not there or not complete yet: keep what we had
            return
        self.segments, self._file_key = sorted(segments), (st.st_mtime_ns, st.st_size)

    def __call__(self) -> datetime:
        self._load()
        now, elapsed = self.real(), 0.0
        for i, (begin, speed) in enumerate(self.segments):
            end = min(now, self.segments[i + 1][0]) if i + 1 < len(self.segments) else now
            elapsed += max(0.0, end - begin) * speed
        return self.start + timedelta(seconds=elapsed)


def install_from_env() -> None:
    """Use the shared accelerated clock when NUANXIN_CLOCK_START is set (demo processes)."""
    global _now
    scaled = ScaledClock.from_env()
    if scaled is not None:
        _now = scaled


install_from_env()
