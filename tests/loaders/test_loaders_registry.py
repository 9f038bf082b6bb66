"""Registry files (SPEC §2): typed output for good files, every rule for bad ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flowgraph.errors import InputError
from flowgraph.model import Registry, registry_from_records
from loaders import read_registry

ENTERPRISES = """enterprise_id,name,province,group,roles
E1,赣州稀土矿业,Jiangxi,China Rare Earth Group,mine
E2,Baotou Smelter,Inner Mongolia,Northern Rare Earth, smelter ; processor
E3,Trader Co,Guangdong,,
"""
DESIGNATIONS = """enterprise_id,activity,licence_no,valid_from,valid_to
E1,mining,C3600002011,2024-01-01,2026-12-31
E2,smelting,S-15-001,2023-06-01,
"""
QUOTAS = """enterprise_id,year,activity,quota_t_reo
E1,2025,mining,1200.5
E2,2025,smelting,8000
E2,2024,smelting,0
"""


def write_registry(folder: Path, enterprises=ENTERPRISES, designations=DESIGNATIONS, quotas=QUOTAS):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("enterprises.csv", enterprises),
        ("designations.csv", designations),
        ("quotas.csv", quotas),
    ):
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def registry_problems(folder: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_registry(folder)
    # name problems relative to the folder so the expectations read well
    return [str(p).replace(str(folder) + "/", "") for p in caught.value.problems]


def test_good_registry_is_typed_like_the_model(tmp_path):
    registry = read_registry(write_registry(tmp_path / "reg"))
    expected = registry_from_records(
        enterprises=[
            dict(enterprise_id="E1", name="赣州稀土矿业", province="Jiangxi",
                 group="China Rare Earth Group", roles="mine"),
            dict(enterprise_id="E2", name="Baotou Smelter", province="Inner Mongolia",
                 group="Northern Rare Earth", roles="smelter;processor"),
            dict(enterprise_id="E3", name="Trader Co", province="Guangdong", group=None, roles=""),
        ],
        designations=[
            dict(enterprise_id="E1", activity="mining", licence_no="C3600002011",
                 valid_from="2024-01-01", valid_to="2026-12-31"),
            dict(enterprise_id="E2", activity="smelting", licence_no="S-15-001",
                 valid_from="2023-06-01", valid_to=None),
        ],
        quotas=[
            dict(enterprise_id="E1", year=2025, activity="mining", quota_t_reo=1200.5),
            dict(enterprise_id="E2", year=2025, activity="smelting", quota_t_reo=8000),
            dict(enterprise_id="E2", year=2024, activity="smelting", quota_t_reo=0),
        ],
    )  # fmt: skip
    # registry_from_records lets pandas 3 infer str columns (NaN for missing); ours are object/None
    expected_enterprises = expected.enterprises.astype(object)
    expected_enterprises = expected_enterprises.where(expected_enterprises.notna(), None)
    pd.testing.assert_frame_equal(registry.enterprises, expected_enterprises)
    pd.testing.assert_frame_equal(registry.designations, expected.designations, check_dtype=False)
    pd.testing.assert_frame_equal(registry.quotas, expected.quotas, check_dtype=False)
    empty = Registry.empty()
    for part in ("enterprises", "designations", "quotas"):
        assert getattr(registry, part).dtypes.to_dict() == getattr(empty, part).dtypes.to_dict()


def test_registry_headers_are_free_and_encodings_accepted(tmp_path):
    folder = tmp_path / "reg"
    write_registry(folder, quotas="Quota_T_REO , YEAR,Activity,enterprise_id\n7,2025,mining,E1\n")
    (folder / "enterprises.csv").write_bytes(ENTERPRISES.encode("gb18030"))
    (folder / "designations.csv").write_bytes(b"\xef\xbb\xbf" + DESIGNATIONS.encode())
    registry = read_registry(folder)
    assert registry.quotas.to_dict("records") == [
        dict(enterprise_id="E1", year=2025, activity="mining", quota_t_reo=7.0)
    ]
    assert registry.enterprises.loc[0, "name"] == "赣州稀土矿业"
    assert len(registry.designations) == 2


def test_header_only_files_are_an_empty_registry_part(tmp_path):
    folder = write_registry(
        tmp_path / "reg",
        designations="enterprise_id,activity,licence_no,valid_from,valid_to\n",
        quotas="enterprise_id,year,activity,quota_t_reo\n",
    )
    registry = read_registry(folder)
    assert registry.designations.empty and registry.quotas.empty
    assert registry.quotas.dtypes.to_dict() == Registry.empty().quotas.dtypes.to_dict()


def test_missing_files_and_folder(tmp_path):
    folder = write_registry(tmp_path / "reg", designations=None, quotas=None)
    assert registry_problems(folder) == [
        "designations.csv: missing registry file",
        "quotas.csv: missing registry file",
    ]
    with pytest.raises(InputError) as caught:
        read_registry(tmp_path / "nowhere")
    assert str(caught.value) == f"{tmp_path / 'nowhere'}: no such folder"


def test_unreadable_enterprises_file_does_not_flag_every_other_row(tmp_path):
    folder = write_registry(tmp_path / "reg", enterprises="")
    assert registry_problems(folder) == ["enterprises.csv: empty file"]


def test_enterprise_rules(tmp_path):
    folder = write_registry(
        tmp_path / "reg",
        enterprises="enterprise_id,name,province,group,roles\n"
        "E1,A,,,mine\n"
        ",B,,,\n"
        "E1,C,,,smelter\n"
        "E4,D,,,mine;miner\n"
        "E5,E,,,Mine\n"
        "E2,F,,,smelter\n",
    )
    assert registry_problems(folder) == [
        "enterprises.csv:3:enterprise_id: enterprise_id is required",
        "enterprises.csv:4:enterprise_id: duplicate enterprise_id 'E1' (first on row 2)",
        "enterprises.csv:5:roles: roles 'mine;miner' must be ';'-separated from: "
        "mine, smelter, importer, trader, processor, exporter",
        "enterprises.csv:6:roles: roles 'Mine' must be ';'-separated from: "
        "mine, smelter, importer, trader, processor, exporter",
    ]


def test_designation_rules(tmp_path):
    folder = write_registry(
        tmp_path / "reg",
        designations="enterprise_id,activity,licence_no,valid_from,valid_to\n"
        "E9,mining,L-1,2024-01-01,\n"
        "E1,separation,L-2,2024-01-01,\n"
        "E1,mining,,2024-01-01,\n"
        "E1,mining,L-4,,\n"
        "E1,mining,L-5,2024/01/01,2024-02-30\n"
        "E1,mining,L-6,2024-05-01,2024-04-30\n"
        "E1,mining,L-7,2024-05-01,2024-05-01\n"
        "E1,mining,L-8,0999-01-01,0999-12-31\n"
        "E1,mining,L-9,9999-01-01,\n",
    )
    assert registry_problems(folder) == [
        "designations.csv:2:enterprise_id: enterprise_id 'E9' is not in enterprises.csv",
        "designations.csv:3:activity: activity 'separation' must be mining or smelting",
        "designations.csv:4:licence_no: licence_no is required",
        "designations.csv:5:valid_from: valid_from is required",
        "designations.csv:6:valid_from: valid_from '2024/01/01' is not an ISO date (YYYY-MM-DD)",
        "designations.csv:6:valid_to: valid_to '2024-02-30' is not a real date",
        "designations.csv:7:valid_to: valid_to 2024-04-30 is before valid_from 2024-05-01",
        "designations.csv:9:valid_from: valid_from '0999-01-01' is outside the years 1678-2261",
        "designations.csv:9:valid_to: valid_to '0999-12-31' is outside the years 1678-2261",
        "designations.csv:10:valid_from: valid_from '9999-01-01' is outside the years 1678-2261",
    ]


def test_valid_to_9999_means_open_ended(tmp_path):
    folder = write_registry(
        tmp_path / "reg",
        designations="enterprise_id,activity,licence_no,valid_from,valid_to\n"
        "E1,mining,L-1,2024-01-01,9999-12-31\n",
    )
    designations = read_registry(folder).designations
    assert designations.loc[0, "valid_to"] is pd.NaT
    assert designations.loc[0, "valid_from"] == pd.Timestamp("2024-01-01")


def test_quota_rules(tmp_path):
    folder = write_registry(
        tmp_path / "reg",
        quotas="enterprise_id,year,activity,quota_t_reo\n"
        "E1,2025,mining,100\n"
        "E9,2025,mining,100\n"
        "E1,25,mining,100\n"
        "E1,2025.0,smelting,100\n"
        "E1,2024,refining,100\n"
        "E1,2024,mining,-1\n"
        "E1,2023,mining,1e400\n"
        "E1,2022,mining,lots\n"
        "E1,2025,mining,50\n"
        "E1,2021,mining,\n",
    )
    assert registry_problems(folder) == [
        "quotas.csv:3:enterprise_id: enterprise_id 'E9' is not in enterprises.csv",
        "quotas.csv:4:year: year '25' is not a 4-digit year",
        "quotas.csv:5:year: year '2025.0' is not a 4-digit year",
        "quotas.csv:6:activity: activity 'refining' must be mining or smelting",
        "quotas.csv:7:quota_t_reo: quota_t_reo must be >= 0, got '-1'",
        "quotas.csv:8:quota_t_reo: quota_t_reo '1e400' is not a finite number",
        "quotas.csv:9:quota_t_reo: quota_t_reo 'lots' is not a number (write digits with '.' "
        "for decimals and no units or separators, e.g. 1250.5)",
        "quotas.csv:10:year: duplicate quota for E1 2025 mining (first on row 2)",
        "quotas.csv:11:quota_t_reo: quota_t_reo is required",
    ]


def test_missing_columns_and_problems_in_every_file_at_once(tmp_path):
    folder = write_registry(
        tmp_path / "reg",
        enterprises="enterprise_id,name,province,roles\nE1,A,B,mine\n",
        quotas="enterprise_id,year,activity,quota_t_reo,extra\nE1,2025,mining,-5,x\n",
        designations=b"\x00\x01binary".decode("latin-1"),
    )
    assert registry_problems(folder) == [
        "designations.csv: not a CSV text file (binary?)",
        "enterprises.csv:1:group: missing required column group",
        "quotas.csv:2:quota_t_reo: quota_t_reo must be >= 0, got '-5'",
    ]
