"""The project's own files build both environments (README: `make test` / `make run`)."""

import subprocess
from pathlib import Path

from tests.timing import scaled

ROOT = Path(__file__).resolve().parent.parent


def test_rasa_environment_is_python_310_with_rasa_3_6_21_and_jieba():
    python = ROOT / ".venv-rasa" / "bin" / "python"
    assert python.exists(), "make rasa-env did not create .venv-rasa"
    out = subprocess.run(
        [str(python), "-c", "import sys, rasa, jieba; print(sys.version_info[:2], rasa.__version__)"],
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(3, 10) 3.6.21"


def test_find_python_explains_what_to_do_when_a_version_is_missing():
    out = subprocess.run([str(ROOT / "scripts" / "find-python.sh"), "3.99"], capture_output=True, text=True)
    assert out.returncode == 1
    assert "Python 3.99 was not found" in out.stderr and "NUANXIN_PYTHON399" in out.stderr


def test_find_python_finds_this_interpreter_version():
    out = subprocess.run([str(ROOT / "scripts" / "find-python.sh"), "3.11"], capture_output=True, text=True)
    assert out.returncode == 0
    version = subprocess.run([out.stdout.strip(), "--version"], capture_output=True, text=True).stdout
    assert version.startswith("Python 3.11")
