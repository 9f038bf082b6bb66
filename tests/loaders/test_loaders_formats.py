"""File formats and headers: encodings, XLSX cells, blank lines, header freedom, warnings."""

from __future__ import annotations

import datetime as dt
import hashlib

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loader_cases import csv_text, good_rows, problems

from flowgraph.model import UPLOAD_COLUMNS
from loaders import read_upload


def test_sha256_and_default_display_name(write_rows):
    path = write_rows(good_rows())
    upload = read_upload(path)
    assert upload.file_name == str(path)
    assert upload.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "encoding, prefix",
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b"")],
    ids=["utf8", "utf8-bom", "gb18030"],
)
def test_encodings_give_the_same_events(write, encoding, prefix):
    text = csv_text(good_rows())
    reference = read_upload(write("ref.csv", text)).events
    path = write("enc.csv", prefix + text.encode(encoding))
    events = read_upload(path).events
    pd.testing.assert_frame_equal(events, reference)
    assert events.loc[1, "note"] == "进口独居石" and events.loc[7, "note"] == "损耗 handling"


def test_gb18030_bytes_are_not_utf8(write):
    """Guard for the test above: the GB18030 file really is not valid UTF-8."""
    data = csv_text(good_rows()).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read_upload(write("g.csv", data)).events.loc[1, "note"] == "进口独居石"


def test_bom_header_is_matched(write):
    """A BOM must not stick to the first header name (else event_id would be 'missing')."""
    path = write("bom.csv", b"\xef\xbb\xbf" + csv_text(good_rows()).encode())
    assert read_upload(path).events["event_id"].tolist()[0] == "1"


def test_crlf_line_endings(write):
    path = write("crlf.csv", csv_text(good_rows()).replace("\n", "\r\n"))
    events = read_upload(path).events
    assert events["source_row"].tolist() == list(range(2, 11))
    assert events.loc[8, "lot_id"] == "L1" and events.loc[7, "note"] == "损耗 handling"


def test_blank_lines_keep_spreadsheet_rows(write):
    lines = csv_text(good_rows()).splitlines()
    # blank line after the header, a line of empty cells, and trailing blank lines
    text = "\n".join(lines[:1] + [""] + lines[1:4] + [",,,,"] + lines[4:]) + "\n\n\n"
    events = read_upload(write("blank.csv", text)).events
    assert events["source_row"].tolist() == [3, 4, 5, 7, 8, 9, 10, 11, 12]
    # a problem after the blank lines names the row a spreadsheet shows
    bad = text.replace("2025-03-31", "2025-03-30")
    assert problems(write("blank.csv", bad), "blank.csv") == [
        "blank.csv:12:date: stock must be dated the last day of the month (2025-03-31), "
        "not 2025-03-30"
    ]


@pytest.mark.parametrize("prefix, newline", [("\n\n", "\n"), ("\r\n \r\n", "\r\n"), ("\r\r", "\r")])
def test_leading_blank_lines_move_the_header_down(write, prefix, newline):
    text = prefix + csv_text(good_rows()).replace("\n", newline)
    events = read_upload(write("lead.csv", text)).events
    assert events["source_row"].tolist() == list(range(4, 13))
    assert events.loc[7, "note"] == "损耗 handling"


def test_quoted_multiline_note_is_one_row(write_rows):
    rows = good_rows()
    rows[0]["note"] = "line one\nline two"
    events = read_upload(write_rows(rows)).events
    assert events.loc[0, "note"] == "line one\nline two"
    assert events["source_row"].tolist() == list(range(2, 11))


def test_header_case_spaces_and_order_are_free(write):
    columns = list(reversed(UPLOAD_COLUMNS))
    text = csv_text(good_rows(), columns)
    header = ",".join(f"  {c.upper()} " for c in columns)
    text = header + "\n" + text.split("\n", 1)[1]
    events = read_upload(write("free.csv", text)).events
    reference = read_upload(write("ref.csv", csv_text(good_rows()))).events
    pd.testing.assert_frame_equal(events, reference)


