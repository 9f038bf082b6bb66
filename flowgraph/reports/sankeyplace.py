"""Where the Sankey draws each node and its label, in pixels, so that no label overlaps another
label or node and none leaves the plot.

- **Labels** are wrapped to at most two lines of ``LABEL_PX`` and shortened with "…" beyond
  (the node's hover keeps the full name); their width is estimated from the text (East Asian
  wide characters count one em, others ``_EM_NARROW`` em, a little more than the page's font
  needs, measured in Chromium).
- **Columns** (sankeylayout.node_x) are spaced so that the labels of a column (drawn to the
  right of its nodes; the last column's to the left) fit before the next column, and the last
  gap holds both the holders' labels and the ends' labels. The figure gets an explicit width.
- **Heights**: every node gets a slot as tall as its bar or its label, whichever is taller,
  stacked top down in its column's order (sankeyorder.py); return nodes are stacked from the
  bottom, clear of anything their box would touch; the figure is made tall enough for both.
- **Scale**: plotly's d3-sankey sizes the bars itself (tonnes to pixels, ``ky``) from its own
  columns, which are not the figure's, and could make the bars too tall for the slots. So the
  scale is chosen here and, when d3 would draw larger, an off-screen *spacer* link (below the
  plot, invisible, no hover) is added that brings d3's scale down to exactly this one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from wcwidth import wcwidth

FONT_PX = 12
LINE_PX = 16  # plotly's line spacing is 1.3 em
LABEL_PX = 200  # widest label line
THICKNESS = 16
PAD = 8  # plotly's node.pad: the snap step keeps at least this between bars
LINK_RUN = 60  # room for the links between a column's labels and the next column
MIN_WIDTH, MIN_HEIGHT = 1100, 560
BARS_PX = 420  # height the tallest column's bars get, beyond its labels and gaps
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 20}
SPACER_Y = 4.0  # the spacer's nodes, in plot heights from the top: far below what is shown
_TEXT_GAP = 4  # plotly's offset between a bar and its label
_EM_NARROW = 0.56
_AFTER, _BEFORE = 0.42, 0.58  # where in a gap the return columns sit


def text_px(text: str, size: float = FONT_PX) -> float:
    """Estimated width of ``text`` in pixels (a little wider than Chromium draws it).

    >>> round(text_px("abcd"), 2), text_px("包头")
    (26.88, 24.0)
    """
    return sum(size * (1.0 if wcwidth(ch) == 2 else _EM_NARROW) for ch in text)


def wrap_label(text: str, max_px: float = LABEL_PX, max_lines: int = 2) -> list[str]:
    """``text`` in lines of at most ``max_px``, broken at spaces (or anywhere in a word too
    long, e.g. Chinese without spaces), at most ``max_lines`` lines, the last cut with "…".

    >>> wrap_label("Baotou Rare Earth Products Exchange Trading")
    ['Baotou Rare Earth Products', 'Exchange Trading']
    >>> wrap_label("a " * 80)[-1].endswith("…")
    True
    """
    words: list[str] = []
    for word in text.split(" "):
        while text_px(word) > max_px:  # a word wider than a line: break inside it
            cut = _fit(word, max_px)
            words.append(word[:cut])
            word = word[cut:]
        words.append(word)
    lines: list[str] = []
    for word in words:
        if lines and text_px(lines[-1] + " " + word) <= max_px:
            lines[-1] = (lines[-1] + " " + word) if lines[-1] else word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        last = last[: _fit(last, max_px - text_px("…"))].rstrip()
        lines = lines[: max_lines - 1] + [last + "…"]
    return [line for line in lines if line] or [""]


def _fit(text: str, max_px: float) -> int:
    """How many leading characters of ``text`` fit in ``max_px`` (at least one)."""
    used = 0.0
    for i, ch in enumerate(text):
        used += text_px(ch)
        if used > max_px:
            return max(i, 1)
    return len(text)


@dataclass
class Placement:
    """Node centres and label sizes of a drawn Sankey (pixels inside the plot area)."""

    width: int  # whole figure, margins included
    height: int
    plot_w: float
    plot_h: float
    cx: np.ndarray  # node centre x
    cy: np.ndarray  # node centre y (down from the top)
    bar_h: np.ndarray  # bar heights as d3 draws them (value * ky)
    label_w: np.ndarray
    label_h: np.ndarray
    label_left: np.ndarray  # bool: label drawn left of the bar (last column)
    ky: float  # pixels per tonne
    spacer_t: float  # tonnes of the off-screen spacer link (0: none needed)

    def label_boxes(self) -> np.ndarray:
        """(x0, y0, x1, y1) of every node's label box."""
        start = np.where(
            self.label_left,
            self.cx - THICKNESS / 2 - _TEXT_GAP - self.label_w,
            self.cx + THICKNESS / 2 + _TEXT_GAP,
        )
        return np.column_stack(
            [start, self.cy - self.label_h / 2, start + self.label_w, self.cy + self.label_h / 2]
        )

    def node_boxes(self) -> np.ndarray:
        """(x0, y0, x1, y1) of every bar."""
        h = np.maximum(self.bar_h, 0.5)
        return np.column_stack(
            [self.cx - THICKNESS / 2, self.cy - h / 2, self.cx + THICKNESS / 2, self.cy + h / 2]
        )


