"""A year of one small chain, month by month, with planted problems for the investigation story.

Every month m: mine M1 extracts lot ORE-m and ships it (SH-m) to smelter S1; S1 receives it,
smelts it in batch B-m into oxide OX-m and ships that (SO-m) to trader T1, who receives it.
Planted (all else balances):

- 2024-02: batch B-2 yields 110% of its REO (TRANSFORM_GAIN)      -> confirmed in the story
- 2024-03: S1 receives 50 kg less of SH-3 (TRANSIT_MISMATCH)       -> dismissed in the story
- 2024-04: batch B-4 yields 70% (TRANSFORM_LOSS)                   -> left open
- 2024-05: S1 receives 80 kg less of SH-5 (TRANSIT_MISMATCH)       -> fixed by S1's revision
  (which corrects the receipt and the batch input; its oxide output and T1's receipt stay)
- 2024-09: batch B-9 yields 112% (TRANSFORM_GAIN)                  -> new in the second run
"""

from __future__ import annotations

import hashlib

from flowgraph.model import Upload, events_frame, registry_from_records

GAIN = {2: 1.10, 4: 0.70, 9: 1.12}
SHORT = {3: 50.0, 5: 80.0}


def registry(note: str = ""):
    """M1 (mining), S1 (smelting) designated for 2024; T1 a trader. ``note`` changes the
    content (a new registry version) without changing what the detectors see."""
    return registry_from_records(
        enterprises=[
            {"enterprise_id": "M1", "name": "Mine One", "province": "Inner Mongolia",
             "group": "G1", "roles": "mine"},
            {"enterprise_id": "S1", "name": "Smelter One" + note, "province": "Jiangxi",
             "group": "G1", "roles": "smelter"},
            {"enterprise_id": "T1", "name": "Trader One", "province": "Jiangxi", "group": "",
             "roles": "trader"},
        ],
        designations=[
            {"enterprise_id": "M1", "activity": "mining", "licence_no": "MIN-1",
             "valid_from": "2024-01-01", "valid_to": "2024-12-31"},
            {"enterprise_id": "S1", "activity": "smelting", "licence_no": "SME-1",
             "valid_from": "2024-01-01", "valid_to": "2024-12-31"},
        ],
    )  # fmt: skip


def _upload(ent: str, month: int, rows: list[dict], revision: int = 1) -> Upload:
    period = f"2024-{month:02d}"
    for n, row in enumerate(rows, start=1):
        row.setdefault("event_id", f"{ent}-{period}-{n}")
        row["enterprise_id"] = ent
    events = events_frame(rows)
    events["source_row"] = range(2, len(events) + 2)
    digest = hashlib.sha256(f"{ent}|{period}|{revision}|{events.to_csv()}".encode()).hexdigest()
    return Upload(f"{ent}/{period}.csv", digest, ent, period, events)


def month(m: int, *, fixed: bool = False) -> list[Upload]:
    """The three uploads of month ``m`` (``fixed``: S1's revision of May without the shortfall)."""
    day = f"2024-{m:02d}"
    ore, ox = f"ORE-{m}", f"OX-{m}"
    received = 1000.0 - (0.0 if fixed and m == 5 else SHORT.get(m, 0.0))
    # 1000 kg at 50% -> 500 kg REO, oxide at 99%; the May revision corrects the receipt and
    # the batch input only (its output, already shipped to T1, stays: a 92% yield, no finding)
    oxide = 500.0 * GAIN.get(m, 1.0) / 0.99 * (1000.0 - SHORT.get(m, 0.0)) / 1000.0
    mine = [
        {"event_type": "extract", "date": f"{day}-02", "lot_id": ore, "product": "BAST_CONC",
         "mass_kg": 1000.0, "reo_pct": 50.0, "document_ref": "MIN-1"},
        {"event_type": "ship", "date": f"{day}-03", "lot_id": ore, "mass_kg": 1000.0,
         "counterparty_id": "S1", "shipment_id": f"SH-{m}"},
    ]  # fmt: skip
    smelter = [
        {"event_type": "receive", "date": f"{day}-04", "lot_id": ore, "product": "BAST_CONC",
         "mass_kg": received, "counterparty_id": "M1", "shipment_id": f"SH-{m}"},
        {"event_type": "consume", "date": f"{day}-05", "lot_id": ore, "mass_kg": received,
         "batch_id": f"B-{m}"},
        {"event_type": "produce", "date": f"{day}-06", "lot_id": ox, "product": "LA_OXIDE",
         "mass_kg": round(oxide, 3), "reo_pct": 99.0, "batch_id": f"B-{m}"},
        {"event_type": "ship", "date": f"{day}-07", "lot_id": ox,
         "mass_kg": round(oxide, 3), "counterparty_id": "T1",
         "shipment_id": f"SO-{m}"},
    ]  # fmt: skip
    trader = [
        {"event_type": "receive", "date": f"{day}-08", "lot_id": ox, "product": "LA_OXIDE",
         "mass_kg": round(oxide, 3), "counterparty_id": "S1",
         "shipment_id": f"SO-{m}"},
    ]  # fmt: skip
    s1 = _upload("S1", m, smelter, revision=2 if fixed else 1)
    if fixed:
        s1 = Upload("S1/2024-05-corrected.csv", s1.sha256, "S1", s1.period, s1.events)
    return [_upload("M1", m, mine), s1, _upload("T1", m, trader)]


def months(first: int, last: int) -> list[Upload]:
    return [u for m in range(first, last + 1) for u in month(m)]
