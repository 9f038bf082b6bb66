"""The graph ``flowgraph load`` builds in Neo4j, as node and relationship tables for
``neo4j-admin database import`` (pure: frames in, frames out).

Input: every upload (current and superseded, ``Store.uploads(include_history=True)``), the
current events and the superseded uploads' events (both in the EVENT_COLUMNS schema). Output:
``{name: (kind, label or type, frame)}`` whose frames carry neo4j-admin CSV headers
(``id:ID(Lot)``, ``mass_kg:double``, ``:START_ID(Enterprise)`` ...). The graph is the one the
Bolt path leaves after loading the same files one by one (flowgraph/store/neo4j_schema.py):

- every event one relationship carrying its columns (EXTRACTED, IMPORTED, SENT, RECEIVED,
  EXPORTED, INPUT_TO, YIELDED, LOST, HELD); superseded uploads' events as (:Event) nodes under
  ``(:Upload)-[:RECORDED]->``;
- (:Enterprise) for every uploader and counterparty ever named; (:Lot), (:Shipment), (:Batch)
  for what the current events name, with TO / FROM / CARRIES / RAN links from current events;
- a lot's ``product``, ``family``, ``reo_pct``: those of the last creating row written (files in
  upload order, a file's rows by event type in the store's write order, then row), else the
  product of the first row naming it (the Bolt path's SET / ON CREATE SET);
- (:Upload) with its history (``current``, ``superseded_by``, SUPERSEDES) and the id lists the
  cross-upload check reads; (:Counter {name: 'upload'}) holds the last upload id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowgraph.model import CREATING_TYPES, EVENT_COLUMNS, PRODUCTS
from flowgraph.store.neo4j_schema import EVENT_RELATIONSHIPS, EVENT_TYPES

# The relationship's start and end node id space per event type.
ENDS: dict[str, tuple[str, str]] = {
    "extract": ("Enterprise", "Lot"),
    "import": ("Enterprise", "Lot"),
    "ship": ("Enterprise", "Shipment"),
    "receive": ("Enterprise", "Shipment"),
    "export": ("Enterprise", "Lot"),
    "consume": ("Lot", "Batch"),
    "produce": ("Batch", "Lot"),
    "loss": ("Enterprise", "Lot"),
    "stock": ("Enterprise", "Lot"),
}
_TYPED = {
    "date": "date",
    "mass_kg": "double",
    "reo_pct": "double",
    "source_row": "long",
    "upload_id": "long",
}
PROPERTY_HEADERS = {c: f"{c}:{_TYPED[c]}" if c in _TYPED else c for c in EVENT_COLUMNS}
_FAMILY = {code: p.family for code, p in PRODUCTS.items()}
_WRITE_ORDER = {kind: i for i, kind in enumerate(EVENT_TYPES)}

Table = tuple[str, str, pd.DataFrame]  # ("nodes" | "relationships", label or type, frame)


def _props(events: pd.DataFrame) -> pd.DataFrame:
    """The event columns under their typed headers (dates as ISO text, NaN left empty)."""
    out = pd.DataFrame(index=events.index)
    for column in EVENT_COLUMNS:
        values = events[column]
        if column == "date":
            values = values.dt.strftime("%Y-%m-%d")
        out[PROPERTY_HEADERS[column]] = values
    return out


def _batch_keys(events: pd.DataFrame) -> pd.Series:
    return events["enterprise_id"].astype(str) + "/" + events["batch_id"].astype(str)


def event_relationships(events: pd.DataFrame) -> dict[str, Table]:
    """One relationship table per event type of the current events."""
    tables: dict[str, Table] = {}
    for kind, rows in events.groupby("event_type", sort=False):
        start, end = ENDS[kind]
        ends = {
            "Enterprise": rows["enterprise_id"],
            "Lot": rows["lot_id"],
            "Shipment": rows["shipment_id"],
            "Batch": _batch_keys(rows) if kind in ("consume", "produce") else None,
        }
        frame = pd.DataFrame({f":START_ID({start})": ends[start], f":END_ID({end})": ends[end]})
        frame = pd.concat([frame, _props(rows)], axis=1)
        tables[f"rel_{kind}"] = ("relationships", EVENT_RELATIONSHIPS[kind], frame)
    return tables


def lot_nodes(current: pd.DataFrame, written: pd.DataFrame) -> pd.DataFrame:
    """(:Lot) rows for the lots current events name; ``written``: every row ever stored."""
    order = written.assign(_w=written["event_type"].map(_WRITE_ORDER))
    order = order.sort_values(["upload_id", "_w", "source_row"], kind="stable")
    created = order[order["event_type"].isin(CREATING_TYPES)].drop_duplicates("lot_id", keep="last")
    first = order.drop_duplicates("lot_id", keep="first")
    first = first[~first["lot_id"].isin(created["lot_id"])].assign(reo_pct=np.nan)
    props = pd.concat([created, first])[["lot_id", "product", "reo_pct"]].set_index("lot_id")
    lots = pd.Index(current["lot_id"].dropna().unique())
    props = props.reindex(lots)
    return pd.DataFrame(
        {
            "id:ID(Lot)": lots,
            "product": props["product"].to_numpy(),
            "family": props["product"].map(_FAMILY).to_numpy(),
            "reo_pct:double": props["reo_pct"].to_numpy(),
        }
    )


def _links(frame: pd.DataFrame, start: str, end: str, a: str, b: str) -> pd.DataFrame:
    pairs = frame[[a, b]].dropna().drop_duplicates()
    return pd.DataFrame({f":START_ID({start})": pairs[a], f":END_ID({end})": pairs[b]})


def graph_tables(
    uploads: pd.DataFrame,
    current: pd.DataFrame,
    history: pd.DataFrame,
    id_lists: dict[int, tuple[list[str], list[str]]],
) -> dict[str, Table]:
    """Every node and relationship table of the graph (see the module docstring).

    ``id_lists``: upload id -> (event ids, batch ids) in file order, for the (:Upload) nodes.
    """
    written = pd.concat([current, history], ignore_index=True)
    tables = event_relationships(current)
    counterparties = written["counterparty_id"].dropna()
    enterprises = pd.Index(
        pd.concat([uploads["enterprise_id"], written["enterprise_id"], counterparties]).unique()
    )
    tables["enterprises"] = (
        "nodes",
        "Enterprise",
        pd.DataFrame({"id:ID(Enterprise)": enterprises}),
    )
    tables["lots"] = ("nodes", "Lot", lot_nodes(current, written))
    moves = current[current["event_type"].isin(("ship", "receive"))]
    shipments = moves["shipment_id"].dropna().unique()
    tables["shipments"] = ("nodes", "Shipment", pd.DataFrame({"id:ID(Shipment)": shipments}))
    batches = current[current["event_type"].isin(("consume", "produce"))]
    batches = batches.assign(_key=_batch_keys(batches)).drop_duplicates("_key")
    tables["batches"] = (
        "nodes",
        "Batch",
        pd.DataFrame(
            {
                "key:ID(Batch)": batches["_key"],
                "id": batches["batch_id"],
                "enterprise_id": batches["enterprise_id"],
            }
        ),
    )
    sent = moves[moves["event_type"] == "ship"]
    received = moves[moves["event_type"] == "receive"]
    tables["to"] = (
        "relationships",
        "TO",
        _links(sent, "Shipment", "Enterprise", "shipment_id", "counterparty_id"),
    )
    tables["from"] = (
        "relationships",
        "FROM",
        _links(received, "Shipment", "Enterprise", "shipment_id", "counterparty_id"),
    )
    tables["carries"] = (
        "relationships",
        "CARRIES",
        _links(moves, "Shipment", "Lot", "shipment_id", "lot_id"),
    )
    ran = batches.assign(_e=batches["enterprise_id"])
    tables["ran"] = ("relationships", "RAN", _links(ran, "Enterprise", "Batch", "_e", "_key"))
    tables.update(upload_tables(uploads, id_lists))
    tables.update(history_tables(history))
    return tables


def upload_tables(
    uploads: pd.DataFrame, id_lists: dict[int, tuple[list[str], list[str]]]
) -> dict[str, Table]:
    """(:Upload) nodes, UPLOADED and SUPERSEDES, and the upload id (:Counter)."""
    ids = uploads["upload_id"].astype("int64")
    sep = "\x1f"  # the array delimiter the import runs with (ids may hold ';' or ',')
    nodes = pd.DataFrame(
        {
            ":ID(Upload)": ids.astype(str),
            "upload_id:long": ids,
            "enterprise_id": uploads["enterprise_id"],
            "period": uploads["period"],
            "revision:long": uploads["revision"].astype("int64"),
            "file_name": uploads["file_name"],
            "sha256": uploads["sha256"],
            "loaded_at": uploads["loaded_at"],
            "events:long": uploads["events"].astype("int64"),
            "current:boolean": uploads["current"].map({True: "true", False: "false"}),
            "superseded_by:long": uploads["superseded_by"].astype("Int64"),
            "event_ids:string[]": [sep.join(id_lists[i][0]) for i in ids],
            "batch_ids:string[]": [sep.join(id_lists[i][1]) for i in ids],
        }
    )
    old = uploads[uploads["superseded_by"].notna()]
    supersedes = pd.DataFrame(
        {
            ":START_ID(Upload)": old["superseded_by"].astype("int64").astype(str),
            ":END_ID(Upload)": old["upload_id"].astype("int64").astype(str),
        }
    )
    uploaded = pd.DataFrame(
        {":START_ID(Enterprise)": uploads["enterprise_id"], ":END_ID(Upload)": ids.astype(str)}
    )
    counter = pd.DataFrame(
        {":ID(Counter)": ["upload"], "name": ["upload"], "value:long": [int(ids.max())]}
    )
    return {
        "uploads": ("nodes", "Upload", nodes),
        "uploaded": ("relationships", "UPLOADED", uploaded),
        "supersedes": ("relationships", "SUPERSEDES", supersedes),
        "counter": ("nodes", "Counter", counter),
    }


def history_tables(history: pd.DataFrame) -> dict[str, Table]:
    """Superseded uploads' events as (:Event) nodes under (:Upload)-[:RECORDED]->."""
    keys = pd.Series(np.arange(len(history)), index=history.index).map("h{}".format)
    nodes = pd.concat([pd.DataFrame({":ID(Event)": keys}), _props(history)], axis=1)
    recorded = pd.DataFrame(
        {
            ":START_ID(Upload)": history["upload_id"].astype("int64").astype(str),
            ":END_ID(Event)": keys,
        }
    )
    return {
        "history": ("nodes", "Event", nodes),
        "recorded": ("relationships", "RECORDED", recorded),
    }


