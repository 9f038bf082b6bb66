"""Fixtures for the lineage tests (builders live in lineage_chains.py)."""

from __future__ import annotations

import pytest
from lineage_chains import standard_registry


@pytest.fixture
def registry():
    return standard_registry()
