"""The domain core stays free of the front ends: community/ never imports Telegram or Rasa."""

import ast
from pathlib import Path

FORBIDDEN = ("telegram", "rasa", "rasa_sdk", "bot", "actions", "nlu")
CORE = Path(__file__).resolve().parent.parent / "community"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_community_does_not_import_front_ends():
    offenders = {
        f"{path.relative_to(CORE.parent)}: {name}"
        for path in CORE.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offenders
    assert len(list(CORE.rglob("*.py"))) > 10  # the scan really saw the package
