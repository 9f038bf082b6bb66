"""``flowgraph synth``: write a synthetic national year with planted anomalies and answer key."""

from __future__ import annotations

import time

import click

from flowgraph.errors import UsageError


def _positive(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not value > 0:
        raise click.BadParameter(f"must be > 0, got {value}", ctx=ctx, param=param)
    return value


@click.command()
@click.argument("outdir", type=click.Path(file_okay=False, writable=True))
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    callback=_positive,
    help="1 = ~10,000 events, 100 = ~1,000,000 (national tonnages do not change).",
)
@click.option("--clean", is_flag=True, help="Plant nothing: the answer key is empty.")
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    default=2024,
    show_default=True,
    help="Calendar year of the data set.",
)
@click.option(
    "--years",
    type=click.IntRange(1, 20),
    default=1,
    show_default=True,
    help="Consecutive years from --year, on one ledger (stock and shipments carry over).",
)
def synth(outdir: str, seed: int, scale: float, clean: bool, year: int, years: int) -> None:
    """Write a synthetic national data set to OUTDIR: registry/, uploads/ and answers.jsonl.

    Calibrated on 2024 public figures (quotas 270,000 t mining / 254,000 t smelting REO,
    ~55,000 t exports, ~133,000 t imports). Every SPEC finding type is planted at least once
    (in every year with --years); answers.jsonl lists every finding the SPEC rules give on
    the data.

    \b
    Example:
      flowgraph synth data/synth --seed 7 --scale 1
      flowgraph synth data/synth3 --scale 0.5 --years 3
      flowgraph registry load data/synth/registry
      flowgraph load data/synth/uploads
      flowgraph detect --format jsonl > found.jsonl
    """
    from flowgraph.synth import generate

    started = time.perf_counter()
    try:
        result = generate(outdir, seed=seed, scale=scale, clean=clean, year=year, years=years)
    except OSError as e:  # a folder that cannot be made or written: the user's argument
        where = e.filename or outdir
        raise UsageError(f"{outdir}: cannot write there ({where}: {e.strerror})") from e
    took = time.perf_counter() - started
    click.echo(
        f"Wrote {result.files} upload files ({result.events:,} events) from "
        f"{result.enterprises} enterprises to {result.outdir} in {took:.1f}s"
    )
    total = sum(result.planted.values())
    click.echo(f"Answer key: {total} findings in {result.outdir / 'answers.jsonl'}")
    for kind, count in result.planted.items():
        click.echo(f"  {kind:<26} {count}")
