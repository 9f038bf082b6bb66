"""Options several commands share, as decorators (one definition, one behaviour)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import click

from flowgraph.errors import UsageError

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def parse_period(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: a calendar month ``YYYY-MM`` or nothing."""
    if value is not None and not _PERIOD.match(value):
        raise click.BadParameter(f"{value!r} is not a month like 2024-03", ctx, param)
    return value


def parse_key_values(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict:
    """Click callback: repeated ``NAME=VALUE`` items to a dict (values stay text)."""
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", ctx, param)
        out[name.strip()] = value.strip()
    return out


def period_option(help: str = "Only this month.") -> Callable:
    return click.option("--period", metavar="YYYY-MM", callback=parse_period, help=help)


def year_option(help: str = "Only this year.") -> Callable:
    return click.option("--year", type=click.IntRange(1900, 2999), help=help)


def type_option(help: str = "Only this finding type (repeatable).") -> Callable:
    """``--type`` (repeatable, case-insensitive) over SPEC §5's finding types, as ``types``."""
    from flowgraph.model import FINDING_TYPES

    return click.option(
        "--type",
        "types",
        multiple=True,
        type=click.Choice(list(FINDING_TYPES), case_sensitive=False),
        help=help,
    )


def family_option(help: str = "Only this family of types (repeatable).") -> Callable:
    """``--family`` (repeatable, case-insensitive) over SPEC §5's families, as ``families``."""
    from flowgraph.model import FAMILIES

    return click.option(
        "--family",
        "families",
        multiple=True,
        type=click.Choice(list(FAMILIES), case_sensitive=False),
        help=help,
    )


def format_option(*choices: str) -> Callable:
    """``--format`` with the given choices, the first being the default."""
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default=choices[0], show_default=True
    )


def output_file(value: str | None, *, what: str = "out.csv") -> Path | None:
    """An ``-o`` file a command may write: its folder must exist (UsageError naming it, exit 2).

    >>> output_file("/no-such-folder/x.csv")
    Traceback (most recent call last):
    ...
    flowgraph.errors.UsageError: /no-such-folder/x.csv: folder /no-such-folder does not exist
    """
    if value is None:
        return None
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"{value}: is a directory; give a file name like {what}")
    if not path.parent.exists():
        raise UsageError(f"{value}: folder {path.parent} does not exist")
    return path


# What an output file's suffix says its format is.
SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
                  ".xlsx": "xlsx"}  # fmt: skip


def format_for_output(fmt: str, output: str | None, choices: tuple[str, ...]) -> str:
    """The format to write: ``--format`` when given, else the one ``-o FILE``'s suffix names
    (``out.xlsx`` -> xlsx), else the default. A suffix that contradicts ``--format``, or names a
    format the command cannot write, is a UsageError (exit 2) instead of a file whose name lies.

    >>> format_for_output("table", None, ("table", "csv"))
    'table'
    """
    if output is None:
        return fmt
    suffix = Path(output).suffix.lower()
    implied = SUFFIX_FORMATS.get(suffix)
    given = click.get_current_context().get_parameter_source("fmt")
    if given is not None and given.name != "DEFAULT":  # --format on the command line / env
        if implied is not None and implied != fmt and not (implied == "jsonl" and fmt == "json"):
            raise UsageError(
                f"-o {output}: a {suffix} file is {implied}, but --format is {fmt}; "
                f"name the file for its format (e.g. {Path(output).stem}{_suffix(fmt)})"
            )
        return fmt
    if implied is None:
        return fmt
    if implied not in choices:
        raise UsageError(
            f"-o {output}: this command writes {', '.join(choices)}, not {implied}; "
            "choose one with --format"
        )
    return implied


def _suffix(fmt: str) -> str:
    return {"table": ".txt", "jsonl": ".jsonl", "json": ".json"}.get(fmt, f".{fmt}")


def lang_option(func):
    """``--lang en|zh-CN``: the words of a human-readable output (default from the locale)."""
    return click.option(
        "--lang",
        type=click.Choice(["en", "zh-CN"]),
        help="Language of the output: its words around codes and ids, and finding details "
        "(default: from the locale, LC_ALL / LC_MESSAGES / LANG).",
    )(func)


def text_language(lang: str | None) -> str:
    """The ``--lang`` given, else the locale's language."""
    from flowgraph.i18n import locale_language

    return lang or locale_language()
