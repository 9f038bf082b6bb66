"""The synth oracle is a second, independent reading of SPEC §5: no module of it imports
anything from flowgraph.analysis (the library it is there to check)."""

from __future__ import annotations

import ast
from pathlib import Path

import flowgraph.synth.oracle as oracle

FORBIDDEN = "flowgraph.analysis"


def _imports(path: Path) -> list[str]:
    """Every module an oracle file imports, at any depth (a function-level import counts)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the oracle package
                base = "flowgraph.synth.oracle".rsplit(".", node.level - 1)[0]
                names.append(f"{base}.{node.module}" if node.module else base)
            else:
                names.append(node.module or "")
    return names


def _bad(names: list[str]) -> list[str]:
    return [n for n in names if n == FORBIDDEN or n.startswith(FORBIDDEN + ".")]


def test_no_oracle_module_imports_the_detector_library():
    files = sorted(Path(oracle.__file__).parent.rglob("*.py"))
    assert len(files) >= 4  # the package's modules were found
    offenders = {str(f.name): _bad(_imports(f)) for f in files}
    assert {f: bad for f, bad in offenders.items() if bad} == {}


def test_the_check_sees_every_form_of_import(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "import flowgraph.analysis.common as c\n"
        "from flowgraph.analysis import derived\n"
        "def f():\n    from flowgraph.analysis.lineage import lot_shares\n"
        "from flowgraph.model import PRODUCTS\n"
    )
    assert _bad(_imports(source)) == [
        "flowgraph.analysis.common",
        "flowgraph.analysis",
        "flowgraph.analysis.lineage",
    ]
