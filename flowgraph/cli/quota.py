"""``flowgraph quota``: quota burn-down per enterprise and activity."""

from __future__ import annotations

import json
import re

import click
import pandas as pd

from flowgraph.analysis.burndown import burndown_year, quota_burndown
from flowgraph.cli.context import AppContext, pass_app, warn_without_registry
from flowgraph.cli.options import format_option
from flowgraph.spreadsheet import frame_to_csv

_AS_OF = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-\d{2})?$")


def _as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not _AS_OF.match(value):
        raise click.BadParameter(f"{value!r} is not a month like 2024-06 or a day", ctx, param)
    return value


def _records(table: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: NaN -> null, numpy scalars -> Python."""
    out = []
    for rec in table.astype(object).to_dict("records"):
        out.append({k: (None if pd.isna(v) else v) for k, v in rec.items()})
    for rec in out:
        for key in ("year", "months"):
            rec[key] = int(rec[key]) if rec[key] is not None else None
        for key in ("quota_t_reo", "used_t_reo", "share_used", "monthly_rate"):
            rec[key] = float(rec[key]) if rec[key] is not None else None
        rec["over"] = bool(rec["over"])
    return out


def render_table(table: pd.DataFrame, year: int | None = None) -> str:
    """A fixed-width table an investigator can read in a terminal."""
    if table.empty:
        when = f"for {year}" if year is not None else "for any year"
        return f"No quota rows and no extraction or smelting {when}."
    width = max(10, int(table["enterprise_id"].astype(str).str.len().max()))
    head = (
        f"{'enterprise':<{width}} {'activity':<9} {'quota t':>10} {'used t':>10} {'used':>5} "
        f"{'t/month':>9} {'crossed':>8} {'projected':>9}  name"
    )
    lines = [f"Quota burn-down {int(table['year'].iloc[0])}", head, "-" * len(head)]
    for r in table.itertuples(index=False):
        quota = "no quota" if pd.isna(r.quota_t_reo) else f"{r.quota_t_reo:,.1f}"
        used = "" if pd.isna(r.share_used) else f"{100 * r.share_used:.0f}%"
        flag = "  OVER" if r.over else ""
        lines.append(
            f"{r.enterprise_id:<{width}} {r.activity:<9} {quota:>10} {r.used_t_reo:>10,.1f} "
            f"{used:>5} {r.monthly_rate:>9,.2f} {r.crossed or '':>8} "
            f"{r.projected_crossing or '':>9}  {r.name or ''}{flag}"
        )
    return "\n".join(lines)


@click.command()
@click.option("--year", type=click.IntRange(1900, 2999), help="Quota year (default: latest).")
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM[-DD]",
    callback=_as_of,
    help="Count only events up to this month or day.",
)
@format_option("table", "csv", "json")
@pass_app
def quota(app: AppContext, year: int | None, as_of: str | None, fmt: str) -> None:
    """Quota burn-down: REO used against each annual quota, with crossing month and projection.

    Mining use is REO extracted in the year; smelting use is REO produced in batches that
    consume mineral products. Enterprises that used REO for an activity without a quota
    that year are listed too (quota empty).

    \b
    Example:
      flowgraph quota --year 2024
      flowgraph quota --year 2024 --as-of 2024-06 --format csv > burndown.csv
    """
    store = app.store()
    registry = store.registry()
    warn_without_registry(registry)
    events = store.events(encoded=True)
    table = quota_burndown(events, registry, year=year, as_of=as_of)
    if fmt == "csv":
        click.echo(frame_to_csv(table), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(_records(table), indent=2, ensure_ascii=False))
    else:
        click.echo(render_table(table, burndown_year(events, registry, year, as_of)))
