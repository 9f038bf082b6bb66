"""What the Sankey draws from a flow table: small nodes folded, backward flows re-routed, and
every node's column (x) by stage.

The flow table itself (flows.flow_table) is not changed; this is the picture's view of it:

- **Small nodes fold into "other".** A node whose REO through it (the larger of in and out) is
  under ``SMALL_SHARE`` (1 %) of the REO entering is drawn inside "other <stage>" (holders),
  "other origins" or "other ends", when at least two nodes of that kind are that small.
  Untraceable origins and unlicensed exports are never folded: they are what the page is for.
  A stage column also keeps at most ``COLUMN_CAP`` (12) holders, the largest by REO through
  them, or the ``top`` that ``flow_table(top=N)`` was given (``--top N``); the rest fold.
  Folding holders keeps them balanced (a sum of balanced nodes balances); flows between two
  folded holders become internal and are not drawn. The members of every "other" node (and
  the tonnes through each) are kept in ``table.attrs["members"]`` (with those ``flow_table(top=N)``
  folded already), so the figure can say "other processor / trader (12 enterprises)" and list
  them in the hover.
- **Backward flows are re-routed.** The columns run origin -> mine -> smelter-separator ->
  processor / trader -> ends. A flow whose target stage is not to the right of its source
  stage (trader -> smelter-separator, smelter-separator -> mine returns, trader -> processor)
  is drawn as two links through two labelled nodes: source -> "returns to <target stage>" (a
  column just right of the source's) and "returns from <source stage>" -> target (a column
  just left of the target's). So every drawn link runs left to right, with no loop.

>>> t = pd.DataFrame({"source": ["mine", "smelter-separator"],
...     "target": ["smelter-separator", "mine"], "source_stage": ["mine", "smelter-separator"],
...     "target_stage": ["smelter-separator", "mine"], "reo_t": [5.0, 1.0],
...     "traceable_t": [5.0, 1.0], "untraceable_t": [0.0, 0.0], "lots": [1, 1]})
>>> drawn_table(t)[["source", "target"]].values.tolist()
[['mine', 'smelter-separator'], ['smelter-separator', 'returns to mine'], \
['returns from smelter-separator', 'mine']]
"""

from __future__ import annotations

import pandas as pd

from flowgraph.reports.flownodes import STAGES, UNLICENSED_SUFFIX, UNTRACEABLE_ORIGINS

SMALL_SHARE = 0.01
COLUMN_CAP = 12  # holders drawn per stage column without --top
RETURNS_TO = "returns to "
RETURNS_FROM = "returns from "
OTHER_ORIGINS = "other origins"
OTHER_ENDS = "other ends"
RETURNS_VIA = " from "
RETURN_AFTER = "return after "
RETURN_BEFORE = "return before "
_ORDER = {s: i for i, s in enumerate(STAGES)}
# Stage columns; return nodes sit RETURN_GAP to the right of their source's column (the way
# out) or to the left of their target's (the way in).
COLUMN_X = {"origin": 0.001, "mine": 0.24, "smelter-separator": 0.5}
COLUMN_X |= {"processor / trader": 0.76, "sink": 0.999}
RETURN_GAP = 0.09
_SUM = ["reo_t", "traceable_t", "untraceable_t", "lots"]


def _through(table: pd.DataFrame) -> pd.Series:
    inflow = table.groupby("target")["reo_t"].sum()
    outflow = table.groupby("source")["reo_t"].sum()
    return pd.concat([inflow, outflow], axis=1).fillna(0.0).max(axis=1)


def _fold_name(name: str, stage: str) -> str:
    if stage == "origin":
        return OTHER_ORIGINS
    if stage == "sink":
        return OTHER_ENDS
    return f"other {stage}"


