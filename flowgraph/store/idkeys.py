"""Which event and batch ids each enterprise already uses in its current uploads (SPEC §1).

Kept in memory by the embedded store and updated after each commit, so checking a new upload
costs O(its rows), not O(everything the enterprise ever uploaded).

>>> keys = EnterpriseKeys()
>>> keys.add(1, "2024-03", ["e1", "e2"], ["B1"])
>>> keys.clashes("2024-04", ["e2", "e3"], "event")
{'e2': '2024-03'}
>>> keys.clashes("2024-03", ["e2"], "event")   # a revision of March may reuse March's ids
{}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flowgraph.errors import Problem
from flowgraph.model import Upload


@dataclass
class EnterpriseKeys:
    uploads: dict[int, str] = field(default_factory=dict)  # current upload_id -> period
    event: dict[str, str] = field(default_factory=dict)  # event_id -> period
    batch: dict[str, str] = field(default_factory=dict)  # batch_id -> period
    by_period: dict[str, tuple[list, list]] = field(default_factory=dict)  # period -> its ids

    @classmethod
    def of_periods(cls, periods: dict[str, tuple[Iterable[str], Iterable]]) -> EnterpriseKeys:
        """Keys from each current period's (event ids, batch ids), e.g. as a server returns them.

        >>> EnterpriseKeys.of_periods({"2024-03": (["e1"], ["B1"])}).clashes("2024-04", ["e1"], "event")
        {'e1': '2024-03'}
        """
        keys = cls()
        for position, (period, (event_ids, batch_ids)) in enumerate(sorted(periods.items())):
            keys.add(position, period, event_ids, batch_ids)
        return keys

    def clashes(self, period: str, ids: Iterable[str], kind: str) -> dict[str, str]:
        """ids already used in *another* period's current upload, with that period."""
        owner = self.event if kind == "event" else self.batch
        shared = owner.keys() & set(ids)  # set algebra in C: most uploads share nothing
        return {key: owner[key] for key in shared if owner[key] != period}

    def add(
        self, upload_id: int, period: str, event_ids: Iterable[str], batch_ids: Iterable
    ) -> None:
        events = list(event_ids)
        batches = [b for b in batch_ids if b is not None]
        self.uploads[upload_id] = period
        self.by_period[period] = (events, batches)
        self.event.update(dict.fromkeys(events, period))
        self.batch.update(dict.fromkeys(batches, period))

    def drop_period(self, period: str) -> None:
        """Forget the upload of ``period`` (it has just been superseded)."""
        if period not in self.by_period:
            return
        events, batches = self.by_period.pop(period)
        self.uploads = {u: p for u, p in self.uploads.items() if p != period}
        for owner, keys in ((self.event, events), (self.batch, batches)):
            for key in keys:
                if owner.get(key) == period:
                    del owner[key]


def cross_upload_problems(upload: Upload, keys: EnterpriseKeys) -> list[Problem]:
    """SPEC §1: event ids are unique per enterprise across current uploads; a batch lives in one.

    Both stores report clashes with these exact messages, at the clashing rows.
    """
    events = upload.events
    problems = []
    for column, kind, what in (("event_id", "event", "event_id"), ("batch_id", "batch", "batch")):
        clashes = keys.clashes(upload.period, events[column].dropna(), kind)
        if not clashes:
            continue
        clashing = events[events[column].isin(list(clashes))]
        for row, value in zip(clashing["source_row"], clashing[column], strict=True):
            problems.append(
                Problem(
                    upload.file_name,
                    int(row),
                    column,
                    f"{what} {value!r} is already used by {upload.enterprise_id} in its "
                    f"{clashes[value]} upload",
                )
            )
    problems.sort(key=lambda p: (p.row, p.column))
    return problems