def test_values_are_trimmed(write_rows):
    rows = good_rows()
    rows[0].update(event_type=" extract ", product="\tBAST_CONC", mass_kg=" 1000 ", note=" x ")
    events = read_upload(write_rows(rows)).events
    assert events.loc[0, ["event_type", "product", "mass_kg", "note"]].tolist() == [
        "extract",
        "BAST_CONC",
        1000.0,
        "x",
    ]


def test_whitespace_only_cell_is_empty(write_rows):
    rows = good_rows()
    rows[7]["lot_id"] = "   "
    assert problems(write_rows(rows)) == ["up.csv:9:lot_id: lot_id is required"]


def test_optional_columns_may_be_left_out(write_rows):
    """A month of losses and stock needs only the always-required columns plus product."""
    rows = [r for r in good_rows() if r["event_type"] in ("loss", "stock")]
    for row in rows:
        row["product"] = "BAST_CONC"
    columns = ["event_id", "event_type", "date", "enterprise_id", "lot_id", "product", "mass_kg"]
    events = read_upload(write_rows(rows, columns)).events
    assert list(events.columns)[: len(UPLOAD_COLUMNS)] == list(UPLOAD_COLUMNS)
    assert events["note"].tolist() == [None, None] and events["reo_pct"].isna().all()


def test_unknown_column_is_a_warning(write_rows):
    rows = good_rows()
    rows[0]["colour"] = "red"
    upload = read_upload(write_rows(rows, [*UPLOAD_COLUMNS, "colour"]), display_name="jan.csv")
    assert upload.warnings == ["jan.csv: unknown column 'colour' ignored"]
    assert "colour" not in upload.events.columns


def test_unnamed_column_with_values_is_a_warning(write):
    text = csv_text(good_rows()).replace("\n", ",x\n")
    text = text.replace("note,x\n", "note,\n", 1)
    upload = read_upload(write("u.csv", text), display_name="u.csv")
    assert upload.warnings == [f"u.csv: column {len(UPLOAD_COLUMNS) + 1} has no header; ignored"]


def test_duplicate_header_is_an_error(write_rows):
    columns = [*UPLOAD_COLUMNS, " Mass_KG"]
    rows = good_rows()
    assert problems(write_rows(rows, columns)) == [
        f"up.csv:1:mass_kg: duplicate column 'mass_kg' (columns 7 and {len(UPLOAD_COLUMNS) + 1})"
    ]


def test_missing_required_columns_are_named_at_the_header(write_rows):
    columns = [c for c in UPLOAD_COLUMNS if c not in ("date", "reo_pct", "country")]
    assert problems(write_rows(good_rows(), columns)) == [
        "up.csv:1:date: missing required column date",
        "up.csv:1:reo_pct: missing column reo_pct, required for extract, import, produce rows",
        "up.csv:1:country: missing column country, required for import, export rows",
    ]


def test_type_column_needed_only_when_that_type_occurs(write_rows):
    rows = [r for r in good_rows() if r["event_type"] in ("loss", "stock")]
    columns = ["event_id", "event_type", "date", "enterprise_id", "lot_id", "mass_kg"]
    # no product column: fine only if every lot is created here -- these are not
    assert problems(write_rows(rows, columns)) == [
        "up.csv:1:product: missing column product, required for rows whose lot is not "
        "created in this file"
    ]
    rows = [r for r in good_rows() if r["event_type"] == "ship"]
    columns += ["product", "shipment_id"]
    rows[0]["product"] = "BAST_CONC"
    assert problems(write_rows(rows, columns)) == [
        "up.csv:1:counterparty_id: missing column counterparty_id, required for ship rows"
    ]


# ---------------------------------------------------------------- XLSX