def fold_small(table: pd.DataFrame, share: float = SMALL_SHARE) -> pd.DataFrame:
    """The table with nodes under ``share`` of the REO entering folded into "other" (see the
    module docstring); flows that became internal are dropped, parallel ones summed (their
    ``lots`` is then the sum over the flows, an upper bound of the distinct lots)."""
    entering = float(table.loc[table["source_stage"] == "origin", "reo_t"].sum())
    if table.empty or entering <= 0:
        return table
    through = _through(table)
    stage = pd.concat(
        [table.set_index("source")["source_stage"], table.set_index("target")["target_stage"]]
    )
    stage = stage[~stage.index.duplicated()]
    small = through.reindex(stage.index) < share * entering
    protected = stage.index.isin(list(UNTRACEABLE_ORIGINS)) | stage.index.str.endswith(
        UNLICENSED_SUFFIX
    )
    small &= ~protected
    # At most ``top`` holders per stage (flow_table's --top, else COLUMN_CAP): the rest of a
    # stage folds too, so a column of 25 traders does not become a wall of thin links.
    cap = int(table.attrs.get("top") or COLUMN_CAP)
    holder = ~stage.isin(["origin", "sink"]) & ~stage.index.str.startswith("other ")
    rank = (
        through.reindex(stage.index)[holder]
        .groupby(stage[holder])
        .rank(ascending=False, method="first")
    )
    small |= (rank > cap).reindex(stage.index, fill_value=False)
    new = {n: _fold_name(n, s) for n, s in stage[small].items()}
    counts = pd.Series(new).value_counts()
    new = {n: g for n, g in new.items() if counts[g] >= 2}  # folding one node hides nothing
    if not new:
        return table
    members = {k: dict(v) for k, v in table.attrs.get("members", {}).items()}
    for name, group in new.items():
        inner = members.pop(name, None) if name != group else members.get(name)
        into = members.setdefault(group, {})
        if inner is not None:
            into.update(inner)
        elif name != group:
            into[name] = float(through[name])
    out = table.copy()
    out["source"] = out["source"].replace(new)
    out["target"] = out["target"].replace(new)
    out = out[out["source"] != out["target"]]
    keys = ["source", "target", "source_stage", "target_stage"]
    out = out.groupby(keys, sort=False, as_index=False)[_SUM].sum()
    out["stage"] = out["source_stage"] + " -> " + out["target_stage"]
    out = out[list(table.columns)].reset_index(drop=True)
    out.attrs = {**table.attrs, "members": members}
    return out


def is_backward(source_stage: pd.Series, target_stage: pd.Series) -> pd.Series:
    """True where a flow does not run to a later stage (it would be drawn right to left)."""
    return target_stage.map(_ORDER) <= source_stage.map(_ORDER)


def drawn_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table the Sankey draws: backward flows re-routed through return nodes (stages
    ``"return after S"`` / ``"return before T"``); forward flows as they are."""
    back = is_backward(table["source_stage"], table["target_stage"])
    if not back.any():
        return table.reset_index(drop=True)
    attrs = dict(table.attrs)
    b = table[back]
    sources_of = b.groupby("target_stage")["source_stage"].nunique()
    exit_name = RETURNS_TO + b["target_stage"]
    shared = b["target_stage"].map(sources_of) > 1  # two stages return to T: say which
    exit_name = exit_name.where(~shared, exit_name + RETURNS_VIA + b["source_stage"])
    leave = b.assign(target=exit_name, target_stage=RETURN_AFTER + b["source_stage"])
    enter = b.assign(
        source=RETURNS_FROM + b["source_stage"], source_stage=RETURN_BEFORE + b["target_stage"]
    )
    keys = ["source", "target", "source_stage", "target_stage"]
    parts = [part.groupby(keys, sort=False, as_index=False)[_SUM].sum() for part in (leave, enter)]
    out = pd.concat([table[~back], *parts], ignore_index=True)
    out["stage"] = out["source_stage"] + " -> " + out["target_stage"]
    out = out[list(table.columns)]
    out.attrs = attrs
    return out


def node_x(stage: str) -> float:
    """A node's column: its stage's, or beside it for a return node.

    >>> node_x("mine"), node_x("return after smelter-separator"), node_x("return before mine")
    (0.24, 0.59, 0.15)
    """
    if stage.startswith(RETURN_AFTER):
        return round(COLUMN_X[stage[len(RETURN_AFTER) :]] + RETURN_GAP, 3)
    if stage.startswith(RETURN_BEFORE):
        return round(COLUMN_X[stage[len(RETURN_BEFORE) :]] - RETURN_GAP, 3)
    return COLUMN_X.get(stage, 0.5)
