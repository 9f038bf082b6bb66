"""``flowgraph trace LOT_ID``: a lot's provenance up to its origins (or where it went)."""

from __future__ import annotations

import json

import click

from flowgraph.analysis.provenance import trace_downstream, trace_upstream
from flowgraph.cli.context import AppContext, pass_app, warn_without_registry

BREAK = "!! BREAK"


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def _kg(x: float | None) -> str:
    return "?" if x is None else f"{x:,.1f}"


def _node_line(node: dict) -> str:
    kind = node["kind"]
    share = f"{100 * node['contribution']:.1f}%"
    if node.get("ref"):
        name = node.get("lot_id") or node.get("batch_id")
        return f"{share}  {kind} {name} (shown above)"
    if kind == "lot" and node["origin"] in ("unknown", "cycle"):
        return f"{share}  lot {node['lot_id']} {node['product'] or '?'} at {node['enterprise_id']}"
    if kind == "lot":
        return (
            f"{share}  lot {node['lot_id']} {node['product'] or '?'} by {node['enterprise_id']}"
            f" - {_kg(node['created_reo_kg'])} kg REO, traceable {_pct(node['traceable_share'])}"
        )
    if kind == "batch":
        return (
            f"{share}  batch {node['batch_id']} at {node['enterprise_id']}: "
            f"{_kg(node['reo_consumed_kg'])} kg REO in -> {_kg(node['reo_produced_kg'])} out"
        )
    return f"{share}  {_origin_text(node)}"


def _origin_text(o: dict) -> str:
    kind = o["kind"]
    if kind == "mine":
        return (
            f"ORIGIN mine: {o['lot_id']} extracted by {o['enterprise_id']} on {o['date']}, "
            f"licence {o['licence_no']}"
        )
    if kind == "import":
        return (
            f"ORIGIN import: {o['lot_id']} by {o['enterprise_id']} on {o['date']} from "
            f"{o['country']}, customs {o['document_ref']}"
        )
    if kind == "undesignated_extraction":
        return (
            f"{BREAK} undesignated extraction: {o['lot_id']} by {o['enterprise_id']} "
            f"on {o['date']} (no mining designation that day)"
        )
    if kind == "undocumented_import":
        return (
            f"{BREAK} undocumented import: {o['lot_id']} by {o['enterprise_id']} "
            f"(country {o['country'] or 'missing'}, customs {o['document_ref'] or 'missing'})"
        )
    if kind == "batch_gain":
        return (
            f"{BREAK} batch gain: {o['batch_id']} at {o['enterprise_id']} yields "
            f"{_kg(o['reo_kg'])} kg REO more than it consumed"
        )
    if kind == "cycle":
        return f"{BREAK} lineage cycle: {o['lot_id']} derives from itself"
    return f"{BREAK} unknown lot: {o['lot_id']} (held by {o['enterprise_id']}) never created"


def render_upstream(t: dict) -> str:
    """The upstream trace as an indented tree, then the origins and breaks."""
    lines = [
        f"Lot {t['lot_id']} ({t['product'] or '?'}): traceable {_pct(t['traceable_share'])}, "
        f"untraceable {_pct(t['untraceable_share'])} of its REO",
        "",
    ]
    stack = [(t["tree"], 0)]
    while stack:
        node, depth = stack.pop()
        lines.append("  " * depth + _node_line(node))
        for child in reversed(node.get("sources", [])):
            stack.append((child, depth + 1))
    lines += ["", "Origins (share of the lot's REO):"]
    lines += [f"  {_pct(o['share'])}  {_origin_text(o)}" for o in t["origins"]]
    if t["breaks"]:
        lines += ["", f"{BREAK}S: {len(t['breaks'])} point(s) where traceability breaks:"]
        lines += [f"  {_pct(b['share'])}  {b['kind']}: {b['detail']}" for b in t["breaks"]]
    else:
        lines += [
            "",
            "No breaks: every kg of REO traces to a designated mine or documented import.",
        ]
    return "\n".join(lines)


def render_downstream(d: dict) -> str:
    """The downstream trace as the JSON nests it: each lot's events in date order, each batch
    followed by the lots it made (indented under it), each output lot with the part of its REO
    that came from the traced lot; a shipment nobody confirmed receiving is marked."""
    lines: list[str] = []
    _downstream_lines(d, 0, 1.0, lines)
    return "\n".join(lines)


