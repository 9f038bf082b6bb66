"""`flowgraph detect`: formats, filters, exit statuses, saving the run."""

import json

import pytest
from click.testing import CliRunner
from flowdata import clean_records, ev, registry, replace

from flowgraph.cli.main import cli
from flowgraph.encoding import encode_text
from flowgraph.model import FINDING_COLUMNS, events_frame
from flowgraph.store.local import LocalStore

OUTPUT_COLUMNS = [*FINDING_COLUMNS, "finding_id", "status"]


class FakeStore:
    """Hand-made events and registry; runs and reviews in a real embedded store beside."""

    uri = "fake"

    def __init__(self, records, reg, path):
        self._events = events_frame(records)
        self._registry = reg
        self._runs = LocalStore.open(path)

    def events(self, period=None, year=None, encoded=False):
        return encode_text(self._events) if encoded else self._events

    def registry(self):
        return self._registry

    def __getattr__(self, name):  # runs, reviews, uploads (none), registry_version
        return getattr(self._runs, name)

    def close(self):
        pass


def _dirty_records():
    recs = replace(clean_records(), 2, mass_kg=900)  # transit mismatch of 100 kg in Jan
    recs.append(
        ev(
            "extract",
            "2024-02-06",
            "M1",
            "L1",
            10,
            product="BAST_CONC",
            reo_pct=60,
            document_ref="LIC-M1",
        )
    )
    return recs


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)
    fake = FakeStore(
        _dirty_records(),
        registry(
            quotas=[{"enterprise_id": "M1", "year": 2024, "activity": "mining", "quota_t_reo": 0.1}]
        ),
        tmp_path / "runs.db",
    )
    monkeypatch.setattr("flowgraph.cli.context.open_store", lambda uri, **_: fake)
    return fake


def run(*args):
    return CliRunner().invoke(cli, ["detect", *args])


def test_jsonl_has_every_key_and_no_nan(store):
    result = run("--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["type"] for r in lines] == [
        "LOT_OVERDRAWN",
        "TRANSIT_MISMATCH",
        "DUPLICATE_LOT",
        "QUOTA_EXCEEDED",
    ]
    for record in lines:
        assert list(record) == OUTPUT_COLUMNS
        assert record["status"] == "new" and len(record["finding_id"]) == 12
        assert "NaN" not in json.dumps(record)
    quota = next(r for r in lines if r["type"] == "QUOTA_EXCEEDED")
    assert quota["year"] == 2024 and quota["activity"] == "mining"
    other = next(r for r in lines if r["type"] == "TRANSIT_MISMATCH")
    assert other["year"] is None and other["activity"] is None and other["shipment_id"] == "S-1"


def test_unfiltered_run_is_recorded_filtered_is_not(store):
    first = run("--format", "csv")
    assert first.exit_code == 0
    assert "Recorded run 1: 4 new" in first.stderr
    assert store.runs()["run"].tolist() == [1]
    for args in (
        ("--period", "2024-01"),
        ("--enterprise", "M1"),
        ("--type", "QUOTA_EXCEEDED"),
        ("--tolerance", "transit_pct=1"),
    ):
        assert run(*args).exit_code == 0
    again = run("--format", "jsonl")
    assert "not recorded again; showing run 1" in again.stderr
    assert store.runs()["run"].tolist() == [1]
    statuses = {json.loads(x)["status"] for x in again.stdout.splitlines()}
    assert statuses == {"new"}  # the identical rerun shows run 1 as it was


def test_filtered_detect_shows_the_latest_runs_statuses_on_its_data(store):
    assert run().exit_code == 0
    result = run("--enterprise", "M1", "--format", "jsonl")
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert lines and {r["enterprise_id"] for r in lines} == {"M1"}
    assert {r["status"] for r in lines} == {"new"}  # as in run 1: same uploads, same tolerances
    other = run("--type", "TRANSIT_MISMATCH", "--tolerance", "transit_pct=0.1", "--format", "jsonl")
    assert {json.loads(x)["status"] for x in other.stdout.splitlines()} == {"open"}  # a run to come


