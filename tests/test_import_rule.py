"""Roles never import each other: each reads only the shared `contract` (and itself).

A kiosk, a display, the central (`broker/`) and the hub run on different machines with
different packages installed; an import across roles would drag one role's code (and
its libraries) onto another's Pi, or break there at start-up.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("kiosk", "survey", "display", "broker", "hub")


def imported_packages(source: Path) -> set[str]:
    """The top-level packages a module imports (absolute imports only: relative ones stay
    inside its own package)."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_role_imports_another() -> None:
    crossings = []
    for role in ROLES:
        folder = ROOT / role
        if not folder.is_dir():
            continue
        for module in sorted(folder.rglob("*.py")):
            others = imported_packages(module) & (set(ROLES) - {role})
            crossings += [f"{module.relative_to(ROOT)} imports {other}" for other in others]
    assert crossings == []


def test_the_rule_sees_an_import_across_roles(tmp_path: Path) -> None:
    # The check itself: a module of the kiosk that imports the central is caught.
    module = tmp_path / "bad.py"
    module.write_text("import json\nfrom broker.engine.engine import QueueEngine\n")
    assert imported_packages(module) & set(ROLES) == {"broker"}
    module.write_text("from . import sibling\nimport display.voice as voice\n")
    assert imported_packages(module) & set(ROLES) == {"display"}
