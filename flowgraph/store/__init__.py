"""Stores: the embedded SQLite file (default) and Neo4j, chosen by URI.

>>> is_neo4j_uri("bolt://127.0.0.1:7687"), is_neo4j_uri("flowgraph.db")
(True, False)
"""

from __future__ import annotations

import logging
import re

from flowgraph.config import Neo4jAuth
from flowgraph.errors import UsageError
from flowgraph.store.base import ConcurrentWrites, LoadResult, RegistryResult, Store

# The Neo4j driver logs "Transaction failed and will be retried in 0.99s (...)" at WARNING while it
# retries a lost connection; with no logging configured Python prints those to stderr, burying
# the one StoreUnavailable line users get. A handler on its logger keeps them out of stderr;
# applications that configure logging still receive them (they propagate to the root logger).
logging.getLogger("neo4j").addHandler(logging.NullHandler())

NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def is_neo4j_uri(uri: str) -> bool:
    return uri.startswith(NEO4J_SCHEMES)


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def open_store(uri: str, auth: Neo4jAuth | None = None, *, create: bool = True) -> Store:
    """Open the store a URI names: a Neo4j URI (``auth`` by default from NEO4J_USERNAME /
    NEO4J_PASSWORD / NEO4J_DATABASE, see ``config.neo4j_auth``) or a path to the embedded SQLite
    file (created if missing unless ``create=False``: commands that only read never make an
    empty store, SPEC §4). Any other scheme is a UsageError naming the accepted ones.

    >>> import os, tempfile
    >>> store = open_store(os.path.join(tempfile.mkdtemp(), "fg.db"))
    >>> store.events().empty
    True
    >>> store.close()
    >>> open_store("http://127.0.0.1:1")
    Traceback (most recent call last):
    ...
    flowgraph.errors.UsageError: store http://127.0.0.1:1: flowgraph does not know the scheme http://; \
give a path to the embedded store file (e.g. flowgraph.db) or a Neo4j URI: bolt://, bolt+s://, \
bolt+ssc://, neo4j://, neo4j+s://, neo4j+ssc://
    """
    if is_neo4j_uri(uri):
        from flowgraph.store.neo4j import Neo4jStore

        return Neo4jStore.connect(uri, auth)
    scheme = _SCHEME.match(uri)
    if scheme:
        raise UsageError(
            f"store {uri}: flowgraph does not know the scheme {scheme.group(1)}://; give a path "
            "to the embedded store file (e.g. flowgraph.db) or a Neo4j URI: "
            + ", ".join(NEO4J_SCHEMES)
        )
    from flowgraph.store.local import LocalStore

    return LocalStore.open(uri, create=create)


__all__ = [
    "ConcurrentWrites", "LoadResult", "RegistryResult", "Store", "is_neo4j_uri", "open_store",
]  # fmt: skip