def test_period_filter(store):
    result = run("--period", "2024-02", "--format", "jsonl")
    periods = {json.loads(line)["period"] for line in result.stdout.splitlines()}
    assert periods == {"2024-02"}
    result = run("--year", "2023", "--format", "jsonl")
    assert result.exit_code == 0 and result.stdout == ""


def test_type_and_family_filters(store):
    result = run("--type", "transit_mismatch", "--format", "jsonl")
    assert [json.loads(x)["type"] for x in result.stdout.splitlines()] == ["TRANSIT_MISMATCH"]
    result = run("--family", "undesignated_flow", "--format", "jsonl")
    assert {json.loads(x)["type"] for x in result.stdout.splitlines()} == {"QUOTA_EXCEEDED"}


def test_csv_columns(store):
    result = run("--format", "csv")
    assert result.stdout.splitlines()[0] == ",".join(OUTPUT_COLUMNS)


def test_table_groups_by_family_largest_first(store):
    result = run()
    assert result.exit_code == 0
    text = result.output
    assert text.index("unaccounted_mass") < text.index("TRANSIT_MISMATCH: 1")
    assert "undesignated_flow" in text and "Total:" in text


def test_output_file(store, tmp_path):
    result = run("--format", "jsonl", "-o", str(tmp_path / "f.jsonl"))
    assert result.exit_code == 0
    assert (tmp_path / "f.jsonl").read_text(encoding="utf-8").count("\n") >= 3


@pytest.mark.parametrize(
    "args",
    [
        ("--type", "NOPE"),
        ("--family", "nope"),
        ("--period", "2024-13"),
        ("--tolerance", "x"),
        ("--tolerance", "no_such=1"),
        ("--tolerance", "transit_pct=abc"),
    ],
)
def test_bad_usage_exits_2(store, args):
    result = run(*args)
    assert result.exit_code == 2, result.output


def test_tolerance_override_changes_findings(store):
    result = run(
        "--type", "TRANSIT_MISMATCH", "--tolerance", "transit_min_kg=200", "--format", "jsonl"
    )
    assert result.exit_code == 0 and result.stdout == ""


def test_nothing_found_exits_0(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    fake = FakeStore(clean_records(), registry(), tmp_path / "runs.db")
    monkeypatch.setattr("flowgraph.cli.context.open_store", lambda uri, **_: fake)
    result = run()
    assert result.exit_code == 0 and "No findings." in result.output


def test_without_a_registry_detect_says_so_on_stderr(store, monkeypatch):
    from flowgraph.model import Registry

    monkeypatch.setattr(store, "_registry", Registry.empty())
    result = run("--format", "jsonl")
    assert result.exit_code == 0
    assert result.stderr.count("Warning: no registry loaded") == 1
    types = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert "UNDESIGNATED_EXTRACTION" in types  # what the warning explains


def test_with_a_registry_detect_gives_no_registry_warning(store):
    result = run("--format", "jsonl")
    assert result.exit_code == 0
    assert "registry" not in result.stderr


def test_skipped_register_checks_say_so_in_one_stderr_line_each(store):
    result = run("--format", "jsonl")
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
    assert notes == [
        "Note: customs checks skipped (CUSTOMS_UNDECLARED, CUSTOMS_MASS_MISMATCH, "
        "UNREPORTED_CUSTOMS): no customs register (customs.csv) loaded",
        "Note: licence checks skipped (UNLICENSED_EXPORT, LICENCE_EXCEEDED): no export licence "
        "register (export_licences.csv) loaded",
    ]
    only = run("--type", "LICENCE_EXCEEDED", "--format", "jsonl")
    assert only.stderr.count("Note:") == 1 and "LICENCE_EXCEEDED" in only.stderr
    assert "Note:" not in run("--family", "unaccounted_mass").stderr


def test_in_database_on_a_store_without_a_database_engine_exits_2(store):
    result = run("--in-database")
    assert result.exit_code == 2
    assert "--in-database needs a Neo4j store" in result.output
    assert store.runs().empty  # nothing recorded
