"""``flowgraph neo4j-import``: bulk backfill of an empty Neo4j database (offline importer)."""

from __future__ import annotations

import click

from flowgraph.cli.context import AppContext, pass_app


@click.command("neo4j-import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--neo4j-home",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="The Neo4j home whose data/databases/ receives the database (for scripts/neo4j-local: "
    "its NEO4J_DATA_DIR). The server must be stopped.",
)
@click.option("--database", default="neo4j", show_default=True, help="Database to write.")
@click.option(
    "--admin",
    metavar="CMD",
    help="neo4j-admin to run (default: NEO4J_ADMIN, PATH, or the local one).",
)
@click.option("--overwrite", is_flag=True, help="Replace the database if it exists.")
@click.option(
    "--keep-csv",
    type=click.Path(file_okay=False, path_type=str),
    help="Write the scratch store and CSV files here and keep them.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems and the summary lines.")
@pass_app
def neo4j_import(
    app: AppContext,
    paths: tuple[str, ...],
    neo4j_home: str,
    database: str,
    admin: str | None,
    overwrite: bool,
    keep_csv: str | None,
    quiet: bool,
) -> None:
    """Write upload files and folders into an empty Neo4j database with neo4j-admin's importer.

    The graph is the one `flowgraph load` builds from the same files (same events, same upload
    history, same findings), for a regulator's first load of several years of history. Files
    are validated as `load` validates them; a rejected file is named and left out (exit 2).
    Start the server afterwards, then `flowgraph registry load DIR`.

    \b
    Example:
      scripts/neo4j-local/stop.sh
      flowgraph neo4j-import history/ --neo4j-home .neo4j/data --overwrite
      scripts/neo4j-local/start.sh
      flowgraph --store bolt://127.0.0.1:7687 registry load registry/
    """
    from flowgraph.neo4jimport import bulk_import

    result = bulk_import(
        paths,
        neo4j_home=neo4j_home,
        database=database,
        admin=admin,
        overwrite=overwrite,
        workdir=keep_csv,
    )
    summary = result.summary
    if not quiet:
        for line in summary.results:
            click.echo(f"{line.status:<10} {line.file_name}  ({line.enterprise_id} {line.period})")
    for warning in summary.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for problem in summary.problems:
        click.echo(f"Error: {problem}", err=True)
    click.echo(summary.line())
    steps = ", ".join(f"{name} {s:.1f} s" for name, s in result.seconds.items())
    click.echo(
        f"imported into {database!r} under {neo4j_home}: {result.nodes:,} nodes, "
        f"{result.relationships:,} relationships ({steps})"
        if result.nodes
        else "nothing to import"
    )
    if summary.rejected:
        click.get_current_context().exit(2)
