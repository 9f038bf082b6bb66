"""The Sankey report in Simplified Chinese: every catalogue text of the page translated."""

from __future__ import annotations

import re

from click.testing import CliRunner
from reports_fixtures import hand_events, hand_registry

from flowgraph.analysis.prepared import PreparedEvents
from flowgraph.i18n import catalogue
from flowgraph.reports.flows import flow_table
from flowgraph.reports.sankey import sankey_figure, sankey_html


def english_left(text: str, zh: dict[str, str]) -> list[str]:
    left = []
    for english, translated in zh.items():
        if "{" in english or english == translated or not re.search("[A-Za-z]{3}", english):
            continue
        if re.search(rf"(?<![\w/]){re.escape(english)}(?![\w/])", text):
            left.append(english)
    return left


def table():
    return flow_table(PreparedEvents(hand_events(), hand_registry()))


def test_sankey_page_in_chinese_keeps_no_english_label():
    zh = catalogue("zh-CN")
    page = sankey_html(table(), title="稀土流向", period="2024", uploads=3, lang="zh-CN")
    visible = re.sub(r"<(script|style).*?</\1>", "", page, flags=re.S)  # not shown text
    visible = re.sub(r"<[^>]+>", " ", visible)
    assert english_left(visible, zh) == []
    assert '<html lang="zh-CN">' in page and "稀土氧化物的去向" in page
    labels = list(sankey_figure(table(), lang="zh-CN").data[0].node.label)
    assert english_left(" | ".join(labels), zh) == []
    assert "期末库存" in labels or any("出口" in label for label in labels)
    english = sankey_html(table(), lang="en")
    assert "Where the REO ends" in english and "稀土" not in english


def test_report_sankey_language_from_flag_and_locale(tmp_path):
    from flowgraph.cli.main import cli
    from flowgraph.model import Upload
    from flowgraph.store.local import LocalStore

    events = hand_events()
    store = LocalStore.open(tmp_path / "fg.db")
    store.save_registry(hand_registry(), "test")
    for (ent, period), rows in events.groupby(["enterprise_id", "period"]):
        store.save_upload(Upload(f"{ent}.csv", f"{ent}{period}".ljust(64, "0"), ent, period,
                                 rows.reset_index(drop=True)))  # fmt: skip
    store.close()
    runner = CliRunner()
    out = tmp_path / "zh.html"
    args = ["--store", str(tmp_path / "fg.db"), "report", "sankey", "-o"]
    result = runner.invoke(cli, [*args, str(out), "--lang", "zh-CN"])
    assert result.exit_code == 0, result.output
    assert "<h1>稀土流向，全部月份（按角色）</h1>" in out.read_text("utf-8")
    result = runner.invoke(cli, [*args, str(tmp_path / "loc.html")], env={"LANG": "zh_CN.UTF-8",
                                                                          "LC_ALL": ""})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '<html lang="zh-CN">' in (tmp_path / "loc.html").read_text("utf-8")
    result = runner.invoke(cli, [*args, str(tmp_path / "en.html")], env={"LANG": "C.UTF-8",
                                                                         "LC_ALL": ""})  # fmt: skip
    assert "<h1>Rare-earth flows, all periods (by role)</h1>" in (tmp_path / "en.html").read_text(
        "utf-8"
    )
