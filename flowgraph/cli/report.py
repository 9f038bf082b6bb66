"""``flowgraph report``: self-contained HTML reports (national flows Sankey, findings)."""

from __future__ import annotations

from pathlib import Path

import click

from flowgraph.cli.context import AppContext, pass_app, warn_without_registry
from flowgraph.cli.options import lang_option, period_option, year_option
from flowgraph.errors import UsageError

_BY = ("role", "enterprise", "province", "group")
_FAMILIES = ("mineral", "compound", "metal", "downstream")


def _output(value: str) -> Path:
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"{value}: is a directory; give a file name like report.html")
    if not path.parent.exists():
        raise UsageError(f"{value}: folder {path.parent} does not exist")
    return path


def _check_province(province: str, registry) -> None:
    """An unknown province is a typo, not an empty answer: exit 2 listing the known ones."""
    known = sorted({p for p in registry.enterprises["province"].dropna() if str(p).strip()})
    if province not in known:
        listed = ", ".join(known) if known else "none (no registry loaded)"
        raise UsageError(
            f"--province {province!r}: no enterprise of the registry is in it; known provinces: {listed}"
        )


def _window_options(func):
    return year_option()(period_option()(func))


@click.group()
def report() -> None:
    """HTML reports that open offline (plotly.js embedded): flows Sankey and findings."""


@report.command()
@click.option("-o", "--output", required=True, metavar="FILE.html", help="Write the page here.")
@_window_options
@click.option(
    "--product-family", type=click.Choice(_FAMILIES), help="Only lots of this product family."
)
@click.option("--province", help="Only enterprises of this province (registry).")
@click.option(
    "--by", type=click.Choice(_BY), default="role", show_default=True, help="What a node is."
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    help="Keep the N largest nodes per stage and fold the rest into 'other (K enterprises)' "
    "(without it the picture draws at most 12 per stage).",
)
@lang_option
@pass_app
def sankey(
    app: AppContext,
    output: str,
    year: int | None,
    period: str | None,
    product_family: str | None,
    province: str | None,
    by: str,
    top: int | None,
    lang: str | None,
) -> None:
    """National REO flows as a Plotly Sankey: origin -> mines -> smelter-separators ->
    processors / traders -> exports, domestic downstream, losses, closing stock.

    Untraceable REO is its own red band through every stage.

    \b
    Example:
      flowgraph report sankey --year 2024 -o flows-2024.html
      flowgraph report sankey --year 2024 --by province --top 8 -o provinces.html
    """
    from flowgraph.i18n import locale_language
    from flowgraph.reports.flows import flow_table, upload_count, window_label
    from flowgraph.reports.sankey import link_parts, sankey_title, write_sankey_html

    path = _output(output)
    store = app.store()
    events, registry = (
        store.events(encoded=True),
        store.registry(),
    )  # encoded: under half the memory
    warn_without_registry(registry)
    if province is not None:
        _check_province(province, registry)
    table = flow_table(
        events,
        registry,
        by=by,
        top=top,
        period=period,
        year=year,
        product_family=product_family,
        province=province,
    )
    window = window_label(period, year)
    language = lang or locale_language()
    title, shown_window = sankey_title(window, by, product_family, province, lang=language)
    write_sankey_html(
        table,
        path,
        title=title,
        period=shown_window,
        uploads=upload_count(events, period, year, registry, province),
        lang=language,
    )
    origin = table[table["source_stage"] == "origin"]
    if table.empty:
        click.echo(f"No REO flows in this selection ({window}): nothing to draw", err=True)
    click.echo(
        f"{len(link_parts(table)):,} links, {origin['reo_t'].sum():,.3f} t REO "
        f"({origin['untraceable_t'].sum():,.3f} t untraceable) written to {path}",
        err=True,
    )


@report.command()
@click.option("-o", "--output", required=True, metavar="FILE.html", help="Write the page here.")
@_window_options
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=15,
    show_default=True,
    help="Enterprises listed by untraceable REO.",
)
@click.option(
    "--max-evidence",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Event rows shown per finding.",
)
@click.option(
    "--max-findings",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Findings listed, the largest by REO (counts and totals cover all).",
)
@lang_option
@pass_app
def findings(
    app: AppContext,
    output: str,
    year: int | None,
    period: str | None,
    top: int,
    max_evidence: int,
    max_findings: int,
    lang: str | None,
) -> None:
    """Findings as HTML: summary, top enterprises by untraceable REO, quota burn-down,
    and every finding with the event rows that caused it (sortable).

    \b
    Example:
      flowgraph report findings --year 2024 -o findings-2024.html
      flowgraph report findings --year 2024 --lang zh-CN -o findings-2024-zh.html
    """
    from flowgraph.api import findings_report
    from flowgraph.config import tolerances_from
    from flowgraph.i18n import locale_language
    from flowgraph.reports.findings import write_findings_report
    from flowgraph.reports.flows import window_bounds

    path = _output(output)
    window_bounds(period, year)  # validates period against year before the store is opened
    store = app.store()
    warn_without_registry(store.registry())
    report = findings_report(
        store,
        period=period,
        year=year,
        tolerances=tolerances_from(app.config),
        top=top,
        max_evidence=max_evidence,
        max_findings=max_findings,
    )
    write_findings_report(report, path, lang or locale_language())
    click.echo(f"{len(report.findings):,} findings written to {path}", err=True)
