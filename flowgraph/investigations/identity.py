"""A finding's identity across runs and stores (SPEC §6): ``finding_id``.

The id is the first 12 hex digits of the SHA-256 of the type and the identity values joined by
``|`` (null as empty text, ``year`` as decimal digits). The identity is the type's SPEC §5 key,
with ``enterprise_id`` placed first for the types keyed by a ``batch_id`` or a ``shipment_id``
alone (batch and shipment ids are each enterprise's own).

>>> finding_id("TRANSFORM_GAIN", {"enterprise_id": "E017", "batch_id": "B-17-0311"})
'5ebcd00b8f24'
>>> finding_id("QUOTA_EXCEEDED", {"enterprise_id": "E017", "year": 2025, "activity": "mining"})
'e205498177bc'
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

import pandas as pd

from flowgraph.model import FINDING_KEYS

ID_LENGTH = 12
MIN_PREFIX = 6  # a unique prefix this long may stand for an id on the command line


def identity_columns(finding_type: str) -> tuple[str, ...]:
    """The columns whose values identify a finding of ``finding_type``, in id order.

    >>> identity_columns("TRANSIT_MISMATCH"), identity_columns("LOT_OVERDRAWN")
    (('enterprise_id', 'shipment_id'), ('enterprise_id', 'lot_id'))
    """
    keys = FINDING_KEYS[finding_type]
    if keys in (("batch_id",), ("shipment_id",)):
        return ("enterprise_id", *keys)
    return keys


def _text(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if column == "year":
        return str(int(value))
    return str(value)


def identity_text(finding_type: str, values: Mapping[str, object]) -> str:
    """The text whose hash is the id: ``TYPE|value|value…``.

    >>> identity_text("STOCK_MISMATCH", {"enterprise_id": "E1", "lot_id": None, "period": "2025-03"})
    'STOCK_MISMATCH|E1||2025-03'
    """
    parts = [finding_type]
    parts += [_text(c, values.get(c)) for c in identity_columns(finding_type)]
    return "|".join(parts)


def finding_id(finding_type: str, values: Mapping[str, object]) -> str:
    """The SPEC §6 ``finding_id`` of one finding (see the module docstring for examples)."""
    text = identity_text(finding_type, values)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_LENGTH]


def finding_ids(findings: pd.DataFrame) -> pd.Series:
    """The ``finding_id`` of every row of a findings table (index kept).

    >>> f = pd.DataFrame({"type": ["TRANSFORM_GAIN"], "enterprise_id": ["E017"],
    ...     "batch_id": ["B-17-0311"]})
    >>> finding_ids(f).tolist()
    ['5ebcd00b8f24']
    """
    if findings.empty:
        return pd.Series([], index=findings.index, dtype="object")
    records = findings.to_dict("records")
    return pd.Series(
        [finding_id(r["type"], r) for r in records], index=findings.index, dtype="object"
    )


def with_finding_ids(findings: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``findings`` with its ``finding_id`` column (re)computed."""
    out = findings.copy()
    out["finding_id"] = finding_ids(findings)
    return out
