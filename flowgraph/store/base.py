"""The Store protocol both stores implement (local SQLite and Neo4j)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from flowgraph.model import Registry, Upload


@dataclass(frozen=True)
class LoadResult:
    """What storing one upload did: status is 'loaded', 'superseded' or 'unchanged'."""

    file_name: str
    enterprise_id: str
    period: str
    status: str
    events: int
    revision: int
    upload_id: int | None = None


@dataclass(frozen=True)
class RegistryResult:
    """What storing a registry did: status 'loaded' (a new current version) or 'unchanged'."""

    version: int
    status: str
    enterprises: int
    designations: int
    quotas: int


class Store(Protocol):
    """What ``ingest`` and the analyses need from a store.

    Optional, for stores that take concurrent writes (Neo4j): ``writers`` (> 1: ``load_files``
    writes files of different enterprises in that many lanes) and ``reserve_upload_ids(count)``
    (consecutive ids, taken in file order; ``save_upload(upload, upload_id=...)`` then uses
    one). A store without ``writers`` gets files one by one (the embedded SQLite store).
    """

    uri: str

    def find_current_by_sha(self, sha256: str) -> tuple[str, str] | None:
        """The identity of a current upload with this content hash, if any (fast "unchanged")."""

    def current_shas(self) -> dict[str, tuple[str, str]]:
        """Every current upload's content hash -> its identity (one look at the start of a load,
        so the files it already holds are not parsed)."""

    def save_upload(self, upload: Upload) -> LoadResult:
        """Store one upload in one transaction (supersede / unchanged as SPEC §1 says).

        Raises InputError (nothing stored) when an event_id or batch_id of the upload is already used
        by the same enterprise in another *current* upload (another period), naming FILE:ROW:COLUMN.
        """

    def save_registry(self, registry: Registry, source: str) -> RegistryResult:
        """Replace the current registry (old one kept in history); identical content is 'unchanged'."""

    def events(self, period: str | None = None, year: int | None = None) -> pd.DataFrame:
        """Current events (EVENT_COLUMNS), optionally one month or one year."""

    def registry(self) -> Registry:
        """The current registry (empty frames when none loaded)."""

    def uploads(self, include_history: bool = False) -> pd.DataFrame:
        """Uploads: upload_id, enterprise_id, period, revision, file_name, sha256, loaded_at,
        superseded_by, events, current."""

    def save_findings(self, findings: pd.DataFrame) -> None:
        """Record a detection run's findings (replacing the previous run's)."""

    def close(self) -> None: ...
