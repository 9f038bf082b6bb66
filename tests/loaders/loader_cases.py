"""Shared cases for the loader tests: a valid month of upload rows, a CSV writer, problems()."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from flowgraph.errors import InputError
from flowgraph.model import UPLOAD_COLUMNS
from loaders import read_upload

# One valid month (2025-03) of enterprise E1 touching every event type. Row 6 receives a lot
# that this file does not create, so it carries a product.
GOOD = [
    dict(event_id="1", event_type="extract", date="2025-03-01", enterprise_id="E1",
         lot_id="L1", product="BAST_CONC", mass_kg="1000", reo_pct="60", document_ref="MIN-1"),
    dict(event_id="2", event_type="import", date="2025-03-02", enterprise_id="E1",
         lot_id="L2", product="MONAZITE_CONC", mass_kg="500", reo_pct="55", country="AU",
         document_ref="CUS-9", note="进口独居石"),
    dict(event_id="3", event_type="consume", date="2025-03-03", enterprise_id="E1",
         lot_id="L1", mass_kg="800", batch_id="B1"),
    dict(event_id="4", event_type="produce", date="2025-03-04", enterprise_id="E1",
         lot_id="L3", product="MIXED_CARBONATE", mass_kg="900.5", reo_pct="45", batch_id="B1"),
    dict(event_id="5", event_type="ship", date="2025-03-05", enterprise_id="E1",
         lot_id="L3", mass_kg="400", counterparty_id="E2", shipment_id="S1"),
    dict(event_id="6", event_type="receive", date="2025-03-06", enterprise_id="E1",
         lot_id="L9", product="ND_OXIDE", mass_kg="100", counterparty_id="E3", shipment_id="S2"),
    dict(event_id="7", event_type="export", date="2025-03-07", enterprise_id="E1",
         lot_id="L2", mass_kg="100", shipment_id="S3", country="JP", document_ref="EXP-1"),
    dict(event_id="8", event_type="loss", date="2025-03-08", enterprise_id="E1",
         lot_id="L1", mass_kg="5", note="损耗 handling"),
    dict(event_id="9", event_type="stock", date="2025-03-31", enterprise_id="E1",
         lot_id="L1", mass_kg="0"),
]  # fmt: skip


def good_rows() -> list[dict[str, str]]:
    """A fresh copy of the valid month (tests mutate it)."""
    return [dict(row) for row in GOOD]


def csv_text(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    """CSV text of ``rows`` with ``columns`` as the header (default: all upload columns)."""
    columns = list(UPLOAD_COLUMNS) if columns is None else columns
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return buffer.getvalue()


def problems(path: Path, name: str = "up.csv") -> list[str]:
    """The problems read_upload reports for ``path`` (as strings); fails if it loads."""
    with pytest.raises(InputError) as caught:
        read_upload(path, display_name=name)
    return [str(p) for p in caught.value.problems]
