"""The cross_register detectors (SPEC §5, §7): customs declarations, export licences, controls.

The clean world: exporter X1 (group G) imports a lot of Dy oxide (declaration CI-1) and exports
400 kg of it to Japan under licence LIC-1 (declaration CE-1) in May 2025; X2, in the same group,
holds licence LIC-2. Every check stays silent on it; each test changes one thing.
"""

from __future__ import annotations

import pandas as pd
import pytest
from flowdata import ev

from flowgraph.analysis.detectors import run_detectors, skipped_checks
from flowgraph.config import Tolerances
from flowgraph.model import events_frame, registry_from_records

CROSS = ("cross_register",)


def world(export_mass: float = 400, **export) -> list[dict]:
    row = dict(shipment_id="X-1", country="JP", document_ref="CE-1", licence_no="LIC-1")
    row.update(export)
    date = row.pop("date", "2025-05-10")
    lot = row.pop("lot", "LX")
    return [
        ev("import", "2025-05-03", "X1", "LX", 1000, product="DY_OXIDE", reo_pct=99,
           country="MM", document_ref="CI-1"),
        ev("import", "2025-05-03", "X1", "LT", 500, product="TB_OXIDE", reo_pct=98,
           country="MM", document_ref="CI-1"),
        ev("import", "2025-05-04", "X1", "LN", 500, product="ND_OXIDE", reo_pct=99,
           country="MM", document_ref="CI-2"),
        ev("export", date, "X1", lot, export_mass, **row),
    ]  # fmt: skip


def customs_rows(export_mass: float = 400, **change) -> list[dict]:
    rows = [
        dict(declaration_no="CI-1", direction="import", enterprise_id="X1", date="2025-05-03",
             product="DY_OXIDE", mass_kg=1000, country="MM"),
        dict(declaration_no="CI-1", direction="import", enterprise_id="X1", date="2025-05-03",
             product="TB_OXIDE", mass_kg=500, country="MM"),
        dict(declaration_no="CI-2", direction="import", enterprise_id="X1", date="2025-05-04",
             product="ND_OXIDE", mass_kg=500, country="MM"),
        dict(declaration_no="CE-1", direction="export", enterprise_id="X1", date="2025-05-10",
             product="DY_OXIDE", mass_kg=export_mass, country="JP"),
    ]  # fmt: skip
    rows[-1].update(change)
    return rows


def licence_rows(quantity: float = 1000, **change) -> list[dict]:
    rows = [
        dict(licence_no="LIC-1", enterprise_id="X1", product="DY_OXIDE", country="JP",
             quantity_kg=quantity, valid_from="2025-01-01", valid_to="2025-12-31", end_user="K"),
        dict(licence_no="LIC-2", enterprise_id="X2", product="DY_OXIDE", country="JP",
             quantity_kg=quantity, valid_from="2025-01-01", valid_to=None, end_user="K"),
    ]  # fmt: skip
    rows[0].update(change)
    return rows


def registry(customs=None, licences=None, controls=None, *, no_customs=False, no_licences=False):
    enterprises = [
        {"enterprise_id": e, "name": e, "province": "JX", "group": "G", "roles": "exporter"}
        for e in ("X1", "X2", "Y1")
    ]
    return registry_from_records(
        enterprises,
        customs=None if no_customs else (customs_rows() if customs is None else customs),
        licences=None if no_licences else (licence_rows() if licences is None else licences),
        controls=controls,
    )


def found(records, reg=None, **tol) -> pd.DataFrame:
    out = run_detectors(events_frame(records), reg or registry(), Tolerances(**tol), families=CROSS)
    return out


