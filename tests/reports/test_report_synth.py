"""The flow table on a small synthetic national year, loaded the way users load it."""

from __future__ import annotations

import pandas as pd
import pytest
from test_report_flows import assert_conserved

from flowgraph.analysis.prepared import PreparedEvents
from flowgraph.reports import flows as F
from flowgraph.reports.flows import flow_table, upload_count


@pytest.fixture(scope="module")
def synth_year():
    """A synthetic year in memory (what the store returns after `flowgraph load`) and the
    synth oracle's answer key (an implementation independent of analysis/ and reports/)."""
    from flowgraph.synth import build
    from flowgraph.synth.oracle import reference_findings
    from flowgraph.synth.writer import events_view

    built = build(seed=5, scale=0.2)
    events = events_view(built.table).reset_index(drop=True)
    return events, built.registry, reference_findings(events, built.registry)


def test_synth_year_conserves_at_every_holder_and_matches_the_answer_key(synth_year):
    events, registry, answers = synth_year
    view = PreparedEvents(events, registry)  # one view: the shares are computed once
    table = flow_table(view, year=2024)
    assert_conserved(table)
    links = table.groupby("source")["reo_t"].sum()
    # Undesignated extraction enters as its own untraceable origin, all of it.
    planted = answers.loc[answers["type"] == "UNDESIGNATED_EXTRACTION", "reo_kg"].sum() / 1000
    assert planted > 0
    assert links[F.U_EXTRACTION] == pytest.approx(planted, abs=1e-3)
    # Every batch gain is drawn; gains below the TRANSFORM_GAIN tolerance too.
    gains = answers.loc[answers["type"] == "TRANSFORM_GAIN", "reo_kg"].sum() / 1000
    assert gains > 0 and links[F.U_GAIN] >= gains - 1e-3  # answers are rounded
    assert table.loc[table["source"].isin(F.UNTRACEABLE_ORIGINS), "traceable_t"].sum() == 0
    assert upload_count(events, year=2024) == len(
        events[["enterprise_id", "period"]].value_counts()
    )
    for kwargs in (
        {"by": "enterprise", "top": 5},
        {"by": "province"},
        {"by": "group", "period": "2024-06"},
        {"product_family": "mineral"},
        {"product_family": "metal", "by": "enterprise"},
    ):
        assert_conserved(flow_table(view, **kwargs))


@pytest.fixture(scope="module")
def stored_year(tmp_path_factory):
    """A small synthetic year written as files and loaded into an embedded store."""
    from flowgraph.ingest import load_files, load_registry
    from flowgraph.store.local import LocalStore
    from flowgraph.synth import generate

    folder = tmp_path_factory.mktemp("synth-store")
    generate(folder / "data", seed=5, scale=0.2)
    store = LocalStore.open(folder / "fg.db")
    load_registry(store, folder / "data" / "registry")
    load_files(store, [folder / "data" / "uploads"])
    yield store
    store.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"year": 2024},
        {"by": "enterprise", "top": 5, "year": 2024},
        {"by": "province", "period": "2024-06"},
        {"by": "group", "period": "2024-03", "product_family": "mineral"},
        {"product_family": "metal", "by": "enterprise"},
    ],
)
def test_flow_table_equal_on_events_read_encoded(stored_year, kwargs):
    """`report sankey` reads the events dictionary-encoded (a tenth of the memory at national
    scale); the flow table and the upload count are those of the events as Python strings."""
    registry = stored_year.registry()
    plain, encoded = stored_year.events(), stored_year.events(encoded=True)
    assert str(encoded["period"].dtype) == "category"  # the case this test is for
    got = flow_table(PreparedEvents(encoded, registry), registry, **kwargs)
    want = flow_table(PreparedEvents(plain, registry), registry, **kwargs)
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    window = {k: kwargs[k] for k in ("year", "period") if k in kwargs}
    assert upload_count(encoded, **window) == upload_count(plain, **window)
