"""Every finding type's case sheet, enterprise page and lot page render server-side on a
planted synth world read as the workbench reads it (events dictionary-encoded): a page that only
one finding type reaches (STOCK_MISMATCH's evidence compared periods, which an encoded period
refused) must not fail while the small chain of test_pages.py passes."""

from __future__ import annotations

import json

from plotly.utils import PlotlyJSONEncoder

from flowgraph.ingest import load_files, load_registry
from flowgraph.investigations.runs import detect_run, list_findings
from flowgraph.model import FINDING_TYPES
from flowgraph.store.local import LocalStore
from flowgraph.web import ServeConfig, create_app
from flowgraph.web.shell import render


def test_every_finding_types_pages_render(planted, tmp_path):
    store = LocalStore.open(tmp_path / "fg.db")
    load_registry(store, planted.outdir / "registry")
    load_files(store, [planted.outdir / "uploads"])
    detect_run(store)
    app = create_app(store, ServeConfig(reviewer="tester"))
    found = list_findings(store)
    assert set(found["type"]) == set(FINDING_TYPES)  # the planted world has each type
    for _, finding in found.groupby("type").head(1).iterrows():
        paths = [f"/finding/{finding['finding_id']}"]
        if finding["enterprise_id"]:
            paths.append(f"/enterprise/{finding['enterprise_id']}")
        if finding["lot_id"]:
            paths.append(f"/lot/{finding['lot_id']}")
        for path in paths:
            with app.server.test_request_context(path, headers={"Accept-Language": "en"}):
                page = json.dumps(
                    render(app.workbench, ServeConfig(), path, ""), cls=PlotlyJSONEncoder
                )
            assert '"message error"' not in page, (finding["type"], path)
            if path.startswith("/finding/"):
                assert finding["type"] in page and finding["finding_id"] in page
    store.close()
