"""The accelerated clock shared by the demo's processes through the environment."""

from datetime import datetime, timedelta

import pytest

from community.clock import ScaledClock

START = datetime(2026, 11, 23, 0, 0)


class Real:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_from_env_scales_real_time():
    real = Real(1000.0)
    clock = ScaledClock.from_env(
        {"NUANXIN_CLOCK_START": "2026-11-23T00:00:00", "NUANXIN_CLOCK_SPEED": "60", "NUANXIN_CLOCK_EPOCH": "990"}
    )
    clock.real = real
    assert clock() == START + timedelta(minutes=10)  # 10 real seconds × 60
    real.t = 1060
    assert clock() == START + timedelta(hours=1, minutes=10)


def test_unset_means_no_clock_and_aware_start_is_converted():
    assert ScaledClock.from_env({}) is None
    clock = ScaledClock.from_env({"NUANXIN_CLOCK_START": "2026-11-23T08:00:00+08:00", "NUANXIN_CLOCK_EPOCH": "0"})
    clock.real = Real(0)
    assert clock() == START


def test_frozen_until_the_epoch_file_exists_then_speed_segments(tmp_path):
    epoch_file = tmp_path / "epoch"
    real = Real(500.0)
    clock = ScaledClock(START, speed=120, epoch_file=str(epoch_file), real=real)
    assert clock() == START  # the launcher has not started the clock
    real.t = 600
    assert clock() == START
    epoch_file.write_text("600\n")
    real.t = 630
    assert clock() == START + timedelta(hours=1)  # 30 s × 120
    epoch_file.write_text("600\n630 1800\n")  # fast-forward from real 630 on
    real.t = 640
    assert clock() == START + timedelta(hours=1) + timedelta(hours=5)  # 10 s × 1800
    epoch_file.write_text("garbage")  # a half-written file keeps the last good segments
    assert clock() == START + timedelta(hours=6)


def test_before_the_epoch_the_clock_does_not_run_backwards():
    clock = ScaledClock(START, speed=10, epoch=100, real=Real(50))
    assert clock() == START
    with pytest.raises(ValueError):
        ScaledClock(START, speed=0)
