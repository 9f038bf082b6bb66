"""The findings page's parts as HTML: the summary, enterprise and licence tables, the notes
above the findings table, and the findings table itself with each finding's evidence rows
under it, in the page's language.

Each part is a function of the ``FindingsReport``'s frames (findingsdata.py) and the page's
translator ``_``; findings.py puts them in order on the page. Everything that comes from
uploads or the registry is escaped here (``htmltable.cell_text``); catalogue texts are trusted.
"""

from __future__ import annotations

import pandas as pd

from flowgraph.model import FAMILIES, FINDING_KEYS, Registry
from flowgraph.reports.detailwords import localise_detail
from flowgraph.reports.htmltable import cell_text as _e
from flowgraph.reports.htmltable import grouped_table_html, num_cell, table_html
from flowgraph.reports.words import N_

# a finding key's name in the key column ("lot L1 · shipment S2"); type and family codes and
# ids stay as they are
_KEY_WORDS = (N_("lot"), N_("shipment"), N_("batch"), N_("document_ref"), N_("licence_no"),
              N_("product"), N_("country"), N_("activity"), N_("year"))  # fmt: skip
_ACTIVITY_WORDS = (N_("mining"), N_("smelting"))  # QUOTA_EXCEEDED's key
_STATUS_WORDS = (N_("new"), N_("open"), N_("confirmed"), N_("dismissed"), N_("resolved"))


def tag(name: str, text: str) -> str:
    """``text`` (catalogue text, trusted) in an element; ``_()`` stays out of f-strings, where
    babel's extractor would not see it.

    >>> tag("em", "no event rows")
    '<em>no event rows</em>'
    """
    return f"<{name}>{text}</{name}>"


def _word(value: object, known: tuple[str, ...], _) -> str:
    """A data value the catalogue knows (status, key name) in the page's language."""
    return _(value) if isinstance(value, str) and value in known else value


def summary_html(summary: pd.DataFrame, _) -> str:
    """The summary table: a row per family (its count and tonnes REO), then one per type in it."""
    rows = []
    for family in FAMILIES:
        part = summary[summary["family"] == family]
        rows.append(
            f'<tr class="family"><td>{family}</td><td></td><td class="n">{int(part["findings"].sum()):,}'
            f'</td><td class="n">{part["reo_t"].sum():,.3f}</td></tr>'
        )
        for row in part.itertuples():
            rows.append(
                f'<tr><td></td><td>{row.type}</td><td class="n">{row.findings:,}</td>'
                f'<td class="n">{row.reo_t:,.3f}</td></tr>'
            )
    headers = [(_("family"), False), (_("type"), False), (_("findings"), True), (_("t REO"), True)]
    return table_html(headers, rows, tid="summary")


def enterprises_html(table: pd.DataFrame, _) -> str:
    """The top enterprises by untraceable REO (tonnes in and out, their findings), sortable."""
    rows = [
        f"<tr><td>{_e(r.enterprise_id)}</td><td>{_e(r.name)}</td><td>{_e(r.province)}</td>"
        f"{num_cell(r.in_t)}{num_cell(r.out_t)}{num_cell(r.findings, 0)}{num_cell(r.findings_reo_t)}</tr>"
        for r in table.itertuples()
    ]
    headers = [
        (_("enterprise"), False),
        (_("name"), False),
        (_("province"), False),
        (_("untraceable in (t)"), True),
        (_("untraceable out (t)"), True),
        (_("findings"), True),
        (_("findings t REO"), True),
    ]
    return table_html(headers, rows, cls="sortable", tid="enterprises")


def _key_text(row: pd.Series, _) -> str:
    keys = [k for k in FINDING_KEYS[row["type"]] if k not in ("enterprise_id", "period")]
    return " · ".join(
        f"{_word(k.removesuffix('_id'), _KEY_WORDS, _)} {_word(row[k], _ACTIVITY_WORDS, _)}"
        for k in keys
        if row[k] is not None
    )


def _evidence_headers(_) -> list[tuple[str, bool]]:
    return [
        (_("date"), False),
        (_("event"), False),
        (_("enterprise"), False),
        (_("lot"), False),
        (_("product"), False),
        (_("mass kg"), True),
        (_("REO kg"), True),
        (_("counterparty"), False),
        (_("shipment"), False),
        (_("batch"), False),
        (_("country"), False),
        (_("document"), False),
        (_("licence"), False),
        (_("note"), False),
        (_("source"), False),
    ]


def _evidence_html(rows: pd.DataFrame, files: dict, _) -> str:
    if rows.empty:
        return tag("em", _("no event rows"))
    body = []
    for r in rows.itertuples():
        name = (
            files[r.upload_id] if r.upload_id in files else _("upload {id}").format(id=r.upload_id)
        )
        source = f"{name}:{r.source_row}"
        body.append(
            f"<tr><td>{_e(r.date)}</td><td>{_e(r.event_type)}</td><td>{_e(r.enterprise_id)}</td>"
            f"<td>{_e(r.lot_id)}</td><td>{_e(r.product)}</td>"
            f'<td class="n">{r.mass_kg:,.1f}</td><td class="n">{r.reo_kg:,.1f}</td>'
            f"<td>{_e(r.counterparty_id)}</td><td>{_e(r.shipment_id)}</td><td>{_e(r.batch_id)}</td>"
            f"<td>{_e(r.country)}</td><td>{_e(r.document_ref)}</td><td>{_e(r.licence_no)}</td>"
            f"<td>{_e(r.note)}</td>"
            f"<td>{_e(source)}</td></tr>"
        )
    total = int(rows["total"].iloc[0])
    left = total - len(rows)
    more = _("… and {count} more event row") if left == 1 else _("… and {count} more event rows")
    more = f"<p>{more.format(count=f'{left:,}')}</p>" if left > 0 else ""
    summary = _("evidence: {count} event row") if total == 1 else _("evidence: {count} event rows")
    return (
        f"<details><summary>{summary.format(count=f'{total:,}')}</summary>"
        + table_html(_evidence_headers(_), body, cls="evidence")
        + more
        + "</details>"
    )


