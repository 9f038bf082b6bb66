"""The events a trace needs, read from the few uploads that hold them.

``flowgraph trace`` follows one lot's lineage; on a national store that touches a few dozen of
hundreds of uploads. ``trace_scope`` reads the uploads naming the traced id, finds the lots the
trace reaches in them (upstream: the inputs of the batches that made each lot; downstream: the
outputs of the batches each lot fed), adds the uploads naming those lots, and repeats until no
upload is added. A batch lives in one upload (a load rule), so the batch's consume and produce
rows come with the upload of any of its rows; every row of every lot reached is read, so the
trace computed on the scope equals the one on every event (tests/analysis/test_tracescope.py).

>>> from flowgraph.model import events_frame
>>> uploads = {
...     1: events_frame([{"event_type": "import", "date": "2024-01-02", "enterprise_id": "S1",
...                       "lot_id": "A", "mass_kg": 100, "reo_pct": 60, "country": "MM"}]),
...     2: events_frame([
...         {"event_type": "consume", "date": "2024-02-05", "enterprise_id": "S1",
...          "lot_id": "A", "mass_kg": 100, "batch_id": "B1"},
...         {"event_type": "produce", "date": "2024-02-06", "enterprise_id": "S1",
...          "lot_id": "X", "mass_kg": 60, "reo_pct": 100, "batch_id": "B1"}]),
...     3: events_frame([{"event_type": "loss", "date": "2024-03-02", "enterprise_id": "S2",
...                       "lot_id": "Z", "mass_kg": 1}])}
>>> holding = lambda ids: {u for u, e in uploads.items() if set(e["lot_id"]) & set(ids)
...                        or set(e["batch_id"].dropna()) & set(ids)}
>>> read = lambda chosen: pd.concat([uploads[u].assign(upload_id=u) for u in sorted(chosen)])
>>> sorted(trace_scope("X", holding, read, downstream=False)["upload_id"].unique().tolist())
[1, 2]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import pandas as pd

from flowgraph.analysis.tracetargets import trace_target
from flowgraph.errors import UsageError


def trace_scope(
    ident: str,
    uploads_holding: Callable[[Iterable[str]], set[int]],
    read: Callable[[set[int]], pd.DataFrame],
    *,
    downstream: bool,
) -> pd.DataFrame:
    """Every event of the uploads a trace of ``ident`` (a lot, shipment or batch id) reaches.

    ``uploads_holding(ids)``: the uploads with a row naming any of ``ids``; ``read(uploads)``:
    their events in store order. Raises UsageError when no upload names ``ident``.
    """
    chosen = uploads_holding([ident])
    if not chosen:
        raise UsageError(f"no lot, shipment or batch {ident} in the current uploads")
    while True:
        events = read(chosen)
        lots = _reached(events, trace_target(events, ident).lots, downstream)
        more = uploads_holding(lots) - chosen
        if not more:
            return events
        chosen |= more


def _reached(events: pd.DataFrame, start: Iterable[str], downstream: bool) -> set[str]:
    """The lots a trace from ``start`` reaches through the batches in ``events``, and the
    other lots of those batches' rows: a batch's REO in and out counts every input's and
    output's REO, whose percentage comes from the row that created that lot, wherever it is."""
    types = events["event_type"]
    keep = types.isin(("consume", "produce")).to_numpy() & events["batch_id"].notna().to_numpy()
    rows = events[keep]
    # downstream: a lot consumed by a batch reaches its outputs; upstream: the reverse
    source = "consume" if downstream else "produce"
    feeds: dict[str, set] = defaultdict(set)  # lot -> the batches it leads to
    gives: dict[tuple, set] = defaultdict(set)  # batch -> the lots it leads to
    members: dict[tuple, set] = defaultdict(set)  # batch -> every lot of its rows
    for kind, lot, enterprise, batch in zip(
        *(
            rows[c].astype(object).to_numpy()
            for c in ("event_type", "lot_id", "enterprise_id", "batch_id")
        ),
        strict=True,
    ):
        members[(enterprise, batch)].add(lot)
        if kind == source:
            feeds[lot].add((enterprise, batch))
        else:
            gives[(enterprise, batch)].add(lot)
    reached, frontier, batches = set(start), list(start), set()
    while frontier:
        lot = frontier.pop()
        for batch in feeds.get(lot, ()):
            batches.add(batch)
            for other in gives.get(batch, ()):
                if other not in reached:
                    reached.add(other)
                    frontier.append(other)
    return reached.union(*(members[batch] for batch in batches))


def trace_events(store, ident: str, *, downstream: bool) -> pd.DataFrame:
    """The store's events a trace of ``ident`` needs, dictionary-encoded: on a store that says
    which uploads name an id (``uploads_holding``: both stores do), only the uploads the trace
    reaches; on any other every current event.

    >>> from flowgraph.store.local import LocalStore
    >>> trace_events(LocalStore.open(":memory:"), "L1", downstream=False)
    Traceback (most recent call last):
    ...
    flowgraph.errors.UsageError: no lot, shipment or batch L1 in the current uploads
    """
    if not hasattr(store, "uploads_holding"):
        return store.events(encoded=True)
    return trace_scope(ident, store.uploads_holding, store.events_of_uploads, downstream=downstream)