def column_px(
    keys: list[float], right_label_w: dict[float, float], last_label_w: float
) -> dict[float, float]:
    """Centre x (px from the plot's left) of every column key (sankeylayout.node_x), and the
    plot width as the value of key ``inf``. Stage columns are the keys of ``right_label_w``
    order; return columns (keys between two stage columns) sit inside the gap."""
    stages = sorted(k for k in keys if k in right_label_w or k == max(keys))
    gaps = []
    for a, b in zip(stages, stages[1:], strict=False):
        gap = THICKNESS + 2 * _TEXT_GAP + right_label_w.get(a, 0.0) + LINK_RUN
        if b == stages[-1]:
            gap += last_label_w + _TEXT_GAP
        gaps.append(gap)
    inner = THICKNESS + sum(gaps)
    room = MIN_WIDTH - MARGIN["l"] - MARGIN["r"]
    if inner < room and gaps:
        grow = (room - inner) / sum(gaps)
        gaps = [g * (1 + grow) for g in gaps]
        inner = room
    px = {stages[0]: THICKNESS / 2}
    for a, b, g in zip(stages, stages[1:], gaps, strict=False):
        px[b] = px[a] + g
    for k in keys:
        if k in px:
            continue
        left = max(s for s in stages if s < k)
        right = min(s for s in stages if s > k)
        frac = (k - left) / (right - left)
        px[k] = px[left] + (_AFTER if frac < 0.5 else _BEFORE) * (px[right] - px[left])
    px[float("inf")] = inner
    return px


def d3_ky(values: np.ndarray, layers: np.ndarray, plot_h: float, pad: float = PAD) -> float:
    """The scale d3-sankey (plotly 7) gives: padding shrunk to fit the longest column, then the
    tightest column filled. ``values`` per node (max of in and out), ``layers`` d3's columns."""
    sizes = np.bincount(layers)
    sizes_nz = sizes[sizes > 0]
    longest = int(sizes_nz.max())
    gap = pad if longest <= 1 else min(pad, 2 / 3 * plot_h / (longest - 1))
    sums = np.bincount(layers, weights=values)
    cols = sizes > 0
    return float(np.min((plot_h - (sizes[cols] - 1) * gap) / sums[cols]))


