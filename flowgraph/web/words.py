"""Words the pages translate from data values (statuses, decisions, activities, column names):
marked with ``N_`` so the catalogue check finds them; ``_(value)`` translates them on show."""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark ``text`` for the catalogue without translating it here."""
    return text


STATUSES = (N_("new"), N_("open"), N_("confirmed"), N_("dismissed"), N_("resolved"))
DECISIONS = (N_("confirm"), N_("dismiss"), N_("reopen"))
ACTIVITIES = (N_("mining"), N_("smelting"))
# the headers of a finding's history columns (investigations.reviews.finding_history)
HISTORY_LABELS = {
    "run": N_("Run"), "ran_at": N_("Ran at"), "period": N_("Period"), "reo_kg": N_("kg REO"),
    "detail": N_("Detail"), "status": N_("Status"), "reviewed_at": N_("Reviewed at"),
    "reviewed_by": N_("Reviewed by"), "decision": N_("Decision"), "note": N_("Note"),
}  # fmt: skip


def flow_node_label(name: str, _) -> str:
    """A Sankey node's label in the page's language (see ``reports.words.node_label``)."""
    from flowgraph.reports.words import node_label

    return node_label(name, _)
