"""Fixtures every test folder can use."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture
def count_calls(monkeypatch):
    """``count_calls(module, name)`` replaces ``module.name`` wherever a flowgraph module holds
    it (modules import these helpers by name) with a wrapper that records ``len`` of its first
    argument, and returns that list: how many times, and on how many rows, it ran."""

    def count(module, name: str) -> list[int]:
        real = getattr(module, name)
        calls: list[int] = []

        def counting(first, *args, **kwargs):
            calls.append(len(first))
            return real(first, *args, **kwargs)

        for module_name, held_by in list(sys.modules.items()):
            if module_name.startswith("flowgraph.") and getattr(held_by, name, None) is real:
                monkeypatch.setattr(held_by, name, counting)
        return calls

    return count
