"""Quota burn-down: use, crossing month, projection, no-quota users, smelting batches."""

from __future__ import annotations

import pandas as pd
import pytest
from lineage_chains import consume, extract, frame, produce, row

from flowgraph.analysis.burndown import quota_burndown, smelting_batch_ids
from flowgraph.errors import UsageError
from flowgraph.model import registry_from_records


def quotas(*rows):
    return registry_from_records(
        enterprises=[
            {
                "enterprise_id": "M1",
                "name": "Baotou Mine",
                "province": "NM",
                "group": "G",
                "roles": "mine",
            }
        ],
        quotas=[
            {"enterprise_id": e, "year": y, "activity": a, "quota_t_reo": q} for e, y, a, q in rows
        ],
    )


def monthly_mining(months, tonnes_reo_each=3.0, ent="M1", year=2024):
    # 5,000 kg at 60 % = 3 t REO per extraction
    mass = tonnes_reo_each * 1000 / 0.6
    return [
        extract(f"{year}-{m:02d}-10", ent, f"{ent}-L{year}{m}", mass, pct=60, product="BAST_CONC")
        for m in months
    ]


def test_crossing_month_when_over():
    ev = frame(*monthly_mining(range(1, 8)))  # 3 t a month, Jan..Jul: 21 t
    table = quota_burndown(ev, quotas(("M1", 2024, "mining", 10.0)), year=2024)
    (r,) = table.to_dict("records")
    assert r["used_t_reo"] == pytest.approx(21.0)
    assert r["share_used"] == pytest.approx(2.1)
    assert bool(r["over"])
    assert r["crossed"] == "2024-04"  # 9 t after March, 12 t after April
    assert r["projected_crossing"] == "2024-04"
    assert r["months"] == 7
    assert r["monthly_rate"] == pytest.approx(3.0)
    assert r["name"] == "Baotou Mine"


def test_exactly_at_quota_is_not_over():
    ev = frame(*monthly_mining(range(1, 5)))  # 12 t
    (r,) = quota_burndown(ev, quotas(("M1", 2024, "mining", 12.0))).to_dict("records")
    assert not r["over"]
    assert r["crossed"] is None
    assert r["projected_crossing"] == "2024-05"  # 3 t/month: 15 t > 12 t in May


def test_projection_beyond_december_is_none():
    ev = frame(*monthly_mining([1, 2]))  # 6 t, 3 t/month
    (r,) = quota_burndown(ev, quotas(("M1", 2024, "mining", 36.0))).to_dict("records")
    assert r["projected_crossing"] is None  # 36 t would be reached only in December, not crossed
    (r,) = quota_burndown(ev, quotas(("M1", 2024, "mining", 35.9))).to_dict("records")
    assert r["projected_crossing"] == "2024-12"


def test_months_count_to_the_last_month_with_data():
    # Extracts in Jan and Feb only, but the mine reported stock in June: rate = 6 t / 6 months
    records = monthly_mining([1, 2]) + [row("stock", "2024-06-30", "M1", "M1-L20241", 0)]
    (r,) = quota_burndown(frame(*records), quotas(("M1", 2024, "mining", 100.0))).to_dict("records")
    assert r["months"] == 6
    assert r["monthly_rate"] == pytest.approx(1.0)


def test_as_of_cuts_the_year():
    ev = frame(*monthly_mining(range(1, 8)))
    (r,) = quota_burndown(ev, quotas(("M1", 2024, "mining", 10.0)), as_of="2024-03").to_dict(
        "records"
    )
    assert r["used_t_reo"] == pytest.approx(9.0)
    assert not r["over"]
    assert r["projected_crossing"] == "2024-04"
    with pytest.raises(UsageError):
        quota_burndown(ev, quotas(), as_of="March")


def test_other_years_do_not_count_and_default_is_latest_year():
    ev = frame(*monthly_mining([11, 12], year=2023), *monthly_mining([1], year=2024))
    reg = quotas(("M1", 2023, "mining", 5.0), ("M1", 2024, "mining", 5.0))
    (r,) = quota_burndown(ev, reg).to_dict("records")
    assert (r["year"], r["used_t_reo"]) == (2024, pytest.approx(3.0))
    (r,) = quota_burndown(ev, reg, year=2023).to_dict("records")
    assert r["used_t_reo"] == pytest.approx(6.0)
    assert r["crossed"] == "2023-12"


def test_users_without_quota_are_listed_after_quota_holders():
    ev = frame(*monthly_mining([1]), *monthly_mining([1, 2], ent="M9"))
    table = quota_burndown(ev, quotas(("M1", 2024, "mining", 100.0), ("Q0", 2024, "mining", 1.0)))
    assert table["enterprise_id"].tolist() == ["M1", "Q0", "M9"]  # share 3 %, 0 %, no quota
    m9 = table.iloc[2]
    assert pd.isna(m9["quota_t_reo"]) and pd.isna(m9["share_used"])
    assert m9["used_t_reo"] == pytest.approx(6.0)
    assert not m9["over"]
    assert table.iloc[1]["used_t_reo"] == 0.0


def test_sorted_by_share_used():
    ev = frame(*monthly_mining([1]), *monthly_mining([1], ent="M2"))
    table = quota_burndown(ev, quotas(("M1", 2024, "mining", 30.0), ("M2", 2024, "mining", 6.0)))
    assert table["enterprise_id"].tolist() == ["M2", "M1"]


def test_smelting_counts_output_of_batches_that_consume_minerals():
    ev = frame(
        extract("2024-01-05", "M1", "ORE", 10_000, pct=60, product="BAST_CONC"),
        consume("2024-01-10", "S1", "ORE", 10_000, "B1"),  # product from the lot: a mineral
        produce("2024-01-11", "S1", "OX", 5_000, "B1", pct=99),  # 4.95 t REO
        consume("2024-02-10", "S1", "OX", 1_000, "B2"),  # an oxide: not smelting
        produce("2024-02-11", "S1", "MET", 1_000, "B2", pct=116, product="ND_METAL"),
    )
    assert list(smelting_batch_ids(ev)) == [("S1", "B1")]
    reg = quotas(("S1", 2024, "smelting", 4.0))
    table = quota_burndown(ev, reg).set_index(["enterprise_id", "activity"])
    s1 = table.loc[("S1", "smelting")]
    assert s1["used_t_reo"] == pytest.approx(4.95)
    assert s1["crossed"] == "2024-01"
    assert table.loc[("M1", "mining"), "used_t_reo"] == pytest.approx(6.0)  # no quota, listed


def test_empty_inputs_give_an_empty_table():
    table = quota_burndown(frame(*monthly_mining([1])).iloc[:0], registry_from_records())
    assert table.empty
    assert "projected_crossing" in table.columns


def test_smelting_batch_spanning_new_year_counts_in_the_produce_year():
    ev = frame(
        extract("2023-12-01", "M1", "ORE", 10_000, pct=60, product="BAST_CONC"),
        consume("2023-12-30", "S1", "ORE", 10_000, "B1"),
        produce("2024-01-02", "S1", "OX", 5_000, "B1", pct=100),  # 5 t REO in 2024
    )
    reg = quotas(("S1", 2024, "smelting", 4.0), ("S1", 2023, "smelting", 4.0))
    (r,) = quota_burndown(ev, reg, year=2024).query("enterprise_id == 'S1'").to_dict("records")
    assert r["used_t_reo"] == pytest.approx(5.0)
    assert r["crossed"] == "2024-01"
    (r,) = quota_burndown(ev, reg, year=2023).query("enterprise_id == 'S1'").to_dict("records")
    assert r["used_t_reo"] == 0.0
