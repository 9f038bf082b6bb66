"""Finding details in Simplified Chinese at display time (reports.detailwords): every wording
the detectors write (both engines) becomes a Chinese sentence keeping its ids and figures;
English is the stored text itself; a wording the catalogue does not know passes unchanged."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from flowgraph.analysis.detectors import DETECTORS
from flowgraph.analysis.licences import why_unlicensed
from flowgraph.analysis.traceability import untraceable_export_detail
from flowgraph.reports.detailwords import localise_detail, localise_details

# what a Chinese detail may still spell in Latin letters besides the finding's own ids
_UNITS = {"kg", "t", "REO"}
_TOKEN = re.compile(r"[A-Za-z0-9_\-]*[A-Za-z][A-Za-z0-9_\-]*")
_ID_COLUMNS = ("enterprise_id", "counterparty_id", "lot_id", "product", "country", "licence_no",
               "document_ref", "shipment_id", "batch_id")  # fmt: skip


@pytest.fixture(scope="module")
def synth_findings():
    """A small synthetic world (seed 5, scale 0.2: every finding type planted), its findings
    and the ids its events and registers name."""
    from flowgraph.analysis import run_detectors
    from flowgraph.synth import build
    from flowgraph.synth.writer import events_view

    built = build(seed=5, scale=0.2)
    events = events_view(built.table).reset_index(drop=True)
    ids = set()
    for column in _ID_COLUMNS:
        if column in events:
            ids |= set(events[column].dropna().astype(str))
    reg = built.registry
    ids |= set(reg.enterprises["enterprise_id"].astype(str))
    for table, column in ((reg.licences, "licence_no"), (reg.customs, "declaration_no")):
        if table is not None:
            ids |= set(table[column].dropna().astype(str))
    return run_detectors(events, reg), ids


def assert_chinese(finding_type: str, english: str, ids: set[str]) -> str:
    """The zh-CN detail: changed, with CJK, and no Latin word left but units and the ids the
    English names."""
    zh = localise_detail(finding_type, english, "zh-CN")
    assert zh != english and re.search("[\u4e00-\u9fff]", zh), (finding_type, english)
    named = {t for t in _TOKEN.findall(english) if t in ids}
    left = [t for t in _TOKEN.findall(zh) if t not in named | _UNITS]
    assert left == [], (finding_type, english, zh)
    # ids and figures carried over as they are
    for figure in re.findall(r"[\d][\d,.]*%?", english):
        assert figure.rstrip(".,") in zh, (finding_type, figure, zh)
    return zh


def test_every_type_of_a_synth_world_reads_in_chinese(synth_findings):
    found, ids = synth_findings
    assert set(found["type"]) == {d.type for d in DETECTORS}  # the world covers every type
    for finding in found.itertuples(index=False):
        assert_chinese(finding.type, finding.detail, ids)
        assert localise_detail(finding.type, finding.detail, "en") is finding.detail
    frame = localise_details(found, "zh-CN")
    assert frame["detail"].tolist() != found["detail"].tolist()
    assert frame.drop(columns="detail").equals(found.drop(columns="detail"))
    assert localise_details(found, "en") is found


def test_words_in_fields_are_translated():
    zh = localise_detail(
        "QUOTA_EXCEEDED",
        "mining output 25,316.550 t REO in 2024 exceeds the mining quota of 24,111.000 t",
        "zh-CN",
    )
    assert zh == "2024 年开采产出 25,316.550 t REO，超过开采指标 24,111.000 t"
    text = localise_detail("UNKNOWN_LOT", "lot first shipped by E1 with no loaded event creating it", "zh-CN")  # fmt: skip
    assert "E1 的发货记录" in text
    text = "2 export/import row(s), 10.0 kg, name D1: no export/import declaration of E1 in the customs register"  # fmt: skip
    assert "2 行出口/进口记录" in localise_detail("CUSTOMS_UNDECLARED", text, "zh-CN")


def _licences(**row) -> pd.DataFrame:
    base = {"licence_no": "EL1", "enterprise_id": "E1", "product": "ND_OXIDE", "country": "JP",
            "valid_from": pd.Timestamp("2024-01-01"), "valid_to": pd.NaT}  # fmt: skip
    return pd.DataFrame([{**base, **row}])


def test_every_variant_wording_reads_in_chinese():
    """The wordings a small world may not plant, produced by the code that writes them."""
    from flowgraph.store import neo4j_detect as N

    ids = {"E1", "E2", "EL1", "EL9", "ND_OXIDE", "SM_OXIDE", "JP", "D1", "L1", "L2"}
    export = SimpleNamespace(enterprise_id="E1", licence_no="EL1", product="ND_OXIDE",
                             country="JP", date=pd.Timestamp("2024-03-05"))  # fmt: skip
    unlicensed = [
        why_unlicensed(SimpleNamespace(**{**vars(export), "licence_no": None}), _licences()),
        why_unlicensed(SimpleNamespace(**{**vars(export), "licence_no": "EL9"}), _licences()),
        why_unlicensed(export, _licences(enterprise_id="E2")),
        why_unlicensed(export, _licences(country="US")),
        why_unlicensed(export, _licences()),  # open-ended
        why_unlicensed(export, _licences(valid_to=pd.Timestamp("2024-02-01"))),
    ]
    assert len(set(unlicensed)) == 6
    for text in unlicensed:
        assert_chinese("UNLICENSED_EXPORT", text, ids)
        assert_chinese("UNLICENSED_EXPORT", text + " (+3 more rows)", ids)
    assert "无截止日期" in localise_detail("UNLICENSED_EXPORT", unlicensed[4], "zh-CN")
    assert "（另有 3 行）" in localise_detail("UNLICENSED_EXPORT", unlicensed[0] + " (+3 more rows)", "zh-CN")  # fmt: skip
    many = untraceable_export_detail(12.0, 3)
    assert "涉及 3 个批号" in assert_chinese("UNTRACEABLE_EXPORT", many, ids)
    # the Cypher path's wordings (store/neo4j_detect.py) with the figures a query returns
    assert_chinese("TRANSFORM_GAIN", N.DETAIL["TRANSFORM_GAIN"]({}, {"produced": 5.0, "consumed": 0}), ids)  # fmt: skip
    customs = pd.DataFrame([{"declaration_no": "D1", "enterprise_id": "E2", "direction": "import"}])  # fmt: skip
    row = {"document_ref": "D1", "enterprise_id": "E1"}
    facts = {"directions": ["export"], "n": 2, "mass": 1234.5}
    owned = N.REGISTRY_DETAIL["CUSTOMS_UNDECLARED"](row, facts, SimpleNamespace(customs=customs))
    assert "（该单号是 E2 的进口报关单）" in assert_chinese("CUSTOMS_UNDECLARED", owned, ids)
    cycle = N.DETAIL["LINEAGE_CYCLE"]({}, {"lots": ["L2", "L1"]})
    assert assert_chinese("LINEAGE_CYCLE", cycle, ids).endswith("（L1 -> L2）")


def test_unknown_wording_and_other_values_pass_unchanged():
    odd = "batch yields a lot more than it should"
    assert localise_detail("TRANSFORM_GAIN", odd, "zh-CN") == odd
    # a known wording under another type is not that type's sentence
    gain = "batch yields 12.0 kg REO from no recorded input"
    assert localise_detail("TRANSFORM_LOSS", gain, "zh-CN") == gain
    assert localise_detail("NOT_A_TYPE", "lot created 2 times (by E1)", "zh-CN") == (
        "lot created 2 times (by E1)"
    )
    # a tail on a wording not known keeps the whole text
    assert localise_detail("UNLICENSED_EXPORT", "odd (+2 more rows)", "zh-CN") == "odd (+2 more rows)"  # fmt: skip
    assert localise_detail("DUPLICATE_LOT", None, "zh-CN") is None
    markup = "lot created 2 times (by <b>E1</b>)"  # text, never HTML: callers escape it
    assert localise_detail("DUPLICATE_LOT", markup, "zh-CN") == "该批号被创建 2 次（创建方：<b>E1</b>）"  # fmt: skip


def test_findings_report_shows_details_in_chinese():
    from test_findings_i18n import reports

    from flowgraph.reports.findings import render_findings_html

    full = render_findings_html(reports()[0], lang="zh-CN")
    assert "<td>批次产出的 REO 为其 REO 投入的 105.0%</td>" in full
    assert "batch yields 105.0%" not in full
    assert "batch yields 105.0% of its REO input" in render_findings_html(reports()[0])
