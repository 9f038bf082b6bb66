"""Sankey and findings HTML: self-contained, escaped, complete; evidence joins; the CLI."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from reports_fixtures import XSS_NAME, hand_events, hand_registry, hand_shares, with_shares

import flowgraph.analysis.batchgraph as batchgraph
from flowgraph.analysis import run_detectors
from flowgraph.analysis.findings import make_findings
from flowgraph.cli.main import cli
from flowgraph.model import Upload, empty_findings
from flowgraph.reports.evidence import evidence
from flowgraph.reports.findings import findings_html
from flowgraph.reports.flows import flow_table
from flowgraph.reports.sankey import link_parts, sankey_figure, sankey_html
from flowgraph.reports.summaries import (
    quota_usage,
    summary_by_type,
    untraceable_by_enterprise,
)
from flowgraph.store.local import LocalStore

REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=\s*['\"]?\s*(https?:)?//", re.I)
REMOTE_LINK = re.compile(r"<link[^>]*\bhref\s*=\s*['\"]?\s*(https?:)?//", re.I)


def _assert_offline(page: str) -> None:
    assert not REMOTE_SCRIPT.search(page)
    assert not REMOTE_LINK.search(page)
    assert "plotly.js v" in page  # the library itself is in the page


def _assert_no_raw_xss(page: str) -> None:
    assert "<script>alert(1)</script>" not in page
    assert "\\u003cscript\\u003ealert" not in page  # not smuggled through the figure JSON either


def test_sankey_figure_has_both_bands_and_escaped_names():
    table = flow_table(
        with_shares(hand_events(), hand_registry(XSS_NAME), hand_shares()), by="enterprise"
    )
    fig = sankey_figure(table)
    sk = fig.data[0]
    parts = link_parts(table)
    spacer = fig.layout.meta["spacer_link"]  # the off-screen link that sets plotly's scale
    values = [v for i, v in enumerate(sk.link.value) if i != spacer]
    assert (
        len(values)
        == len(parts)
        == (table.traceable_t > 1e-9).sum() + (table.untraceable_t > 1e-9).sum()
    )
    assert sum(values) == pytest.approx(table.reo_t.sum(), abs=1e-6)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sk.node.label
    assert XSS_NAME not in sk.node.label
    red = [c for c in sk.link.color if c.startswith("rgba(214")]
    assert len(red) == (table.untraceable_t > 1e-9).sum()
    hover = " ".join(sk.link.customdata)
    assert "lots: 2" in hover and "% of this flow" in hover


def test_sankey_page_is_self_contained_and_titled():
    table = flow_table(
        with_shares(hand_events(), hand_registry(XSS_NAME), hand_shares()), by="enterprise"
    )
    page = sankey_html(table, title=f"Flows {XSS_NAME}", period="2024-03", uploads=5)
    _assert_offline(page)
    _assert_no_raw_xss(page)
    assert "<title>Flows &lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    assert '<strong id="uploads">5</strong>' in page and "2024-03" in page
    assert "untraceable: <strong>0.300 t</strong> (29.41%)" in page
    empty = sankey_html(table.iloc[0:0], period="2030")
    assert "No flows in this selection" in empty


def test_evidence_joins_each_key_kind():
    ev = hand_events()
    found = pd.concat(
        [
            make_findings(
                "TRANSFORM_GAIN", pd.DataFrame({"batch_id": ["B2"], "enterprise_id": ["S1"]})
            ),
            make_findings("TRANSIT_MISMATCH", pd.DataFrame({"shipment_id": ["SH2"]})),
            make_findings(
                "LOT_OVERDRAWN", pd.DataFrame({"enterprise_id": ["S1"], "lot_id": ["LX"]})
            ),
            make_findings("UNKNOWN_LOT", pd.DataFrame({"lot_id": ["L4"]})),
            make_findings(
                "STOCK_MISMATCH",
                pd.DataFrame({"enterprise_id": ["P1"], "lot_id": ["L4"], "period": ["2024-02"]}),
            ),
            make_findings(
                "QUOTA_EXCEEDED",
                pd.DataFrame({"enterprise_id": ["M1"], "year": [2024], "activity": ["mining"]}),
            ),
            make_findings("UNKNOWN_LOT", pd.DataFrame({"lot_id": [None]})),
        ],
        ignore_index=True,
    )
    rows = evidence(found, ev, max_rows=3)
    ids = rows.groupby("finding")["event_id"].apply(list).to_dict()
    assert ids[0] == ["S1-12", "S1-13"]
    assert ids[1] == ["M2-4", "S1-8"]
    assert ids[2] == ["S1-17"]
    assert len(ids[3]) == 3 and rows.loc[rows.finding == 3, "total"].iloc[0] == 8
    assert 4 not in ids  # stock finding of 2024-02: no rows up to then
    assert ids[5] == ["M1-1"]
    assert 6 not in ids  # a null key joins nothing
    assert rows.loc[rows.finding == 5, "reo_kg"].iloc[0] == pytest.approx(600.0)


def test_findings_page_sections_escaping_and_sorting_script():
    reg = hand_registry(XSS_NAME)
    ev = hand_events()
    ev.loc[ev.event_id == "S1-17", "note"] = "<img src=x onerror=alert(2)>"
    found = run_detectors(ev, reg)
    uploads = pd.DataFrame({"upload_id": [0], "file_name": ["<b>march</b>.csv"]})
    page = findings_html(found, with_shares(ev, reg, hand_shares()), reg, uploads=uploads)
    _assert_offline(page)
    _assert_no_raw_xss(page)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;b&gt;march&lt;/b&gt;.csv:18" in page  # evidence row's FILE:ROW
    assert f'<strong id="count">{len(found)}</strong>' in page
    for ftype in found["type"].unique():
        assert ftype in page
    assert 'id="quota"' in page and "Quota burn-down 2024" in page
    assert "table.sortable > thead > tr > th" in page
    assert page.count("<details>") == len(found)


def test_summary_enterprises_and_quota_numbers():
    reg, ev = hand_registry(), hand_events()
    found = run_detectors(ev, reg)
    summary = summary_by_type(found)
    assert summary["findings"].sum() == len(found)
    assert summary["reo_t"].sum() == pytest.approx(found["reo_kg"].sum() / 1000)
    ents = untraceable_by_enterprise(with_shares(ev, reg, hand_shares()), reg, found)
    ents = ents.set_index("enterprise_id")
    # M2 extracted 250 kg REO undesignated; S1 received 245 kg of it.
    assert ents.loc["M2", "in_t"] == pytest.approx(0.25)
    assert ents.loc["S1", "in_t"] == pytest.approx(0.245)
    assert ents.index[0] == "M2"
    usage = quota_usage(ev, reg, 2024).set_index("enterprise_id")
    assert usage.loc["M1", "used_t"] == pytest.approx(0.6)
    assert usage.loc["M1", "excess_t"] == pytest.approx(0.1)
    assert usage.loc["M1", "crossed"] == "2024-03"
    assert usage.loc["S1", "remaining_t"] == pytest.approx(2.0 - 0.693)  # B1 is smelting
    assert usage.loc["S1", "crossed"] is None
    assert usage.loc["M2", "quota_t"] == 0 and usage.loc["M2", "excess_t"] == pytest.approx(0.25)
    assert quota_usage(ev, reg, 2023)["used_t"].sum() == 0


def test_findings_page_without_findings_or_events():
    page = findings_html(empty_findings(), hand_events().iloc[0:0], hand_registry())
    assert '<strong id="count">0</strong>' in page and "No events loaded" in page


def test_findings_page_builds_the_batch_graph_once(count_calls):
    # The shares (enterprise table) and the quota burn-down (smelting batches) both stand on
    # the batch graph (~0.25 s at 1M events): the page builds it once for both.
    import flowgraph.analysis.burndown  # noqa: F401  (loaded, so its builder is counted too)
    import flowgraph.analysis.lineage  # noqa: F401

    reg, ev = hand_registry(), hand_events()
    found = run_detectors(ev, reg)
    calls = count_calls(batchgraph, "_structure")
    page = findings_html(found, ev, reg, year=2024)
    assert calls == [len(ev)]
    assert "Quota burn-down 2024" in page  # the quota table was drawn from that one build
    assert f"{0.245:,.3f}" in page  # and the enterprise table: S1 took 245 kg untraceable REO


def test_findings_page_on_the_detectors_view_derives_nothing_again(count_calls):
    import flowgraph.analysis.haircut as haircut
    from flowgraph.analysis.prepared import PreparedEvents

    reg, ev = hand_registry(), hand_events()
    view = PreparedEvents(ev, reg)
    found = run_detectors(view, reg)
    structures = count_calls(batchgraph, "_structure")
    propagations = count_calls(haircut, "propagate")
    given = findings_html(found, view, reg, year=2024)
    assert structures == [] and propagations == []
    assert given == findings_html(found, ev, reg, year=2024)  # byte for byte the same page
    assert structures == [len(ev)]


def _store_with_hand_data(path, registry):
    from flowgraph.store import open_store

    store = open_store(str(path))
    store.save_registry(registry, "hand")
    ev = hand_events()
    for (ent, period), rows in ev.groupby(["enterprise_id", "period"]):
        rows = rows.reset_index(drop=True)
        digest = hashlib.sha256(rows.to_csv().encode()).hexdigest()
        store.save_upload(Upload(f"{ent}-{period}.csv", digest, ent, period, rows))
    store.close()


def test_cli_report_sankey_and_findings(tmp_path):
    db = tmp_path / "fg.db"
    _store_with_hand_data(db, hand_registry(XSS_NAME))
    runner = CliRunner()
    out = tmp_path / "flows.html"
    result = runner.invoke(
        cli,
        [
            "--store",
            str(db),
            "report",
            "sankey",
            "--year",
            "2024",
            "--by",
            "enterprise",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "22 links" in result.output and "1.020 t REO" in result.output
    page = out.read_text("utf-8")
    _assert_offline(page)
    _assert_no_raw_xss(page)
    assert '<strong id="uploads">5</strong>' in page
    result = runner.invoke(
        cli,
        [
            "--store",
            str(db),
            "report",
            "sankey",
            "--province",
            "Jiangxi",
            "--top",
            "1",
            "--product-family",
            "mineral",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    out2 = tmp_path / "findings.html"
    result = runner.invoke(cli, ["--store", str(db), "report", "findings", "-o", str(out2)])
    assert result.exit_code == 0, result.output
    assert "8 findings written" in result.output
    page = out2.read_text("utf-8")
    _assert_no_raw_xss(page)
    assert "M2-2024-03.csv:" in page


@pytest.mark.parametrize(
    "args, message",
    [
        (["sankey", "--period", "2024-3", "-o", "x.html"], "not a month"),
        (["sankey", "--by", "colour", "-o", "x.html"], "colour"),
        (["sankey", "--period", "2024-03", "--year", "2023", "-o", "x.html"], "not in year"),
        (["sankey", "-o", "missing/x.html"], "does not exist"),
        (["findings", "--top", "0", "-o", "x.html"], "0"),
    ],
)
def test_cli_report_bad_usage_exits_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "fg.db"
    _store_with_hand_data(db, hand_registry())
    result = CliRunner().invoke(cli, ["--store", str(db), "report", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_report_help():
    for sub in ("sankey", "findings"):
        result = CliRunner().invoke(cli, ["report", sub, "--help"])
        assert result.exit_code == 0 and "Example" in result.output


def test_cli_reports_on_an_empty_store(tmp_path):
    db = str(tmp_path / "empty.db")
    LocalStore.open(db).close()  # an empty store (a missing one is exit 3: SPEC §4)
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", db, "report", "sankey", "-o", str(tmp_path / "s.html")])
    assert result.exit_code == 0, result.output
    assert "0 links" in result.output
    assert "No flows in this selection" in (tmp_path / "s.html").read_text("utf-8")
    result = runner.invoke(
        cli, ["--store", db, "report", "findings", "-o", str(tmp_path / "f.html")]
    )
    assert result.exit_code == 0, result.output
    assert "No events loaded" in (tmp_path / "f.html").read_text("utf-8")


def test_cli_findings_report_computes_lot_shares_once(tmp_path, count_calls):
    # The UNTRACEABLE_EXPORT detector and the enterprise table both need the shares (~1 s at 1M
    # events): the command computes them once, on the one prepared view both read.
    import flowgraph.analysis.haircut as haircut

    db = tmp_path / "fg.db"
    _store_with_hand_data(db, hand_registry())
    calls = count_calls(haircut, "propagate")
    out = tmp_path / "findings.html"
    result = CliRunner().invoke(cli, ["--store", str(db), "report", "findings", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "UNTRACEABLE_EXPORT" in out.read_text("utf-8")  # the detector did use the shares
    assert len(calls) == 1


def test_cli_findings_report_builds_the_batch_graph_once(tmp_path, count_calls):
    # lot_shares, the LINEAGE_CYCLE detector and the quota burn-down all stand on the batch
    # graph (~0.25 s each at 1M events): the command builds it once and hands it to all three.
    import flowgraph.analysis.burndown  # noqa: F401  (loaded, so its builder is counted too)
    import flowgraph.analysis.lineage  # noqa: F401

    db = tmp_path / "fg.db"
    _store_with_hand_data(db, hand_registry())
    calls = count_calls(batchgraph, "_structure")
    out = tmp_path / "findings.html"
    result = CliRunner().invoke(cli, ["--store", str(db), "report", "findings", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Quota burn-down" in out.read_text("utf-8")
    assert calls == [len(hand_events())]


def test_findings_page_lists_the_largest_findings_up_to_the_cap():
    reg, ev = hand_registry(), hand_events()
    found = run_detectors(ev, reg).reset_index(drop=True)
    reo = found["reo_kg"].sort_values(ascending=False).tolist()
    assert reo[1] > reo[2] and reo[-2] > reo[-1]  # no ties at either end
    largest = found.nlargest(2, "reo_kg")
    smallest = found.loc[found["reo_kg"].idxmin()]

    page = findings_html(found, ev, reg, max_findings=2)

    assert page.count("<details>") == 2
    assert f'<strong id="count">{len(found)}</strong>' in page  # counts cover all
    assert f"the 2 largest findings by REO of {len(found)}" in page
    for detail in largest["detail"]:
        assert detail in page
    assert smallest["detail"] not in page
    whole = findings_html(found, ev, reg, max_findings=len(found))  # exactly at the cap
    assert whole.count("<details>") == len(found) and "largest findings by REO" not in whole


def test_findings_page_says_when_no_registry_is_loaded():
    from flowgraph.model import Registry

    ev = hand_events()
    without = findings_html(run_detectors(ev, Registry.empty()), ev, Registry.empty())
    assert "No registry loaded" in without
    with_registry = findings_html(run_detectors(ev, hand_registry()), ev, hand_registry())
    assert "No registry loaded" not in with_registry


def test_findings_page_reads_row_reo_from_its_view_and_never_the_detector_columns():
    reg, ev = hand_registry(), hand_events()
    found = run_detectors(ev, reg)
    assert "QUOTA_EXCEEDED" in set(found["type"])  # its evidence once re-derived every column
    view = with_shares(ev, reg, hand_shares())

    page = findings_html(found, view, reg, year=2024)

    # what the page derived is kept on the view (computed once); the detectors' categorical
    # table was never built for it
    assert "row_reo" in vars(view) and "table" not in vars(view)
    assert page.count("<details>") == len(found)


def test_sankey_page_prints_its_title_once(tmp_path):
    # issue 14: the page's heading and the figure's own title printed it twice
    table = flow_table(with_shares(hand_events(), hand_registry(), hand_shares()))
    page = sankey_html(table, title="Flows for the director 2024", period="2024", uploads=3)
    assert page.count("Flows for the director 2024") == 2  # <title> and <h1>, not the figure
