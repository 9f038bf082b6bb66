"""What saving an upload or a registry does (SPEC §1, §2), decided once for both stores.

Each store reads the state it keeps (the identity's earlier uploads, the ids of the
enterprise's other current uploads, the latest registry version), hands it to these pure
functions and carries out the decision in its own transaction. So "unchanged", "superseded",
the revision number and the cross-upload id checks cannot drift between SQLite and Neo4j.

>>> from flowgraph.model import events_frame
>>> ev = events_frame([{"event_id": "e1", "event_type": "stock", "date": "2024-03-31",
...                     "enterprise_id": "E1", "lot_id": "L1", "mass_kg": 0.0}])
>>> upload = Upload("mar.csv", "b" * 64, "E1", "2024-03", ev)
>>> first = StoredUpload(upload_id=4, sha256="a" * 64, revision=1, current=True)
>>> decide_save(upload, [first], EnterpriseKeys())
SaveDecision(status='superseded', revision=2, supersedes=4, reverts_to=None)
>>> decide_save(upload, [], EnterpriseKeys()).status
'loaded'
>>> second = StoredUpload(upload_id=5, sha256="c" * 64, revision=2, current=True)
>>> old = StoredUpload(upload_id=4, sha256="b" * 64, revision=1, current=False)
>>> decide_save(upload, [old, second], EnterpriseKeys())
SaveDecision(status='superseded', revision=3, supersedes=5, reverts_to=1)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from flowgraph.errors import InputError
from flowgraph.model import Registry, Upload
from flowgraph.store.base import LoadResult, RegistryResult
from flowgraph.store.idkeys import EnterpriseKeys, cross_upload_problems


@dataclass(frozen=True)
class StoredUpload:
    """One stored upload of an identity (enterprise, period), current or superseded."""

    upload_id: int
    sha256: str
    revision: int
    current: bool


@dataclass(frozen=True)
class SaveDecision:
    """What a store does with an upload.

    status: 'unchanged' (write nothing), 'loaded' (a first upload of its identity) or
    'superseded' (a new revision; ``supersedes`` is the upload id it retires).
    """

    status: str
    revision: int
    supersedes: int | None = None
    reverts_to: int | None = None  # the superseded revision whose content this one repeats

    @property
    def writes(self) -> bool:
        return self.status != "unchanged"

    def result(self, upload: Upload, upload_id: int | None = None) -> LoadResult:
        """The LoadResult a store returns once it has carried this decision out."""
        return LoadResult(
            upload.file_name,
            upload.enterprise_id,
            upload.period,
            self.status,
            len(upload.events),
            self.revision,
            upload_id if self.writes else None,
            self.reverts_to,
        )


def decide_save(
    upload: Upload, history: Iterable[StoredUpload], keys: EnterpriseKeys
) -> SaveDecision:
    """Decide how ``upload`` is stored (SPEC §1), given its identity's stored ``history`` and
    ``keys``, the ids of the enterprise's current uploads.

    Identical content (same SHA-256) to the current upload of its identity: 'unchanged'.
    Otherwise the revision is one more than any revision of the identity ever stored, and
    the current upload, if any, is superseded. Raises InputError (FILE:ROW:COLUMN, nothing to
    store) when an event id or batch id is already used in another period's current upload.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_id": "e1", "event_type": "stock", "date": "2024-04-30",
    ...                     "enterprise_id": "E1", "lot_id": "L1", "mass_kg": 0.0}])
    >>> keys = EnterpriseKeys()
    >>> keys.add(4, "2024-03", ["e1"], [])
    >>> decide_save(Upload("apr.csv", "c" * 64, "E1", "2024-04", ev), [], keys)
    Traceback (most recent call last):
    ...
    flowgraph.errors.InputError: apr.csv:2:event_id: event_id 'e1' is already used by E1 in its 2024-03 upload
    """
    history = list(history)
    current = next((h for h in history if h.current), None)
    if current is not None and current.sha256 == upload.sha256:
        return SaveDecision("unchanged", current.revision)
    problems = cross_upload_problems(upload, keys)
    if problems:
        raise InputError(problems)
    revision = max((h.revision for h in history), default=0) + 1
    # Same bytes as a superseded revision: a valid new revision, but it undoes the corrections
    # loaded since, so the load says so (an old file reloaded by mistake).
    reverts = max((h.revision for h in history if h.sha256 == upload.sha256), default=None)
    if current is None:
        return SaveDecision("loaded", revision, reverts_to=reverts)
    return SaveDecision("superseded", revision, current.upload_id, reverts)


def registry_digest(registry: Registry) -> str:
    """Content hash of a registry, to tell an identical reload from a new version.

    >>> registry_digest(Registry.empty()) == registry_digest(Registry.empty())
    True

    A SPEC §7 register counts only when present, so a registry without any hashes as it did
    before registers existed (an identical reload into an older store stays unchanged).
    """
    digest = hashlib.sha256()
    for frame in (registry.enterprises, registry.designations, registry.quotas):
        digest.update(frame.to_csv(index=False).encode("utf-8"))
    for name, frame in registry.registers().items():
        if frame is not None:
            digest.update(f"\x1e{name}\x1e".encode())
            digest.update(frame.to_csv(index=False).encode("utf-8"))
    return digest.hexdigest()


def register_counts(registry: Registry) -> dict[str, int]:
    """Rows of each SPEC §7 register the registry holds (absent ones not listed)."""
    return {n: len(f) for n, f in registry.registers().items() if f is not None}


@dataclass(frozen=True)
class RegistryDecision:
    """A registry load: 'unchanged' (same content as the latest version) or 'loaded' as
    ``version``; ``digest`` is what the new version records."""

    status: str
    version: int
    digest: str

    def result(self, registry: Registry) -> RegistryResult:
        return RegistryResult(
            self.version,
            self.status,
            len(registry.enterprises),
            len(registry.designations),
            len(registry.quotas),
            register_counts(registry),
        )


def decide_registry(
    registry: Registry, latest_version: int | None, latest_digest: str | None
) -> RegistryDecision:
    """Decide how a registry is stored (SPEC §2): a new version unless identical to the latest.

    >>> decide_registry(Registry.empty(), None, None).version
    1
    >>> same = registry_digest(Registry.empty())
    >>> decide_registry(Registry.empty(), 3, same).status
    'unchanged'
    """
    digest = registry_digest(registry)
    if latest_version is not None and latest_digest == digest:
        return RegistryDecision("unchanged", latest_version, digest)
    return RegistryDecision("loaded", (latest_version or 0) + 1, digest)
