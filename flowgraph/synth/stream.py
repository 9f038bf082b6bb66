"""The synthetic years month by month: simulate a month, finish its events, hand them on.

Only what the next month needs is kept: the ledger's holdings, the event book per
(enterprise, lot) for month-end stock, the rows already dated into the next month (receipts
of shipments sent late in the month), and the registers' running totals. A month's events are
final once it has been simulated: nothing the later months do is dated earlier (every stage
dates its events inside the month it simulates).
"""

from __future__ import annotations

from collections.abc import Iterator

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


def simulate(
    sim: Sim,
    flows,
    near: NearMisses,
    planter: Planter | None,
    stock_rng: np.random.Generator,
    gb: set[str],
    year: int,
) -> Iterator[tuple[int, list[tuple], dict[str, str], set[str]]]:
    """Simulate each month; yield (month, its final rows with the month-end stock rows, the
    products of its trade rows' lots, the lots the registers' stories must leave alone: the
    registers must add theirs to it before the next month is simulated).

    What is yielded is all :func:`finish` needs: the rest of the ledger stays here, so the
    finishing (tables, registers, files, the key's events) can run in another process."""
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
        # The registers read the lot's product (as the ledger has it now) on trade rows only.
        product = sim.product
        trade = {r[3] for r in rows if r[1] == "import" or r[1] == "export"}
        products = {lot: product[lot] for lot in trade if lot in product}
        # The set itself: the registers' stories add their lots to it, and the next months'
        # stories (planted and near misses) leave those alone.
        protected = planter.busy_lots if planter else near.busy_lots
        sim.forget(stock_book.book, rows)
        rows.extend(tuple(r) for r in stock)  # rows is this frame's own list (_final_rows)
        # Only the caller may hold the month's rows once they are yielded: this frame lives
        # on while the caller finishes the month and the next one is simulated (a month's
        # rows are ~200 MB at scale 1000). The box is emptied as the tuple is built.
        box = [rows]
        del rows, stock, trade
        yield m, box.pop(), products, protected


def register(
    m: int,
    rows: list[tuple],
    products: dict[str, str],
    busy: set[str],
    registers: RegisterBook,
    year: int,
) -> dict[int, str]:
    """Update the registers from month ``m``'s rows; return the licence numbers its exports
    carry, by position in ``rows``.

    The registers read only the import and export rows (a few per cent): those are built
    into a table of their own, which keeps the full table's order (enterprise, day,
    emission), so the stories draw the same rows."""
    trade = [i for i, r in enumerate(rows) if r[1] == "import" or r[1] == "export"]
    table = build_table([rows[i] for i in trade], year)
    registers.product_of = products
    registers.month(m, table, busy, {r[0] for r in rows})
    return {
        trade[o]: number
        for o, number in zip(table["order"], table["licence_no"], strict=True)
        if isinstance(number, str)
    }


def months(
    simulated: Iterator[tuple[int, list[tuple], dict[str, str], set[str]]],
    registers: RegisterBook,
    year: int,
) -> Iterator[pd.DataFrame]:
    """Each month's finished event table, in this process: the months of :func:`simulate`,
    registered (:func:`register`), built (``build_table``)."""
    for m, rows, products, busy in simulated:
        licences = register(m, rows, products, busy, registers, year)
        yield build_table(rows, year, licences)
        if m % 12 == 11:
            registers.year_end()
