"""Cytoscape elements (nodes and edges) from the library's provenance traces. Pure functions.

Node classes: lot, batch, enterprise, origin, sink, and ``break`` where traceability breaks
(red). Every edge carries ``rows``: which event rows stand behind it (the Lot page lists them
when the edge is clicked). Node data ``kind`` / ``ref`` say what a click opens.

>>> tree = {"kind": "lot", "lot_id": "X", "product": "ND_OXIDE", "contribution": 1.0,
...     "sources": [{"kind": "mine", "lot_id": "X", "enterprise_id": "M1", "contribution": 1.0}]}
>>> [e["data"]["id"] for e in upstream_elements({"tree": tree})]
['l:X', 'o:0', 'o:0>l:X']
"""

from __future__ import annotations

BREAKS = {"unknown_lot", "undesignated_extraction", "undocumented_import", "batch_gain", "cycle"}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _lot(node: dict, focus: bool = False) -> dict:
    classes = "lot" + (" break" if node.get("origin") in ("unknown", "cycle") else "")
    label = f"{node['lot_id']}\n{node.get('product') or '?'}"
    if "traceable_share" in node:
        label += f"\n{_pct(node['traceable_share'])}"
    return {"data": {"id": f"l:{node['lot_id']}", "label": label, "kind": "lot",
                     "ref": node["lot_id"]}, "classes": classes + (" focus" if focus else "")}  # fmt: skip


def _batch_id(node: dict) -> str:
    return f"b:{node.get('enterprise_id') or ''}/{node['batch_id']}"


def _batch(node: dict) -> dict:
    return {"data": {"id": _batch_id(node), "label": f"{node['batch_id']}\n@{node.get('enterprise_id') or '?'}",
                     "kind": "batch", "ref": node["batch_id"],
                     "enterprise": node.get("enterprise_id") or ""},
            "classes": "batch"}  # fmt: skip


def _leaf_label(leaf: dict, _, names: dict) -> str:
    kind = leaf["kind"]
    who = leaf.get("enterprise_id") or "?"
    who = names.get(who, who)  # a registry name reads better than an 18-character code
    text = {
        "mine": _("mine {who}"),
        "import": _("import by {who}"),
        "unknown_lot": _("never created"),
        "undesignated_extraction": _("undesignated extraction by {who}"),
        "undocumented_import": _("undocumented import by {who}"),
        "batch_gain": _("batch gain at {who}"),
        "cycle": _("lineage cycle"),
    }.get(kind, kind)
    extra = leaf.get("country") if kind == "import" else None
    return text.format(who=who) + (f" ({extra})" if extra else "")


def upstream_elements(trace: dict, _=None, names: dict | None = None) -> list[dict]:
    """Nodes and edges of ``trace_upstream(...)``: material flows from origins to the lot; edge
    labels are the share of the traced lot's REO through them."""
    _ = _ or (lambda s: s)
    names = names or {}
    nodes: dict[str, dict] = {}
    edges: list[dict] = []
    batch_ids: dict[str, str] = {}
    leaves = 0

    def edge(source: str, target: str, share: float, rows: dict, broken: bool) -> None:
        edges.append({"data": {"id": f"{source}>{target}", "source": source, "target": target,
                               "label": _pct(share), "rows": rows},
                      "classes": "break" if broken else ""})  # fmt: skip

    def visit(node: dict, focus: bool = False) -> str:
        nonlocal leaves
        kind = node["kind"]
        if kind == "lot":
            nid = f"l:{node['lot_id']}"
            if not node.get("ref"):
                nodes[nid] = _lot(node, focus)
        elif kind == "batch":
            nid = batch_ids.get(node["batch_id"]) if node.get("ref") else _batch_id(node)
            nid = nid or _batch_id(node)
            if not node.get("ref"):
                nodes[nid] = _batch(node)
                batch_ids.setdefault(node["batch_id"], nid)
        else:
            nid = f"o:{leaves}"
            leaves += 1
            broken = kind in BREAKS
            nodes[nid] = {"data": {"id": nid, "label": _leaf_label(node, _, names), "kind": "enterprise",
                                   "ref": node.get("enterprise_id") or ""},
                          "classes": "origin break" if broken else "origin"}  # fmt: skip
            return nid
        for source in node.get("sources", []):
            sid = visit(source)
            broken = source["kind"] in BREAKS or (
                source["kind"] == "lot" and source.get("origin") in ("unknown", "cycle")
            )
            edge(sid, nid, source.get("contribution", 0.0), _rows_up(node, source), broken)
        return nid

    visit(trace["tree"], focus=True)
    return list(nodes.values()) + edges