def d3_layers(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """d3-sankey's columns with plotly's default ``justify`` alignment: a node's depth (longest
    path from a source), sinks in the last column."""
    depth = np.zeros(n, dtype=np.int64)
    current = np.arange(n)
    level = 0
    while len(current):
        depth[current] = level
        nxt = np.unique(dst[np.isin(src, current)])
        current = nxt
        level += 1
        if level > n + 1:
            raise ValueError("circular links")  # drawn flows always run left to right
    last = int(depth.max()) if n else 0
    has_out = np.isin(np.arange(n), src)
    return np.where(has_out, depth, last)


def attach_y(
    cy: np.ndarray, bar_h: np.ndarray, src: np.ndarray, dst: np.ndarray, width: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where each link leaves its source and enters its target (centre of its band), links
    stacked at a node in the order of their other end's height (as the figure sends them)."""

    def stacked(own: np.ndarray, other: np.ndarray) -> np.ndarray:
        order = np.lexsort((cy[other], own))
        w = width[order]
        ends = np.cumsum(w)
        first = np.r_[True, own[order][1:] != own[order][:-1]]
        base = np.maximum.accumulate(np.where(first, ends - w, 0.0))
        out = np.empty(len(own))
        out[order] = cy[own[order]] - bar_h[own[order]] / 2 + (ends - base) - w / 2
        return out

    if len(src) == 0:
        return np.zeros(0), np.zeros(0)
    return stacked(src, dst), stacked(dst, src)


@dataclass
class Graph:
    """What the placement needs of the drawn Sankey: per node its column key (sankeylayout
    .node_x), whether it is a return node (stacked from the bottom), its label lines and its
    value (t, the larger of in and out); per link its ends and tonnes."""

    key: np.ndarray
    is_return: np.ndarray
    lines: list[list[str]]
    value: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    link_t: np.ndarray

    def __post_init__(self) -> None:
        self.label_w = np.array([max(text_px(line) for line in lines) for lines in self.lines])
        self.label_h = np.array([LINE_PX * len(lines) + 2 for lines in self.lines], dtype=float)


def place(graph: Graph, columns: list[list[int]], ky: float | None = None) -> Placement:
    """Positions of the nodes for the column orders ``columns`` (node indices per column key,
    in sorted key order). ``ky``: the scale to use; None picks one (see the module docstring).
    """
    n = len(graph.key)
    label_w, label_h = graph.label_w, graph.label_h
    keys = sorted(set(graph.key.tolist()))
    last = keys[-1]
    left = graph.key == last
    stage_keys = sorted(set(graph.key[~graph.is_return].tolist()))
    right_w = {k: float(label_w[(graph.key == k) & ~left].max(initial=0.0)) for k in stage_keys}
    # a gap also holds the labels of the return nodes inside it
    for k in keys:
        if k not in right_w:
            host = max(s for s in stage_keys if s < k)
            right_w[host] = max(right_w[host], float(label_w[graph.key == k].max()) / 2)
    px = column_px(
        keys, {k: w for k, w in right_w.items() if k != last}, float(label_w[left].max(initial=0.0))
    )
    plot_w = px[float("inf")]
    cx = np.array([px[k] for k in graph.key.tolist()])
    top_cols = [c for c in columns if c and not graph.is_return[c[0]]]
    if ky is None:
        room = max((sum(label_h[c]) + (len(c) - 1) * PAD for c in top_cols), default=0.0)
        h0 = max(MIN_HEIGHT - MARGIN["t"] - MARGIN["b"], room + BARS_PX)
        ky = min(
            (h0 - (len(c) - 1) * PAD - label_h[c].sum()) / max(graph.value[c].sum(), 1e-12)
            for c in top_cols
        )
        ky = max(ky, 1e-12)
    bar_h = graph.value * ky
    slot = np.maximum(bar_h, label_h)
    cy = np.zeros(n)
    # x extent of each node's bar and label
    lx0 = np.where(left, cx - THICKNESS / 2 - _TEXT_GAP - label_w, cx - THICKNESS / 2)
    lx1 = np.where(left, cx + THICKNESS / 2, cx + THICKNESS / 2 + _TEXT_GAP + label_w)
    bottom_of_top = np.zeros(n)
    placed_top: list[int] = []
    need = MIN_HEIGHT - MARGIN["t"] - MARGIN["b"]
    for col in top_cols:
        top = 0.0
        for i in col:
            cy[i] = top + slot[i] / 2
            top += slot[i] + PAD
            bottom_of_top[i] = cy[i] + slot[i] / 2
            placed_top.append(i)
        need = max(need, top - PAD)
    # Return nodes from the bottom: d = distance of a box's bottom from the plot's bottom.
    d_top = np.zeros(n)
    placed_bottom: list[int] = []
    tops = np.array(placed_top, dtype=np.int64)
    for col in columns:
        if not col or not graph.is_return[col[0]]:
            continue
        for i in col:
            under = [j for j in placed_bottom if lx0[j] < lx1[i] and lx0[i] < lx1[j]]
            d = max((d_top[j] + PAD for j in under), default=0.0)
            d_top[i] = d + slot[i]
            over = tops[(lx0[tops] < lx1[i]) & (lx0[i] < lx1[tops])] if len(tops) else tops
            floor = float(bottom_of_top[over].max()) + PAD if len(over) else 0.0
            need = max(need, floor + d_top[i])
            placed_bottom.append(i)
    for i in placed_bottom:
        cy[i] = need - d_top[i] + slot[i] / 2
    return Placement(
        width=int(np.ceil(plot_w + MARGIN["l"] + MARGIN["r"])),
        height=int(np.ceil(need + MARGIN["t"] + MARGIN["b"])),
        plot_w=plot_w,
        plot_h=need,
        cx=cx,
        cy=cy,
        bar_h=bar_h,
        label_w=label_w,
        label_h=label_h,
        label_left=left,
        ky=ky,
        spacer_t=0.0,
    )


def with_spacer(graph: Graph, placement: Placement) -> Placement:
    """The placement with ``spacer_t`` set: the tonnes of an off-screen link from the first
    to the last d3 column that make d3's scale exactly ``placement.ky`` (0 when d3's own scale
    is already no larger; its bars are then a little thinner than their slots)."""
    values = graph.value
    layers = d3_layers(len(values), graph.src, graph.dst)
    h = placement.plot_h
    natural = d3_ky(values, layers, h)
    if natural <= placement.ky:
        placement.ky, placement.bar_h = natural, values * natural
        return placement
    last = int(layers.max())
    sizes = np.bincount(layers, minlength=last + 1).astype(float)
    sums = np.bincount(layers, weights=values, minlength=last + 1)
    sizes[0] += 1
    sizes[last] += 1
    longest = sizes.max()
    gap = min(PAD, 2 / 3 * h / (longest - 1))
    wanted = [(h - (sizes[j] - 1) * gap) / placement.ky - sums[j] for j in (0, last)]
    placement.spacer_t = max(min(wanted), 1e-6 * float(values.sum()))
    return placement
