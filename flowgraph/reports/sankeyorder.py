"""The order of the nodes inside each Sankey column: a few barycentre sweeps (Sugiyama's
crossing-reduction heuristic), and the number of link crossings a placement draws.

plotly's d3-sankey reorders nodes only for its own columns, which the figure replaces by fixed
stage columns (sankeylayout.py), and networkx has no layer-ordering step; so the well-known
heuristic is written here, over numpy arrays: every movable node is moved to the mean height
of its neighbours, weighted by the tonnes of the links between them, sweeping left to right
(neighbours to the left) and right to left (neighbours to the right). The order that draws
the fewest crossings (the unordered one included) wins.

>>> import numpy as np
>>> # two columns of two nodes, links a->d and b->c: crossed when a, b over c, d
>>> src, dst, w = np.array([0, 1]), np.array([3, 2]), np.array([1.0, 1.0])
>>> x, y = np.array([0.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0, 1.0])
>>> crossings(x, y, src, dst)
1
>>> crossings(x, np.array([0.0, 1.0, 1.0, 0.0]), src, dst)
0
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SWEEPS = 4  # rounds of sweeps (right, left, both sides); more rarely helps
TRANSPOSE_BUDGET = 400  # adjacent swaps tried at most (a placement and a count each)
_CHUNK = 2_000_000  # link pairs compared at once (memory bound)


class Crossings:
    """Counts the crossings of links whose columns (x) are fixed, for any heights: the pairs
    of links that share an x range (and no node) are found once, so each count is a few
    vector operations over them."""

    def __init__(self, x: np.ndarray, src: np.ndarray, dst: np.ndarray, weight=None) -> None:
        x0, x1 = x[src], x[dst]
        n = len(src)
        i_all, j_all = np.triu_indices(n, k=1) if n > 1 else (np.zeros(0, int), np.zeros(0, int))
        keep_i, keep_j, t = [], [], []
        for start in range(0, len(i_all), _CHUNK):
            i, j = i_all[start : start + _CHUNK], j_all[start : start + _CHUNK]
            lo, hi = np.maximum(x0[i], x0[j]), np.minimum(x1[i], x1[j])
            ok = (hi > lo) & (src[i] != src[j]) & (dst[i] != dst[j])
            i, j, lo, hi = i[ok], j[ok], lo[ok], hi[ok]
            keep_i.append(i)
            keep_j.append(j)
            span_i, span_j = x1[i] - x0[i], x1[j] - x0[j]
            t.append(
                np.column_stack(
                    [
                        (lo - x0[i]) / span_i,
                        (hi - x0[i]) / span_i,
                        (lo - x0[j]) / span_j,
                        (hi - x0[j]) / span_j,
                    ]
                )
            )
        self.i = np.concatenate(keep_i) if keep_i else np.zeros(0, int)
        self.j = np.concatenate(keep_j) if keep_j else np.zeros(0, int)
        self.t = np.concatenate(t) if t else np.zeros((0, 4))
        self.weight = None if weight is None else np.minimum(weight[self.i], weight[self.j])

    def count(self, y_src: np.ndarray, y_dst: np.ndarray) -> float:
        """Crossings (or their weight) with links leaving at ``y_src`` and arriving at ``y_dst``."""
        i, j, t = self.i, self.j, self.t
        di, dj = y_dst[i] - y_src[i], y_dst[j] - y_src[j]
        before = (y_src[i] + t[:, 0] * di) - (y_src[j] + t[:, 2] * dj)
        after = (y_src[i] + t[:, 1] * di) - (y_src[j] + t[:, 3] * dj)
        cross = before * after < 0
        return int(cross.sum()) if self.weight is None else float(self.weight[cross].sum())


def crossings(
    x: np.ndarray,
    y: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray | None = None,
    *,
    y_src: np.ndarray | None = None,
    y_dst: np.ndarray | None = None,
) -> float:
    """Pairs of links that cross, each link a straight segment from its source to its target.

    ``x``, ``y``: node positions; ``src``, ``dst``: node index per link. ``y_src`` / ``y_dst``
    (where the link leaves and enters its nodes) default to the node's ``y``. With ``weight``
    each crossing counts ``min(w_i, w_j)`` (two thick bands crossing matter more), else 1.
    Links sharing a node never count as crossing there (they are stacked).
    """
    ys = y[src] if y_src is None else y_src
    yd = y[dst] if y_dst is None else y_dst
    return Crossings(x, src, dst, weight).count(ys, yd)


def barycentre_order(
    columns: list[list[int]],
    movable: list[bool],
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    place: Callable[[list[list[int]]], tuple[np.ndarray, ...]],
    *,
    budget: int = TRANSPOSE_BUDGET,
) -> list[list[int]]:
    """The columns' node order after barycentre sweeps and a pass of adjacent swaps, the one
    with the least crossing weight (``crossings(..., weight)``: thick bands count most).

    ``columns``: node indices per column, left to right, in their starting order; ``movable``
    per column (fixed columns keep their order); ``place(columns)`` gives the node positions
    (x, y) of an order and where each link leaves and enters its nodes (y_src, y_dst), so
    heights and labels count as the figure draws them. ``budget``: at most that many swaps
    are tried (each costs a placement and a count).
    """

    counter: list[Crossings] = []

    def score(cols: list[list[int]]) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        x, y, ys, yd = place(cols)
        if not counter:  # the columns, hence x, are the same for every order
            counter.append(Crossings(x, src, dst, weight))
        return counter[0].count(ys, yd), (x, y)

    best = [list(c) for c in columns]
    best_score, (x, y) = score(best)
    current = best
    for _sweep in range(SWEEPS):
        for direction in (1, -1, 0):
            order = range(len(current)) if direction != -1 else range(len(current) - 1, -1, -1)
            for k in order:
                if not movable[k] or len(current[k]) < 2:
                    continue
                current = [list(c) for c in current]
                current[k] = _sorted_by_neighbours(current[k], x, y, src, dst, weight, direction)
                x, y = place(current)[:2]
            value, (x, y) = score(current)
            if value < best_score:
                best, best_score = current, value
    # Adjacent swaps (the "transpose" refinement): keep a swap when it lowers the weight.
    tried = 0
    improved = True
    while improved and tried < budget:
        improved = False
        for k, col in enumerate(best):
            if not movable[k]:
                continue
            for i in range(len(col) - 1):
                if tried >= budget:
                    break
                trial = [list(c) for c in best]
                trial[k][i], trial[k][i + 1] = trial[k][i + 1], trial[k][i]
                tried += 1
                value, _xy = score(trial)
                if value < best_score - 1e-9:
                    best, best_score, improved = trial, value, True
    return best


def _sorted_by_neighbours(
    nodes: list[int],
    x: np.ndarray,
    y: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    direction: int,
) -> list[int]:
    """``nodes`` sorted by the weighted mean height of their neighbours on one side (left for
    ``direction`` 1, right for -1, both for 0); a node without such neighbours keeps its own
    height."""
    ids = np.asarray(nodes)
    keys = []
    for node in ids:
        into, out = dst == node, src == node
        if direction == 1:
            other, w = src[into], weight[into]
        elif direction == -1:
            other, w = dst[out], weight[out]
        else:
            other, w = np.r_[src[into], dst[out]], np.r_[weight[into], weight[out]]
        keys.append(float(np.dot(w, y[other]) / w.sum()) if w.sum() > 0 else float(y[node]))
    order = np.argsort(np.asarray(keys), kind="stable")
    return [int(n) for n in ids[order]]
