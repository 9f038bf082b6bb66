"""The findings report in Simplified Chinese: every catalogue text of the page translated; the
English page byte for byte the page before the translation (tests/reports/findings_en.html,
written by the code before the catalogue, on the same data)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from reports_fixtures import hand_events, hand_registry
from test_report_i18n import english_left

from flowgraph.analysis.findings import make_findings
from flowgraph.i18n import catalogue
from flowgraph.model import registry_from_records
from flowgraph.reports.findings import build_findings_report, render_findings_html
from flowgraph.reports.summaries import quota_figure

GOLDEN = Path(__file__).with_name("findings_en.html")
# what the detectors found on the hand data, frozen (a detector's new wording must not move
# this page); details are the detectors' sentences, which stay English
_FOUND = [
    ("TRANSFORM_GAIN", "S1", {"batch_id": "B2"}, 4.95, "batch yields 105.0% of its REO input"),
    ("LOT_OVERDRAWN", "S1", {"lot_id": "LX"}, 45.0, "outflows 100.0 kg exceed created 0.0 kg"),
    ("TRANSIT_MISMATCH", "M2", {"shipment_id": "SH2"}, 5.0, "M2 shipped 500.0 kg to S1"),
    ("UNKNOWN_LOT", "S1", {"lot_id": "LX"}, 45.0, "lot first shipped by S1"),
    ("UNTRACEABLE_EXPORT", "S1", {"lot_id": "L4", "shipment_id": "EX1"}, 16.7, "33.8% <b>x</b>"),
    ("UNDESIGNATED_EXTRACTION", "M2", {"lot_id": "L2"}, 250.0, "M2 extracted on 2024-03-01"),
    ("QUOTA_EXCEEDED", "M1", {"year": 2024, "activity": "mining"}, 100.0, "mining output 0.600 t"),
]
_STATUS = ["new", "open", "confirmed", "dismissed", "resolved", "new", "open"]


def findings() -> pd.DataFrame:
    parts = [
        make_findings(
            t,
            pd.DataFrame(
                [{"enterprise_id": e, "period": "2024-03", "reo_kg": r, "detail": d, **keys}]
            ),
        )  # fmt: skip
        for t, e, keys, r, d in _FOUND
    ]
    out = pd.concat(parts, ignore_index=True)
    return out.assign(finding_id=[f"F-{i}" for i in range(len(out))], status=_STATUS)


def reports():
    """The page's variants: full (registry, quota chart, evidence cut to 2 rows), capped at 3
    findings, and without a registry (its notices, no quota)."""
    ev, reg = hand_events(), hand_registry()
    found = findings()
    uploads = pd.DataFrame({"upload_id": [0], "file_name": ["S1-2024-03.csv"]})
    return [
        build_findings_report(found, ev, reg, uploads=uploads, max_evidence=2),
        build_findings_report(found, ev, reg, year=2024, max_findings=3),
        build_findings_report(found, ev, registry_from_records(), period="2024-03"),
    ]


def _without_chart(page: str) -> str:
    """The page without the embedded plotly.js and quota figure (its JSON follows plotly's
    version, not ours; the figure's texts are checked on the figure)."""
    chart = r"<div[^>]*>\s*<script.*?</script>\s*</div>(?=\n<h2>)"
    return re.sub(chart, "<!--chart-->", page, flags=re.S)


def english_pages() -> str:
    marker = "\n<!-- next page -->\n"
    return marker.join(_without_chart(render_findings_html(r)) for r in reports())


def test_english_page_is_the_page_before_the_catalogue():
    assert english_pages() == GOLDEN.read_text("utf-8")


def _visible(page: str, found: pd.DataFrame) -> str:
    """The page's text as a reader sees it, without what stays as it is: the detectors' detail
    sentences and the evidence rows' event type codes (``import`` is also a Sankey label)."""
    page = re.sub(r"<(script|style).*?</\1>", "", page, flags=re.S)
    for detail in found["detail"]:
        page = page.replace(f"<td>{html.escape(detail)}</td>", "<td></td>")
    page = re.sub(r"<tr><td>[\d-]+</td><td>[a-z_]+</td>", "<tr>", page)
    return re.sub(r"<[^>]+>", " ", page)


def test_findings_page_in_chinese_keeps_no_english_label():
    zh = catalogue("zh-CN")
    found = findings()
    for report in reports():
        page = render_findings_html(report, lang="zh-CN")
        assert english_left(_visible(page, found), zh) == []
        assert '<html lang="zh-CN">' in page and "<h1>稀土可追溯性发现</h1>" in page
    full, capped, bare = (render_findings_html(r, lang="zh-CN") for r in reports())
    assert "<th>发现编号</th>" in full and "按类别和类型汇总" in full and "证据：" in full
    assert "<td>待处理</td>" in full and "<td>已排除</td>" in full  # statuses
    assert (
        "批号 LX" in full
        and "年份 2024 · 活动 开采" in full
        and "TRANSFORM_GAIN" in full
        and "F-3" in full
    )  # codes, ids stay
    assert "S1-2024-03.csv:" in full and "<td>33.8% &lt;b&gt;x&lt;/b&gt;</td>" in full
    assert "列出：共 7 项发现中按 REO 最大的 3 项" in capped
    assert (
        "未载入企业名录：" in bare and "未执行海关核查" in bare and "<td>上报文件 0:2</td>" in bare
    )
    assert "<strong>2024-03</strong>" in bare and "<strong>全部月份</strong>" in full


def test_quota_chart_in_chinese():
    zh = catalogue("zh-CN")
    report = reports()[0]
    figure = quota_figure(report.quota, report.quota_year, lang="zh-CN")
    texts = [figure.layout.title.text, figure.layout.xaxis.title.text]
    texts += [bar.name for bar in figure.data] + list(figure.data[0].y)
    assert english_left(" | ".join(texts), zh) == []
    assert "指标内已用" in texts and any(label.endswith("· 开采") for label in texts)
    english = quota_figure(report.quota, report.quota_year)
    assert [bar.name for bar in english.data] == ["used within quota", "over quota", "remaining"]


def test_licences_table_in_chinese():
    from test_report_registers import _events, _registry

    report = build_findings_report(findings().iloc[0:0], _events(), _registry())
    page = render_findings_html(report, lang="zh-CN")
    assert "<h2>出口许可证</h2>" in page and "2025-01-01 起，无截止日期" in page
    assert english_left(_visible(page, findings()), catalogue("zh-CN")) == []
    assert "2025-01-01 – open" in render_findings_html(report)


def test_report_findings_language_from_flag_and_locale(tmp_path):
    from test_report_html import _store_with_hand_data

    from flowgraph.cli.main import cli

    _store_with_hand_data(tmp_path / "fg.db", hand_registry())
    args = ["--store", str(tmp_path / "fg.db"), "report", "findings", "-o"]
    runner = CliRunner()
    result = runner.invoke(cli, [*args, str(tmp_path / "zh.html"), "--lang", "zh-CN"])
    assert result.exit_code == 0, result.output
    assert "<h1>稀土可追溯性发现</h1>" in (tmp_path / "zh.html").read_text("utf-8")
    env = {"LANG": "zh_CN.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    result = runner.invoke(cli, [*args, str(tmp_path / "loc.html")], env=env)
    assert result.exit_code == 0, result.output
    assert '<html lang="zh-CN">' in (tmp_path / "loc.html").read_text("utf-8")
    env = {"LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    result = runner.invoke(cli, [*args, str(tmp_path / "en.html")], env=env)
    assert "<h1>Rare-earth traceability findings</h1>" in (tmp_path / "en.html").read_text("utf-8")
    result = runner.invoke(cli, [*args, str(tmp_path / "fr.html"), "--lang", "fr"])
    assert result.exit_code == 2 and "'fr' is not one of" in result.output
