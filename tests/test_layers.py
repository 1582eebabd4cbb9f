"""The structure docs/architecture.md states, checked against the code: one list of built-in adapters (equal to
pyproject.toml's entry points), the layers table (read from the doc) against every import (read with ast), and
no import circle."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

from mlbench import registry

ROOT = Path(__file__).resolve().parent.parent


def test_builtins_are_the_entry_points_of_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"][registry.GROUP] == registry.BUILTINS


def test_a_checkout_never_installed_lists_every_builtin_including_tensorflow(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [])
    monkeypatch.delenv(registry.ENV_VAR, raising=False)
    registry.registered.cache_clear()
    try:
        assert "tensorflow" in registry.names()
        assert registry.names() == list(registry.BUILTINS)
    finally:
        registry.registered.cache_clear()


# ----- the layers table of docs/architecture.md against every import ---------------------------------------------

PACKAGE = ROOT / "mlbench"


def _modules() -> dict[str, Path]:
    """Every module of mlbench by dotted name ("mlbench.stats.ols"; a package by its own name)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The mlbench modules `name` imports anywhere in its file (inside functions too), with `ast`."""

    def known(dotted: str) -> str:
        while dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {known(alias.name) for alias in node.names if alias.name.split(".")[0] == "mlbench"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            if base.split(".")[0] != "mlbench":
                continue
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else known(base) for a in node.names}
    found.discard(name)
    return found


def _layers() -> list[tuple[str, list[str], list[str]]]:
    """docs/architecture.md's layers table, top to bottom: (layer, module paths under mlbench/, may import)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Layers (top to bottom)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| layer |")]
    out = []
    for row in rows:
        layer, modules, allowed = (cell.strip() for cell in row.strip("|").split(" | "))
        paths = [token for token in re.findall(r"`([^`]+)`", modules)
                 if token.endswith((".py", "/")) and (PACKAGE / token).exists()]
        out.append((layer, paths, [] if allowed == "—" else [a.strip() for a in allowed.split(",")]))
    return out


def _layer_of(modules: dict[str, Path], layers: list[tuple[str, list[str], list[str]]]) -> dict[str, str]:
    owner: dict[str, list[str]] = {}
    for name, path in modules.items():
        inside = name.split(".")[1:]  # its path under mlbench/, from the name (the file may be a test's copy)
        relative = "/".join([*inside, "__init__.py"]) if path.name == "__init__.py" else "/".join(inside) + ".py"
        for layer, paths, _ in layers:
            if any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in paths):
                owner.setdefault(name, []).append(layer)
    problems = {name: rows for name, rows in owner.items() if len(rows) > 1}
    problems |= {name: [] for name in modules if name not in owner}
    assert not problems, f"modules in no row or in several rows of the layers table: {problems}"
    return {name: rows[0] for name, rows in owner.items()}


def test_the_layers_table_of_the_architecture_doc_is_what_the_imports_do():
    modules, layers = _modules(), _layers()
    order = [layer for layer, _, _ in layers]
    may: dict[str, set[str]] = {}
    for position, (layer, _, allowed) in enumerate(layers):
        below = set(order[position + 1:])
        may[layer] = below if allowed == ["every layer below"] else set(allowed)
        assert may[layer] <= below, f"{layer} may import {sorted(may[layer] - below)}: not below it in the table"
    layer_of = _layer_of(modules, layers)
    violations = sorted(
        f"{name} ({layer_of[name]}) imports {target} ({layer_of[target]})"
        for name, path in modules.items() for target in _imports(name, path, modules)
        if layer_of[target] != layer_of[name] and layer_of[target] not in may[layer_of[name]]
    )
    assert not violations, "\n".join(violations)


def test_no_import_circle():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (circle := visit(target)):
                return circle
        path.pop()
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            circle = visit(name)
            assert circle is None, "import circle: " + " -> ".join(circle)


def test_the_layer_check_sees_a_violation_and_a_circle(tmp_path, monkeypatch):
    """The checks above fail where they should: a contract module importing the runner breaks both."""
    modules = _modules()
    adapter = tmp_path / "adapter.py"
    adapter.write_text(modules["mlbench.adapter"].read_text() + "\n\ndef _late():\n    from mlbench import runner\n")
    modules["mlbench.adapter"] = adapter
    assert "mlbench.runner" in _imports("mlbench.adapter", adapter, modules)
    monkeypatch.setattr(sys.modules[__name__], "_modules", lambda: modules)
    with pytest.raises(AssertionError, match=re.escape("adapter (contract) imports mlbench.runner (execution)")):
        test_the_layers_table_of_the_architecture_doc_is_what_the_imports_do()
    with pytest.raises(AssertionError, match="import circle"):
        test_no_import_circle()
