"""notebooks/investigation.ipynb runs top to bottom in a fresh kernel, and is stored stripped."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "investigation.ipynb"


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_uses_only_public_names():
    import flowgraph

    nb = nbformat.read(NOTEBOOK, as_version=4)
    used, imported, private = set(), set(), []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Attribute):
                if isinstance(node.value, ast.Name) and node.value.id == "flowgraph":
                    used.add(node.attr)
                if node.attr == "driver" or (
                    node.attr.startswith("_") and not node.attr.startswith("__")
                ):
                    private.append(node.attr)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flowgraph"):
                imported.update(f"{node.module}.{a.name}" for a in node.names)
    assert private == []
    assert used and used <= set(flowgraph.__all__), used - set(flowgraph.__all__)
    assert imported <= {"flowgraph.synth.generate"}  # the synthetic data generator


@pytest.mark.slow
def test_notebook_executes_without_errors(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
    from nbclient import NotebookClient

    # The kernel must be this interpreter (the venv with flowgraph installed): nbclient's
    # native "python3" kernel is started with sys.executable when ipykernel is importable
    # (a dev dependency); the KERNEL line below proves it.
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print('KERNEL', sys.prefix)"))
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name=NATIVE_KERNEL_NAME,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "flows-2024.html" in text and "findings.html" in text
    assert f"KERNEL {sys.prefix}" in text  # the kernel ran in this venv
    plots = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any("sankey" in o["data"]["text/html"] for o in plots)  # the Sankey was displayed
