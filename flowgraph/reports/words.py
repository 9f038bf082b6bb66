"""The flow table's fixed node names in the reader's language (Sankey report and workbench).

Marked with ``N_`` for the message catalogue (flowgraph/i18n.py); ids, enterprise and province
names and country codes stay as they are.

>>> from flowgraph.i18n import translator
>>> node_label("export: JP · controlled, unlicensed", translator("zh-CN"))
'出口：JP · 受管制、无许可'
>>> node_label("export: JP · controlled, licensed", translator("zh-CN"))
'出口：JP · 受管制、有许可'
>>> node_label("closing stock", translator("zh-CN")), node_label("E1", translator("zh-CN"))
('期末库存', 'E1')
"""

from __future__ import annotations

from flowgraph.reports.flownodes import EXPORT_LICENCE_SUFFIX, EXPORT_PREFIX, UNLICENSED_SUFFIX


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark ``text`` for the catalogue without translating it here."""
    return text


NODES = frozenset(
    (
        N_("designated mine"), N_("import"), N_("untraceable: undesignated extraction"),
        N_("untraceable: undocumented import"), N_("untraceable: unknown or overdrawn lots"),
        N_("untraceable: batch gains"), N_("receipts without shipment"), N_("opening stock"),
        N_("in transit from earlier period"), N_("from other provinces"),
        N_("processed from other products"), N_("process losses"), N_("closing stock"),
        N_("domestic downstream"), N_("in transit or unconfirmed"), N_("to other provinces"),
        N_("processed into other products"), N_("mine"), N_("smelter-separator"),
        N_("processor"), N_("trader"), N_("processor / trader"), N_("unregistered"),
        N_("other"), N_("origin"), N_("sink"),
    )
)  # fmt: skip
UNLICENSED = N_("controlled, unlicensed")
LICENSED = N_("controlled, licensed")
LICENSED_SUFFIX = EXPORT_LICENCE_SUFFIX["licensed"]
BANDS = (N_("traceable"), N_("untraceable"))
FAMILIES = (N_("mineral"), N_("compound"), N_("metal"), N_("downstream"))


_COMPOSED = (
    # (prefix, message): names the Sankey composes from a stage name (sankeylayout.py).
    ("returns to ", N_("returns to {stage}")),
    ("returns from ", N_("returns from {stage}")),
    ("return after ", N_("return after {stage}")),
    ("return before ", N_("return before {stage}")),
    ("other ", N_("other {stage}")),
)
_OTHERS = (N_("other origins"), N_("other ends"))


def node_label(name: str, _) -> str:
    """A flow node's name in the language of ``_`` (a gettext function)."""
    if name in _OTHERS:
        return _(name)
    if " from " in name and name.startswith("returns to "):
        to, source = name[len("returns to ") :].split(" from ", 1)
        return _("returns to {stage} from {source}").format(stage=_(to), source=_(source))
    for prefix, message in _COMPOSED:
        rest = name[len(prefix) :]
        if name.startswith(prefix) and rest in NODES:
            return _(message).format(stage=_(rest))
    suffix = ""
    if name.endswith(UNLICENSED_SUFFIX):
        name, suffix = name[: -len(UNLICENSED_SUFFIX)], " · " + _(UNLICENSED)
    elif name.endswith(LICENSED_SUFFIX):
        name, suffix = name[: -len(LICENSED_SUFFIX)], " · " + _(LICENSED)
    if name.startswith(EXPORT_PREFIX):
        return _("export: {country}").format(country=name[len(EXPORT_PREFIX) :]) + suffix
    return (_(name) if name in NODES else name) + suffix
