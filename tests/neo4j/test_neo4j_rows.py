"""Pure parts of the Neo4j side (no server): row builders, query headers, parameter binding."""

from __future__ import annotations

import datetime as dt

import neo4j_scenario as scenario
import pandas as pd
import pytest

from flowgraph.errors import UsageError
from flowgraph.querylib import bind, convert, get_query, list_queries, parse_query
from flowgraph.store.neo4j import safe_uri
from flowgraph.store.neo4j_rows import chunks, event_rows
from flowgraph.store.neo4j_runs import run_rows


def test_event_rows_carry_every_present_column_and_no_nulls():
    upload = scenario.uploads()[2]
    rows = event_rows(upload.events, upload_id=9)
    assert len(rows) == len(upload.events)
    first = rows[0]
    assert first["kind"] == "receive"
    assert first["props"] == {
        "event_id": "1", "event_type": "receive", "date": dt.date(2024, 3, 7),
        "enterprise_id": "S1", "lot_id": "L1", "mass_kg": 1000.0, "counterparty_id": "M1",
        "shipment_id": "SH1", "period": "2024-03", "upload_id": 9, "source_row": 2,
    }  # fmt: skip
    produce = next(r for r in rows if r["kind"] == "produce")
    assert (produce["batch_key"], produce["family"], produce["reo_pct"]) == (
        "S1/B1",
        "compound",
        99,
    )
    assert rows[-1]["props"]["note"] == "溶解损失"


def test_chunks_keep_order_and_size():
    assert [c[0] for c in chunks(list(range(7)), 3)] == [0, 3, 6]


def test_finding_rows_link_batches_by_enterprise():
    frame = pd.DataFrame([{"type": "TRANSFORM_GAIN", "enterprise_id": "S1", "batch_id": "B2",
                           "reo_kg": 1, "year": None}])  # fmt: skip
    row = run_rows(frame)[0]
    assert row["batch_key"] == "S1/B2"
    assert "year" not in row["props"] and row["props"]["reo_kg"] == 1.0


def test_safe_uri_drops_credentials():
    assert safe_uri("neo4j+s://u:p@x.example:7687") == "neo4j+s://x.example:7687"
    assert safe_uri("bolt://127.0.0.1:7687") == "bolt://127.0.0.1:7687"


def test_every_query_file_has_a_valid_header():
    queries = list_queries()
    assert len([n for n in queries if not n.startswith("detect_")]) >= 12
    for name, query in queries.items():
        assert query.purpose and query.returns, name
        for param in query.params:
            assert f"${param.name}" in query.text, (name, param.name)


def test_parse_query_header():
    query = parse_query(
        "demo",
        "// Does a thing.\n// @param lot_id string the lot\n// @param n int = 5 how many\n"
        "// @returns a, b\nMATCH (l:Lot {id: $lot_id}) RETURN l.id AS a, $n AS b\n",
    )
    assert query.purpose == "Does a thing."
    assert [(p.name, p.type, p.required) for p in query.params] == [
        ("lot_id", "string", True),
        ("n", "int", False),
    ]
    assert query.returns == ["a", "b"]


def test_bind_converts_fills_defaults_and_refuses():
    query = get_query("quota_burndown")
    assert bind(query, {"enterprise_id": "M1", "year": "2024"}) == {
        "enterprise_id": "M1",
        "year": 2024,
    }
    with pytest.raises(UsageError, match="needs parameter year"):
        bind(query, {"enterprise_id": "M1"})
    with pytest.raises(UsageError, match="has no parameter colour"):
        bind(query, {"enterprise_id": "M1", "year": "2024", "colour": "red"})
    assert bind(get_query("unmatched_shipments"), {}) == {"period": None}
    with pytest.raises(UsageError, match="not a valid float"):
        convert("abc", "float", "low")


def test_unknown_query():
    with pytest.raises(UsageError, match="unknown query 'nope'"):
        get_query("nope")
