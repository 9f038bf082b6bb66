"""Statuses (SPEC §6) as a pure function of this run, the previous run and the review log."""

import pandas as pd
import pytest

from flowgraph.investigations import compute_statuses
from flowgraph.investigations.status import empty_reviews, latest_reviews


def run(**sizes):
    return pd.DataFrame({"finding_id": list(sizes), "reo_kg": [float(v) for v in sizes.values()]})


def log(*rows):
    frame = pd.DataFrame(
        [dict(zip(("finding_id", "decision", "reo_kg", "run"), r, strict=True)) for r in rows]
    )
    frame["review_id"] = range(1, len(frame) + 1)
    frame["reviewed_at"] = "2026-01-01T00:00:00+00:00"
    frame["note"] = None
    frame["reviewed_by"] = "li"
    return frame


def statuses(result):
    return dict(zip(result.current["finding_id"], result.current["status"], strict=True))


def test_every_status():
    now = run(a=1, b=1, c=1, d=1)
    before = run(b=1, c=1, d=1, gone=5)
    reviews = log(("c", "confirm", 1, 1), ("d", "dismiss", 1, 1))
    result = compute_statuses(now, before, reviews)
    assert statuses(result) == {"a": "new", "b": "open", "c": "confirmed", "d": "dismissed"}
    assert result.resolved["finding_id"].tolist() == ["gone"]
    assert result.resolved["status"].tolist() == ["resolved"]
    assert result.reopenings.empty
    assert result.current["previous_reo_kg"].tolist() == [None, 1.0, 1.0, 1.0]


def test_first_run_is_all_new():
    assert set(statuses(compute_statuses(run(a=1, b=2), None, empty_reviews())).values()) == {"new"}


def test_latest_review_wins():
    reviews = log(("a", "dismiss", 1, 1), ("a", "confirm", 1, 1), ("b", "confirm", 1, 1),
                  ("b", "reopen", 1, 1))  # fmt: skip
    assert statuses(compute_statuses(run(a=1, b=1), run(a=1, b=1), reviews)) == {
        "a": "confirmed",
        "b": "open",
    }


def test_reviewed_but_absent_before_is_not_new():
    reviews = log(("a", "reopen", 1, 1))
    assert statuses(compute_statuses(run(a=1), None, reviews)) == {"a": "open"}


@pytest.mark.parametrize(("now", "expected"), [(109.0, "dismissed"), (110.0, "dismissed"),
                                                 (111.0, "open"), (50.0, "dismissed")])  # fmt: skip
def test_dismissed_reopens_only_past_ten_percent(now, expected):
    result = compute_statuses(run(a=now), run(a=100), log(("a", "dismiss", 100.0, 1)))
    assert statuses(result) == {"a": expected}
    if expected == "open":
        (reopen,) = result.reopenings.to_dict("records")
        assert reopen["decision"] == "reopen" and reopen["reviewed_by"] == "flowgraph"
        assert "111.0" in reopen["note"] and "100.0" in reopen["note"]
        assert reopen["reo_kg"] == 111.0
    else:
        assert result.reopenings.empty


def test_a_dismissal_of_nothing_reopens_on_any_growth():
    result = compute_statuses(run(a=0.5), run(a=0), log(("a", "dismiss", 0.0, 1)))
    assert statuses(result) == {"a": "open"}


def test_resolved_wins_over_reviews():
    result = compute_statuses(run(), run(a=1), log(("a", "confirm", 1, 1)))
    assert result.resolved["status"].tolist() == ["resolved"]


def test_reviews_after_a_run_do_not_change_its_past_statuses():
    reviews = log(("a", "dismiss", 1, 1), ("a", "confirm", 1, 3))
    assert latest_reviews(reviews, up_to_run=2).loc["a", "decision"] == "dismiss"
    assert latest_reviews(reviews).loc["a", "decision"] == "confirm"
