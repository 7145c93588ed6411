"""The layers of ARCHITECTURE.md, enforced: who may import whom, and no import cycle.

Every import of every module counts, at the top or inside a function, as a static import
(``import a.b``, ``from a import b``) read from the source, not by running it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "tracker", ROOT / "spiders")

# Each layer: the tracker modules (by prefix) it holds, in order from the ground up.
LAYERS: dict[str, tuple[str, ...]] = {
    "ground": ("tracker.domain",),
    "core": (
        "tracker.extract",
        "tracker.matching",
        "tracker.pricing",
        "tracker.catalog",
        "tracker.config",
        "tracker.urls",
        "tracker.articles",
        "tracker.schedules",
        "tracker.spelling",
        "tracker.vocabulary",
        "tracker.profile",
        "tracker.crawljob",
        "tracker.rules",
        "tracker.claims",
        "tracker.exchange",
        "tracker.compliance",
        "tracker.alerts",
        "tracker.feedconfig",
    ),
    "state": ("tracker.store",),
    "crawling": ("tracker.crawling",),
    "scheduling": ("tracker.scheduling",),
    "publishing": ("tracker.publishing",),
    "web": ("tracker.web",),
    "services": ("tracker.services", "tracker.onboarding", "tracker.catalogfile"),
    "admin": ("tracker.web.admin",),  # the dashboard: a shell over the services, mounted by cli
    "notifying": ("tracker.notifying",),
    "linking": ("tracker.linking",),
    "feeds": ("tracker.feeds",),
    "cli": ("tracker.cli", "tracker.__main__"),
    "spiders": ("spiders",),
}
# Which layers each layer may import (besides itself); the package root only for __version__.
ALLOWED: dict[str, set[str]] = {
    "ground": set(),
    "core": {"ground"},
    "state": {"ground", "core"},
    "crawling": {"ground", "core", "state"},
    "scheduling": {"ground", "core", "state"},
    "publishing": {"ground", "core", "state"},
    "web": {"ground", "core", "state", "publishing"},
    "notifying": {"ground", "core", "state"},
    "linking": {"ground", "core", "state"},
    "feeds": {"ground", "core", "state"},
    "services": {
        "ground", "core", "state", "crawling", "scheduling", "publishing", "web", "notifying",
        "linking", "feeds",
    },
    "admin": {
        "ground", "core", "state", "crawling", "scheduling", "publishing", "web", "notifying",
        "linking", "feeds", "services",
    },
    "cli": {
        "ground", "core", "state", "crawling", "scheduling", "publishing", "web", "notifying",
        "linking", "feeds", "services", "admin",
    },
    "spiders": {"ground", "core", "state", "crawling"},
}
# What a layer must not import: frameworks, databases, HTTP (a module or any module below it).
SHELL_FRAMEWORKS = {"apscheduler", "scrapy", "twisted", "jinja2", "click", "rich"}
HTTP = {
    "starlette", "uvicorn", "httpx", "urllib.request", "http.client", "http.server", "apprise"
}
DATABASE = {"sqlalchemy", "alembic", "psycopg"}
FORBIDDEN: dict[str, set[str]] = {
    "ground": SHELL_FRAMEWORKS | HTTP | DATABASE,
    "core": SHELL_FRAMEWORKS | HTTP | DATABASE,
    "state": SHELL_FRAMEWORKS | HTTP,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """The modules this one names in its imports, relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def layer_of(name: str) -> str | None:
    """The layer of the longest prefix that holds the module (tracker.web.admin is not web)."""
    found = [
        (len(prefix), layer)
        for layer, prefixes in LAYERS.items()
        for prefix in prefixes
        if is_under(name, {prefix})
    ]
    return max(found)[1] if found else None


MODULES = modules()
GRAPH = {
    name: {target for target in imports_of(name, path) if target in MODULES and target != name}
    for name, path in MODULES.items()
}


def is_under(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_every_module_has_a_layer() -> None:
    assert [name for name in MODULES if name != "tracker" and layer_of(name) is None] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_follow_the_layers(name: str) -> None:
    layer = layer_of(name)
    if layer is None:
        return
    wrong = [
        target
        for target in sorted(GRAPH[name])
        if target != "tracker" and layer_of(target) not in ALLOWED[layer] | {layer}
    ]
    assert wrong == [], f"{name} ({layer}) may not import {wrong}"
    forbidden = FORBIDDEN.get(layer, set())
    outside = sorted(t for t in imports_of(name, MODULES[name]) if is_under(t, forbidden))
    assert outside == [], f"{name} ({layer}) may not import {outside}"


def test_nothing_imports_the_cli() -> None:
    importers = [
        name
        for name, targets in GRAPH.items()
        if layer_of(name) != "cli" and any(layer_of(t) == "cli" for t in targets)
    ]
    assert importers == []


def test_no_import_cycle() -> None:
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> None:
        if name in path:
            cycle = path[path.index(name) :] + [name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        path.append(name)
        for target in sorted(GRAPH[name]):
            visit(target)
        path.pop()
        done.add(name)

    for name in sorted(GRAPH):
        visit(name)
