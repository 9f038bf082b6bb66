"""The prepared view: one event table and one registry, with every quantity the rules derive.

Every analysis (detectors, quota burn-down, lineage and trace, evidence, summaries, flow
tables, the Sankey) reads its derived quantities here, so each rule is stated once:

- REO of a row (SPEC §1): its lot's ``reo_pct``, taken from the earliest event that created
  the lot; a creating row (extract, import, produce) is measured by its own ``reo_pct``, so a
  second creation of a lot keeps its own grade; a row of a lot that no loaded event created
  uses its own ``reo_pct``, else its product's typical one; a row with no % anywhere is 0 kg.
- A lot's product (and so its family, and whether it is mineral): the product stated by the
  earliest creating event naming one, else the row's own.
- The batch structure (batchgraph.py), smelting-and-separation batches (a batch consuming any
  mineral product, SPEC §3), quota output rows, traceable shares (haircut.py), designation at
  a date (common.designated_on), the (enterprise, month) pairs that have an upload.

"Earliest" is by (date, upload_id, source_row, position in the table). Each quantity is
computed on first use and kept on the view (``functools.cached_property``): a caller that
runs several analyses on one event table builds one view and hands it to each of them; an
analysis given a bare event table builds its own. A view never changes its events: build a
new one for other events.

>>> from flowgraph.model import events_frame
>>> ev = events_frame([
...     {"event_type": "extract", "date": "2024-01-02", "enterprise_id": "M", "lot_id": "L",
...      "product": "BAST_CONC", "mass_kg": 1000, "reo_pct": 50},
...     {"event_type": "extract", "date": "2024-02-02", "enterprise_id": "M", "lot_id": "L",
...      "product": "BAST_CONC", "mass_kg": 1000, "reo_pct": 10},
...     {"event_type": "ship", "date": "2024-02-03", "enterprise_id": "M", "lot_id": "L",
...      "mass_kg": 100, "counterparty_id": "S", "shipment_id": "S1"}])
>>> view = PreparedEvents(ev)
>>> view.row_reo.tolist()     # each creation its own grade; the ship row the lot's (first) grade
[500.0, 100.0, 50.0]
>>> view.row_lot_product.tolist(), view.row_mineral.tolist()
(['BAST_CONC', 'BAST_CONC', 'BAST_CONC'], [True, True, True])
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowgraph.analysis.rowcodes import decode, in_values, narrow_codes, narrowest
from flowgraph.errors import UsageError
from flowgraph.model import CREATING_TYPES, MINERAL_PRODUCTS, PRODUCTS, Registry

if TYPE_CHECKING:
    from flowgraph.analysis.batchgraph import BatchStructure
    from flowgraph.analysis.haircut import Lineage

_TYPICAL = {code: p.typical_reo_pct for code, p in PRODUCTS.items()}
FAMILY = {code: p.family for code, p in PRODUCTS.items()}


VALID_ORIGINS = ("mine", "import")
# row_origin as small codes per row (-1: the row creates nothing)
ORIGINS = np.array(
    ["mine", "undesignated_extraction", "import", "undocumented_import", "batch"], dtype=object
)
_ORIGIN = {name: code for code, name in enumerate(ORIGINS)}


def _objects(values: pd.Series, rows: np.ndarray) -> np.ndarray:
    """``values.to_numpy(dtype=object)[rows]``, widening only the rows taken."""
    return values.iloc[rows].to_numpy(dtype=object)


def _filled(values: pd.Series) -> np.ndarray:
    """True where a text cell holds something other than blanks."""
    text = values.astype("object")
    return (text.notna() & (text.astype(str).str.strip() != "")).to_numpy()


def complete_registry(registry: Registry | None) -> Registry:
    """The registry with every table present (a missing or column-less table reads as empty).

    >>> complete_registry(None).quotas.empty
    True
    """
    empty = Registry.empty()
    if registry is None:
        return empty
    tables = {}
    for name in ("enterprises", "designations", "quotas"):
        frame = getattr(registry, name, None)
        wanted = getattr(empty, name)
        ok = frame is not None and set(wanted.columns) <= set(frame.columns)
        tables[name] = frame if ok else wanted
    if all(tables[n] is getattr(registry, n, None) for n in tables):
        return registry  # keeps whatever else a registry carries
    # The SPEC §7 registers (None = not loaded) travel along as they are.
    registers = {n: getattr(registry, n, None) for n in ("customs", "licences", "controls")}
    return Registry(**tables, **registers)


class PreparedEvents:
    """One event table (``events``, untouched) and its registry, with the derived quantities.

    Per-row arrays follow the rows of ``events``; per-lot arrays are indexed by ``lot_code``
    (codes of ``lots``, in order of first appearance); per-batch arrays by the batch codes of
    ``structure``.
    """

    def __init__(
        self,
        events: pd.DataFrame,
        registry: Registry | None = None,
        *,
        upload_months: pd.DataFrame | None = None,
    ) -> None:
        self.events = events
        self.given_registry = registry
        self.registry = complete_registry(registry)
        # A year's partition (carryover.py) holds only some rows of other years: which
        # (enterprise, month) pairs have an upload then comes from the store.
        if upload_months is not None:
            self.upload_months = upload_months[["enterprise_id", "month"]]

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        skip = ("events", "given_registry", "registry")
        done = sorted(k for k in self.__dict__ if k not in skip)
        return f"PreparedEvents({len(self.events):,} events; computed: {', '.join(done) or '-'})"

    # -- codes and order ------------------------------------------------------------------
    @cached_property
    def _lot_factorized(self) -> tuple[np.ndarray, pd.Index]:
        # int32 codes, a categorical's own when already in order of first appearance
        codes, lots = narrow_codes(self.events["lot_id"], np.int32)
        return codes, pd.Index(lots, dtype=object)

    @property
    def lot_code(self) -> np.ndarray:
        """Per row: code of its lot (-1 when the row names none)."""
        return self._lot_factorized[0]

    @property
    def lots(self) -> pd.Index:
        """Lot ids, indexed by ``lot_code``."""
        return self._lot_factorized[1]

    @cached_property
    def _types(self) -> tuple[np.ndarray, np.ndarray]:
        """(event type code per row, int8; the types they index)."""
        return narrow_codes(self.events["event_type"])

    def is_type(self, *names: str) -> np.ndarray:
        """Per row: its event type is one of ``names`` (on the codes, no object per row)."""
        return in_values(*self._types, names)

    @cached_property
    def event_type(self) -> np.ndarray:
        """Per row: the event type as text (for callers that want objects; the view's own
        rules read ``is_type``)."""
        return decode(*self._types)

    @cached_property
    def creating(self) -> np.ndarray:
        """Per row: an extract, import or produce of a lot (the events that create lots)."""
        return self.is_type(*CREATING_TYPES) & (self.lot_code >= 0)

    @cached_property
    def own_pct(self) -> np.ndarray:
        return self.events["reo_pct"].to_numpy(dtype="float64")

    @cached_property
    def _products(self) -> tuple[np.ndarray, np.ndarray]:
        """(the row's own product code, -1 when none; the products they index). Every product
        code of the view (a lot's, a row's lot's) indexes the same list."""
        return narrow_codes(self.events["product"])

    @property
    def products(self) -> np.ndarray:
        """The products that product codes index."""
        return self._products[1]

    @cached_property
    def own_product(self) -> np.ndarray:
        """Per row: its own product as text (None when it names none)."""
        return decode(*self._products)

    def first_per_lot(self, rows: np.ndarray) -> np.ndarray:
        """Per lot: the position of its earliest row among ``rows`` (by date, upload_id,
        source_row, position), -1 for a lot with none of them."""
        first = np.full(len(self.lots), -1, dtype=np.int64)
        if len(rows) == 0:
            return first
        ev = self.events
        rows = np.asarray(rows, dtype=np.int64)
        ordered = rows[
            np.lexsort(
                (
                    rows,
                    ev["source_row"].to_numpy()[rows],
                    ev["upload_id"].to_numpy()[rows],
                    ev["date"].to_numpy()[rows],
                )
            )
        ]
        lots, at = np.unique(self.lot_code[ordered], return_index=True)
        first[lots] = ordered[at]
        return first

    @cached_property
    def creators(self) -> np.ndarray:
        """Positions of the creating rows."""
        return np.flatnonzero(self.creating)

    @cached_property
    def first_creation(self) -> np.ndarray:
        """Per lot: position of its earliest creating row (-1: no loaded event created it)."""
        return self.first_per_lot(self.creators)

    # -- REO ----------------------------------------------------------------------------
    @cached_property
    def lot_pct(self) -> np.ndarray:
        """Per lot: REO % of its earliest creating row that states one (NaN: none does)."""
        first = self.first_per_lot(np.flatnonzero(self.creating & ~np.isnan(self.own_pct)))
        return np.where(first >= 0, self.own_pct[np.maximum(first, 0)], np.nan)

    def pct_of(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The REO % that measures each of ``rows`` (positions; None: every row), by the
        module's rule; NaN when nothing gives one. Computed on demand, so the view needs no
        per-row array of it (``row_pct`` keeps one for the callers that want it)."""
        every = slice(None) if rows is None else rows
        own = self.own_pct[every]
        lot = self.lot_code[every]
        pct = np.where(lot >= 0, self.lot_pct[np.maximum(lot, 0)], np.nan)
        pct = np.where(np.isnan(pct), own, pct)
        missing = np.isnan(pct)
        if missing.any():
            codes, products = self._products
            typical = np.array([_TYPICAL.get(p, np.nan) for p in products] + [np.nan])
            pct[missing] = typical[codes[every][missing]]
        # A creating row states the grade of what it created: a second creation of a lot
        # (DUPLICATE_LOT) is measured by its own figure, not the first one's.
        use_own = self.creating[every] & ~np.isnan(own)
        pct[use_own] = own[use_own]
        return pct

    @cached_property
    def row_pct(self) -> np.ndarray:
        """Per row: the REO % that measures it (``pct_of`` every row)."""
        return self.pct_of()

    @cached_property
    def row_reo(self) -> np.ndarray:
        """Per row: REO kg = mass_kg x row_pct / 100 (SPEC §1); 0 where no % applies."""
        mass = self.events["mass_kg"].to_numpy(dtype="float64")
        pct = self.__dict__.get("row_pct")
        return np.nan_to_num(mass * (self.pct_of() if pct is None else pct) / 100.0, nan=0.0)

    # -- products -------------------------------------------------------------------------
    @cached_property
    def _creation_product(self) -> np.ndarray:
        """Per lot: product code of its earliest creating row naming one (-1: none does)."""
        own = self._products[0]
        first = self.first_per_lot(np.flatnonzero(self.creating & (own >= 0)))
        return np.where(first >= 0, own[np.maximum(first, 0)], -1)

    @cached_property
    def lot_product(self) -> np.ndarray:
        """Per lot: its creation's product, else the first row (in table order) naming one."""
        lot, own = self.lot_code, self._products[0]
        rows = np.flatnonzero((own >= 0) & (lot >= 0))[::-1]
        any_row = np.full(len(self.lots), -1, dtype=np.int64)
        any_row[lot[rows]] = rows  # reversed, so the first row wins the assignment
        fallback = np.where(any_row >= 0, own[np.maximum(any_row, 0)], -1)
        made = self._creation_product
        return decode(np.where(made >= 0, made, fallback), self.products)

    @cached_property
    def row_lot_product_code(self) -> np.ndarray:
        """Per row: code (into ``products``) of its lot's product (the creation's), else of
        the row's own; -1 for none."""
        lot, own = self.lot_code, self._products[0]
        made = np.where(lot >= 0, self._creation_product[np.maximum(lot, 0)], -1)
        return narrowest(np.where(made >= 0, made, own), len(self.products))

    @cached_property
    def row_lot_product(self) -> np.ndarray:
        """Per row: its lot's product (the creation's), else the row's own."""
        return decode(self.row_lot_product_code, self.products)

    def lot_product_of(self, rows: np.ndarray) -> np.ndarray:
        """``row_lot_product`` of ``rows`` only (objects for those rows alone)."""
        return decode(self.row_lot_product_code[rows], self.products)

    @cached_property
    def row_mineral(self) -> np.ndarray:
        """Per row: its lot's product is a mineral product (SPEC §3)."""
        return in_values(self.row_lot_product_code, self.products, MINERAL_PRODUCTS)

    @cached_property
    def row_family(self) -> np.ndarray:
        """Per row: the product family of its lot (None for an unknown product)."""
        families = np.array([FAMILY.get(p) for p in self.products] + [None], dtype=object)
        return families[self.row_lot_product_code]  # code -1 (no product): the trailing None

    @cached_property
    def month(self) -> np.ndarray:
        """Per row: year * 12 + month - 1 of its date (the upload's period, SPEC §1)."""
        dates = self.events["date"].dt
        return (dates.year * 12 + dates.month - 1).astype("int32").to_numpy()

    # -- batches --------------------------------------------------------------------------
    @cached_property
    def structure(self) -> BatchStructure:
        """The batch graph (batchgraph.py): batches, generations, cycles."""
        from flowgraph.analysis.batchgraph import build_structure

        return build_structure(self.events, self._lot_factorized)

    @cached_property
    def row_batch(self) -> np.ndarray:
        """Per row: batch code of a consume or produce row with a batch, else -1."""
        st = self.structure
        out = np.full(len(self.events), -1, dtype=np.int64)
        out[st.cons] = st.cb
        out[st.prod] = st.pb
        return out

    @cached_property
    def smelting(self) -> np.ndarray:
        """Per batch: smelting and separation, i.e. it consumes any mineral product (SPEC §3)."""
        st = self.structure
        mineral = self.row_mineral[st.cons]
        return np.bincount(st.cb[mineral], minlength=len(st.batches)) > 0

    @cached_property
    def quota_rows(self) -> pd.DataFrame:
        """The rows counted against quotas (SPEC §5 QUOTA_EXCEEDED): extracts (mining) and the
        produce rows of smelting-and-separation batches (smelting), each by its own date.

        Columns: row (position), enterprise_id, activity, date, month, reo_kg.
        """
        st = self.structure
        parts = []
        for activity, rows in (
            ("mining", np.flatnonzero(self.is_type("extract"))),
            ("smelting", st.prod[self.smelting[st.pb]]),
        ):
            parts.append(
                pd.DataFrame(
                    {
                        "row": rows,
                        "enterprise_id": _objects(self.events["enterprise_id"], rows),
                        "activity": activity,
                        "date": self.events["date"].to_numpy()[rows],
                        "month": self.month[rows],
                        "reo_kg": self.row_reo[rows],
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    # -- origins and lineage --------------------------------------------------------------
    def designated(self, enterprise_ids: pd.Series, dates: pd.Series, activity: str) -> np.ndarray:
        """Whether each (enterprise, date) is covered by a designation for ``activity``."""
        from flowgraph.analysis.common import designated_on

        return designated_on(self.registry, enterprise_ids, dates, activity)

    @cached_property
    def origin_code(self) -> np.ndarray:
        """Per row: code (into ``ORIGINS``) of the origin its creation gives the lot (SPEC §5
        Origins): ``mine`` (an extract by an enterprise designated for mining that day),
        ``undesignated_extraction``, ``import`` (with both ``country`` and ``document_ref``),
        ``undocumented_import``, ``batch`` (a produce row); -1 for a row that creates nothing."""
        ev = self.events
        origin = np.full(len(ev), -1, dtype=np.int8)
        origin[self.is_type("produce")] = _ORIGIN["batch"]
        ext = np.flatnonzero(self.is_type("extract"))
        if ext.size:
            sub = ev.iloc[ext]
            ok = self.designated(sub["enterprise_id"], sub["date"], "mining")
            origin[ext] = np.where(ok, _ORIGIN["mine"], _ORIGIN["undesignated_extraction"])
        imp = np.flatnonzero(self.is_type("import"))
        if imp.size:
            sub = ev.iloc[imp]
            documented = _filled(sub["country"]) & _filled(sub["document_ref"])
            origin[imp] = np.where(documented, _ORIGIN["import"], _ORIGIN["undocumented_import"])
        return origin

    @cached_property
    def row_origin(self) -> np.ndarray:
        """Per row: the origin of ``origin_code`` as text (None for a row creating nothing)."""
        return decode(self.origin_code, ORIGINS)

    def origin_of(self, rows: np.ndarray) -> np.ndarray:
        """``row_origin`` of ``rows`` only."""
        return decode(self.origin_code[rows], ORIGINS)

    @cached_property
    def valid_origin(self) -> np.ndarray:
        """Per row: a creation by a valid origin (``mine`` or ``import``), which is share 1."""
        return in_values(self.origin_code, ORIGINS, VALID_ORIGINS)

    @cached_property
    def lineage(self) -> Lineage:
        """The SPEC §5 haircut propagated over the batch graph (haircut.py)."""
        from flowgraph.analysis.haircut import propagate

        return propagate(self)

    @cached_property
    def shares(self) -> pd.Series:
        """Traceable REO share of every lot (index lot_id), in [0, 1].

        What reads shares (``row_share``, the flow table, the findings report) reads them here,
        so a test may set hand-made shares on a fresh view (``view.shares = series``; a lot
        missing from them counts as share 0)."""
        return pd.Series(
            self.lineage.share, index=pd.Index(self.lots, name="lot_id"), name="traceable_share"
        )

    def share_of(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Per row of ``rows`` (None: every row): its lot's traceable share from ``shares``
        (0 for a row naming no lot)."""
        share = self.shares.astype("float64").reindex(self.lots).fillna(0.0).clip(0.0, 1.0)
        lots = self.lot_code if rows is None else self.lot_code[rows]
        return np.append(share.to_numpy(), 0.0)[lots]  # -1 (no lot) picks the 0

    @cached_property
    def row_share(self) -> np.ndarray:
        """Per row: its lot's traceable share from ``shares`` (0 for a row naming no lot)."""
        return self.share_of()

    # -- trade rows (SPEC §7 registers) ---------------------------------------------------
    @cached_property
    def trade(self) -> pd.DataFrame:
        """The import and export rows as plain columns (as stored) with their lot's product
        (``product``), REO kg (``reo``), ``month`` and position in ``events`` (``row``): what
        the cross_register detectors and reports hold against the registers."""
        rows = np.flatnonzero(self.is_type("import", "export"))
        columns = [
            "enterprise_id", "event_type", "shipment_id", "document_ref", "licence_no",
            "country", "date", "upload_id", "source_row", "mass_kg",
        ]  # fmt: skip
        out = self.events[columns].iloc[rows].reset_index(drop=True)
        for column in ("enterprise_id", "event_type", "shipment_id", "document_ref", "licence_no"):
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
        out["product"] = self.lot_product_of(rows)
        out["reo"] = self.row_reo[rows]
        out["month"] = self.month[rows]
        out["row"] = rows
        return out

    @cached_property
    def upload_months(self) -> pd.DataFrame:
        """The (enterprise_id, month) pairs that have a current upload (every upload holds at
        least one event), one row each; the store's when the view was given them."""
        # one int64 key per row, its distinct values in order of first appearance (what
        # drop_duplicates of the two columns gives) without a frame of the whole table
        codes, ents = narrow_codes(self.events["enterprise_id"])
        month = self.month.astype(np.int64)
        low = int(month.min()) if len(month) else 0
        span = int(month.max()) - low + 1 if len(month) else 1
        key = pd.unique((codes.astype(np.int64) + 1) * span + (month - low))
        del month
        return pd.DataFrame(
            {"enterprise_id": decode(key // span - 1, ents), "month": key % span + low}
        )

    # -- the detectors' table -------------------------------------------------------------
    @cached_property
    def table(self) -> pd.DataFrame:
        """The events with the derived columns of derived.py, identifiers as categoricals."""
        from flowgraph.analysis.derived import with_derived_columns

        return with_derived_columns(self)


def prepared(events: pd.DataFrame | PreparedEvents, registry: Registry | None = None):
    """``events`` itself when it is already a view, else a new view of ``events`` and ``registry``.

    A view given with a registry that is not its own is refused: its derived quantities
    (shares, designations) were read from the other one.

    >>> from flowgraph.model import events_frame
    >>> view = prepared(events_frame([]))
    >>> prepared(view) is view
    True
    """
    if isinstance(events, PreparedEvents):
        if registry is not None and registry is not events.given_registry:
            if registry is not events.registry:
                raise UsageError("a prepared view was given with another registry than its own")
        return events
    return PreparedEvents(events, registry)