def write_xlsx(path, header, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("ignored").append(["not", "read"])
    workbook.save(path)
    return path


def xlsx_rows(converter):
    rows = good_rows()
    return [[converter(c, row.get(c, "")) for c in UPLOAD_COLUMNS] for row in rows]


def test_xlsx_text_cells_equal_the_csv(tmp_path, write):
    path = write_xlsx(tmp_path / "t.xlsx", list(UPLOAD_COLUMNS), xlsx_rows(lambda c, v: v or None))
    events = read_upload(path, display_name="t.xlsx").events
    reference = read_upload(write("ref.csv", csv_text(good_rows()))).events
    pd.testing.assert_frame_equal(events, reference)
    assert events.loc[3, "mass_kg"] == 900.5 and events.loc[1, "note"] == "进口独居石"


def test_xlsx_date_and_number_cells_equal_the_csv(tmp_path, write):
    def typed(column, value):
        if value == "":
            return None
        if column == "date":
            return dt.datetime.fromisoformat(value)  # a date cell
        if column in ("mass_kg", "reo_pct"):
            return float(value)  # a number cell (1000.0 is written as 1000)
        if column == "event_id":
            return int(value)  # ids typed as numbers still read as "1", "2", ...
        return value

    path = write_xlsx(tmp_path / "typed.xlsx", list(UPLOAD_COLUMNS), xlsx_rows(typed))
    events = read_upload(path).events
    reference = read_upload(write("ref.csv", csv_text(good_rows()))).events
    pd.testing.assert_frame_equal(events, reference)


def test_xlsx_date_cell_with_a_time_is_rejected(tmp_path):
    rows = xlsx_rows(lambda c, v: v or None)
    rows[7][2] = dt.datetime(2025, 3, 8, 14, 30)
    path = write_xlsx(tmp_path / "time.xlsx", list(UPLOAD_COLUMNS), rows)
    assert problems(path, "time.xlsx") == [
        "time.xlsx:9:date: date '2025-03-08 14:30:00' is not an ISO date (YYYY-MM-DD)"
    ]


def test_xlsx_blank_rows_and_problems_keep_sheet_rows(tmp_path):
    rows = xlsx_rows(lambda c, v: v or None)
    rows[6][6] = -4  # export mass
    rows = rows[:3] + [[None] * 14, []] + rows[3:]
    path = write_xlsx(tmp_path / "b.xlsx", list(UPLOAD_COLUMNS), rows)
    assert problems(path, "b.xlsx") == ["b.xlsx:10:mass_kg: mass_kg must be > 0, got '-4'"]


def test_xlsx_styled_empty_cells_far_right_are_ignored(tmp_path):
    from openpyxl.styles import Font

    path = write_xlsx(
        tmp_path / "wide.xlsx", list(UPLOAD_COLUMNS), xlsx_rows(lambda c, v: v or None)
    )
    workbook = openpyxl.load_workbook(path)
    workbook.active.cell(row=3, column=300).font = Font(bold=True)  # styled, no value
    workbook.save(path)
    upload = read_upload(path)
    assert len(upload.events) == 9 and upload.warnings == []


def test_xlsx_header_case_and_unknown_column(tmp_path):
    header = [c.upper() for c in UPLOAD_COLUMNS] + ["Remarks"]
    rows = [r + ["x"] for r in xlsx_rows(lambda c, v: v or None)]
    upload = read_upload(write_xlsx(tmp_path / "h.xlsx", header, rows), display_name="h.xlsx")
    assert upload.warnings == ["h.xlsx: unknown column 'Remarks' ignored"]
    assert len(upload.events) == 9


# ---------------------------------------------------------------- property


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.permutations(list(UPLOAD_COLUMNS)),
    upper=st.lists(st.booleans(), min_size=len(UPLOAD_COLUMNS), max_size=len(UPLOAD_COLUMNS)),
)
def test_any_column_order_and_case_gives_the_same_events(write, order, upper):
    reference = read_upload(write("ref.csv", csv_text(good_rows()))).events
    text = csv_text(good_rows(), order)
    header = ",".join(c.upper() if u else c for c, u in zip(order, upper, strict=True))
    shuffled = write("shuffled.csv", header + "\n" + text.split("\n", 1)[1])
    pd.testing.assert_frame_equal(read_upload(shuffled).events, reference)
