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


def flow_node_label(name: str, _) -> str:
    """A Sankey node's label in the page's language (see ``reports.words.node_label``)."""
    from flowgraph.reports.words import node_label

    return node_label(name, _)
