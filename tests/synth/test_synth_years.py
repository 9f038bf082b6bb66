"""`synth --years N`: consecutive years on one ledger, every year planted, one answer key.

The key (the oracle's reading of the events) must be exactly the planted stories of every
year, and `detect` on the loaded files must find exactly the key; across the year ends stock,
shipments in transit and lineage carry over; the registers hold every year."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from synthfiles import synth_events

from flowgraph.analysis.detectors import run_detectors
from flowgraph.cli.main import cli
from flowgraph.model import FINDING_KEYS, FINDING_TYPES
from flowgraph.synth import generate

YEARS = ("2024", "2025", "2026")


def _key(d: dict) -> tuple:
    values = []
    for c in FINDING_KEYS[d["type"]]:
        v = d.get(c)
        values.append(None if v is None or v != v else int(v) if c == "year" else v)
    return (d["type"], *values)


@pytest.fixture(scope="module")
def world(three_years, three_years_uploads):
    answers = [
        json.loads(line) for line in (three_years.outdir / "answers.jsonl").read_text().splitlines()
    ]
    events, registry = synth_events(three_years.outdir, three_years_uploads)
    return three_years, answers, events, registry


def test_every_type_is_planted_in_every_year_and_the_key_is_what_was_planted(world):
    result, answers, _, _ = world
    assert {(a["type"], a["period"][:4]) for a in answers} == {
        (t, y) for t in FINDING_TYPES for y in YEARS
    }
    assert {_key(a) for a in answers} == {_key(d) for d in result.intended}


def test_detect_finds_exactly_the_key_of_the_three_years(world):
    _, answers, events, registry = world
    found = run_detectors(events, registry).to_dict("records")
    expected = {_key(a): a for a in answers}
    got = {_key(f): f for f in found}
    assert set(got) - set(expected) == set(), "found but not in the answer key"
    assert set(expected) - set(got) == set(), "in the answer key but not found"
    for key, answer in expected.items():
        assert got[key]["period"] == answer["period"], key
        assert got[key]["reo_kg"] == pytest.approx(answer["reo_kg"], rel=0.01, abs=1e-3), key


def test_uploads_cover_every_month_of_every_year(world):
    _, _, events, _ = world
    periods = set(events["period"])
    assert periods == {f"{y}-{m:02d}" for y in YEARS for m in range(1, 13)}
    assert (events["date"].dt.strftime("%Y-%m") == events["period"]).all()


def test_shipments_in_transit_cross_the_year_end(world):
    _, _, ev, _ = world
    ships = ev[ev["event_type"] == "ship"].set_index("shipment_id")["period"]
    got = ev[ev["event_type"] == "receive"].set_index("shipment_id")["period"]
    both = pd.DataFrame({"sent": ships, "got": got}).dropna()
    for y in YEARS[:-1]:
        crossing = both[(both["sent"] == f"{y}-12") & (both["got"] == f"{int(y) + 1}-01")]
        assert len(crossing) >= 1, y


def test_stock_held_at_the_year_end_is_used_the_next_year(world):
    _, _, ev, _ = world
    for y in YEARS[:-1]:
        held = ev[(ev["event_type"] == "stock") & (ev["period"] == f"{y}-12")]
        used = ev[
            ev["event_type"].isin(["consume", "ship", "export"])
            & ev["period"].str.startswith(str(int(y) + 1))
        ]
        pairs = set(zip(held["enterprise_id"], held["lot_id"], strict=True))
        carried = {p for p in zip(used["enterprise_id"], used["lot_id"], strict=True) if p in pairs}
        assert len(carried) >= 10, y


def test_lineage_reaches_back_into_earlier_years(world):
    _, _, ev, _ = world
    created = ev[ev["event_type"].isin(["extract", "import", "produce"])]
    born = created.groupby("lot_id")["period"].min()
    consumed = ev[ev["event_type"] == "consume"]
    older = consumed["lot_id"].map(born).str[:4] < consumed["period"].str[:4]
    assert older.sum() >= 10
    # ... and a later year's batch output descends from such a lot
    batches = set(consumed.loc[older, "batch_id"])
    made = created[(created["event_type"] == "produce") & created["batch_id"].isin(batches)]
    assert len(made) >= 10


def test_registers_hold_every_year(world):
    result, _, events, registry = world
    quotas = registry.quotas.groupby(["year", "activity"])["quota_t_reo"].sum().round()
    for y in YEARS:
        assert quotas[(int(y), "mining")] == 270_000.0
        assert quotas[(int(y), "smelting")] == 254_000.0
    # The Shaoguan mine: designated January-September of every year, lapsed each autumn.
    des = registry.designations
    lapsing = des[des["valid_to"].notna()]
    assert lapsing["enterprise_id"].nunique() == 1 and len(lapsing) == 3
    assert sorted(lapsing["valid_to"].dt.strftime("%Y-%m-%d")) == [f"{y}-09-30" for y in YEARS]
    # Licences: one set a year, valid inside the year; every licensed export names one of its year.
    lic = registry.licences
    assert set(lic["valid_to"].dt.year) == {int(y) for y in YEARS}
    assert (lic["valid_from"].dt.year == lic["valid_to"].dt.year).all()
    numbered = events[events["licence_no"].notna()]
    year_of = dict(zip(lic["licence_no"], lic["valid_to"].dt.year, strict=False))
    assert (numbered["licence_no"].map(year_of) == numbered["date"].dt.year).all()
    # Customs: every year's imports and exports are declared in that year.
    customs = registry.customs
    assert set(customs["date"].dt.year) == {int(y) for y in YEARS}
    assert len(registry.controls) >= 1 and registry.controls["valid_to"].isna().all()


def test_one_year_output_is_unchanged(tmp_path):
    """`--years 1` (the default) writes, byte for byte, what synth wrote before years existed
    (SHA-256 of every file but the XLSX ones, whose zip records the time it was written).
    A deliberate change to the generator changes this hash: say why in the commit."""
    out = generate(tmp_path, seed=1, scale=0.2).outdir
    h = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.suffix != ".xlsx"):
        h.update(str(path.relative_to(out)).encode())
        h.update(path.read_bytes())
    assert h.hexdigest() == "0bc9173c291b9643ea70ebf0fd2983cfaf7e44c07894997f582db9333abb5023"


def test_cli_years(tmp_path):
    result = CliRunner().invoke(
        cli, ["synth", str(tmp_path / "out"), "--scale", "0.05", "--years", "2", "--clean"]
    )
    assert result.exit_code == 0, result.output
    files = {p.stem[:4] for p in (tmp_path / "out" / "uploads").rglob("*.*")}
    assert files == {"2024", "2025"}
    assert "Answer key: 0 findings" in result.output
    bad = CliRunner().invoke(cli, ["synth", str(tmp_path / "x"), "--years", "0"])
    assert bad.exit_code == 2 and "--years" in bad.output
    assert not (tmp_path / "x").exists()
