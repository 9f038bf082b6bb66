"""Refresh the message catalogue from the code: every ``_("...")`` / ``N_("...")`` text of the
workbench (and the reports) becomes a msgid of flowgraph/locale/zh_CN/LC_MESSAGES/flowgraph.po;
translations already in the file are kept, new texts arrive with an empty msgstr to fill in
(tests/web/test_i18n.py fails while one is empty).

    python scripts/update_catalogue.py
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from flowgraph.i18n import source_messages

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "flowgraph" / "locale" / "zh_CN" / "LC_MESSAGES" / "flowgraph.po"


def main() -> None:
    old = {}
    if PO.exists():
        with PO.open("rb") as fh:
            old = {m.id: m.string for m in read_po(fh) if m.id}
    catalog = Catalog(
        locale="zh_CN",
        project="flowgraph",
        version="0.1",
        charset="utf-8",
        fuzzy=False,
        copyright_holder="the flowgraph authors",
    )
    for text in source_messages():
        catalog.add(text, old.get(text, ""))
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, no_location=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"{len(catalog)} messages, {len(missing)} without a translation")


if __name__ == "__main__":
    main()
