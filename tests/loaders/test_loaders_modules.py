"""The shape of loaders/: no import circle, and input formats chosen from one table by suffix."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import loaders
from flowgraph.errors import InputError
from loaders import find_upload_files, formats, read_upload
from loaders.table import Table

PACKAGE = Path(loaders.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every loaders module a module imports, at the top or inside a function, and those the
    format table names (imported by name at run time)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("loaders"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if node.module == "loaders")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("loaders"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.startswith("loaders.") and ":" in node.value:
                found.add(node.value.split(":")[0])
    modules = {f"loaders.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return found & modules


def test_no_import_circle_between_loader_modules():
    graph = {f"loaders.{p.stem}": _imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}

    def visit(module: str, path: tuple[str, ...]) -> None:
        for target in graph.get(module, ()):
            assert target not in path, " -> ".join((*path, target))
            visit(target, (*path, target))

    for module in graph:
        visit(module, (module,))


def test_every_format_in_the_table_resolves_to_a_reader():
    for suffix in formats.READERS:
        reader = formats.reader_for(f"x{suffix}")
        assert callable(reader) and reader.__module__.startswith("loaders.")
    assert formats.reader_for("x.CSV") is formats.reader_for("x.txt")  # by name: CSV


def _read_tsv(raw: bytes, file: str, numeric: tuple[str, ...] = ()) -> Table:
    lines = [line.split("\t") for line in raw.decode("utf-8").splitlines()]
    columns = [np.array(c, dtype=object) for c in zip(*lines[1:], strict=True)]
    return Table(file, lines[0], 1, columns, np.arange(2, len(lines) + 1))


def test_a_new_format_is_one_reader_plus_one_line(tmp_path, monkeypatch):
    import sys
    import types

    module = types.ModuleType("loaders.tsvfile")
    module.read_tsv = _read_tsv
    monkeypatch.setitem(sys.modules, "loaders.tsvfile", module)
    monkeypatch.setitem(formats.READERS, ".tsv", "loaders.tsvfile:read_tsv")
    folder = tmp_path / "E1"
    folder.mkdir()
    (folder / "2025-03.tsv").write_text(
        "event_id\tevent_type\tdate\tenterprise_id\tlot_id\tproduct\tmass_kg\n"
        "1\tloss\t2025-03-05\tE1\tL1\tBAST_CONC\t5\n",
        encoding="utf-8",
    )
    (folder / "notes.txt").write_text("not an upload", encoding="utf-8")
    found = find_upload_files([tmp_path])
    assert [p.name for p in found] == ["2025-03.tsv"]
    upload = read_upload(found[0], "2025-03.tsv")
    assert upload.identity == ("E1", "2025-03")
    assert upload.events["mass_kg"].tolist() == [5.0]


@pytest.mark.parametrize("suffix", [".xls", ".xlsb", ".ods"])
def test_unsupported_workbooks_are_named(tmp_path, suffix):
    path = tmp_path / f"march{suffix}"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=f"{suffix} workbooks are not supported"):
        read_upload(path, path.name)
