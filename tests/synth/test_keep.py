"""The answer key's kept events (synth.keep) equal the months simply concatenated."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from flowgraph.synth.keep import EventKeeper

IDS = st.one_of(st.none(), st.sampled_from(["L1", "L2", "L3", "L10", "X", "é-7"]))
ENTERPRISES = st.sampled_from(["Z9", "B2", "A1", "M5"])


@st.composite
def months(draw):
    out = []
    for m in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, 6))
        out.append(
            pd.DataFrame(
                {
                    "event_id": [f"{m}-{i}" for i in range(n)],
                    "enterprise_id": pd.Series(
                        draw(st.lists(ENTERPRISES, min_size=n, max_size=n)), dtype=object
                    ),
                    "period": pd.Series([f"2024-{m + 1:02d}"] * n, dtype="str"),
                    "lot_id": pd.Series(draw(st.lists(IDS, min_size=n, max_size=n)), dtype=object),
                    "mass_kg": np.arange(n, dtype=float) + m,
                }
            )
        )
    return out


@settings(max_examples=60, deadline=None)
@given(months())
def test_kept_events_are_the_months_concatenated(parts):
    keeper = EventKeeper()
    for part in parts:
        keeper.add(part)
    kept = keeper.table()
    whole = pd.concat(parts, ignore_index=True)
    assert "event_id" not in kept  # never read by the oracle
    for column in ("enterprise_id", "lot_id"):
        values = whole[column]
        # categories in order of first appearance; the values themselves unchanged
        assert list(kept[column].cat.categories) == list(pd.unique(values.dropna()))
        assert kept[column].astype(object).where(kept[column].notna(), None).tolist() == [
            v if isinstance(v, str) else None for v in values
        ]
    assert kept["period"].tolist() == whole["period"].tolist()
    # one byte a row, and ordered as the text: the oracle takes minima and sorts on it
    assert kept["period"].cat.ordered
    assert list(kept["period"].cat.categories) == sorted(set(whole["period"]))
    assert kept["period"].min() == whole["period"].min()
    assert kept["mass_kg"].tolist() == whole["mass_kg"].tolist()
    pairs = sorted(set(zip(whole["enterprise_id"], whole["period"], strict=True)))
    rank = {pair: i + 1 for i, pair in enumerate(pairs)}
    expected = [rank[p] for p in zip(whole["enterprise_id"], whole["period"], strict=True)]
    assert kept["upload_id"].tolist() == expected
