"""Time lot_shares / lot_table on a synthetic ~1M-event frame (prints seconds; not a test).

Run: .venv/bin/python benchmarks/lineage.py [n_events] [loop_edges]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from flowgraph.analysis.lineage import batch_table, lineage_cycles, lot_shares, lot_table
from flowgraph.model import EVENT_COLUMNS, TEXT_COLUMNS, registry_from_records


def synthetic(n_events: int = 1_000_000, seed: int = 1, back_edges: int = 0) -> pd.DataFrame:
    """Mines -> smelters -> processors -> magnet makers, ~100k batches per 1M events."""
    rng = np.random.default_rng(seed)
    scale = n_events / 1_000_000
    parts = []
    n_ore = int(200_000 * scale)
    ore = np.array([f"O{i}" for i in range(n_ore)], dtype=object)
    parts.append(
        dict(
            event_type="extract",
            enterprise_id=[f"M{i % 100}" for i in range(n_ore)],
            lot_id=ore,
            product="MIXED_CONC",
            mass_kg=rng.uniform(1e3, 1e4, n_ore),
            reo_pct=rng.uniform(30, 60, n_ore),
            document_ref="LIC",
        )
    )
    upstream = ore
    for gen, (n_b, k_in, k_out, product, pct) in enumerate(
        [
            (60_000, 3, 2, "ND_OXIDE", 99.0),
            (30_000, 3, 1, "ND_METAL", 116.0),
            (10_000, 4, 1, "NDFEB_MAGNET", 36.0),
        ]
    ):
        n_b = int(n_b * scale)
        batches = np.array([f"B{gen}-{i}" for i in range(n_b)], dtype=object)
        cons_lots = upstream[rng.integers(0, len(upstream), n_b * k_in)]
        parts.append(
            dict(
                event_type="consume",
                enterprise_id="S1",
                lot_id=cons_lots,
                batch_id=np.repeat(batches, k_in),
                mass_kg=rng.uniform(10, 100, n_b * k_in),
                reo_pct=np.nan,
            )
        )
        out = np.array([f"P{gen}-{i}" for i in range(n_b * k_out)], dtype=object)
        parts.append(
            dict(
                event_type="produce",
                enterprise_id="S1",
                lot_id=out,
                product=product,
                batch_id=np.repeat(batches, k_out),
                mass_kg=rng.uniform(10, 100, n_b * k_out),
                reo_pct=pct,
            )
        )
        upstream = out
        if gen == 1:
            second_gen_out = out
    if back_edges:  # loops: smelter batches that also consume a later generation's output
        first_gen = np.array([f"B0-{i}" for i in range(int(60_000 * scale))], dtype=object)
        parts.append(
            dict(
                event_type="consume",
                enterprise_id="S1",
                lot_id=second_gen_out[rng.integers(0, len(second_gen_out), back_edges)],
                batch_id=first_gen[rng.integers(0, len(first_gen), back_edges)],
                mass_kg=rng.uniform(10, 100, back_edges),
                reo_pct=np.nan,
            )
        )
    n_fill = max(n_events - sum(len(p["lot_id"]) for p in parts), 0)
    parts.append(
        dict(
            event_type="stock",
            enterprise_id="S1",
            lot_id=ore[rng.integers(0, n_ore, n_fill)],
            mass_kg=rng.uniform(1, 10, n_fill),
            reo_pct=np.nan,
        )
    )
    frames = [pd.DataFrame(p) for p in parts]
    ev = pd.concat(frames, ignore_index=True)
    for column in EVENT_COLUMNS:
        if column not in ev.columns:
            ev[column] = None
    ev["date"] = pd.Timestamp("2024-03-15") + pd.to_timedelta(rng.integers(0, 200, len(ev)), "D")
    ev["period"] = ev["date"].dt.strftime("%Y-%m")
    ev["upload_id"] = 1
    ev["source_row"] = np.arange(len(ev)) + 2
    ev["event_id"] = ev["source_row"].astype(str)
    ev["mass_kg"] = ev["mass_kg"].astype("float64")
    ev["reo_pct"] = ev["reo_pct"].astype("float64")
    for column in TEXT_COLUMNS:  # stores return object columns with None (model.py)
        values = ev[column].astype("object")
        ev[column] = values.where(values.notna(), None)
    return ev[list(EVENT_COLUMNS)]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    back = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    ev = synthetic(n, back_edges=back)
    reg = registry_from_records(
        designations=[
            {
                "enterprise_id": f"M{i}",
                "activity": "mining",
                "licence_no": "x",
                "valid_from": "2024-01-01",
                "valid_to": None,
            }
            for i in range(100)
        ]
    )
    print(
        f"{len(ev):,} events, {ev['batch_id'].nunique():,} batches, {ev['lot_id'].nunique():,} lots"
    )
    for name, fn in [
        ("lot_shares", lambda: lot_shares(ev, reg)),
        ("lot_table", lambda: lot_table(ev, reg)),
        ("batch_table", lambda: batch_table(ev, reg)),
        ("lineage_cycles", lambda: lineage_cycles(ev)),
    ]:
        start = time.perf_counter()
        result = fn()
        print(f"{name}: {time.perf_counter() - start:.2f} s ({len(result):,} rows)")
    shares = lot_shares(ev, reg)
    print(f"share min {shares.min():.3f} mean {shares.mean():.3f}")


if __name__ == "__main__":
    main()
