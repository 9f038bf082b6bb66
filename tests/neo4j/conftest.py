"""Fixtures for the tests that run against a REAL Neo4j server (no driver mocks).

NEO4J_URI (default bolt://127.0.0.1:7687) with NEO4J_USERNAME / NEO4J_PASSWORD. When the server
cannot be reached the tests are skipped with one line saying why - except in CI (env CI set),
where a Neo4j that cannot start is a failure. Every test starts from an empty database.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from neo4j_scenario import URI, neo4j_unreachable

HERE = Path(__file__).resolve().parent


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
    why = neo4j_unreachable()
    if why is not None:
        skip = pytest.mark.skip(reason=f"Neo4j not reachable at {URI} ({why}); run `make neo4j`")
        for item in mine:
            item.add_marker(skip)


@pytest.fixture
def store(neo4j_store):
    """The Neo4j store on an emptied database (tests/conftest.py: ``neo4j_store``)."""
    return neo4j_store
