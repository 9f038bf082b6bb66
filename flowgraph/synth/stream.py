"""The synthetic years month by month: simulate a month, finish its events, hand them on.

Only what the next month needs is kept: the ledger's holdings, the event book per
(enterprise, lot) for month-end stock, the rows already dated into the next month (receipts
of shipments sent late in the month), and the registers' running totals. A month's events are
final once it has been simulated: nothing the later months do is dated earlier (every stage
dates its events inside the month it simulates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from flowgraph.synth.catalog import NOTES_ZH
from flowgraph.synth.nearmiss import NearMisses
from flowgraph.synth.plants import Planter
from flowgraph.synth.registers import RegisterBook
from flowgraph.synth.sim import SIGN, Sim
from flowgraph.synth.writer import build_table


class StockBook:
    """Book stock per (enterprise, lot) from the events (exact, tenths of kg), month by month.

    Holdings with a non-zero book are kept in the order they (re)appeared: the month-end stock
    rows of an enterprise come out in that order."""

    def __init__(self, sim: Sim):
        self.sim = sim
        self.book: dict[tuple[str, str], int] = {}

    def month_end(self, m: int, rows: list[tuple]) -> list[list]:
        """Add month ``m``'s rows; return a stock row for every holding with book > 0."""
        book = self.book
        for r in rows:
            key = (r[0], r[3])
            value = book.get(key, 0) + SIGN[r[1]] * r[5]
            if value:
                book[key] = value
            else:
                book.pop(key, None)
        day, product = self.sim.month_end[m], self.sim.product
        return [
            [e, "stock", day, lot, product.get(lot), v, None, None, None, None, None, None, None]
            for (e, lot), v in book.items()
            if v > 0
        ]


def _final_rows(sim: Sim, m: int) -> list[tuple]:
    """Take month ``m``'s rows out of the ledger's log (later-dated ones stay for next month)."""
    rows = sim.rows
    cut = sim.month_end[m]
    later = [r for r in rows if r[2] > cut]
    if later:
        sim.rows = later
        return [r for r in rows if r[2] <= cut]
    sim.rows = []
    return rows


def months(
    sim: Sim,
    flows,
    near: NearMisses,
    planter: Planter | None,
    registers: RegisterBook,
    stock_rng: np.random.Generator,
    gb: set[str],
    year: int,
    on_year_end: Callable[[int], None] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield each month's finished event table (build_table layout, ``upload_id`` = 0)."""
    stock_book = StockBook(sim)
    total = 12 * sim.years
    for m in range(total):
        sim.now = m
        near.before_month(m)
        if planter:
            planter.before_month(m)
        flows.month(m)
        rows = _final_rows(sim, m)
        stock = stock_book.month_end(m, rows)
        period = f"{year + m // 12}-{m % 12 + 1:02d}"
        busy = near.busy_lots | (planter.busy_lots if planter else set())
        edge = near.stock_edge(stock, period, busy)
        for i, row in enumerate(stock):
            if i != edge and stock_rng.random() < 0.6:  # counted stock: weighing noise +-0.2%
                row[5] = max(0, round(row[5] * (1 + stock_rng.uniform(-0.002, 0.002))))
            if row[0] in gb and stock_rng.random() < 0.3:
                row[12] = NOTES_ZH["stock"]
        if planter:
            planter.busy_lots |= near.busy_lots
            planter.stock_mismatch(m, stock, period)
        table = build_table(rows + [tuple(r) for r in stock], year)
        registers.month(m, table, planter.busy_lots if planter else near.busy_lots)
        yield table
        if m % 12 == 11:
            registers.year_end()
            if on_year_end:
                on_year_end(m // 12)
