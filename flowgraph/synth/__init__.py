"""``flowgraph synth``: a realistic synthetic national year with planted anomalies and answer key.

Calibration (../shared/CALIBRATION.md):

- National quotas 2024: mining 270,000 t REO, smelting & separation 254,000 t (Fastmarkets
  2024-02-06; Reuters 2024-08-20). Each mine/smelter gets a share; clean usage is 98% of it,
  whatever ``scale`` (scale only changes how many, and how big, the events are).
- Light (Bayan Obo mixed concentrate, Sichuan bastnaesite) ~93%, ion-adsorption (Jiangxi,
  Guangxi, Fujian, Guangdong) ~7% (19,150 t); China Northern Rare Earth holds ~70% of mining,
  China Rare Earth Group the rest of light and most ion-adsorption, Xiamen Tungsten and
  Guangdong Rare Earth a few thousand tonnes each.
- Imports 132,931 product t (2024): Myanmar ion-adsorption concentrate and carbonate, Laos
  carbonate, monazite from Australia, Madagascar, Laos and the US.
- Exports ~55,431 product t (2024) of oxides, metals and magnets to a dozen countries.
- Grades: mixed concentrate 45/50/60%, bastnaesite 52-62%, monazite 55-61%, ion-adsorption
  89-93%; smelting recovery > 92%, separation > 96% (MIIT 2016 industry conditions).
- Ids: 18-character unified social credit codes (``91150200...`` = Baotou), 18-digit customs
  declarations, mining licence numbers on extractions.

Layout: ``OUTDIR/registry/{enterprises,designations,quotas}.csv`` and the SPEC §7 registers
``customs.csv``, ``export_licences.csv``, ``controls.csv`` (:mod:`.registers`),
``OUTDIR/uploads/<enterprise_id>/<YYYY-MM>.csv|.xlsx``, ``OUTDIR/answers.jsonl``.

How: :mod:`.world` (registry, actors) -> :mod:`.flows` on the :mod:`.sim` ledger (normal
months) + :mod:`.plants` (one scripted story per finding type, 1-3 each by scale) +
:mod:`.nearmiss` (just inside every tolerance, also in the clean world) -> month-end stock ->
:mod:`.writer`. The key is computed from the events by :mod:`.oracle`, an implementation of
SPEC §5 independent of ``flowgraph.analysis``; tests hold it equal to the planted stories.

>>> import tempfile
>>> from flowgraph.model import FINDING_TYPES
>>> res = generate(tempfile.mkdtemp(), seed=1, scale=0.05)
>>> sorted(res.planted) == sorted(FINDING_TYPES)
True
"""

from __future__ import annotations

import ctypes
import gc
import shutil
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from flowgraph.errors import UsageError
from flowgraph.model import CUSTOMS_COLUMNS, Registry, registry_from_records
from flowgraph.synth.flows import Flows
from flowgraph.synth.nearmiss import NearMisses
from flowgraph.synth.plants import Planter
from flowgraph.synth.registers import RegisterBook, Registers
from flowgraph.synth.sim import FastRng, Sim
from flowgraph.synth.simproc import run_simulation
from flowgraph.synth.stream import months, register, simulate
from flowgraph.synth.worker import Link, Worker
from flowgraph.synth.world import World, build_world
from flowgraph.synth.writer import concat_months, write_registry

__all__ = ["SynthResult", "generate", "build"]


@dataclass
class SynthResult:
    """What ``generate`` wrote: counts, paths, and the planted findings per type."""

    events: int
    files: int
    enterprises: int
    planted: dict[str, int]
    outdir: Path
    findings: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    intended: list[dict] = field(repr=False, default_factory=list)


@dataclass
class Built:
    """The generated year in memory (no files): world, event table, registry, key."""

    world: World
    table: pd.DataFrame
    registry: Registry
    styles: dict[str, dict]
    intended: list[dict]
    registers: Registers = field(default_factory=Registers)
    years: int = 1


def _styles(world: World, rng: np.random.Generator) -> dict[str, dict]:
    """Encodings and header layouts per reporting enterprise (fixed by the seed)."""
    reporting = [a for a in world.reporting]
    order = rng.permutation(len(reporting))
    styles = {}
    for rank, i in enumerate(order):
        actor = reporting[i]
        encoding = "utf-8-sig" if rank < 6 else "gb18030" if rank < 12 else "utf-8"
        layout = "reversed" if rank in (3, 9, 20) else "upper" if rank in (4, 21) else "spec"
        actor.meta["encoding"] = encoding
        styles[actor.eid] = {"encoding": encoding, "layout": layout}
    return styles


@dataclass
class _Run:
    """Everything one generation needs, set up from the seed."""

    world: World
    styles: dict[str, dict]
    sim: Sim
    planter: Planter | None
    registers: RegisterBook
    simulated: object  # the months' final rows (stream.simulate)
    years: int

    def registry(self) -> Registry:
        return _registry(self.world, self.registers.out, self.years)

    @property
    def intended(self) -> list[dict]:
        return (self.planter.intended if self.planter else []) + self.registers.out.intended


def _registry(world: World, regs: Registers, years: int) -> Registry:
    ents, des, quo = world.registry_records(years)
    # A compact book's customs rows are records too (tuples in the register's column order).
    customs = regs.customs_rows or regs.customs
    return registry_from_records(
        ents, des, quo, customs=customs, licences=regs.licences, controls=regs.controls
    )


def _check(scale: float, years: int) -> None:
    if not scale > 0:
        raise UsageError(f"scale must be > 0, got {scale}")
    if years < 1:
        raise UsageError(f"years must be >= 1, got {years}")


