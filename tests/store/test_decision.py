"""The save decision both stores call (flowgraph.store.decision), without any store."""

from __future__ import annotations

import neo4j_scenario as scenario
import pytest

from flowgraph.errors import InputError
from flowgraph.model import Registry
from flowgraph.store.decision import StoredUpload, decide_registry, decide_save, registry_digest
from flowgraph.store.idkeys import EnterpriseKeys


def _upload():
    return scenario.make_upload(
        [scenario.ev("7", "consume", "2024-04-02", "S1", "L1", 1, batch_id="B1")], "s1-apr.csv"
    )


def test_cross_upload_problems_name_file_row_column():
    keys = EnterpriseKeys.of_periods({"2024-03": (frozenset({"7"}), frozenset({"B1"}))})
    with pytest.raises(InputError) as info:
        decide_save(_upload(), [], keys)
    assert [str(p) for p in info.value.problems] == [
        "s1-apr.csv:2:batch_id: batch 'B1' is already used by S1 in its 2024-03 upload",
        "s1-apr.csv:2:event_id: event_id '7' is already used by S1 in its 2024-03 upload",
    ]
    keys = EnterpriseKeys.of_periods({"2024-03": (frozenset({"8"}), frozenset())})
    assert decide_save(_upload(), [], keys).status == "loaded"


def test_ids_of_the_same_period_are_not_a_clash():
    keys = EnterpriseKeys.of_periods({"2024-04": (frozenset({"7"}), frozenset({"B1"}))})
    assert decide_save(_upload(), [], keys).status == "loaded"


def test_revision_is_one_more_than_any_stored_and_supersedes_the_current():
    upload = _upload()
    history = [
        StoredUpload(3, "x" * 64, 1, False),
        StoredUpload(9, "y" * 64, 3, True),
        StoredUpload(5, "z" * 64, 2, False),
    ]
    decision = decide_save(upload, history, EnterpriseKeys())
    assert (decision.status, decision.revision, decision.supersedes) == ("superseded", 4, 9)
    assert decision.result(upload, 12).upload_id == 12


def test_same_bytes_as_the_current_upload_is_unchanged_even_with_clashing_ids():
    upload = _upload()
    history = [StoredUpload(9, upload.sha256, 2, True)]
    keys = EnterpriseKeys.of_periods({"2024-03": (frozenset({"7"}), frozenset())})
    decision = decide_save(upload, history, keys)
    assert (decision.status, decision.revision, decision.writes) == ("unchanged", 2, False)
    assert decision.result(upload, 12).upload_id is None
    # Same bytes as a superseded revision only: news again.
    history = [StoredUpload(9, upload.sha256, 1, False), StoredUpload(10, "q" * 64, 2, True)]
    assert decide_save(upload, history, EnterpriseKeys()).revision == 3


def test_registry_version_counts_on_unless_identical_to_the_latest():
    reg = scenario.registry()
    assert decide_registry(reg, None, None).version == 1
    assert decide_registry(reg, 4, registry_digest(reg)).status == "unchanged"
    assert decide_registry(reg, 4, registry_digest(Registry.empty())).version == 5
