"""reports/ uses other modules only through their public names (no ``from x import _y``)."""

from __future__ import annotations

import ast
from pathlib import Path

import flowgraph.reports

REPORTS = Path(flowgraph.reports.__file__).parent


def test_reports_import_no_private_names():
    private = []
    for path in sorted(REPORTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                private += [
                    f"{path.name}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and (node.value.id not in ("self", "cls"))
            ):
                # module._name (e.g. htmltable._e) through an imported module object
                if node.attr.startswith("_") and not node.attr.startswith("__"):
                    private.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert private == []
