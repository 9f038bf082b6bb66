"""Building blocks of the self-contained HTML pages: escaped cells, tables sortable by any column
(inline vanilla JS, nothing fetched) and the page style."""

from __future__ import annotations

import html

import pandas as pd


def cell_text(value: object) -> str:
    """Escaped text of a cell; None / NaN / NaT as empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return html.escape(str(value))


SORT_JS = """
document.querySelectorAll('table.sortable > thead > tr > th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var i = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    th.parentNode.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    function key(row) {
      var cell = row.cells[i], raw = cell.getAttribute('data-sort');
      if (raw === null) { raw = cell.textContent.trim(); }
      var n = Number(raw);
      return (raw !== '' && !isNaN(n)) ? n : raw.toLowerCase();
    }
    // A table of row groups (one <tbody> per item, e.g. a finding and its evidence row) sorts
    // the groups by their first row, so an item's rows stay together.
    var groups = table.tBodies.length > 1;
    var items = Array.prototype.slice.call(groups ? table.tBodies : body.rows);
    function first(item) { return groups ? item.rows[0] : item; }
    items.sort(function (a, b) {
      var x = key(first(a)), y = key(first(b));
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    items.forEach(function (item) { (groups ? table : body).appendChild(item); });
  });
});
"""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
table.sortable > thead th { cursor: pointer; background: #f3f3f3; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
table.evidence { font-size: 0.85em; margin: 0.3em 0; }
tr.evidence-row > td { padding: 0 0.6em 0.6em 2.4em; border-bottom: 2px solid #ccc; }
tr.evidence-row summary { cursor: pointer; color: #555; }
tr.family td { font-weight: bold; background: #fafafa; }
p.note { background: #fff6d5; border-left: 4px solid #e0b000; padding: 0.4em 0.8em; }
"""


def table_html(
    headers: list[tuple[str, bool]], rows: list[str], *, cls: str = "", tid: str = ""
) -> str:
    """A table: ``headers`` as (text, numeric) pairs, ``rows`` ready ``<tr>`` markup."""
    head = "".join(f'<th class="n">{h}</th>' if num else f"<th>{h}</th>" for h, num in headers)
    attrs = (f' class="{cls}"' if cls else "") + (f' id="{tid}"' if tid else "")
    return (
        f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>"
    )


def grouped_table_html(
    headers: list[tuple[str, bool]], groups: list[str], *, cls: str = "", tid: str = ""
) -> str:
    """A table of row groups: ``groups`` are ready ``<tbody>`` markup, one per item (sorting
    keeps each group's rows together)."""
    head = "".join(f'<th class="n">{h}</th>' if num else f"<th>{h}</th>" for h, num in headers)
    attrs = (f' class="{cls}"' if cls else "") + (f' id="{tid}"' if tid else "")
    return f"<table{attrs}><thead><tr>{head}</tr></thead>\n" + "\n".join(groups) + "\n</table>"


def num_cell(value: float, digits: int = 3) -> str:
    """A right-aligned number cell that sorts by its value, shown with ``digits`` decimals."""
    return f'<td class="n" data-sort="{float(value):.6f}">{float(value):,.{digits}f}</td>'
