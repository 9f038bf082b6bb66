"""Reports and the SPEC §7 registers: licensed / unlicensed export bands in the Sankey, the
cross_register family and the licences table on the findings page."""

from __future__ import annotations

import pandas as pd
import pytest

from flowgraph.analysis.detectors import run_detectors
from flowgraph.analysis.licences import licence_table
from flowgraph.model import events_frame, registry_from_records
from flowgraph.reports.findings import build_findings_report, render_findings_html
from flowgraph.reports.flows import flow_table, node_balance
from flowgraph.reports.sankey import UNLICENSED_COLOUR, sankey_figure

LICENSED = "export: JP · controlled, licensed"
UNLICENSED = "export: KR · controlled, unlicensed"


def _events():
    def ev(n, etype, date, lot, mass, **kw):
        return {"event_id": str(n), "event_type": etype, "date": date, "enterprise_id": "X1",
                "lot_id": lot, "mass_kg": mass, "source_row": n + 1, **kw}  # fmt: skip

    return events_frame([
        ev(1, "import", "2025-05-02", "LD", 1000, product="DY_OXIDE", reo_pct=99, country="MM",
           document_ref="CI-1"),
        ev(2, "import", "2025-05-02", "LN", 500, product="ND_OXIDE", reo_pct=99, country="MM",
           document_ref="CI-2"),
        ev(3, "export", "2025-05-10", "LD", 400, country="JP", document_ref="CE-1",
           shipment_id="X-1", licence_no="LIC-1"),
        ev(4, "export", "2025-05-11", "LD", 100, country="KR", document_ref="CE-2",
           shipment_id="X-2"),
        ev(5, "export", "2025-05-12", "LN", 200, country="KR", document_ref="CE-3",
           shipment_id="X-3"),
    ])  # fmt: skip


def _registry(licences=True):
    rows = [
        dict(licence_no="LIC-1", enterprise_id="X1", product="DY_OXIDE", country="JP",
             quantity_kg=1000, valid_from="2025-01-01", valid_to=None, end_user="<b>K</b>"),
        dict(licence_no="LIC-1", enterprise_id="X1", product="DY_OXIDE", country="US",
             quantity_kg=300, valid_from="2025-01-01", valid_to="2025-12-31", end_user="U"),
    ]  # fmt: skip
    return registry_from_records(
        enterprises=[{"enterprise_id": "X1", "name": "Exporter", "province": "JX",
                      "group": "G", "roles": "importer;exporter"}],
        licences=rows if licences else None,
    )  # fmt: skip


def test_sankey_separates_licensed_and_unlicensed_controlled_exports():
    table = flow_table(_events(), _registry())
    by_target = table.groupby("target")["reo_t"].sum()
    assert by_target[LICENSED] == pytest.approx(0.396)
    assert by_target[UNLICENSED] == pytest.approx(0.099)
    assert by_target["export: KR"] == pytest.approx(0.198)  # Nd oxide: not controlled
    balance = node_balance(table)
    holders = balance[~balance["stage"].isin(["origin", "sink"])]
    assert (holders["in_t"] - holders["out_t"]).abs().max() < 1e-9
    figure = sankey_figure(table)
    sankey = figure.data[0]
    labels = list(figure.layout.meta["nodes"])  # names by index (labels are wrapped)
    colours = {
        labels[t]: c
        for t, c in zip(sankey.link.target, sankey.link.color, strict=True)
        if t < len(labels)  # not the spacer
    }
    assert colours[UNLICENSED] == UNLICENSED_COLOUR
    assert colours[LICENSED] != UNLICENSED_COLOUR


def test_sankey_without_licence_register_has_plain_export_nodes():
    table = flow_table(_events(), _registry(licences=False))
    targets = set(table["target"])
    assert {"export: JP", "export: KR"} <= targets
    assert not any("controlled" in t for t in targets)


def test_licence_table_and_findings_page_section():
    ev, reg = _events(), _registry()
    table = licence_table(ev, reg)
    assert table[["country", "licensed_kg", "used_kg", "remaining_kg"]].values.tolist() == [
        ["JP", 1000.0, 400.0, 600.0],
        ["US", 300.0, 0.0, 300.0],
    ]
    findings = run_detectors(ev, reg)
    assert findings.loc[findings["family"] == "cross_register", "type"].tolist() == [
        "UNLICENSED_EXPORT"
    ]
    report = build_findings_report(findings, ev, reg)
    page = render_findings_html(report)
    assert "<h2>Export licences</h2>" in page and 'id="licences"' in page
    assert "&lt;b&gt;K&lt;/b&gt;" in page and "<b>K</b>" not in page
    assert '<tr class="family"><td>cross_register</td>' in page
    assert "No customs register (customs.csv): customs checks were not run." in page
    assert "No export licence register" not in page


def test_findings_page_without_licence_register_says_so_and_has_no_table():
    ev, reg = _events(), _registry(licences=False)
    page = render_findings_html(build_findings_report(run_detectors(ev, reg), ev, reg))
    assert "<h2>Export licences</h2>" not in page
    assert "No export licence register (export_licences.csv): licence checks were not run." in page


def test_licence_evidence_lists_the_rows_counted_against_the_licence():
    from flowgraph.reports.evidence import evidence

    ev = _events()
    reg = _registry()
    reg.licences.loc[0, "quantity_kg"] = 300.0  # 400 kg exported under 300: exceeded
    findings = run_detectors(ev, reg, types=["LICENCE_EXCEEDED", "UNLICENSED_EXPORT"])
    rows = evidence(findings, ev)
    by_type = rows.groupby(rows["finding"].map(findings["type"]))["event_id"].apply(list)
    assert by_type.to_dict() == {"LICENCE_EXCEEDED": ["3"], "UNLICENSED_EXPORT": ["4"]}
    assert pd.notna(rows["licence_no"]).any()
