"""The apps' dependency graph: each app imports only apps below it, and no cycle appears.

Read from the source (every `import zhifa.…` and `from zhifa.… import`, function-level ones
included), so a late import inside a function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "zhifa"

# Lower layers first; an app may import its own layer's other apps only where listed in SIDEWAYS.
LAYERS: list[set[str]] = [
    {"rules"},  # pure: plain data in, plain data out
    {"core"},  # audit, calendar, settings helpers
    {"org"},  # counties, townships, users, roles, scoping
    {"catalogue", "grid"},
    {"dispatch"},
    {"documents"},
    {"cases"},
    {"supervision"},
    {"api", "web"},
    {"demo", "testing"},
]
SIDEWAYS: set[tuple[str, str]] = set()
# Upward imports not yet removed, each with the reason; none now (documents → cases went with
# issue 13: cases registers its case-file builder with documents).
KNOWN_UPWARD: set[tuple[str, str]] = set()


def app_imports() -> dict[str, dict[str, list[str]]]:
    """app → imported app → the files that import it."""
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).parts
        if len(parts) < 2 or "migrations" in parts:
            continue  # settings, urls and the cli wire the apps together; migrations are generated
        app = parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
                if node.module == "zhifa":
                    names = [f"zhifa.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                bits = name.split(".")
                if bits[0] == "zhifa" and len(bits) > 1 and bits[1] != app and (SRC / bits[1]).is_dir():
                    out[app][bits[1]].append(str(path.relative_to(SRC)))
    return out


def layer_of(app: str) -> int:
    for i, layer in enumerate(LAYERS):
        if app in layer:
            return i
    raise AssertionError(f"app {app!r} is in no layer of tests/test_layers.py: place it")


def test_every_app_is_placed_in_a_layer():
    apps = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    for app in apps:
        layer_of(app)


def test_no_app_imports_an_app_above_it():
    wrong = []
    for app, targets in app_imports().items():
        for target, files in targets.items():
            up = layer_of(target) > layer_of(app)
            side = layer_of(target) == layer_of(app) and (app, target) not in SIDEWAYS
            if (up or side) and (app, target) not in KNOWN_UPWARD:
                wrong.append(f"{app} → {target}: {sorted(set(files))[:3]}")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_known_upward_imports_still_exist():
    # Once one is removed, strike it from KNOWN_UPWARD, so that it cannot come back.
    graph = app_imports()
    gone = [pair for pair in KNOWN_UPWARD if pair[1] not in graph.get(pair[0], {})]
    assert not gone, f"no longer imported, remove from KNOWN_UPWARD: {gone}"


def test_no_cycle_between_apps_except_the_known_ones():
    graph = {a: {t for t in ts if (a, t) not in KNOWN_UPWARD} for a, ts in app_imports().items()}
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(a: str, path: list[str]) -> None:
        seen[a] = 1
        for t in sorted(graph.get(a, ())):
            assert seen.get(t) != 1, "import cycle: " + " → ".join([*path, a, t])
            if t not in seen:
                visit(t, [*path, a])
        seen[a] = 2

    for a in sorted(graph):
        if a not in seen:
            visit(a, [])


def test_the_rules_import_no_other_app():
    assert not app_imports().get("rules"), dict(app_imports().get("rules", {}))
