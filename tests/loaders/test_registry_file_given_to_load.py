"""A registry file given to ``flowgraph load`` (the whole folder of a synth world, say) is
named for what it is in one line, instead of every row failing on upload columns it never had."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from flowgraph.cli.main import cli
from flowgraph.errors import InputError
from loaders import read_upload

CUSTOMS = (
    "declaration_no,direction,enterprise_id,date,product,mass_kg,country\n"
    "D-1,import,E1,2025-01-18,BAST_CONC,1000,MM\n"
    "D-2,import,E1,2025-02-18,BAST_CONC,1000,MM\n"
)


def problems(path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_upload(path, display_name=path.name)
    return [str(p) for p in caught.value.problems]


def test_a_customs_file_is_one_line_that_says_how_to_load_it(tmp_path):
    path = tmp_path / "customs.csv"
    path.write_text(CUSTOMS, encoding="utf-8")
    assert problems(path) == [
        "customs.csv:1: this is a registry file (the columns of customs.csv), not a monthly "
        "upload: load the registry's folder with 'flowgraph registry load DIR'"
    ]


def test_quotas_and_enterprises_are_recognised_too(tmp_path):
    quotas = tmp_path / "q.csv"
    quotas.write_text("enterprise_id,year,activity,quota_t_reo\nE1,2025,mining,10\n")
    people = tmp_path / "e.csv"
    people.write_text("enterprise_id,name,province,group,roles\nE1,A,Jiangxi,G,mine\n")
    assert "the columns of quotas.csv" in problems(quotas)[0]
    assert "the columns of enterprises.csv" in problems(people)[0]


def test_near_miss_an_upload_with_one_stray_column_gets_the_usual_messages(tmp_path):
    # one registry-only column (licence_no) and a missing event_id: an upload with a mistake
    path = tmp_path / "mar.csv"
    path.write_text(
        "event_type,date,enterprise_id,lot_id,product,mass_kg,licence_no\n"
        "loss,2025-03-05,E1,L1,BAST_CONC,5,X\n"
    )
    found = problems(path)
    assert "mar.csv:1:event_id: missing required column event_id" in found
    assert not any("registry file" in line for line in found)


def test_load_of_a_registry_folder_exits_2_with_one_line_per_file(tmp_path):
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "customs.csv").write_text(CUSTOMS, encoding="utf-8")
    (folder / "quotas.csv").write_text(
        "enterprise_id,year,activity,quota_t_reo\nE1,2025,mining,10\n"
    )
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "s.db"), "load", str(folder)])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2 and all("flowgraph registry load DIR" in line for line in errors)
    assert "Traceback" not in result.output
