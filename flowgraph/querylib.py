"""Named investigator queries: find them, read their headers, run them (read-only Cypher on
Neo4j, their library twins in ``flowgraph.querytwins`` on the embedded store).

A query is one ``queries/NAME.cypher`` file (shipped as package data). Its header comment says
what it is for, its parameters and its columns::

    // Provenance of a lot ...
    // @param lot_id string the lot to trace upstream
    // @param limit int = 20 how many rows
    // @returns origin_lot, steps, ...

Parameter types: string, int, float, bool, date (ISO ``YYYY-MM-DD``); ``= null`` makes a
parameter optional with no value. Queries run in READ transactions, so a query that tries to
write fails with a UsageError instead of changing the graph.

>>> {"lot_provenance", "detect_duplicate_lot"} <= set(list_queries())
True
>>> q = get_query("lot_provenance")
>>> [p.name for p in q.params], q.returns[:2]
(['lot_id'], ['origin_lot', 'steps'])
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pandas as pd

from flowgraph.errors import FlowgraphError, QueryRefused, UsageError
from flowgraph.store.base import CypherReads

PACKAGE = "queries"
TYPES = ("string", "int", "float", "bool", "date")
_NO_DEFAULT = object()
_PARAM = re.compile(
    r"^@param\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>\w+)"
    r"(?:\s*=\s*(?P<default>\S+))?\s*(?P<doc>.*)$"
)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any = _NO_DEFAULT
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


@dataclass(frozen=True)
class NamedQuery:
    """One ``.cypher`` file: its name, purpose, parameters, returned columns and text."""

    name: str
    purpose: str
    params: tuple[Param, ...]
    returns: list[str]
    text: str = field(repr=False)


def convert(value: str, type_name: str, name: str = "value") -> Any:
    """Turn a command-line string into the parameter's declared type.

    >>> convert("2024", "int"), convert("0.5", "float"), convert("yes", "bool")
    (2024, 0.5, True)
    >>> convert("2024-03-01", "date")
    datetime.date(2024, 3, 1)
    """
    if value == "null":
        return None
    try:
        if type_name == "string":
            return value
        if type_name == "int":
            return int(value)
        if type_name == "float":
            return float(value)
        if type_name == "bool":
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "y"):
                return True
            if lowered in ("0", "false", "no", "n"):
                return False
            raise ValueError(value)
        if type_name == "date":
            return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"parameter {name}: {value!r} is not a valid {type_name}") from None
    raise UsageError(f"parameter {name}: unknown type {type_name!r}")


def parse_query(name: str, text: str) -> NamedQuery:
    """Read a query file's header comment (leading ``//`` lines)."""
    purpose, params, returns = [], [], []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            break
        body = stripped[2:].strip()
        if body.startswith("@param"):
            match = _PARAM.match(body)
            if not match or match["type"] not in TYPES:
                raise FlowgraphError(f"queries/{name}.cypher: bad @param line: {body}")
            default = _NO_DEFAULT
            if match["default"] is not None:
                default = convert(match["default"], match["type"], match["name"])
            params.append(Param(match["name"], match["type"], default, match["doc"].strip()))
        elif body.startswith("@returns"):
            returns = [c.strip() for c in body[len("@returns") :].split(",") if c.strip()]
        elif body:
            purpose.append(body)
    return NamedQuery(name, " ".join(purpose), tuple(params), returns, text)


def _files() -> dict[str, Any]:
    root = resources.files(PACKAGE)
    return {
        entry.name[: -len(".cypher")]: entry
        for entry in root.iterdir()
        if entry.name.endswith(".cypher")
    }


def list_queries() -> dict[str, NamedQuery]:
    """Every named query shipped in the ``queries`` package, by name."""
    return {
        name: parse_query(name, entry.read_text(encoding="utf-8"))
        for name, entry in sorted(_files().items())
    }


def get_query(name: str) -> NamedQuery:
    """One named query; UsageError naming the known ones when it does not exist."""
    files = _files()
    if name not in files:
        raise UsageError(f"unknown query {name!r} (see `flowgraph query --list`)")
    return parse_query(name, files[name].read_text(encoding="utf-8"))


def bind(query: NamedQuery, given: dict[str, Any]) -> dict[str, Any]:
    """The parameter map for a run: converts strings, fills defaults, refuses unknown/missing.

    >>> bind(get_query("single_counterparty_traders"), {"min_shipments": "3"})
    {'min_shipments': 3}
    """
    known = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise UsageError(
            f"query {query.name} has no parameter {', '.join(unknown)} "
            f"(parameters: {', '.join(known) or 'none'})"
        )
    values = {}
    for param in query.params:
        if param.name in given:
            value = given[param.name]
            values[param.name] = (
                convert(value, param.type, param.name) if isinstance(value, str) else value
            )
        elif param.required:
            raise UsageError(
                f"query {query.name} needs parameter {param.name} ({param.type}): "
                f"-p {param.name}=VALUE"
            )
        else:
            values[param.name] = param.default
    return values


def run_query(store, name: str, params: dict[str, Any] | None = None, *, data=None) -> pd.DataFrame:
    """Run named query ``name``: its Cypher in a read-only transaction on a Neo4jStore, its
    library twin (``flowgraph.querytwins``) on any other store; same columns either way.

    ``data`` (a ``querytwins.QueryData``) lets several twin runs share one read of the store.

    Example (on a store with the scenario loaded)::

        frame = run_query(store, "lot_provenance", {"lot_id": "L-1"})
    """
    query = get_query(name)
    values = bind(query, params or {})
    if isinstance(store, CypherReads):
        return run_read(store, query.text, values, label=f"query {name}")
    from flowgraph.querytwins import TWINS, QueryData, run_twin

    if name not in TWINS:
        raise UsageError(f"query {name} runs on Neo4j only (it is a Cypher detector)")
    return run_twin(data if data is not None else QueryData.from_store(store), name, values)


def run_read(store, text: str, params: dict[str, Any], label: str = "query") -> pd.DataFrame:
    """Run Cypher ``text`` with ``params`` in a READ transaction on a Neo4j store
    (``Neo4jStore.read``), naming ``label`` when the server refuses it.

    A statement that tries to write is refused by the server; that becomes a UsageError.
    """
    try:
        return store.read(text, **params)
    except QueryRefused as e:
        if e.wrote:
            raise UsageError(
                f"{label} tried to write; named queries run read-only ({e.reason})"
            ) from e
        raise UsageError(f"{label} failed: {e.reason}") from e
