"""Fixtures every test folder can use."""

from __future__ import annotations

import os
import sys

import pytest
from neo4j_scenario import URI, neo4j_unreachable


@pytest.fixture
def count_calls(monkeypatch):
    """``count_calls(module, name)`` replaces ``module.name`` wherever a flowgraph module holds
    it (modules import these helpers by name) with a wrapper that records ``len`` of its first
    argument, and returns that list: how many times, and on how many rows, it ran."""

    def count(module, name: str) -> list[int]:
        real = getattr(module, name)
        calls: list[int] = []

        def counting(first, *args, **kwargs):
            calls.append(len(first))
            return real(first, *args, **kwargs)

        for module_name, held_by in list(sys.modules.items()):
            if module_name.startswith("flowgraph.") and getattr(held_by, name, None) is real:
                monkeypatch.setattr(held_by, name, counting)
        return calls

    return count


@pytest.fixture(scope="session")
def planted(tmp_path_factory):
    """``synth`` seed 5, scale 0.2 (every finding type planted), generated once for the
    session and only read: the generator's tests (tests/synth) and the detectors against its
    answer key (tests/analysis/test_detect_synth_answers.py)."""
    from flowgraph.synth import generate

    return generate(tmp_path_factory.mktemp("synth_planted"), seed=5, scale=0.2)


@pytest.fixture(scope="session")
def clean(tmp_path_factory):
    """``synth --clean`` seed 5, scale 0.2 (nothing planted), once for the session, only read."""
    from flowgraph.synth import generate

    return generate(tmp_path_factory.mktemp("synth_clean"), seed=5, scale=0.2, clean=True)


@pytest.fixture(scope="session")
def synth_year(tmp_path_factory):
    """``synth`` seed 5, scale 0.05 (one year, ~460 files), generated once for the session and
    only read: the Neo4j differential, bulk-import and year tests build on it."""
    from flowgraph.synth import generate

    return generate(tmp_path_factory.mktemp("synth_year"), seed=5, scale=0.05)


@pytest.fixture(scope="session")
def three_years(tmp_path_factory):
    """``synth --years 3`` (2024-2026 on one ledger, seed 7, scale 0.05), generated once for
    the session and only read: the generator's tests (tests/synth/test_synth_years.py) and
    detection by year (tests/analysis/test_years.py) use the same files."""
    from flowgraph.synth import generate

    return generate(tmp_path_factory.mktemp("synth_three_years"), seed=7, scale=0.05, years=3)


@pytest.fixture(scope="session")
def three_years_uploads(three_years):
    """Every upload of ``three_years`` read once (about 1,400 files), in file order."""
    from loaders import find_upload_files, read_upload

    return [read_upload(p) for p in find_upload_files([three_years.outdir / "uploads"])]


@pytest.fixture(scope="session")
def _session_store():
    """One Neo4jStore on the test server for the session; skipped (failed in CI, env CI set)
    when it cannot be reached."""
    from flowgraph.store.neo4j import Neo4jStore

    why = neo4j_unreachable()
    if why is not None:
        message = f"Neo4j not reachable at {URI} ({why})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must start it (make neo4j)")
        pytest.skip(f"{message}; run `make neo4j`")
    store = Neo4jStore.connect(URI)
    yield store
    store.close()


@pytest.fixture
def neo4j_store(_session_store):
    """The Neo4j store on an emptied database (nodes and relationships; schema kept)."""
    from flowgraph.store.neo4j_schema import DELETE_ALL

    # Batched (a database left with benchmark data would overflow one DETACH DELETE).
    with _session_store.driver.session(database=_session_store.database) as session:
        for statement in DELETE_ALL:
            session.run(statement).consume()
    _session_store.batch_size = 10_000
    return _session_store
