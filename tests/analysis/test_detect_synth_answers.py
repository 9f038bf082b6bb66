"""The detectors against the synthetic national data set's answer key (flowgraph.synth).

Files are read the way `flowgraph load` reads them; every answer-key finding must be found and
nothing else (type + SPEC key columns, both ways), reo_kg within 1%; a clean year gives nothing.
"""

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from synthfiles import synth_events

from flowgraph.analysis.detectors import run_detectors
from flowgraph.analysis.findings import iter_jsonl
from flowgraph.cli.main import cli
from flowgraph.ingest import load_files, load_registry
from flowgraph.model import FINDING_KEYS
from flowgraph.store.local import LocalStore
from flowgraph.store.readback import encode_text


def _keyed(records) -> dict:
    out = {}
    for r in records:
        key = tuple(r[c] for c in FINDING_KEYS[r["type"]])
        key = tuple(
            None if v is None or v != v else (int(v) if c == "year" else v)
            for c, v in zip(FINDING_KEYS[r["type"]], key, strict=True)
        )
        out[(r["type"], *key)] = r
    return out


@pytest.fixture(scope="module")
def dirty(planted):
    outdir = planted.outdir  # tests/conftest.py: seed 5, scale 0.2, shared, only read
    answers = [json.loads(line) for line in (outdir / "answers.jsonl").read_text().splitlines()]
    events, registry = synth_events(outdir)
    found = run_detectors(events.copy(), registry)
    return answers, found, outdir, events, registry


def test_every_answer_is_found_and_nothing_else(dirty):
    answers, found, *_ = dirty
    expected, got = _keyed(answers), _keyed(found.to_dict("records"))
    assert len(expected) >= 16
    assert set(got) - set(expected) == set(), "found but not in the answer key"
    assert set(expected) - set(got) == set(), "in the answer key but not found"


def test_every_type_is_planted(dirty):
    answers, *_ = dirty
    assert {a["type"] for a in answers} == set(FINDING_KEYS)


def test_reo_kg_within_one_percent(dirty):
    answers, found, *_ = dirty
    expected, got = _keyed(answers), _keyed(found.to_dict("records"))
    for key, answer in expected.items():
        assert got[key]["reo_kg"] == pytest.approx(answer["reo_kg"], rel=0.01, abs=1e-3), key


def test_dictionary_encoded_events_give_byte_identical_findings(dirty):
    # Issue #15: what the store hands the detectors (text columns as categoricals, read with
    # events(encoded=True)) gives exactly the findings of the object columns, in the same order.
    _, found, _, events, registry = dirty
    encoded = encode_text(events)
    assert isinstance(encoded["lot_id"].dtype, pd.CategoricalDtype)
    again = run_detectors(encoded, registry)
    assert list(iter_jsonl(again)) == list(iter_jsonl(found))


def test_clean_year_gives_no_finding(clean):
    events, registry = synth_events(clean.outdir)
    found = run_detectors(events, registry)
    assert found.empty, found[["type", "period", "detail"]].to_string()


def test_cli_on_the_local_store_reports_the_answer_key(dirty, tmp_path, monkeypatch):
    answers, _, outdir, *_ = dirty
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWGRAPH_STORE", raising=False)
    store = LocalStore.open(tmp_path / "s.db")
    load_registry(store, outdir / "registry")
    load_files(store, [outdir / "uploads"])
    store.close()
    result = CliRunner().invoke(
        cli, ["--store", str(tmp_path / "s.db"), "detect", "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    reported = [json.loads(line) for line in result.stdout.splitlines()]
    assert set(_keyed(reported)) == set(_keyed(answers))
    saved = LocalStore.open(tmp_path / "s.db")
    try:
        assert len(saved.findings()) == len(reported)
    finally:
        saved.close()


def test_untraceable_export_lot_agrees_with_the_answer_key(dirty):
    # The investigator wants the lot: detect and the answer key name the same one (issue 14).
    answers, found, *_ = dirty
    key = {
        (a["enterprise_id"], a["shipment_id"]): a["lot_id"]
        for a in answers
        if a["type"] == "UNTRACEABLE_EXPORT"
    }
    got = found[found["type"] == "UNTRACEABLE_EXPORT"]
    pairs = zip(got["enterprise_id"], got["shipment_id"], strict=True)
    assert key and dict(zip(pairs, got["lot_id"], strict=True)) == key
    assert all(lot is not None for lot in key.values())
