"""Translations of the workbench and the HTML reports: English and Simplified Chinese.

One message catalogue, ``flowgraph/locale/zh_CN/LC_MESSAGES/flowgraph.po`` (gettext format,
msgids are the English text). It is compiled in memory with babel when first needed, so a clean
clone needs no build step and no ``.mo`` file is committed. Type codes and ids are never
translated.

>>> _ = translator("zh-CN")
>>> _("Findings")
'发现'
>>> translator("en")("Findings")
'Findings'
>>> negotiate("zh-CN,zh;q=0.9,en;q=0.8"), negotiate("fr-FR,en;q=0.5"), negotiate(None)
('zh-CN', 'en', 'en')
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from importlib import resources

from flowgraph.errors import UsageError

LANGUAGES = ("en", "zh-CN")
DOMAIN = "flowgraph"


def check_language(lang: str) -> str:
    """The canonical spelling of a supported language (``zh_CN``, ``zh-cn`` -> ``zh-CN``)."""
    wanted = lang.replace("_", "-").lower()
    for known in LANGUAGES:
        if known.lower() == wanted or (known == "zh-CN" and wanted in ("zh", "zh-hans")):
            return known
    raise UsageError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an HTTP ``Accept-Language`` header (default English)."""
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    if not accept_language:
        return "en"
    accept = parse_accept_header(accept_language, LanguageAccept)
    for value, _quality in accept:
        tag = value.replace("_", "-").lower()
        if tag.startswith("zh") and not tag.startswith(("zh-tw", "zh-hk", "zh-hant")):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return "en"


def locale_language(environ: dict[str, str] | None = None) -> str:
    """The reports' default language, from the locale (LC_ALL, LC_MESSAGES, LANG).

    >>> locale_language({"LANG": "zh_CN.UTF-8"}), locale_language({"LANG": "C.UTF-8"})
    ('zh-CN', 'en')
    """
    from flowgraph.config import Environment

    value = Environment.read(environ).locale
    if value:
        return "zh-CN" if value.lower().startswith("zh") else "en"
    return "en"


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    folder = lang.replace("-", "_")
    po = resources.files("flowgraph").joinpath("locale", folder, "LC_MESSAGES", f"{DOMAIN}.po")
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=folder)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(lang: str) -> Callable[[str], str]:
    """``_(text)`` for a language; ``_(text).format(...)`` for texts with ``{placeholders}``."""
    return _translations(check_language(lang)).gettext


def catalogue(lang: str = "zh-CN") -> dict[str, str]:
    """Every msgid of the catalogue -> its translation (for tests and completeness checks)."""
    from babel.messages.pofile import read_po

    folder = check_language(lang).replace("-", "_")
    po = resources.files("flowgraph").joinpath("locale", folder, "LC_MESSAGES", f"{DOMAIN}.po")
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=folder)
    return {m.id: m.string for m in catalog if m.id}


def source_messages(folders: tuple[str, ...] = ("web", "reports", "cli")) -> list[str]:
    """Every ``_("...")`` / ``N_("...")`` text in those flowgraph sub-packages, in order met
    (what the catalogue must translate; scripts/update_catalogue.py writes new ones in)."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir

    root = Path(__file__).resolve().parent
    seen: list[str] = []
    for folder in folders:
        found = extract_from_dir(
            root / folder, method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
        )
        for _file, _line, message, _comments, _context in found:
            if isinstance(message, str) and message not in seen:
                seen.append(message)
    return seen
