"""XLSX and encodings as a spreadsheet user meets them (issue 14 item 12): the first visible
sheet, a title row above the header, merged cells, formulas without a saved value, UTF-16 CSV,
and unknown-column warnings for a rejected file. Each message says what to do."""

from __future__ import annotations

import io

import openpyxl
import pytest
from click.testing import CliRunner

from flowgraph.cli.main import cli
from flowgraph.errors import InputError
from loaders import read_upload

HEADER = ["event_id", "event_type", "date", "enterprise_id", "lot_id", "product", "mass_kg"]
ROW = ["1", "loss", "2025-03-05", "E1", "L1", "BAST_CONC", "5"]


def workbook(path, sheets):
    """sheets: (title, rows, hidden) in order."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows, hidden in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def problems(path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_upload(path, display_name=path.name)
    return [str(p) for p in caught.value.problems]


def test_a_hidden_first_sheet_is_skipped(tmp_path):
    path = workbook(
        tmp_path / "mar.xlsx",
        [("lists", [["code", "name"], ["BAST_CONC", "bastnaesite"]], True),
         ("data", [HEADER, ROW], False)],
    )  # fmt: skip
    upload = read_upload(path, display_name="mar.xlsx")
    assert upload.identity == ("E1", "2025-03") and len(upload.events) == 1


def test_a_title_row_above_the_header_says_which_row_is_the_header(tmp_path):
    path = workbook(
        tmp_path / "mar.xlsx", [("data", [["Monthly flows, March"], [], HEADER, ROW], False)]
    )
    found = problems(path)
    assert (
        "mar.xlsx:1: row 1 is not the header (none of its cells is a column name); row 3 looks "
        "like the header: delete the rows above it in your spreadsheet program and save again"
    ) in found
    # that line is the answer: no "missing required column" lines for the title row's cells
    assert not [line for line in found if "missing required column" in line], found


def test_merged_cells_say_unmerge(tmp_path):
    path = tmp_path / "mar.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(ROW)
    sheet.append(["2", "loss", "2025-03-06", "E1", "L2", "BAST_CONC", "6"])
    sheet.merge_cells("D2:D3")  # one enterprise_id "for both rows"
    book.save(path)
    assert (
        "mar.xlsx:2: cells D2:D3 are merged: unmerge them and put the value in every cell "
        "(flowgraph reads one value per cell)"
    ) in problems(path)


def test_formula_without_saved_value_says_recalculate(tmp_path):
    path = workbook(tmp_path / "mar.xlsx", [("data", [HEADER, [*ROW[:6], "=2+3"]], False)])
    assert (
        "mar.xlsx:2: cell G2 is a formula with no saved value: open the file in your "
        "spreadsheet program, let it calculate and save it again (or paste the values over the "
        "formulas)"
    ) in problems(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_csv_says_save_as_csv_utf8(tmp_path, encoding):
    path = tmp_path / "mar.csv"
    path.write_bytes((",".join(HEADER) + "\n" + ",".join(ROW) + "\n").encode(encoding))
    assert problems(path) == [
        'mar.csv: the file is UTF-16 text (Excel\'s "Unicode Text"); save it as "CSV UTF-8 '
        '(Comma delimited)" (or GB18030 CSV) in your spreadsheet program and load that'
    ]


def test_unknown_columns_are_named_for_a_rejected_file_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mar.csv").write_text(
        ",".join([*HEADER, "massa"]) + "\n" + ",".join([*ROW[:6], "-5", "x"]) + "\n", "utf-8"
    )
    result = CliRunner().invoke(cli, ["--store", "fg.db", "load", "mar.csv"])
    assert result.exit_code == 2, result.output
    assert "Warning: mar.csv: unknown column 'massa' ignored" in result.output
    assert "Error: mar.csv:2:mass_kg: mass_kg must be > 0, got '-5'" in result.output


def test_a_formula_with_its_saved_value_reads_fine(tmp_path):
    # near miss: a formula a spreadsheet program calculated and saved is just its value
    path = tmp_path / "mar.xlsx"
    workbook(path, [("data", [HEADER, [*ROW[:6], "=2+3"]], False)])
    data = io.BytesIO(path.read_bytes())
    import zipfile

    with zipfile.ZipFile(data) as src, zipfile.ZipFile(tmp_path / "ok.xlsx", "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<v />", b"<v>5</v>").replace(b"<v></v>", b"<v>5</v>")
            dst.writestr(item, body)
    upload = read_upload(tmp_path / "ok.xlsx", display_name="ok.xlsx")
    assert upload.events["mass_kg"].tolist() == [5.0]
