"""The Rasa project checks itself: the domain and training data validate with no warning,
and every test story (tests/rasa/) is predicted action by action by the trained model.
`rasa test` fails on the first wrong prediction and its failed stories are shown."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.live import RASA, ROOT, require_model

QUIET = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
DATA = sorted(str(p.relative_to(ROOT)) for pattern in ("*.yml", "nlu/*.yml") for p in (ROOT / "data").glob(pattern))


def rasa(*args: str) -> subprocess.CompletedProcess:
    if not RASA.exists():
        pytest.fail(f"no Rasa at {RASA}: run `make rasa-env`", pytrace=False)
    return subprocess.run([str(RASA), *args], cwd=ROOT, env=QUIET, capture_output=True, text=True, timeout=900)


def test_domain_and_training_data_validate_without_warnings():
    result = rasa(
        "data", "validate", "--fail-on-warnings", "--domain", "domain.yml", "--config", "config.yml", "--data", *DATA
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.timeout(900)
def test_every_test_story_is_predicted_exactly(tmp_path: Path):
    model = require_model()
    result = rasa(
        "test",
        "core",
        "--model",
        str(model),
        "--stories",
        "tests/rasa",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
    )
    failed = tmp_path / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text() if failed.exists() else "") + result.stderr[-3000:]
    stories = json.loads((tmp_path / "story_report.json").read_text())["conversation_accuracy"]
    assert stories["correct"] == stories["total"] >= 20