def keys(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    return [tuple(row) for row in frame[["type", *columns]].itertuples(index=False)]


def test_clean_world_has_no_cross_register_finding():
    assert found(world()).empty


# ---------------------------------------------------------------- CUSTOMS_UNDECLARED


def test_export_naming_no_declaration_is_undeclared():
    out = found(world(document_ref="CE-9"))
    undeclared = out[out["type"] == "CUSTOMS_UNDECLARED"]
    assert keys(undeclared, "enterprise_id", "document_ref", "period") == [
        ("CUSTOMS_UNDECLARED", "X1", "CE-9", "2025-05")
    ]
    assert undeclared["reo_kg"].iloc[0] == pytest.approx(400 * 0.99)
    # CE-1 is then named by nobody: unreported as well.
    assert "UNREPORTED_CUSTOMS" in set(out["type"])


def test_row_in_a_month_the_register_does_not_cover_is_not_undeclared():
    out = found(world(document_ref="CE-9", date="2025-06-02"))
    assert "CUSTOMS_UNDECLARED" not in set(out["type"])


def test_declaration_of_the_other_direction_is_undeclared():
    out = found(world(document_ref="CI-2"))  # an import declaration named by an export
    undeclared = out[out["type"] == "CUSTOMS_UNDECLARED"]
    assert undeclared["document_ref"].tolist() == ["CI-2"]
    assert "X1's import declaration" in undeclared["detail"].iloc[0]


def test_declaration_named_by_two_enterprises_belongs_to_its_declarant():
    records = world() + [
        ev("import", "2025-05-03", "Y1", "LY", 50, product="DY_OXIDE", reo_pct=99,
           country="MM", document_ref="CI-1"),
    ]  # fmt: skip
    out = found(records)
    # Y1's row is undeclared; X1's own rows still match CI-1 exactly (no mismatch).
    assert keys(out, "enterprise_id", "document_ref") == [("CUSTOMS_UNDECLARED", "Y1", "CI-1")]
    assert "it is X1's import declaration" in out["detail"].iloc[0]


# ---------------------------------------------------------------- CUSTOMS_MASS_MISMATCH


@pytest.mark.parametrize(
    "uploaded, declared, expected",
    [
        (402.0, 400.0, False),  # exactly 0.5% of the declared mass
        (402.01, 400.0, True),
        (398.0, 400.0, False),
        (397.99, 400.0, True),
        (101.0, 100.0, False),  # the 1 kg floor (0.5% would be 0.5 kg)
        (101.01, 100.0, True),
        (400 * 1.004, 400.0, False),  # the synthetic near miss: 0.4%
    ],
)
def test_mass_mismatch_tolerance_edges(uploaded, declared, expected):
    out = found(world(export_mass=uploaded), registry(customs=customs_rows(declared)))
    mismatch = out[out["type"] == "CUSTOMS_MASS_MISMATCH"]
    assert len(mismatch) == int(expected)
    if expected:
        assert keys(mismatch, "enterprise_id", "document_ref", "product", "period") == [
            ("CUSTOMS_MASS_MISMATCH", "X1", "CE-1", "DY_OXIDE", "2025-05")
        ]
        assert mismatch["reo_kg"].iloc[0] == pytest.approx(abs(uploaded - declared) * 0.99)


def test_mass_mismatch_tolerances_are_configurable():
    out = found(world(export_mass=410), registry(), customs_pct=3.0)
    assert "CUSTOMS_MASS_MISMATCH" not in set(out["type"])
    out = found(world(export_mass=401.5), registry(), customs_pct=0.1, customs_min_kg=0.1)
    assert "CUSTOMS_MASS_MISMATCH" in set(out["type"])


def test_declaration_covering_two_products_compares_each():
    # CI-1 declares Dy 1000 and Tb 500 and the uploads name it on one row of each: no finding.
    assert found(world()).empty
    # Tb uploaded 20 kg short: only the Tb line differs.
    records = world()
    records[1]["mass_kg"] = 480
    out = found(records)
    assert keys(out, "document_ref", "product") == [("CUSTOMS_MASS_MISMATCH", "CI-1", "TB_OXIDE")]
    assert out["reo_kg"].iloc[0] == pytest.approx(20 * 0.98)


def test_product_declared_at_customs_and_another_uploaded():
    records = world()
    records[0]["product"] = "GD_OXIDE"  # the lot uploaded under CI-1 is Gd, customs says Dy
    out = found(records, registry(licences=licence_rows(product="GD_OXIDE")))
    mismatch = out[(out["type"] == "CUSTOMS_MASS_MISMATCH") & (out["document_ref"] == "CI-1")]
    mismatch = mismatch.set_index("product")
    assert sorted(mismatch.index) == ["DY_OXIDE", "GD_OXIDE"]
    # Only customs has Dy: its typical REO % (99); only the upload has Gd: the rows' REO.
    assert mismatch.loc["DY_OXIDE", "reo_kg"] == pytest.approx(1000 * 0.99)
    assert mismatch.loc["GD_OXIDE", "reo_kg"] == pytest.approx(1000 * 0.99)
    assert mismatch.loc["DY_OXIDE", "period"] == "2025-05"
    # The export of lot LX is Gd now: CE-1's Dy line is customs-only, the Gd export upload-only.
    export = out[out["document_ref"] == "CE-1"]
    assert keys(export, "product") == [
        ("CUSTOMS_MASS_MISMATCH", "DY_OXIDE"),
        ("CUSTOMS_MASS_MISMATCH", "GD_OXIDE"),
    ]


def test_product_only_declared_is_dated_by_the_declaration():
    customs = customs_rows()
    customs.append(dict(customs[-1], product="TB_OXIDE", mass_kg=50, date="2025-05-10"))
    out = found(world(), registry(customs=customs))
    assert keys(out, "document_ref", "product", "period") == [
        ("CUSTOMS_MASS_MISMATCH", "CE-1", "TB_OXIDE", "2025-05")
    ]
    assert out["reo_kg"].iloc[0] == pytest.approx(50 * 0.99)  # TB_OXIDE's typical 99%


# ---------------------------------------------------------------- UNREPORTED_CUSTOMS


def test_declaration_no_row_names_is_unreported():
    customs = customs_rows() + [
        dict(declaration_no="CE-7", direction="export", enterprise_id="X1", date="2025-05-20",
             product="DY_OXIDE", mass_kg=300, country="US"),
    ]  # fmt: skip
    out = found(world(), registry(customs=customs))
    assert keys(out, "enterprise_id", "document_ref", "period", "country") == [
        ("UNREPORTED_CUSTOMS", "X1", "CE-7", "2025-05", "US")
    ]
    assert out["reo_kg"].iloc[0] == pytest.approx(300 * 0.99)


def test_declaration_in_a_month_without_upload_is_not_unreported():
    customs = customs_rows() + [
        dict(declaration_no="CE-8", direction="export", enterprise_id="X1", date="2025-06-01",
             product="DY_OXIDE", mass_kg=300, country="US"),
        dict(declaration_no="CE-9", direction="export", enterprise_id="Z9", date="2025-05-01",
             product="DY_OXIDE", mass_kg=300, country="US"),
    ]  # fmt: skip
    assert found(world(), registry(customs=customs)).empty


def test_declaration_named_only_in_the_other_direction_is_unreported():
    records = world()
    records[2]["document_ref"] = "CE-1"  # the Nd import names the export declaration
    records[2]["event_type"] = "import"
    out = found(records)
    assert set(keys(out, "document_ref")) >= {
        ("UNREPORTED_CUSTOMS", "CI-2"),
        ("CUSTOMS_UNDECLARED", "CE-1"),
    }


# ---------------------------------------------------------------- UNLICENSED_EXPORT


def test_controlled_export_without_licence_no():
    out = found(world(licence_no=None))
    assert keys(out, "enterprise_id", "shipment_id", "product", "country", "period") == [
        ("UNLICENSED_EXPORT", "X1", "X-1", "DY_OXIDE", "JP", "2025-05")
    ]
    assert out["reo_kg"].iloc[0] == pytest.approx(400 * 0.99)
    assert "without a licence_no" in out["detail"].iloc[0]


def test_control_date_is_inclusive():
    customs = customs_rows(date="2025-04-04")
    customs[0]["date"] = customs[1]["date"] = customs[2]["date"] = "2025-04-01"
    records = world(licence_no=None, date="2025-04-04")
    for row in records[:3]:
        row["date"] = "2025-04-01"
    assert keys(found(records, registry(customs=customs)), "period") == [
        ("UNLICENSED_EXPORT", "2025-04")
    ]
    # The day before the control date: not controlled yet.
    customs[-1]["date"] = "2025-04-03"
    records[-1]["date"] = "2025-04-03"
    assert found(records, registry(customs=customs)).empty


@pytest.mark.parametrize(
    "date, licensed", [("2025-05-09", False), ("2025-05-10", True), ("2025-05-11", False)]
)
def test_licence_validity_dates_are_inclusive(date, licensed):
    reg = registry(
        customs=customs_rows(date=date),
        licences=licence_rows(valid_from="2025-05-10", valid_to="2025-05-10"),
    )
    out = found(world(date=date), reg)
    assert list(out["type"]) == ([] if licensed else ["UNLICENSED_EXPORT"])
    if not licensed:
        assert "is valid 2025-05-10 to 2025-05-10" in out["detail"].iloc[0]


def test_licence_of_another_country_or_product_does_not_cover():
    reg = registry(customs=customs_rows(country="US"))
    out = found(world(country="US"), reg)
    assert list(out["type"]) == ["UNLICENSED_EXPORT"]
    assert "does not cover" in out["detail"].iloc[0]


def test_licence_not_in_the_register():
    out = found(world(licence_no="LIC-404"))
    assert out["licence_no"].tolist() == ["LIC-404"]
    assert "not in the register" in out["detail"].iloc[0]


def test_licence_granted_to_a_group_member_does_not_cover_the_exporter():
    out = found(world(licence_no="LIC-2"))  # X2's licence, same group G as X1
    assert keys(out, "enterprise_id", "licence_no") == [("UNLICENSED_EXPORT", "X1", "LIC-2")]
    assert "held by X2" in out["detail"].iloc[0]


def test_uncontrolled_product_needs_no_licence():
    out = found(
        world(lot="LN", licence_no=None), registry(customs=customs_rows(product="ND_OXIDE"))
    )
    assert out.empty


def test_export_in_parts_under_two_licences():
    licences = licence_rows(quantity=250) + [
        dict(licence_no="LIC-3", enterprise_id="X1", product="DY_OXIDE", country="JP",
             quantity_kg=250, valid_from="2025-01-01", valid_to=None, end_user="K"),
    ]  # fmt: skip
    records = world(export_mass=200)
    records.append(dict(records[-1], event_id="e-part2", licence_no="LIC-3"))
    # Each part is licensed by its own licence and counts against it alone (200 of 250 each).
    assert found(records, registry(licences=licences)).empty
    # A third part of 100 kg under LIC-3 takes it to 300 kg of 250: exceeded, LIC-1 is not.
    records.append(dict(records[-1], event_id="e-part3", mass_kg=100))
    out = found(records, registry(customs=customs_rows(500), licences=licences))
    assert keys(out, "licence_no", "product", "country") == [
        ("LICENCE_EXCEEDED", "LIC-3", "DY_OXIDE", "JP")
    ]


def test_without_licence_register_no_licence_finding_and_a_note():
    reg = registry(no_licences=True)
    assert found(world(licence_no=None), reg).empty
    assert skipped_checks(reg) == [
        "Note: licence checks skipped (UNLICENSED_EXPORT, LICENCE_EXCEEDED): no export licence "
        "register (export_licences.csv) loaded"
    ]
    assert skipped_checks(registry()) == []
    assert skipped_checks(reg, families=["unaccounted_mass"]) == []


def test_header_only_licence_file_means_no_licence_was_granted():
    out = found(world(), registry(licences=[]))
    assert keys(out, "licence_no") == [("UNLICENSED_EXPORT", "LIC-1")]


def test_controls_csv_replaces_the_built_in_list():
    controls = [dict(product="ND_OXIDE", valid_from="2025-01-01", valid_to=None, basis="test")]
    reg = registry(customs=customs_rows(product="ND_OXIDE"), controls=controls)
    assert keys(found(world(lot="LN", licence_no=None), reg), "product") == [
        ("UNLICENSED_EXPORT", "ND_OXIDE")
    ]
    # Dy is no longer controlled under that list.
    assert found(world(licence_no=None), registry(controls=controls)).empty


def test_control_ending_date_is_inclusive():
    controls = [dict(product="DY_OXIDE", valid_from="2025-01-01", valid_to="2025-05-10")]
    assert len(found(world(licence_no=None), registry(controls=controls))) == 1
    controls[0]["valid_to"] = "2025-05-09"
    assert found(world(licence_no=None), registry(controls=controls)).empty


# ---------------------------------------------------------------- LICENCE_EXCEEDED


@pytest.mark.parametrize(
    "mass, expected",
    [(1005.0, False), (1003.0, False), (1005.1, True), (1000.0, False)],
)
def test_licence_exceeded_tolerance_edge(mass, expected):
    records = world(export_mass=mass)
    records[0]["mass_kg"] = 2000
    customs = customs_rows(mass)
    customs[0]["mass_kg"] = 2000
    out = found(records, registry(customs=customs))
    assert list(out["type"]) == (["LICENCE_EXCEEDED"] if expected else [])
    if expected:
        assert out["reo_kg"].iloc[0] == pytest.approx((mass - 1000) * 0.99)
        assert out["enterprise_id"].iloc[0] == "X1"


def test_licence_exceeded_period_is_the_month_the_running_total_crossed():
    records = world(export_mass=600)
    records[0]["mass_kg"] = 2000
    records.append(
        ev("export", "2025-06-05", "X1", "LX", 450, shipment_id="X-2", country="JP",
           document_ref="CE-2", licence_no="LIC-1")
    )  # fmt: skip
    customs = customs_rows(600)
    customs[0]["mass_kg"] = 2000
    customs.append(dict(customs[-1], declaration_no="CE-2", date="2025-06-05", mass_kg=450))
    out = found(records, registry(customs=customs))
    assert keys(out, "licence_no", "period") == [("LICENCE_EXCEEDED", "LIC-1", "2025-06")]
    assert out["reo_kg"].iloc[0] == pytest.approx(50 * 0.99)


def test_exports_outside_validity_or_by_others_do_not_count_against_a_licence():
    records = world(export_mass=900)
    records[0]["mass_kg"] = 2000
    # 200 kg more under LIC-1 but after it expired (unlicensed, not an excess) ...
    records.append(
        ev("export", "2026-01-05", "X1", "LX", 200, shipment_id="X-3", country="JP",
           document_ref="CE-3", licence_no="LIC-1")
    )  # fmt: skip
    # ... and 200 kg by Y1 naming it (unlicensed too).
    records.append(
        ev("import", "2025-05-03", "Y1", "LY", 300, product="DY_OXIDE", reo_pct=99,
           country="MM", document_ref="CY-1")
    )  # fmt: skip
    records.append(
        ev("export", "2025-05-20", "Y1", "LY", 200, shipment_id="Y-1", country="JP",
           document_ref="CY-2", licence_no="LIC-1")
    )  # fmt: skip
    out = found(records, registry(no_customs=True))
    assert sorted(keys(out, "enterprise_id", "shipment_id")) == [
        ("UNLICENSED_EXPORT", "X1", "X-3"),
        ("UNLICENSED_EXPORT", "Y1", "Y-1"),
    ]


def test_without_customs_register_no_customs_finding_and_a_note():
    reg = registry(no_customs=True)
    assert found(world(document_ref="CE-9"), reg).empty
    assert skipped_checks(reg, types=["CUSTOMS_UNDECLARED"]) == [
        "Note: customs checks skipped (CUSTOMS_UNDECLARED): no customs register (customs.csv) "
        "loaded"
    ]