def _setup(
    seed: int, scale: float, clean: bool, year: int, years: int, compact: bool = False
) -> _Run:
    _check(scale, years)
    root = np.random.SeedSequence(seed)
    # A sixth child for the registers: the first five (and so the events) stay as they were.
    world_rng, sim_rng, plant_rng, stock_rng, near_rng, register_rng = (
        np.random.default_rng(s) for s in root.spawn(6)
    )
    world = build_world(world_rng, year)
    styles = _styles(world, world_rng)
    sim = Sim(year, FastRng(sim_rng), {a.eid for a in world.reporting}, years)
    flows = Flows(world, sim, scale)
    near = NearMisses(flows, near_rng)
    near.configure()
    planter = None if clean else Planter(flows, plant_rng, scale)
    if planter:
        planter.configure()
    ents = world.registry_records(1)[0]
    registers = RegisterBook(
        year,
        register_rng,
        clean=clean,
        groups={e["enterprise_id"]: e["group"] for e in ents},
        outsiders=[a.eid for a in world.actors.values() if not a.reporting],
        product_of=sim.product,
        compact=compact,
    )
    gb = {eid for eid, s in styles.items() if s["encoding"] == "gb18030"}
    simulated = simulate(sim, flows, near, planter, stock_rng, gb, year)
    return _Run(world, styles, sim, planter, registers, simulated, years)


def _trim_heap() -> None:
    """Return freed heap pages to the system (glibc's malloc_trim; a no-op elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def build(
    *, seed: int = 0, scale: float = 1.0, clean: bool = False, year: int = 2024, years: int = 1
) -> Built:
    """Simulate the years in memory (no files; small scales). See :func:`generate`."""
    run = _setup(seed, scale, clean, year, years)
    table = concat_months(list(months(run.simulated, run.registers, year)))
    return Built(
        run.world, table, run.registry(), run.styles, run.intended, run.registers.out, years
    )


def generate(
    outdir: str | Path,
    *,
    seed: int = 0,
    scale: float = 1.0,
    clean: bool = False,
    year: int = 2024,
    years: int = 1,
) -> SynthResult:
    """Write a synthetic national year of uploads, the registry and the answer key to ``outdir``.

    ``scale`` 1 gives about 10,000 events, 100 about a million, in the same ~500 files;
    national tonnages do not depend on it. ``clean`` plants nothing (empty answer key).
    ``years`` > 1 simulates that many consecutive years from ``year`` on one ledger (stock,
    shipments in transit and lineage carry over the year ends), every year with its quotas,
    stories and near misses. Deterministic for a seed. Anything already under
    ``outdir/uploads`` is replaced. Streams: each month's files are written as soon as it is
    simulated, by a worker process (:mod:`.worker`) that also keeps the events for the answer
    key in compact (categorical) form and computes the key at the end; the simulation runs in
    a process of its own (:mod:`.simproc`) that ends before the key is made.

    >>> import tempfile
    >>> generate(tempfile.mkdtemp(), seed=3, scale=0.05, clean=True).planted
    {}
    """
    _check(scale, years)  # here, before any process starts
    out = Path(outdir)
    if (out / "uploads").exists():
        shutil.rmtree(out / "uploads")
    out.mkdir(parents=True, exist_ok=True)
    # Tables, files and key in a worker process (synth.worker); the simulation in another
    # (synth.simproc), which sends the worker its months and ends before the key is made.
    worker = Worker(out, None, year)
    try:
        intended = run_simulation(
            worker.conn, _simulate_into, (out, seed, scale, clean, year, years)
        )
        written = worker.result()
    finally:
        worker.close()
    findings = written.findings
    planted = dict(sorted(Counter(findings["type"]).items()))
    return SynthResult(
        events=written.events,
        files=written.files,
        enterprises=written.enterprises,
        planted=planted,
        outdir=out,
        findings=findings,
        intended=intended,
    )


def _simulate_into(
    worker: Link, out: Path, seed: int, scale: float, clean: bool, year: int, years: int
) -> list[dict]:
    """The simulation's process (:func:`generate`): every month to ``worker``, then the
    registers and the registry (written to ``out``); returns the intended findings."""
    run = _setup(seed, scale, clean, year, years, compact=True)
    worker.styles(run.styles)
    # No cyclic collection while simulating: the ledger and a month's rows are millions of
    # objects that the collector would traverse again and again (~40% of the simulation's
    # CPU at scale 1000), and the simulation makes no reference cycles (gc.collect() after a
    # scale-100 run finds nothing): reference counting frees everything it drops.
    gc.disable()
    for m, rows, products, busy in run.simulated:
        worker.month(rows, register(m, rows, products, busy, run.registers, year))
        del rows
        if m % 12 == 11 and m < 12 * years - 1:
            run.registers.year_end()
    gc.enable()
    # The registers and the registry are built once the worker has written the last month:
    # not while it builds that month's table (the two processes' peaks would add up).
    worker.sync()
    stories = run.planter.intended if run.planter else []
    # The ledger is not needed any more: release it before the last year's registers and
    # the registry are built (with the ledger they would be this process's peak: the
    # customs records alone are ~0.4 GB at scale 1000). The registers and the registry read
    # neither the ledger nor its random streams.
    world, book = run.world, run.registers
    del run
    gc.collect()
    _trim_heap()
    book.year_end()
    registers = book.out
    intended = stories + registers.intended  # as _Run.intended
    registry = _registry(world, registers, years)
    # customs.csv from the compact rows, one dict at a time (the writer iterates once)
    rows = registers.customs_rows
    records = (dict(zip(CUSTOMS_COLUMNS, row, strict=True)) for row in rows)
    write_registry(world, out, replace(registers, customs=records), years)
    worker.end(registry)
    return intended
