"""How long a test may wait, on this machine as it is now.

No test measures speed: every wait is a deadline for progress (a reply, a row, a process
coming up), and a deadline only has to be long enough never to fire on a working system.
On a busy machine everything takes longer, so deadlines grow with the load: `SCALE` is
1 + the load average per core when the test process started (1 on an idle machine, about 2
with another process keeping every core busy), or NUANXIN_TEST_TIMEOUT_SCALE if set.
`scaled()` also looks at the load when it is called, for waits that start later.
tests/conftest.py applies `SCALE` to every pytest-timeout limit (a hang guard, not a target).
"""

import os


def load_factor() -> float:
    """1 + the one-minute load average per core (1.0 where the platform has none)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 1.0
    return 1.0 + load / (os.cpu_count() or 1)


def _initial_scale() -> float:
    configured = os.environ.get("NUANXIN_TEST_TIMEOUT_SCALE", "").strip()
    return float(configured) if configured else load_factor()


SCALE = _initial_scale()


def scaled(seconds: float) -> float:
    """A deadline for waiting on progress: `seconds` on an idle machine, longer on a busy one
    (the larger of the factor at start and the factor now)."""
    if os.environ.get("NUANXIN_TEST_TIMEOUT_SCALE", "").strip():
        return seconds * SCALE
    return seconds * max(SCALE, load_factor())
