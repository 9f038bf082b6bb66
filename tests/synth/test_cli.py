"""flowgraph synth on the command line (CliRunner: what users see)."""

from __future__ import annotations

from click.testing import CliRunner

from flowgraph.cli.main import cli


def test_synth_writes_and_summarises(tmp_path):
    result = CliRunner().invoke(
        cli, ["synth", str(tmp_path / "out"), "--seed", "4", "--scale", "0.05"]
    )
    assert result.exit_code == 0, result.output
    assert "upload files" in result.output and "events" in result.output
    assert "UNTRACEABLE_EXPORT" in result.output
    assert (tmp_path / "out" / "answers.jsonl").stat().st_size > 0
    assert (tmp_path / "out" / "registry" / "quotas.csv").exists()


def test_synth_clean_summary(tmp_path):
    result = CliRunner().invoke(cli, ["synth", str(tmp_path / "out"), "--scale", "0.05", "--clean"])
    assert result.exit_code == 0, result.output
    assert "Answer key: 0 findings" in result.output


def test_synth_help_has_example():
    result = CliRunner().invoke(cli, ["synth", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "flowgraph synth data/synth" in result.output


def test_synth_rejects_non_positive_scale(tmp_path):
    result = CliRunner().invoke(cli, ["synth", str(tmp_path / "x"), "--scale", "0"])
    assert result.exit_code == 2
    assert "must be > 0" in result.output
    assert not (tmp_path / "x").exists()
