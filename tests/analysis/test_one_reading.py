"""One reading of the rules: every analysis measures a row's REO and a lot's product the same
way (analysis/prepared.py), and the synth oracle agrees with them.

The case of issue #10: a lot extracted twice by one mine at different grades (1,000 kg at 50%,
then 1,000 kg at 10%). README: a creating row is measured by its own reo_pct, so the mine
extracted 0.5 + 0.1 = 0.6 t REO, and the second creation (DUPLICATE_LOT) is 100 kg REO.
"""

from __future__ import annotations

import pytest

from flowgraph.analysis.burndown import quota_burndown
from flowgraph.analysis.detectors import run_detectors
from flowgraph.model import events_frame, registry_from_records
from flowgraph.reports.evidence import evidence
from flowgraph.reports.flows import DESIGNATED_MINE, flow_table
from flowgraph.synth.oracle import reference_findings


def _regraded_lot():
    def extract(n, date, pct):
        return {"event_id": f"M-{n}", "event_type": "extract", "date": date,
                "enterprise_id": "M1", "lot_id": "L1", "product": "BAST_CONC",
                "mass_kg": 1000, "reo_pct": pct, "document_ref": "LIC-1", "source_row": n + 1}  # fmt: skip

    return events_frame([extract(1, "2024-03-04", 50), extract(2, "2024-04-08", 10)])


def _registry(quota_t: float):
    return registry_from_records(
        enterprises=[{"enterprise_id": "M1", "name": "Mine", "roles": "mine"}],
        designations=[{"enterprise_id": "M1", "activity": "mining", "licence_no": "LIC-1",
                       "valid_from": "2024-01-01", "valid_to": None}],
        quotas=[{"enterprise_id": "M1", "year": 2024, "activity": "mining",
                 "quota_t_reo": quota_t}],
    )  # fmt: skip


def _quota(found):
    return found[found["type"] == "QUOTA_EXCEEDED"]


@pytest.mark.parametrize("quota_t, over", [(0.7, False), (0.55, True)])
def test_quota_burndown_detect_and_oracle_count_the_same_tonnes(quota_t, over):
    ev, reg = _regraded_lot(), _registry(quota_t)
    (burn,) = quota_burndown(ev, reg, 2024).to_dict("records")
    assert burn["used_t_reo"] == pytest.approx(0.6)
    assert bool(burn["over"]) is over
    assert burn["crossed"] == ("2024-04" if over else None)
    for found in (run_detectors(ev, reg), reference_findings(ev, reg)):
        quota = _quota(found)
        assert len(quota) == int(over)
        if over:
            assert quota["reo_kg"].iloc[0] == pytest.approx(50.0)  # 600 - 550 kg
            assert quota["period"].iloc[0] == "2024-04"


def test_duplicate_lot_reo_is_the_second_creation_at_its_own_grade_in_detect_and_oracle():
    ev, reg = _regraded_lot(), _registry(10.0)
    for found in (run_detectors(ev, reg), reference_findings(ev, reg)):
        (dup,) = found[found["type"] == "DUPLICATE_LOT"].to_dict("records")
        assert dup["reo_kg"] == pytest.approx(100.0)
        assert dup["period"] == "2024-04"


def test_flow_table_and_evidence_measure_the_creations_as_the_detectors_do():
    ev, reg = _regraded_lot(), _registry(0.55)
    table = flow_table(ev, reg)
    mined = table.loc[table["source"] == DESIGNATED_MINE, "reo_t"].sum()
    assert mined == pytest.approx(0.6)
    rows = evidence(_quota(run_detectors(ev, reg)), ev)
    assert sorted(rows["reo_kg"].tolist()) == pytest.approx([100.0, 500.0])