def cap_notice(listed: int, total: int, _) -> list[str]:
    """The note that the findings table lists only the largest findings, when it does.

    >>> cap_notice(2000, 2000, str)
    []
    """
    if listed == total:
        return []
    text = _(
        "Listed: the {listed} largest findings by REO of {total}; {command} gives all of them."
    )
    command = "<code>flowgraph detect --format csv</code>"
    return [
        f'<p class="note">{text.format(listed=f"{listed:,}", total=f"{total:,}", command=command)}</p>'
    ]


def registry_notice(registry_loaded: bool, _) -> list[str]:
    """The note that no registry was loaded (so every designation check fires), when none was."""
    if registry_loaded:
        return []
    text = _(
        "every enterprise counts as undesignated and unregistered, so designation findings "
        "cover all of them. Load the regulator's files with {command}."
    ).format(command="<code>flowgraph registry load DIR</code>")
    head = tag("strong", _("No registry loaded:"))
    return [f'<p class="note">{head} {text}</p>']


def register_notice(registry: Registry, _) -> list[str]:
    """Say which SPEC §7 checks did not run (no register, no finding)."""
    missing = [
        label
        for label, frame in (
            (
                _("No customs register (customs.csv): customs checks were not run."),
                registry.customs,
            ),
            (
                _("No export licence register (export_licences.csv): licence checks were not run."),
                registry.licences,
            ),
        )
        if frame is None
    ]
    return [f'<p class="note">{m}</p>' for m in missing]


def licences_html(table: pd.DataFrame, _) -> str:
    """Licensed, used and remaining kg per licence row (used = the exports LICENCE_EXCEEDED
    counts); a licence row used beyond its quantity shows a negative remainder."""
    if table.empty:
        return tag("p", _("The licence register holds no licence."))
    rows = []
    for r in table.itertuples(index=False):
        start = _e(r.valid_from)
        # "open" alone is a finding status in the catalogue; an open-ended validity is its own text
        valid = (
            _("{start} – open").format(start=start)
            if pd.isna(r.valid_to)
            else f"{start} – {_e(r.valid_to)}"
        )
        pct = "" if pd.isna(r.used_pct) else f"{r.used_pct:,.1f}%"
        rows.append(
            f"<tr><td>{_e(r.licence_no)}</td><td>{_e(r.enterprise_id)}</td>"
            f"<td>{_e(r.product)}</td><td>{_e(r.country)}</td>"
            f"<td>{valid}</td><td>{_e(r.end_user)}</td>"
            f"{num_cell(r.licensed_kg, 1)}{num_cell(r.used_kg, 1)}{num_cell(r.remaining_kg, 1)}"
            f'<td class="n">{pct}</td></tr>'
        )
    headers = [
        (_("licence"), False),
        (_("holder"), False),
        (_("product"), False),
        (_("country"), False),
        (_("valid"), False),
        (_("end user"), False),
        (_("licensed kg"), True),
        (_("used kg"), True),
        (_("remaining kg"), True),
        (_("used"), True),
    ]
    return table_html(headers, rows, cls="sortable", tid="licences")


def findings_table_html(
    findings: pd.DataFrame, rows: pd.DataFrame, names: pd.Series, files: dict, _, lang: str
) -> str:
    """The findings table: per finding a row, and under it its evidence rows (``rows``,
    ``finding`` = position in ``findings``) across the table's full width; ``names``:
    enterprise id -> name, ``files``: upload id -> file name."""
    by_finding = {k: g for k, g in rows.groupby("finding")} if len(rows) else {}
    empty = rows.iloc[0:0]
    out = []
    for i, (_row, f) in enumerate(findings.iterrows()):
        ent = f["enterprise_id"]
        who = "" if ent is None else f"{_e(ent)} · {_e(names.get(ent))}"
        # SPEC §6 identity and status, when the caller compared with the recorded runs
        ident = f"<td><code>{_e(f.get('finding_id'))}</code></td><td>{_e(_word(f.get('status'), _STATUS_WORDS, _))}</td>"
        # The evidence goes in a row of its own under the finding, the table's full width: in
        # the last column its counterparty, document and FILE:ROW sat ~1,200 px to the right.
        out.append(
            f'<tbody class="finding"><tr><td class="n">{i + 1}</td>{ident}'
            f"<td>{_e(f['type'])}</td><td>{_e(f['family'])}</td>"
            f"<td>{_e(f['period'])}</td><td>{who}</td><td>{_e(_key_text(f, _))}</td>"
            f"{num_cell(f['reo_kg'], 1)}<td>{_e(localise_detail(f['type'], f['detail'], lang))}</td></tr>"
            f'<tr class="evidence-row"><td colspan="10">'
            f"{_evidence_html(by_finding.get(i, empty), files, _)}</td></tr></tbody>"
        )
    headers = [
        (_("#"), True),
        (_("finding_id"), False),
        (_("status"), False),
        (_("type"), False),
        (_("family"), False),
        (_("period"), False),
        (_("enterprise"), False),
        (_("key"), False),
        (_("REO kg"), True),
        (_("detail"), False),
    ]
    return grouped_table_html(headers, out, cls="sortable", tid="findings")
