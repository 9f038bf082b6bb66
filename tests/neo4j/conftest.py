"""Fixtures for the tests that run against a REAL Neo4j server (no driver mocks).

NEO4J_URI (default bolt://127.0.0.1:7687) with NEO4J_USERNAME / NEO4J_PASSWORD. When the server
cannot be reached the tests are skipped with one line saying why - except in CI (env CI set),
where a Neo4j that cannot start is a failure. Every test starts from an empty database.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from neo4j_scenario import URI

from flowgraph.errors import StoreUnavailable
from flowgraph.store.neo4j_schema import DELETE_ALL

HERE = Path(__file__).resolve().parent
_state: dict[str, object] = {}


def _probe() -> str | None:
    """None when Neo4j answers, else why not (checked once per session)."""
    if "why" not in _state:
        from flowgraph.store.neo4j import Neo4jStore

        try:
            Neo4jStore.connect(URI).close()
            _state["why"] = None
        except StoreUnavailable as e:
            _state["why"] = str(e)
    return _state["why"]  # type: ignore[return-value]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "neo4j: needs a real Neo4j server (make neo4j)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [
        item
        for item in items
        if HERE in Path(str(item.fspath)).parents
        and item.get_closest_marker("neo4j")
        # Tests that start their own server (the crash test) or need none do not depend on it.
        and "_session_store" in getattr(item, "fixturenames", ())
    ]
    if not mine or os.environ.get("CI"):
        return  # in CI the store fixture fails loudly instead
    why = _probe()
    if why is not None:
        skip = pytest.mark.skip(reason=f"Neo4j not reachable at {URI} ({why}); run `make neo4j`")
        for item in mine:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _session_store():
    from flowgraph.store.neo4j import Neo4jStore

    why = _probe()
    if why is not None:
        pytest.fail(f"Neo4j not reachable at {URI} ({why}); CI must start it (make neo4j)")
    store = Neo4jStore.connect(URI)
    yield store
    store.close()


@pytest.fixture
def store(_session_store):
    """The Neo4j store on an emptied database (nodes and relationships; schema kept)."""
    # Batched (a database left with benchmark data would overflow one DETACH DELETE).
    with _session_store.driver.session(database=_session_store.database) as session:
        for statement in DELETE_ALL:
            session.run(statement).consume()
    _session_store.batch_size = 10_000
    return _session_store
