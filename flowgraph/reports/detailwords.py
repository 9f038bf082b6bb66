"""A finding's ``detail`` sentence in the reader's language, at display time.

Findings are stored with the English detail the detectors write (flowgraph/analysis, and
flowgraph/store/neo4j_detect.py word for word), in both stores and in every recorded run. Each
wording is kept here as a catalogue msgid whose ``{fields}`` name its figures and ids; a detail
that matches its type's wording is shown through the catalogue (ids, numbers, dates, type codes
and country codes carried over as they are; event, activity and customs direction words
translated); any other text is shown unchanged, so nothing is ever lost. English is the text
itself, byte for byte.

>>> localise_detail("TRANSFORM_GAIN", "batch yields 110.3% of its REO input", "zh-CN")
'批次产出的 REO 为其 REO 投入的 110.3%'
>>> localise_detail("UNKNOWN_LOT", "lot first received by E1 with no loaded event creating it", "zh-CN")
'该批号最早见于 E1 的收货记录，已载入的事件中没有创建该批号的记录'
>>> localise_detail("TRANSFORM_GAIN", "batch yields 110.3% of its REO input", "en")
'batch yields 110.3% of its REO input'
>>> localise_detail("TRANSFORM_GAIN", "a wording of some other day", "zh-CN")
'a wording of some other day'
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

from flowgraph.i18n import check_language, translator
from flowgraph.reports.words import N_

# Per finding type: the wordings of its detail (most specific first) and the optional
# parenthesised tails a detector appends after a space.
WORDINGS: dict[str, tuple[str, ...]] = {
    "TRANSFORM_GAIN": (
        N_("batch yields {pct}% of its REO input"),
        N_("batch yields {kg} kg REO from no recorded input"),
    ),
    "TRANSFORM_LOSS": (N_("batch yields {pct}% of its REO input"),),
    "LOT_OVERDRAWN": (N_("outflows {out} kg exceed created + received {into} kg"),),
    "TRANSIT_MISMATCH": (
        N_("{sender} shipped {shipped} kg to {receiver}, which received {received} kg"),
    ),
    "UNCONFIRMED_SHIPMENT": (
        N_("{sender} shipped {kg} kg to {receiver}; no receipt in {receiver}'s uploads"),
    ),
    "STOCK_MISMATCH": (N_("declared closing stock {declared} kg, book stock {book} kg"),),
    "UNKNOWN_LOT": (N_("lot first {event} by {enterprise} with no loaded event creating it"),),
    "DUPLICATE_LOT": (N_("lot created {n} times (by {makers})"),),
    "RECEIPT_WITHOUT_SHIPMENT": (
        N_("{receiver} received {kg} kg from {sender}; no such shipment in {sender}'s uploads"),
    ),
    "TIME_INVERSION": (
        N_("first outflow {first_out} before first creation or receipt {first_in}"),
    ),
    "LINEAGE_CYCLE": (N_("{n} lots derive from each other in a cycle ({lots})"),),
    "UNTRACEABLE_EXPORT": (N_("{pct}% of the exported REO is untraceable"),),
    "UNDESIGNATED_EXTRACTION": (
        N_("{enterprise} extracted on {date} without a mining designation"),
    ),
    "UNDESIGNATED_SMELTING": (
        N_("{enterprise} smelted mineral product on {date} without a smelting designation"),
    ),
    "UNDESIGNATED_SUPPLY": (
        N_("received from {sender}, which is not in the registry"),
        N_("received mineral product from {sender}, which never lawfully held the lot"),
    ),
    "QUOTA_EXCEEDED": (
        N_("{activity} output {output} t REO in {year} exceeds the {activity} quota of {quota} t"),
    ),
    "CUSTOMS_UNDECLARED": (
        N_(
            "{n} {directions} row(s), {kg} kg, name {document}: no {directions} declaration of "
            "{enterprise} in the customs register"
        ),
    ),
    "CUSTOMS_MASS_MISMATCH": (
        N_("{direction} {document}: {product} uploaded {uploaded} kg, declared {declared} kg"),
    ),
    "UNREPORTED_CUSTOMS": (
        N_(
            "{direction} declaration {document} of {date} ({kg} kg) is in no {direction} row "
            "of {enterprise}'s uploads"
        ),
    ),
    # analysis.licences.why_unlicensed; "open-ended" before the dated end it would also match
    "UNLICENSED_EXPORT": (
        N_("export of controlled {product} to {country} on {date} without a licence_no"),
        N_(
            "export of controlled {product} to {country} on {date} names licence {licence}, "
            "not in the register"
        ),
        N_(
            "export of controlled {product} to {country} on {date} names licence {licence}, "
            "held by {holder}"
        ),
        N_(
            "export of controlled {product} to {country} on {date}: licence {licence} does not "
            "cover it"
        ),
        N_(
            "export of controlled {product} to {country} on {date}: licence {licence} is valid "
            "{valid_from} to open-ended"
        ),
        N_(
            "export of controlled {product} to {country} on {date}: licence {licence} is valid "
            "{valid_from} to {valid_to}"
        ),
    ),
    "LICENCE_EXCEEDED": (
        N_(
            "exports of {product} to {country} under licence {licence}: {kg} kg of {licensed} "
            "kg licensed ({pct}%)"
        ),
    ),
}
TAILS: dict[str, tuple[str, ...]] = {
    "UNTRACEABLE_EXPORT": (N_("({lots} lots; lot_id: the one with the most)"),),
    "CUSTOMS_UNDECLARED": (N_("(it is {owner}'s {direction} declaration)"),),
    "UNLICENSED_EXPORT": (N_("(+{n} more rows)"),),
}

# Words a detail carries in a field, in the reader's language; other values stay as they are.
_WORDS = {
    "event": {
        "received": N_("received"),
        "consumed": N_("consumed"),
        "shipped": N_("shipped"),
        "exported": N_("exported"),
    },
    "activity": {"mining": N_("mining"), "smelting": N_("smelting")},
    "direction": {
        "import": N_("customs direction: import"),
        "export": N_("customs direction: export"),
    },
}
_WORDS["directions"] = _WORDS["direction"]  # "export/import": each part on its own
_FIELD = re.compile(r"{(\w+)}")


def _pattern(wording: str, head: bool = False) -> re.Pattern:
    """The wording as a regular expression: literal text, one lazy group per field (a field
    named twice must repeat the same text). ``head``: the tail form, any text before it."""
    parts, seen, at = ["(?P<_head>.+) "] if head else [], set(), 0
    for field in _FIELD.finditer(wording):
        parts.append(re.escape(wording[at : field.start()]))
        name = field.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        at = field.end()
    parts.append(re.escape(wording[at:]))
    return re.compile("".join(parts), re.S)


@cache
def _patterns(finding_type: str) -> tuple[list, list]:
    bases = [(w, _pattern(w)) for w in WORDINGS.get(finding_type, ())]
    tails = [(w, _pattern(w, head=True)) for w in TAILS.get(finding_type, ())]
    return bases, tails


def _said(wording: str, fields: dict[str, str], _) -> str:
    words = {}
    for name, value in fields.items():
        table = _WORDS.get(name, {})
        parts = value.split("/") if name == "directions" else [value]
        words[name] = "/".join(_(table[p]) if p in table else p for p in parts)
    return _(wording).format(**words)


def _match_base(finding_type: str, text: str):
    for wording, pattern in _patterns(finding_type)[0]:
        found = pattern.fullmatch(text)
        if found:
            return wording, found.groupdict()
    return None


def localise_detail(finding_type: str, detail, lang: str):
    """``detail`` of a finding of ``finding_type`` in ``lang`` (en: unchanged; zh-CN: through
    the catalogue when it has a known wording, else unchanged). Always text, never markup:
    callers escape it as they escape the English."""
    if not isinstance(detail, str) or check_language(lang) == "en":
        return detail
    _ = translator(lang)
    # tails first: a wording's last field would otherwise swallow "E2 (+3 more rows)"
    for wording, pattern in _patterns(finding_type)[1]:
        found = pattern.fullmatch(detail)
        if found is None:
            continue
        fields = found.groupdict()
        head = _match_base(finding_type, fields.pop("_head"))
        if head is not None:
            return _said(*head, _) + _said(wording, fields, _)
    base = _match_base(finding_type, detail)
    return detail if base is None else _said(*base, _)


def localise_details(findings: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The findings with their ``detail`` column in ``lang`` (the same frame in English).

    >>> frame = pd.DataFrame({"type": ["DUPLICATE_LOT"], "detail": ["lot created 2 times (by E1)"]})
    >>> localise_details(frame, "zh-CN")["detail"].tolist()
    ['该批号被创建 2 次（创建方：E1）']
    """
    if check_language(lang) == "en" or "detail" not in findings or "type" not in findings:
        return findings
    texts = [
        localise_detail(t, d, lang)
        for t, d in zip(findings["type"], findings["detail"], strict=True)
    ]
    return findings.assign(detail=texts)
