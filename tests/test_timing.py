"""The suite's own rules for waiting (tests/timing.py, tests/conftest.py): hang guards grow
with the machine's load, and tests sharing a heavy fixture are kept on one xdist worker."""

import os
from pathlib import Path

import pytest

from tests import timing
from tests.conftest import SHARED_FIXTURE_GROUPS


@pytest.mark.timeout(10)
def test_a_tests_timeout_is_scaled_by_the_sessions_factor(request):
    marker = request.node.get_closest_marker("timeout")
    assert marker.args[0] == pytest.approx(10 * timing.SCALE)
    assert timing.SCALE >= 1


def test_the_default_timeout_is_scaled_too(request, pytestconfig):
    marker = request.node.get_closest_marker("timeout")
    assert marker.args[0] == pytest.approx(float(pytestconfig.getini("timeout")) * timing.SCALE)


def test_the_load_factor_is_one_plus_the_load_per_core(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (6.0, 1.0, 1.0))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert timing.load_factor() == 4.0
    monkeypatch.delenv("NUANXIN_TEST_TIMEOUT_SCALE", raising=False)
    monkeypatch.setattr(timing, "SCALE", 1.5)
    assert timing.scaled(10) == 40.0  # the load now is higher than at the start
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert timing.scaled(10) == 15.0  # never below the factor at the start


def test_a_configured_scale_wins_over_the_load(monkeypatch):
    monkeypatch.setenv("NUANXIN_TEST_TIMEOUT_SCALE", "3")
    monkeypatch.setattr(os, "getloadavg", lambda: (100.0, 1.0, 1.0))
    assert timing._initial_scale() == 3.0
    monkeypatch.setattr(timing, "SCALE", 3.0)
    assert timing.scaled(10) == 30.0


def test_tests_using_a_shared_heavy_fixture_are_grouped(request):
    # Every fixture named for grouping exists, so a rename cannot silently ungroup its tests...
    sources = "\n".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.rglob("*.py"))
    for name in SHARED_FIXTURE_GROUPS:
        assert f"def {name}(" in sources, name
    # ...and every collected test that uses one carries its group.
    for item in request.session.items:
        for name, group in SHARED_FIXTURE_GROUPS.items():
            if name in item.fixturenames:
                assert item.get_closest_marker("xdist_group").args == (group,), item.nodeid
