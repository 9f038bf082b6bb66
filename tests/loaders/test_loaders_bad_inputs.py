"""The bad-input zoo: every file here gives InputError with clear problems, never a traceback."""

from __future__ import annotations

import io
import os
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loader_cases import csv_text, good_rows, problems

from flowgraph.errors import InputError
from flowgraph.model import UPLOAD_COLUMNS
from loaders import find_upload_files, read_upload


def good_xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(UPLOAD_COLUMNS))
    for row in good_rows():
        sheet.append([row.get(c) or None for c in UPLOAD_COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("empty.csv", b"", "empty.csv: empty file"),
        ("spaces.csv", b"  \n\n \r\n", "spaces.csv: empty file"),
        ("bom-only.csv", b"\xef\xbb\xbf", "bom-only.csv: empty file"),
        ("binary.csv", bytes(range(256)) * 4, "binary.csv: not a CSV text file (binary?)"),
        (
            "png.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "png.csv: not a CSV text file (binary?)",
        ),
        ("latin.csv", b"a,b\n\xff\xfe\xff,\x80\x80\n", "latin.csv: not a CSV text file (binary?)"),
        ("empty.xlsx", b"", "empty.xlsx: empty file"),
        ("text.xlsx", b"event_id,date\n1,2\n", "text.xlsx: not a readable XLSX workbook"),
        ("truncated.xlsx", good_xlsx_bytes()[:600], "truncated.xlsx: not a readable XLSX workbook"),
        ("half.xlsx", good_xlsx_bytes()[:-200], "half.xlsx: not a readable XLSX workbook"),
    ],
)
def test_unreadable_file_is_one_clear_problem(write, name, content, expected):
    assert problems(write(name, content), name) == [expected]


