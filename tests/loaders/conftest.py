"""Fixtures for the loader tests: write files into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from loader_cases import csv_text


@pytest.fixture
def write(tmp_path: Path):
    """write(name, text_or_bytes, encoding="utf-8") -> path inside tmp_path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return _write


@pytest.fixture
def write_rows(write):
    """write_rows(rows, columns=None, name="up.csv") -> path of a UTF-8 CSV."""

    def _write_rows(rows, columns=None, name: str = "up.csv") -> Path:
        return write(name, csv_text(rows, columns))

    return _write_rows