def _rows_up(consumer: dict, source: dict) -> dict:
    """The event rows behind an upstream edge source -> consumer."""
    if consumer["kind"] == "batch":  # a lot consumed by the batch
        return {"event_type": ["consume"], "lot_id": source.get("lot_id"),
                "batch_id": consumer["batch_id"], "enterprise_id": consumer.get("enterprise_id")}  # fmt: skip
    if source["kind"] == "batch":  # the batch produced the lot
        return {"event_type": ["produce"], "lot_id": consumer["lot_id"],
                "batch_id": source["batch_id"], "enterprise_id": source.get("enterprise_id")}  # fmt: skip
    return {"event_type": ["extract", "import", "produce", "receive", "consume", "ship", "export"],
            "lot_id": consumer["lot_id"], "enterprise_id": source.get("enterprise_id")}  # fmt: skip


def downstream_elements(down: dict, _=None) -> list[dict]:
    """Nodes and edges of ``trace_downstream(...)``: where the lot's material went (tonnes REO
    on the edges): shipments to enterprises, batches and their outputs, exports, losses."""
    _ = _ or (lambda s: s)
    nodes: dict[str, dict] = {}
    edges: list[dict] = []

    def edge(source: str, target: str, reo_kg: float, rows: dict) -> None:
        eid = f"{source}>{target}"
        for e in edges:
            if e["data"]["id"] == eid:
                e["data"]["reo_kg"] += reo_kg
                e["data"]["label"] = f"{e['data']['reo_kg'] / 1000:,.2f} t"
                return
        edges.append({"data": {"id": eid, "source": source, "target": target, "reo_kg": reo_kg,
                               "label": f"{reo_kg / 1000:,.2f} t", "rows": rows}})  # fmt: skip

    def visit(node: dict, focus: bool = False) -> str:
        lid = f"l:{node['lot_id']}"
        if node.get("ref"):
            return lid
        nodes[lid] = _lot(node, focus)
        lot = node["lot_id"]
        for ship in node.get("ships", []):
            to = f"e:{ship['to']}"
            nodes.setdefault(to, {"data": {"id": to, "label": ship["to"], "kind": "enterprise",
                                           "ref": ship["to"]}, "classes": "enterprise"})  # fmt: skip
            edge(lid, to, ship["reo_kg"], {"event_type": ["ship"], "lot_id": lot,
                                           "counterparty_id": ship["to"]})  # fmt: skip
        for export in node.get("exports", []):
            sink = f"x:{export.get('country') or '?'}"
            nodes.setdefault(sink, {"data": {"id": sink, "label": _("export to {country}").format(
                country=export.get("country") or "?"), "kind": "sink", "ref": ""},
                "classes": "sink"})  # fmt: skip
            edge(lid, sink, export["reo_kg"], {"event_type": ["export"], "lot_id": lot})
        for loss in node.get("losses", []):
            sink = "x:loss"
            nodes.setdefault(sink, {"data": {"id": sink, "label": _("declared losses"),
                                             "kind": "sink", "ref": ""}, "classes": "sink"})  # fmt: skip
            edge(lid, sink, loss["reo_kg"], {"event_type": ["loss"], "lot_id": lot})
        for batch in node.get("batches", []):
            bid = _batch_id(batch)
            nodes.setdefault(bid, _batch(batch))
            edge(lid, bid, batch["reo_kg"], {"event_type": ["consume"], "lot_id": lot,
                                             "batch_id": batch["batch_id"],
                                             "enterprise_id": batch.get("enterprise_id")})  # fmt: skip
            for output in batch.get("outputs", []):
                oid = visit(output)
                edge(bid, oid, output.get("reo_kg", 0.0), {"event_type": ["produce"],
                                                           "lot_id": output["lot_id"],
                                                           "batch_id": batch["batch_id"],
                                                           "enterprise_id": batch.get("enterprise_id")})  # fmt: skip
        return lid

    visit(down, focus=True)
    return list(nodes.values()) + edges
