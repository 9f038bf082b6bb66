"""``flowgraph load`` and ``flowgraph uploads``."""

from __future__ import annotations

import sys

import click

from flowgraph.cli.context import AppContext, pass_app
from flowgraph.cli.texttable import counted, frame_table
from flowgraph.errors import LoadStopped, UsageError
from flowgraph.ingest import LoadSummary, load_files
from flowgraph.spreadsheet import frame_to_csv


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--quiet", "-q", is_flag=True, help="Print only problems and the summary line.")
@click.option(
    "--bulk",
    is_flag=True,
    help="First load into an EMPTY Neo4j database through the offline importer (the same graph; "
    "the local server of --neo4j-home is stopped and started again). See neo4j-import.",
)
@click.option(
    "--neo4j-home",
    type=click.Path(file_okay=False, path_type=str),
    help="With --bulk: the server's home (for scripts/neo4j-local: its NEO4J_DATA_DIR).",
)
@pass_app
def load(
    app: AppContext, paths: tuple[str, ...], quiet: bool, bulk: bool, neo4j_home: str | None
) -> None:
    """Load monthly upload files and folders (recursive *.csv, *.xlsx).

    Each file is stored whole or not at all. A newer upload for the same enterprise and
    month supersedes the older one (kept in history); an identical file changes nothing.
    Exit status 2 if any file was rejected (the others still load).

    \b
    Example:
      flowgraph load uploads/2024-03/ extra/E017-2024-03.xlsx
      flowgraph --store bolt://127.0.0.1:7687 load --bulk --neo4j-home .neo4j/data history/
    """
    from loaders import find_upload_files

    if bulk or neo4j_home:
        _bulk(app, paths, quiet, bulk, neo4j_home)
        return
    store = app.store(create=True)
    files = find_upload_files(paths)
    show_bar = sys.stderr.isatty() and not quiet and len(files) > 1
    try:
        with (
            click.progressbar(length=len(files), label="Loading", file=sys.stderr, show_pos=True)
            if show_bar
            else _NoBar() as bar
        ):
            summary = load_files(store, files, on_file=lambda _path: bar.update(1))
    except LoadStopped as e:
        # Ctrl-C or the store failing: what did commit, then one line on why and what next.
        _print_summary(e.summary, quiet)
        click.echo(_stop_line(e), err=True)
        click.get_current_context().exit(e.exit_code)
    _print_summary(summary, quiet)
    if summary.rejected:
        click.get_current_context().exit(2)


def _bulk(
    app: AppContext, paths: tuple[str, ...], quiet: bool, bulk: bool, neo4j_home: str | None
) -> None:
    from flowgraph.store import is_neo4j_uri

    if not bulk:
        raise UsageError("--neo4j-home goes with --bulk")
    if not neo4j_home:
        raise UsageError("--bulk needs --neo4j-home HOME: the folder of the server's database")
    uri = app.store_uri
    if not is_neo4j_uri(uri):
        raise UsageError(
            f"--bulk writes a Neo4j database: give the server with --store bolt://HOST:PORT "
            f"(the store is {uri})"
        )
    from flowgraph.neo4jimport.online import bulk_load

    result = bulk_load(paths, uri=uri, neo4j_home=neo4j_home)
    summary = result.summary
    _print_summary(summary, quiet)
    steps = ", ".join(f"{name} {s:.1f} s" for name, s in result.seconds.items())
    if result.nodes:
        ready = "ready" if "start" in result.seconds else "start the server to use it"
        click.echo(
            f"bulk import: {result.nodes:,} nodes, {result.relationships:,} relationships; "
            f"{ready} ({steps})"
        )
    if summary.rejected:
        click.get_current_context().exit(2)


def _stop_line(e: LoadStopped) -> str:
    text = str(e)
    if e.exit_code == 130:
        return "Interrupted: " + text.removeprefix("interrupted: ")
    return f"Error: {text}"


def _print_summary(summary: LoadSummary, quiet: bool) -> None:
    if not quiet:
        for result in summary.results:
            what = (
                "identical to the current upload"
                if result.status == "unchanged"
                else f"{result.events:,} event{'s' if result.events != 1 else ''}, "
                f"revision {result.revision}"
            )
            if result.reverts_to is not None:
                what += f"; reverts {result.period} to the content of revision {result.reverts_to}"
            click.echo(
                f"{result.status:<10} {result.file_name}  "
                f"({result.enterprise_id} {result.period}, {what})"
            )
    for warning in summary.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for problem in summary.problems:
        click.echo(f"Error: {problem}", err=True)
    click.echo(summary.line())


def store_summary(store) -> list[str]:
    """A few lines on what a store holds: uploads, enterprises, months, events by type, registry."""
    current, history = store.uploads(), store.uploads(include_history=True)
    registry = store.registry()
    lines = [f"store {store.uri}"]
    if current.empty:
        lines.append("no uploads loaded")
    else:
        lines.append(
            f"{counted(len(current), 'current upload')} ({len(history) - len(current):,} "
            f"superseded kept in history) from {counted(current['enterprise_id'].nunique(), 'enterprise')}, "
            f"{current['period'].min()} to {current['period'].max()}"
        )
        # object values: the order of equal counts stays first-seen, as before
        by_type = store.events(encoded=True)["event_type"].astype(object).value_counts()
        total = int(by_type.sum())
        lines.append(
            f"{counted(total, 'event')}: "
            + ", ".join(f"{count:,} {kind}" for kind, count in by_type.items())
        )
    lines.append(
        f"registry: {counted(len(registry.enterprises), 'enterprise')}, "
        f"{counted(len(registry.designations), 'designation')}, "
        f"{counted(len(registry.quotas), 'quota')}"
    )
    return lines


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: int) -> None:
        return None


@click.command()
@click.option("--history", is_flag=True, help="Include superseded uploads.")
@click.option("--summary", is_flag=True, help="What the store holds, in a few lines.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@pass_app
def uploads(app: AppContext, history: bool, summary: bool, fmt: str) -> None:
    """List the loaded uploads (current ones, or all revisions with --history).

    \b
    Example:
      flowgraph uploads --history
      flowgraph uploads --summary
    """
    store = app.store()
    if summary:
        for line in store_summary(store):
            click.echo(line)
        return
    frame = store.uploads(include_history=history)
    if fmt == "csv":
        click.echo(frame_to_csv(frame), nl=False)
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", lines=True), nl=False)
    elif frame.empty:
        click.echo("no uploads loaded")
    else:
        shown = frame.drop(columns=["sha256"]).assign(sha256=frame["sha256"].str[:12])
        click.echo(frame_table(shown))
