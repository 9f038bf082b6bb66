"""``flowgraph query``: run a named investigator query (Cypher on Neo4j, its twin elsewhere)."""

from __future__ import annotations

import json

import click
import pandas as pd

from flowgraph.cli.context import AppContext, pass_app
from flowgraph.cli.texttable import frame_table
from flowgraph.errors import UsageError
from flowgraph.spreadsheet import frame_to_csv


def _params(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", ctx, param)
        out[name.strip()] = value
    return out


def _listing() -> str:
    from flowgraph.querylib import list_queries

    lines = []
    for name, query in list_queries().items():
        params = " ".join(
            f"{p.name}:{p.type}" if p.required else f"[{p.name}:{p.type}]" for p in query.params
        )
        lines.append(f"{name}  {params}".rstrip())
        lines.append(f"    {query.purpose}")
    return "\n".join(lines)


def _json_default(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _render(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return frame_to_csv(frame).rstrip("\n")
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        return json.dumps(records, ensure_ascii=False, default=_json_default, indent=1)
    if frame.empty:
        return "(no rows) columns: " + ", ".join(frame.columns)
    return frame_table(frame)


@click.command()
@click.argument("name", required=False)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_params,
    help="A query parameter (repeatable), e.g. -p lot_id=L-0001.",
)
@click.option("--list", "list_", is_flag=True, help="List the named queries and their parameters.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@pass_app
def query(app: AppContext, name: str | None, params: dict, list_: bool, fmt: str) -> None:
    """Run the named query NAME from queries/, read-only: its Cypher on a Neo4j store, its
    library twin (same columns) on the embedded store.

    \b
    Example:
      flowgraph query --list
      flowgraph query unmatched_shipments -p period=2024-03
      flowgraph --store bolt://127.0.0.1:7687 query lot_provenance -p lot_id=L-0001
    """
    from flowgraph.querylib import bind, get_query, run_query
    from flowgraph.store import is_neo4j_uri

    if list_:
        click.echo(_listing())
        return
    if name is None:
        raise UsageError("name a query (see `flowgraph query --list`)")
    named = get_query(name)
    bind(named, params)  # unknown / missing parameters fail before touching the store
    if name.startswith("detect_") and not is_neo4j_uri(app.store_uri):
        raise UsageError(
            f"{name} is a Cypher detector and runs on Neo4j only; on the embedded store "
            "use `flowgraph detect --type ...`"
        )
    frame = run_query(app.store(), name, params)
    click.echo(_render(frame, fmt))
