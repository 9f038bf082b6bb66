"""Terminal tables aligned by display width: Chinese (and other East Asian wide) characters take
two columns, so padding by ``len`` misaligns every row with an enterprise name in Chinese.
``wcwidth`` knows the widths (Unicode's East Asian Width tables)."""

from __future__ import annotations

import pandas as pd
from wcwidth import wcswidth


def counted(count: int, word: str) -> str:
    """``count`` and ``word``, plural unless one (English: the CLI's words add an s).

    >>> counted(1, "event"), counted(1250, "enterprise")
    ('1 event', '1,250 enterprises')
    """
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal.

    >>> width("abc"), width("包头稀土"), width("A包")
    (3, 8, 3)
    """
    w = wcswidth(text)
    return w if w >= 0 else len(text)  # a control character: count it as one


def pad(text: str, columns: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``columns`` display columns (``>`` right-aligns).

    >>> pad("包头", 6) + "|", pad("7", 3, ">") + "|"
    ('包头  |', '  7|')
    """
    gap = " " * max(0, columns - width(text))
    return gap + text if align == ">" else text + gap


def cell_text(value: object) -> str:
    """A cell as shown: empty for missing values (no ``None``, ``nan`` or ``<NA>``)."""
    if value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str)
                         and pd.isna(value)):  # fmt: skip
        return ""
    if isinstance(value, list | tuple):  # a Cypher list (a route): its items, readable
        return ", ".join(cell_text(v) for v in value)
    return str(value)


def frame_table(frame: pd.DataFrame, right: tuple[str, ...] = ()) -> str:
    """A DataFrame as an aligned text table (header, then rows; numbers and ``right`` columns
    right-aligned), missing values empty.

    >>> import pandas as pd
    >>> print(frame_table(pd.DataFrame({"id": ["E1", "E22"], "name": ["包头稀土", None]})))
    id   name
    E1   包头稀土
    E22
    """
    columns = [str(c) for c in frame.columns]
    cells = [[cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    widths = [max([width(c)] + [width(r[i]) for r in cells]) for i, c in enumerate(columns)]
    aligns = [
        ">"
        if c in right
        or (pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
        else "<"
        for c in frame.columns
    ]
    lines = []
    for row in [columns, *cells]:
        text = "  ".join(pad(v, w, a) for v, w, a in zip(row, widths, aligns, strict=True))
        lines.append(text.rstrip())
    return "\n".join(lines)
