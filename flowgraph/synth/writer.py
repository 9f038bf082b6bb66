"""Turn the ledger's rows into the SPEC §1 event table and write registry, uploads and key.

Uploads are mostly UTF-8, some UTF-8 with BOM, some GB18030 (with Chinese notes), a few
different header layouts (column order is free, header case is free) and the smallest few
files as XLSX (openpyxl is slow, so only small ones).
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowgraph.model import (
    CONTROL_COLUMNS,
    CUSTOMS_COLUMNS,
    EVENT_COLUMNS,
    FINDING_COLUMNS,
    LICENCE_COLUMNS,
    UPLOAD_COLUMNS,
)
from flowgraph.synth.world import World

FIELDS = (
    "enterprise_id",
    "event_type",
    "day",
    "lot_id",
    "product",
    "m10",
    "reo_pct",
    "counterparty_id",
    "shipment_id",
    "batch_id",
    "country",
    "document_ref",
    "note",
)


def build_table(rows: list, year: int, licences: dict[int, str] | None = None) -> pd.DataFrame:
    """Event table (EVENT_COLUMNS, typed as the stores return it) plus ``mass_text``,
    sorted by enterprise, date and emission order, with event ids and source rows.
    ``licences``: ``licence_no`` by position in ``rows`` (the registers' numbers).

    Built column by column in numpy (one sort order, group numbers from the sorted keys'
    boundaries) instead of sorting and grouping a frame of Python objects; the texts of days
    and months are shared objects, one per day."""
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if n else [()] * len(FIELDS)
    day = np.asarray(cols[2], dtype=np.int64)
    m10 = np.asarray(cols[5], dtype=np.int64)
    ent_codes = pd.factorize(np.asarray(cols[0], dtype=object), sort=True)[0]
    order = np.lexsort((np.arange(n), day, ent_codes))  # enterprise, day, emission order
    day, m10, ent_codes = day[order], m10[order], ent_codes[order]
    span = max(367, int(day.max()) + 2) if n else 367  # days from 1 January of ``year``
    days = np.datetime64(f"{year}-01-01") + np.arange(span).astype("timedelta64[D]")
    day_text = days.astype(str)
    month_of = days.astype("datetime64[M]").astype(np.int64)
    # Uploads = runs of one (enterprise, month) in the sorted rows, numbered in sorted order.
    month = month_of[day]
    starts = np.r_[True, (ent_codes[1:] != ent_codes[:-1]) | (month[1:] != month[:-1])][:n]
    group = np.cumsum(starts) - 1
    seq = np.arange(n) - np.flatnonzero(starts)[group] + 1
    columns: dict[str, object] = {}
    for name, col in zip(FIELDS, cols, strict=True):
        if name in ("day", "m10", "reo_pct"):
            continue
        values = np.asarray(col, dtype=object)[order] if n else np.zeros(0, dtype=object)
        missing = pd.isna(values)
        if missing.any():
            values[missing] = None
        columns[name] = pd.Series(values, dtype="object")
    frame = pd.DataFrame(columns)
    frame.insert(2, "day", day)
    frame.insert(5, "m10", pd.Series(np.asarray(cols[5], dtype=object)[order], dtype="object"))
    pct = pd.to_numeric(pd.Series(cols[6], dtype="object")).to_numpy(dtype="float64")
    frame.insert(6, "reo_pct", pct[order] if n else pct)
    frame["date"] = days[day].astype("datetime64[ns]")
    frame["date_text"] = day_text.astype(object)[day]
    frame["period"] = day_text.astype("<U7").astype(object)[day]
    frame["mass_kg"] = m10 / 10.0
    whole = pa.array(m10 // 10).cast(pa.string())
    tenth = pa.array(m10 % 10).cast(pa.string())
    frame["mass_text"] = pc.binary_join_element_wise(whole, tenth, ".").to_numpy(
        zero_copy_only=False
    )
    licence = np.full(n, None, dtype=object)  # set by the registers (synth.registers)
    if licences:
        licence[list(licences)] = list(licences.values())
    frame["licence_no"] = pd.Series(licence[order], dtype=object)  # object: pandas infers str
    frame["order"] = order
    prefix = np.array([f"EV{t[:4]}{t[5:7]}-" for t in day_text], dtype=object)
    frame["event_id"] = pc.binary_join_element_wise(
        pa.array(prefix[day], type=pa.string()),
        pc.utf8_lpad(pa.array(seq).cast(pa.string()), 5, "0"),
        "",
    ).to_numpy(zero_copy_only=False)
    frame["source_row"] = seq + 1
    frame["upload_id"] = group + 1
    return frame


def events_view(table: pd.DataFrame) -> pd.DataFrame:
    """The EVENT_COLUMNS view of a built table (what a store would return)."""
    return table[list(EVENT_COLUMNS)]


def write_registry(world: World, outdir: Path, registers=None, years: int = 1) -> list[Path]:
    """The registry folder: enterprises, designations, quotas, and the SPEC §7 registers."""
    ents, des, quo = world.registry_records(years)
    folder = outdir / "registry"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    tables = [("enterprises", ents, None), ("designations", des, None), ("quotas", quo, None)]
    if registers is not None:
        tables += [
            ("customs", registers.customs, CUSTOMS_COLUMNS),
            ("export_licences", registers.licences, LICENCE_COLUMNS),
            ("controls", registers.controls, CONTROL_COLUMNS),
        ]
    for name, records, columns in tables:
        path = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(columns or records[0]))
            writer.writeheader()
            writer.writerows(records)
        paths.append(path)
    return paths


def _text_frame(table: pd.DataFrame) -> pd.DataFrame:
    """All upload columns as text, computed once for the whole table (vectorised)."""
    text = pd.DataFrame(index=table.index)
    pct = table["reo_pct"]
    pct_text = pd.Series("", index=table.index, dtype=object)
    has = pct.notna()
    pct_text[has] = pct[has].map("{:.2f}".format)
    for c in UPLOAD_COLUMNS:
        if c == "date":
            text[c] = table["date_text"]
        elif c == "mass_kg":
            text[c] = table["mass_text"]
        elif c == "reo_pct":
            text[c] = pct_text
        else:
            text[c] = table[c].fillna("")
    return text


def write_uploads(
    table: pd.DataFrame, outdir: Path, styles: dict[str, dict]
) -> list[tuple[int, str, str, Path]]:
    """One CSV per (enterprise, month) of ``table`` (sorted by enterprise):
    ``uploads/<enterprise_id>/<YYYY-MM>.csv``; returns (rows, enterprise, period, path) each.

    ``styles[enterprise_id]`` = {"encoding": ..., "layout": "spec"|"reversed"|"upper"}.
    The lines of the whole table are joined once (Arrow, column-wise) and sliced per file.
    """
    written = []
    text_all = _text_frame(table)
    # A file = a run of one upload_id (build_table numbers the (enterprise, month) runs).
    upload = table["upload_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, upload[1:] != upload[:-1]])
    bounds = list(zip(starts, np.r_[starts[1:], len(table)], strict=True))
    columns = {c: pa.array(text_all[c], type=pa.large_string()) for c in text_all}
    quoted = np.zeros(len(table), dtype=bool)
    for col in columns.values():
        quoted |= pc.match_substring_regex(col, _NEEDS_QUOTES).to_numpy(zero_copy_only=False)
    lines: dict[str, tuple[np.ndarray, pa.Buffer]] = {}
    for lo, hi in bounds:
        ent, period = table["enterprise_id"].iat[lo], table["period"].iat[lo]
        folder = outdir / "uploads" / ent
        folder.mkdir(parents=True, exist_ok=True)
        style = styles.get(ent, {})
        layout = style.get("layout", "spec")
        order = list(reversed(UPLOAD_COLUMNS)) if layout == "reversed" else list(UPLOAD_COLUMNS)
        header = [c.upper() for c in order] if layout == "upper" else order
        path = folder / f"{period}.csv"
        encoding = style.get("encoding", "utf-8")
        if quoted[lo:hi].any():  # a field needs quoting: let pandas quote it
            text = text_all.iloc[lo:hi][order].set_axis(header, axis=1)
            text.to_csv(path, index=False, encoding=encoding, lineterminator="\n")
        else:
            key = "reversed" if layout == "reversed" else "spec"
            if key not in lines:
                lines[key] = _line_buffer(columns, order)
            offsets, data = lines[key]
            body = data[offsets[lo] : offsets[hi]].to_pybytes()  # the file's lines, in UTF-8
            path.write_bytes(_encoded(",".join(header) + "\n", body, encoding))
        written.append((hi - lo, ent, period, path))
    return written


def _line_buffer(columns: dict[str, pa.Array], order: list[str]) -> tuple[np.ndarray, pa.Buffer]:
    """Every row's CSV line with its newline, in one UTF-8 buffer, and each line's start
    offset (plus the end): a file's body is one slice of it, with no Python string per line."""
    text = pa.large_string()  # 64-bit offsets: a month's lines may pass 2 GB at large scales
    joined = pc.binary_join_element_wise(*(columns[c] for c in order), pa.scalar(",", text))
    lined = pc.binary_join_element_wise(joined, pa.scalar("", text), pa.scalar("\n", text))
    lined = lined.combine_chunks() if isinstance(lined, pa.ChunkedArray) else lined
    _, offsets, data = lined.buffers()
    starts = np.frombuffer(offsets, dtype=np.int64)[lined.offset : lined.offset + len(lined) + 1]
    return starts, data


def _encoded(header: str, body: bytes, encoding: str) -> bytes:
    """``header`` + ``body`` (UTF-8 bytes) in ``encoding``, as ``str.encode`` gives it."""
    if encoding == "utf-8":
        return header.encode("utf-8") + body
    if encoding == "utf-8-sig":
        return header.encode("utf-8-sig") + body  # the BOM once, at the start
    return (header + body.decode("utf-8")).encode(encoding)


_NEEDS_QUOTES = r'[,"\r\n]'


def xlsx_from_csv(path: Path, style: dict) -> Path:
    """Replace a written CSV upload by the same rows as XLSX, with real date cells and number
    cells (SPEC allows either); the text of the CSV is exact, so nothing changes in value."""
    from openpyxl import Workbook

    text = pd.read_csv(
        path, dtype=str, keep_default_na=False, encoding=style.get("encoding", "utf-8")
    )
    text.columns = [c.lower() for c in text.columns]
    book = Workbook()
    sheet = book.active
    sheet.title = "flows"
    sheet.append(list(UPLOAD_COLUMNS))
    for r in text[list(UPLOAD_COLUMNS)].itertuples(index=False):
        values = []
        for c, v in zip(UPLOAD_COLUMNS, r, strict=True):
            if v == "":
                v = None
            elif c == "date":
                v = date.fromisoformat(v)
            elif c in ("mass_kg", "reo_pct"):
                v = float(v)
            values.append(v)
        sheet.append(values)
    target = path.with_suffix(".xlsx")
    book.save(target)
    path.unlink()
    return target


def concat_months(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """One event table from the months' tables; ``upload_id`` = the rank of (enterprise,
    period) in sorted order (the order ``flowgraph load`` reads the files in). The streaming
    writer keeps its events with :class:`flowgraph.synth.keep.EventKeeper` instead."""
    if not tables:
        return pd.DataFrame()
    frame = pd.concat(tables, ignore_index=True)
    keys = pd.MultiIndex.from_arrays([frame["enterprise_id"], frame["period"]])
    codes, _ = pd.factorize(keys, sort=True)
    frame["upload_id"] = codes.astype(np.int64) + 1
    return frame


def write_answers(findings: pd.DataFrame, path: Path) -> None:
    """answers.jsonl: one finding per line, SPEC §5 keys, null where n/a."""
    with path.open("w", encoding="utf-8") as fh:
        for rec in findings.to_dict("records"):
            clean = {}
            for c in FINDING_COLUMNS:
                v = rec.get(c)
                if v is None or (isinstance(v, float) and v != v):
                    v = None
                elif c == "year":
                    v = int(v)
                elif c == "reo_kg":
                    v = round(float(v), 3)
                clean[c] = v
            fh.write(json.dumps(clean, ensure_ascii=False) + "\n")