@pytest.mark.parametrize("suffix", [".xls", ".XLSB", ".ods"])
def test_other_workbook_formats_are_named(write, suffix):
    path = write("old" + suffix, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    assert problems(path, "old") == [
        f"old: {suffix.lower()} workbooks are not supported: save the sheet as .xlsx or .csv"
    ]


def test_xlsx_zip_without_a_workbook(write):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    path = write("zip.xlsx", buffer.getvalue())
    assert problems(path, "zip.xlsx") == ["zip.xlsx: not a readable XLSX workbook"]


def test_xlsx_with_a_corrupt_sheet_part(write):
    source = zipfile.ZipFile(io.BytesIO(good_xlsx_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # XML cut off in the middle
            archive.writestr(item, data)
    found = problems(write("cut.xlsx", buffer.getvalue()), "cut.xlsx")
    assert len(found) == 1 and found[0].startswith("cut.xlsx: not a readable XLSX workbook")


def test_empty_xlsx_sheet(tmp_path):
    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)
    assert problems(path, "blank.xlsx") == ["blank.xlsx: empty file"]


def test_header_only(write):
    path = write("head.csv", ",".join(UPLOAD_COLUMNS) + "\n")
    assert problems(path, "head.csv") == [
        "head.csv: no events (the file has a header but no data rows)"
    ]


def test_header_only_with_missing_columns(write):
    path = write("head.csv", "event_id,date\n\n\n")
    assert problems(path, "head.csv") == [
        "head.csv: no events (the file has a header but no data rows)",
        "head.csv:1:event_type: missing required column event_type",
        "head.csv:1:enterprise_id: missing required column enterprise_id",
        "head.csv:1:lot_id: missing required column lot_id",
        "head.csv:1:mass_kg: missing required column mass_kg",
    ]


def test_fifty_columns_without_any_required_one(write):
    header = ",".join(f"col{k}" for k in range(50))
    body = "\n".join(",".join(str(r * k) for k in range(50)) for r in range(5))
    path = write("wide.csv", header + "\n" + body + "\n")
    with pytest.raises(InputError) as caught:
        read_upload(path, display_name="wide.csv")
    assert [str(p) for p in caught.value.problems] == [
        f"wide.csv:1:{c}: missing required column {c}"
        for c in ("event_id", "event_type", "date", "enterprise_id", "lot_id", "mass_kg")
    ]


@pytest.mark.parametrize("separator, name", [(";", "semicolons"), ("\t", "tabs")])
def test_wrong_separator_is_named(write, separator, name):
    text = csv_text(good_rows()).replace(",", separator)
    found = problems(write("semi.csv", text), "semi.csv")
    assert found[0] == f"semi.csv: columns must be separated by commas, not {name}"
    assert found[1:] == [
        f"semi.csv:1:{c}: missing required column {c}"
        for c in ("event_id", "event_type", "date", "enterprise_id", "lot_id", "mass_kg")
    ]


def test_ragged_rows_are_named_and_other_rows_still_checked(write):
    lines = csv_text(good_rows()).splitlines()
    lines[3] += ",surplus"  # row 4
    lines[5] += ",,"  # row 6: trailing empty cells are harmless
    lines[8] = lines[8].replace("2025-03-08", "2025-02-07")  # row 9
    path = write("ragged.csv", "\n".join(lines) + "\n")
    assert problems(path, "ragged.csv") == [
        f"ragged.csv:4: row has {len(UPLOAD_COLUMNS) + 1} values but the header has "
        f"{len(UPLOAD_COLUMNS)} columns",
        "ragged.csv:9:date: date 2025-02-07 outside the file's period 2025-03",
    ]


def test_ragged_gb18030_file_is_still_read_as_gb18030(write):
    lines = csv_text(good_rows()).splitlines()
    lines[2] += ",surplus"  # row 3 (the import row, whose note is Chinese)
    path = write("gb.csv", ("\n".join(lines) + "\n").encode("gb18030"))
    n = len(UPLOAD_COLUMNS)
    assert problems(path, "gb.csv") == [
        f"gb.csv:3: row has {n + 1} values but the header has {n} columns"
    ]


def test_trailing_empty_cells_alone_load(write):
    lines = csv_text(good_rows()).splitlines()
    lines[2] += ",,"
    upload = read_upload(write("trail.csv", "\n".join(lines) + "\n"))
    assert len(upload.events) == 9


def test_short_rows_are_padded(write_rows):
    """A row that stops early just has empty trailing cells (spreadsheets write those)."""
    columns = [
        "event_id",
        "event_type",
        "date",
        "enterprise_id",
        "lot_id",
        "product",
        "mass_kg",
        "note",
    ]
    rows = [dict(r, product="BAST_CONC") for r in good_rows() if r["event_type"] == "loss"]
    path = write_rows(rows, columns)
    text = path.read_text().replace(",损耗 handling", "")
    path.write_text(text)
    assert read_upload(path).events.loc[0, "note"] is None


def test_unterminated_quote(write):
    lines = csv_text(good_rows()).splitlines()
    lines[4] = lines[4].replace("B1", '"B1')
    path = write("quote.csv", "\n".join(lines) + "\n")
    assert problems(path, "quote.csv") == [
        "quote.csv:5: unterminated quoted field: a '\"' opened on this row never closes"
    ]


def test_every_problem_of_a_bad_file_at_once(write):
    """The brief's example zoo in one file: each value is named on its own row."""
    rows = good_rows()
    rows[0]["date"] = "2025-13-01"
    rows[1]["mass_kg"] = "1e400"
    rows[2]["mass_kg"] = "NaN"
    rows[7]["mass_kg"] = "-0"
    path = write("zoo.csv", csv_text(rows))
    assert problems(path, "zoo.csv") == [
        "zoo.csv:2:date: date '2025-13-01' is not a real date",
        "zoo.csv:3:mass_kg: mass_kg '1e400' is not a finite number",
        "zoo.csv:4:mass_kg: mass_kg 'NaN' is not a finite number",
        "zoo.csv:9:mass_kg: mass_kg must be > 0, got '-0'",
    ]


def test_no_such_file(tmp_path):
    with pytest.raises(InputError) as caught:
        read_upload(tmp_path / "nope.csv", display_name="nope.csv")
    assert [str(p) for p in caught.value.problems] == ["nope.csv: no such file"]


# ---------------------------------------------------------------- find_upload_files


def test_find_upload_files(tmp_path):
    for name in (
        "2025/03/e1.csv",
        "2025/03/e2.XLSX",
        "2025/03/~$e2.xlsx",
        "2025/03/.hidden.csv",
        "2025/.secret/e9.csv",
        "2025/03/readme.txt",
        "2025/04/e1.Csv",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    single = f"{tmp_path}/2025/./03/e1.csv"  # the same file again, spelled differently
    found = find_upload_files([tmp_path / "2025", single, str(tmp_path / "2025/04")])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "2025/03/e1.csv",
        "2025/03/e2.XLSX",
        "2025/04/e1.Csv",
    ]


def test_find_upload_files_takes_a_named_file_whatever_its_suffix(tmp_path):
    path = tmp_path / "upload.txt"
    path.write_text("x")
    assert find_upload_files([path]) == [path]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_find_upload_files_does_not_follow_symlinks_out_of_a_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("x")
    inside = tmp_path / "uploads"
    inside.mkdir()
    (inside / "ok.csv").write_text("x")
    (inside / "link.csv").symlink_to(outside / "secret.csv")
    (inside / "linkdir").symlink_to(outside, target_is_directory=True)
    assert [p.name for p in find_upload_files([inside])] == ["ok.csv"]


def test_find_upload_files_missing_paths(tmp_path):
    (tmp_path / "a.csv").write_text("x")
    with pytest.raises(InputError) as caught:
        find_upload_files([tmp_path / "a.csv", tmp_path / "gone", "also-gone.csv"])
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'gone'}: no such file or folder",
        "also-gone.csv: no such file or folder",
    ]


# ---------------------------------------------------------------- robustness property

_SNIPPETS = [
    b",",
    b"\n",
    b"\r",
    b'"',
    b" ",
    b"\t",
    b"\x00",
    b"\xff",
    b"e",
    b"-",
    b";",
    "中".encode(),
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.one_of(st.sampled_from(_SNIPPETS), st.integers(1, 6))),
        min_size=1,
        max_size=6,
    )
)
def test_mangled_csv_gives_an_upload_or_input_error_never_a_crash(write, edits):
    """Insertions of separators, quotes, CRs, NULs, bad bytes and deletions anywhere: the
    loader either loads the file or names problems; any other exception fails this test."""
    data = bytearray(csv_text(good_rows()).encode())
    for where, edit in edits:
        position = int(where * len(data))
        if isinstance(edit, bytes):
            data[position:position] = edit
        else:
            del data[position : position + edit]
    path = write("mangled.csv", bytes(data))
    try:
        upload = read_upload(path, display_name="mangled.csv")
    except InputError as e:
        assert e.problems and all(str(p).startswith("mangled.csv") for p in e.problems)
    else:
        assert list(upload.events.columns)[:2] == ["event_id", "event_type"]
