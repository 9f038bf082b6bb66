"""Words the pages translate from data values (statuses, decisions, activities, column names):
marked with ``N_`` so the catalogue check finds them; ``_(value)`` translates them on show."""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark ``text`` for the catalogue without translating it here."""
    return text


STATUSES = (N_("new"), N_("open"), N_("confirmed"), N_("dismissed"), N_("resolved"))
DECISIONS = (N_("confirm"), N_("dismiss"), N_("reopen"))
ACTIVITIES = (N_("mining"), N_("smelting"))
# columns of a finding's history (investigations.reviews.finding_history)
HISTORY_COLUMNS = (N_("run"), N_("ran_at"), N_("period"), N_("reo_kg"), N_("detail"),
                   N_("status"), N_("reviewed_at"), N_("reviewed_by"), N_("decision"),
                   N_("note"))  # fmt: skip

# The flow table's fixed node names (flowgraph.reports.flownodes) and holder roles, so the
# Sankey reads in the page's language; ids, names of enterprises and provinces stay as they are.
FLOW_NODES = (
    N_("designated mine"), N_("import"), N_("untraceable: undesignated extraction"),
    N_("untraceable: undocumented import"), N_("untraceable: unknown or overdrawn lots"),
    N_("untraceable: batch gains"), N_("receipts without shipment"), N_("opening stock"),
    N_("in transit from earlier period"), N_("from other provinces"),
    N_("processed from other products"), N_("process losses"), N_("closing stock"),
    N_("domestic downstream"), N_("in transit or unconfirmed"), N_("to other provinces"),
    N_("processed into other products"), N_("mine"), N_("smelter-separator"), N_("processor"),
    N_("trader"), N_("processor / trader"), N_("unregistered"), N_("other"),
)  # fmt: skip


def flow_node_label(name: str, _) -> str:
    """A Sankey node's label in the page's language (``export: JP`` keeps its country code).

    >>> flow_node_label("export: JP", str), flow_node_label("E1", str.upper)
    ('export: JP', 'E1')
    """
    if name.startswith("export: "):
        return _("export: {country}").format(country=name[len("export: ") :])
    return _(name) if name in FLOW_NODES else name