def _downstream_lines(node: dict, depth: int, share: float, lines: list[str]) -> None:
    """``share``: the fraction of this lot's REO that came from the traced lot."""
    pad = "  " * depth
    if node.get("ref"):
        lines.append(f"{pad}lot {node['lot_id']} (shown above)")
        return
    head = f"{pad}lot {node['lot_id']} {node['product'] or '?'}"
    if "reo_kg" in node:
        head += f" - {_kg(node['mass_kg'])} kg, {_kg(node['reo_kg'])} kg REO made by the batch"
        if share < 1 - 1e-9:
            head += (
                f"; {_kg(node['reo_kg'] * share)} kg REO of it from the traced lot "
                f"({100 * share:.1f}%)"
            )
    lines.append(head)
    received = {(r["enterprise_id"], r["shipment_id"]) for r in node["receipts"]}
    items: list[tuple[str, int, str, dict | None]] = []
    for c in node["created"]:
        text = f"created: {c['event_type']} by {c['enterprise_id']}"
        items.append((c["date"], 0, f"{text} {c['date']} {_amount(c)}", None))
    for r in node["receipts"]:
        text = f"received by {r['enterprise_id']} from {r['sender']} {r['date']}"
        items.append((r["date"], 1, f"{text} shipment {r['shipment_id']}: {_amount(r)}", None))
    for s in node["ships"]:
        text = f"shipped by {s['enterprise_id']} to {s['to']} {s['date']}"
        text += f" shipment {s['shipment_id']}: {_amount(s)}"
        if (s["to"], s["shipment_id"]) not in received:
            text += f"  !! no receipt by {s['to']} in the loaded uploads"
        items.append((s["date"], 2, text, None))
    for e in node["exports"]:
        text = f"exported by {e['enterprise_id']} to {e['country']} {e['date']}"
        items.append((e["date"], 2, f"{text} shipment {e['shipment_id']}: {_amount(e)}", None))
    for x in node["losses"]:
        text = f"loss at {x['enterprise_id']} {x['date']}: {_amount(x)} {x['note'] or ''}"
        items.append((x["date"], 2, text.rstrip(), None))
    for b in node["batches"]:
        text = f"fed batch {b['batch_id']} at {b['enterprise_id']} {b['date']}: {_amount(b)}"
        items.append((b["date"], 3, text, b))
    for _date, _order, text, batch in sorted(items, key=lambda item: (item[0] or "", item[1])):
        lines.append(f"{pad}  {text}")
        if batch is None:
            continue
        consumed = batch.get("consumed_reo_kg") or 0.0
        part = share * batch["reo_kg"] / consumed if consumed > 0 else 0.0
        for out in batch["outputs"]:
            _downstream_lines(out, depth + 2, part, lines)
    for s in node["stock"]:  # declarations, not flows: after the events
        lines.append(f"{pad}  latest stock at {s['enterprise_id']} {s['period']}: {_amount(s)}")


def _amount(row: dict) -> str:
    return f"{_kg(row['mass_kg'])} kg ({_kg(row['reo_kg'])} kg REO)"


def target_line(target) -> str:
    """Which lots a shipment or batch id stands for (one line above the trees)."""
    at = ", ".join(target.enterprises)
    if target.kind == "shipment":
        return f"Shipment {target.ident} (rows of {at}) carries {len(target.lots)} lot(s): " + (
            ", ".join(target.lots)
        )
    return f"Batch {target.ident} at {at}: tracing {target.note}: " + ", ".join(target.lots)


@click.command()
@click.argument("lot_id", metavar="ID")
@click.option("--downstream", is_flag=True, help="Show where the lot went instead of its origins.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_app
def trace(app: AppContext, lot_id: str, downstream: bool, fmt: str) -> None:
    """Show a lot's provenance: upstream to its origins, with the REO share of each.

    ID is a lot id, or a shipment id (its lots are traced) or a batch id (its output
    lots, or its inputs when it produced nothing); the command says which lots it traces.
    Origins are extractions by mines designated on the day and imports with country and
    customs document; every other source of REO (unknown lots, undesignated extraction,
    undocumented imports, batch gains, lineage cycles) is marked as a break.
    With --downstream: where the lot's material went (shipments, batches and their
    output lots, exports, losses, latest stock).

    \b
    Example:
      flowgraph trace NDO-2024-0311
      flowgraph trace NDO-2024-0311 --format json
      flowgraph trace ORE-17-0042 --downstream
      flowgraph trace SNRM1241000123            # a shipment: each lot it carries
    """
    from flowgraph.analysis.prepared import PreparedEvents
    from flowgraph.analysis.tracescope import trace_events
    from flowgraph.analysis.tracetargets import trace_target

    store = app.store()
    events = trace_events(store, lot_id, downstream=downstream)
    target = trace_target(events, lot_id)
    if downstream:
        view = PreparedEvents(events) if len(target.lots) > 1 else events  # one view, many lots
        results = [trace_downstream(view, lot) for lot in target.lots]
        text = render_downstream
    else:
        registry = store.registry()
        warn_without_registry(registry)
        view = PreparedEvents(events, registry) if len(target.lots) > 1 else events
        results = [trace_upstream(view, registry, lot) for lot in target.lots]
        text = render_upstream
    if target.kind == "lot":
        (result,) = results
        click.echo(
            json.dumps(result, indent=2, ensure_ascii=False) if fmt == "json" else text(result)
        )
        return
    if fmt == "json":
        doc = {
            "kind": target.kind,
            "id": target.ident,
            "enterprises": list(target.enterprises),
            "lots": list(target.lots),
            "traces": results,
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    click.echo(target_line(target))
    for result in results:
        click.echo("")
        click.echo(text(result))
