"""finding_id (SPEC §6): the two examples of the SPEC, and the identity rules behind them."""

import hashlib

import pandas as pd
import pytest

from flowgraph.analysis.findings import make_findings
from flowgraph.investigations import finding_id, finding_ids
from flowgraph.investigations.identity import identity_columns, identity_text
from flowgraph.model import FINDING_KEYS


def test_spec_examples():
    assert finding_id("TRANSFORM_GAIN", {"enterprise_id": "E017", "batch_id": "B-17-0311"}) == (
        "5ebcd00b8f24"
    )
    quota = {"enterprise_id": "E017", "year": 2025, "activity": "mining"}
    assert finding_id("QUOTA_EXCEEDED", quota) == "e205498177bc"


def test_the_same_from_a_findings_table_whatever_the_measurements():
    frame = make_findings(
        "QUOTA_EXCEEDED",
        pd.DataFrame(
            {"enterprise_id": ["E017"] * 2, "year": [2025.0, 2025], "activity": ["mining"] * 2,
             "period": ["2025-10", "2025-11"], "reo_kg": [1.0, 99.0], "detail": ["a", "b"]}
        ),
    )  # fmt: skip
    assert finding_ids(frame).tolist() == ["e205498177bc", "e205498177bc"]


@pytest.mark.parametrize("finding_type", sorted(FINDING_KEYS))
def test_enterprise_first_for_batch_or_shipment_alone(finding_type):
    keys = FINDING_KEYS[finding_type]
    columns = identity_columns(finding_type)
    if keys in (("batch_id",), ("shipment_id",)):
        assert columns == ("enterprise_id", *keys)
    else:
        assert columns == keys


def test_batch_ids_of_two_enterprises_are_two_findings():
    a = finding_id("TRANSFORM_GAIN", {"enterprise_id": "E1", "batch_id": "B1"})
    b = finding_id("TRANSFORM_GAIN", {"enterprise_id": "E2", "batch_id": "B1"})
    assert a != b


def test_null_is_empty_text_and_year_decimal_digits():
    text = identity_text(
        "STOCK_MISMATCH", {"enterprise_id": "E1", "lot_id": None, "period": "2025-01"}
    )
    assert text == "STOCK_MISMATCH|E1||2025-01"
    text = identity_text(
        "QUOTA_EXCEEDED", {"enterprise_id": "E1", "year": 2025.0, "activity": None}
    )
    assert text == "QUOTA_EXCEEDED|E1|2025|"
    expected = hashlib.sha256(b"QUOTA_EXCEEDED|E1|2025|").hexdigest()[:12]
    assert finding_id("QUOTA_EXCEEDED", {"enterprise_id": "E1", "year": 2025}) == expected


def test_non_ascii_ids_hash_their_utf8_text():
    expected = hashlib.sha256("UNKNOWN_LOT|批次-1".encode()).hexdigest()[:12]
    assert finding_id("UNKNOWN_LOT", {"lot_id": "批次-1"}) == expected
