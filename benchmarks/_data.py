"""Shared by the benchmarks: a cached synthetic national year (generated once per scale/seed)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


def synth_dir(scale: float, seed: int = 1, years: int = 1) -> Path:
    """Path to ``flowgraph synth`` output for (scale, seed, years), generated in a child process
    if missing (so generation does not count towards the caller's peak memory)."""
    suffix = f"-years{years}" if years > 1 else ""
    target = CACHE / f"synth-scale{scale:g}-seed{seed}{suffix}"
    if not (target / "answers.jsonl").exists():
        started = time.perf_counter()
        more = ["--years", str(years)] if years > 1 else []
        subprocess.run(
            [sys.executable, "-m", "flowgraph", "synth", str(target),
             "--seed", str(seed), "--scale", f"{scale:g}", *more],
            check=True,
        )  # fmt: skip
        print(f"generated {target} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return target


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process (or of its largest finished child) in MB."""
    import resource

    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def store_file(scale: float, seed: int = 1) -> Path:
    """Path to an embedded store holding ``synth_dir(scale, seed)`` (uploads and registry), loaded
    once in a child process (so loading does not count towards the caller's peak memory)."""
    data = synth_dir(scale, seed)
    target = data / "store.db"
    if not target.exists():
        started = time.perf_counter()
        partial = data / "store.db.partial"
        partial.unlink(missing_ok=True)
        code = (
            "import sys; from pathlib import Path; "
            "from flowgraph.ingest import load_files, load_registry; "
            "from flowgraph.store.local import LocalStore; "
            "data, db = Path(sys.argv[1]), Path(sys.argv[2]); store = LocalStore.open(db); "
            "load_registry(store, data / 'registry'); load_files(store, [data / 'uploads']); "
            "store.close()"
        )
        subprocess.run([sys.executable, "-c", code, str(data), str(partial)], check=True)
        partial.rename(target)
        print(f"loaded {target} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return target
