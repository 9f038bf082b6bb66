"""The encoded read of the embedded store's codec (eventcodec.decode_stream) on what a national
upload holds: more distinct values in one column of one upload than a 16-bit code counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.model import EVENT_COLUMNS, TEXT_COLUMNS
from flowgraph.store import eventcodec


def _upload(n: int, prefix: str) -> pd.DataFrame:
    ids = [f"{prefix}{i:06d}" for i in range(n)]
    frame = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in EVENT_COLUMNS})
    frame["event_id"] = ids
    frame["lot_id"] = [f"L{i // 2:06d}" for i in range(n)]  # shared by two rows each
    frame["event_type"] = np.where(np.arange(n) % 2, "ship", "stock").astype(object)
    frame["enterprise_id"] = "E1"
    frame["date"] = pd.Timestamp("2024-03-05")
    frame["mass_kg"] = np.arange(n, dtype="float64")
    frame["reo_pct"] = np.nan
    frame["period"] = "2024-03"
    frame["upload_id"] = 0
    frame["source_row"] = np.arange(2, n + 2)
    return frame


def test_an_upload_with_more_than_32767_distinct_ids_decodes_exactly():
    first, second = _upload(40_000, "A"), _upload(5, "B")  # event ids: 40,000 distinct
    blobs = [eventcodec.encode_events(first), eventcodec.encode_events(second)]
    plain = eventcodec.decode_events(blobs, [1, 2])
    encoded = eventcodec.decode_stream(zip([1, 2], blobs, strict=True))
    for column in TEXT_COLUMNS + ("period",):
        codes, uniques = pd.factorize(plain[column].to_numpy(dtype=object))
        assert encoded[column].cat.codes.tolist() == codes.tolist(), column
        assert list(encoded[column].cat.categories) == list(uniques), column
    assert (
        encoded["event_id"].iloc[39_999] == "A039999" and encoded["event_id"].iloc[-1] == "B000004"
    )
    assert encoded["upload_id"].tolist() == [1] * 40_000 + [2] * 5