def numbered(tables: dict[str, Table]) -> dict[str, Table]:
    """The same tables with every node numbered for ``--id-type=actual``: node tables get ``:ID``
    = their node's record id (0, 1, ... over all node tables in order), the keys they were
    found by (``id:ID(Lot)``, ``key:ID(Batch)``) become plain properties (``:ID(Upload)``,
    which names no property, is dropped), and relationship ends name those numbers.

    The importer then maps no string ids at all (on 2.1 M relationships at scale 100 that was
    about a quarter of its CPU time).

    >>> lots = pd.DataFrame({"id:ID(Lot)": ["L1", "L2"]})
    >>> carries = pd.DataFrame({":START_ID(Lot)": ["L2"], ":END_ID(Lot)": ["L1"]})
    >>> out = numbered({"lots": ("nodes", "Lot", lots), "r": ("relationships", "R", carries)})
    >>> out["lots"][2].values.tolist(), out["r"][2].values.tolist()
    ([[0, 'L1'], [1, 'L2']], [[1, 0]])
    """
    out: dict[str, Table] = {}
    groups: dict[str, tuple[pa.Array, int]] = {}  # id space -> (its keys in node order, first id)
    offset = 0
    for name, (kind, label, frame) in tables.items():
        if kind != "nodes":
            continue
        column = next(c for c in frame.columns if ":ID(" in c)
        prop, group = column[: column.index(":ID(")], column[column.index("(") + 1 : -1]
        groups[group] = (_text(frame[column]), offset)
        renamed = frame.drop(columns=[column]) if not prop else frame.rename(columns={column: prop})
        renamed.insert(0, ":ID", np.arange(offset, offset + len(frame), dtype="int64"))
        out[name] = (kind, label, renamed)
        offset += len(frame)
    for name, (kind, label, frame) in tables.items():
        if kind == "nodes":
            continue
        frame = frame.copy(deep=False)  # only the two end columns are replaced
        ends = frame.columns[:2]  # ":START_ID(Group)", ":END_ID(Group)"
        for column in ends:
            group = column[column.index("(") + 1 : -1]
            keys, first = groups[group]
            found = pc.index_in(_text(frame[column]), value_set=keys)
            position = found.fill_null(-1).to_numpy()
            if (position < 0).any():  # an end no node table holds: a bug in graph_tables
                missing = frame[column][position < 0].iloc[0]
                raise ValueError(f"{name}: {column} {missing!r} names no {group} node")
            frame[column] = position + first
        frame.columns = [c[: c.index("(")] for c in ends] + list(frame.columns[2:])
        out[name] = (kind, label, frame)
    return {name: out[name] for name in tables}


def _text(values: pd.Series) -> pa.Array:
    """Node keys as Arrow text (upload ids are numbers written as text; an empty column has
    no text type of its own)."""
    return pa.array(values.astype(str), type=pa.string())
