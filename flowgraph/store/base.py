"""The Store protocol both stores implement (local SQLite and Neo4j)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

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
    # a new revision whose content equals an earlier, superseded revision: that revision's number
    reverts_to: int | None = None


@dataclass(frozen=True)
class RegistryResult:
    """What storing a registry did: status 'loaded' (a new current version) or 'unchanged'."""

    version: int
    status: str
    enterprises: int
    designations: int
    quotas: int
    # rows of the SPEC §7 registers the registry holds (absent registers are not listed)
    registers: dict[str, int] | None = None


class Store(Protocol):
    """What the CLI, ``ingest`` and the analyses use of a store; both stores implement it.

    The save decisions (unchanged, supersede, revision, cross-upload id checks; registry
    versions) are ``flowgraph.store.decision``'s, and read-back types ``flowgraph.store.readback``'s,
    so the two stores cannot disagree on them. ``tests/store/test_store_contract.py`` runs the
    same tests against both.
    """

    uri: str
    read_only: bool  # opened on read-only media: reads work, every write is refused

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

    def events(
        self, period: str | None = None, year: int | None = None, *, encoded: bool = False
    ) -> pd.DataFrame:
        """Current events (EVENT_COLUMNS), optionally one month or one year; ``encoded``: the
        text columns as pandas categoricals (readback.encode_text: the same values, a fraction
        of the memory), as the analyses read them."""

    def carryover(self, year: int, fingerprint: str) -> pd.DataFrame | None:
        """The carry-over of ``year`` (analysis/carryover.py: the rows of other years its
        detection needs) kept under ``fingerprint`` (analysis/years.py), else None."""

    def save_carryover(self, year: int, fingerprint: str, events: pd.DataFrame) -> None:
        """Keep ``events`` as the carry-over of ``year`` under ``fingerprint`` (a cache:
        replaces what the year had)."""

    def registry(self, version: int | None = None) -> Registry:
        """The current registry, or an older ``version`` (empty frames when none loaded)."""

    def uploads(self, include_history: bool = False) -> pd.DataFrame:
        """Uploads: upload_id, enterprise_id, period, revision, file_name, sha256, loaded_at,
        superseded_by, events, current."""

    # -- detection runs and reviews (SPEC §6; flowgraph.investigations computes the statuses) --

    def registry_version(self) -> int | None:
        """The current registry version (None before any registry load)."""

    def save_run(
        self, record, findings: pd.DataFrame, reopenings: pd.DataFrame, *, previous: int | None
    ) -> tuple[int, bool]:
        """Record a run (``RunRecord``) with its findings and the reopening reviews, in one
        transaction; (latest run, False) when its fingerprint is the latest run's; RunConflict
        when the latest run is no longer ``previous``. Never changes an earlier run."""

    def runs(self) -> pd.DataFrame:
        """Every recorded run, oldest first (records.RUN_COLUMNS)."""

    def run_findings(self, run: int) -> pd.DataFrame:
        """One run's findings as recorded (findings columns + finding_id + run)."""

    def finding_appearances(self, finding_id: str) -> pd.DataFrame:
        """Every run's record of one finding, oldest first."""

    def first_runs(self) -> pd.DataFrame:
        """finding_id, first_run for every finding ever recorded."""

    def match_finding_ids(self, prefix: str) -> list[str]:
        """Recorded finding ids starting with ``prefix``, sorted."""

    def save_reviews(self, reviews: pd.DataFrame) -> None:
        """Append reviews (status.REVIEW_COLUMNS but review_id) in one transaction."""

    def reviews(self, finding_ids: list[str] | None = None) -> pd.DataFrame:
        """The review log, oldest first (status.REVIEW_COLUMNS)."""

    def findings(self) -> pd.DataFrame:
        """The latest recorded run's findings (FINDING_COLUMNS; empty when none)."""

    def close(self) -> None: ...


@runtime_checkable
class ConcurrentWrites(Protocol):
    """A store that takes files of different enterprises at once (Neo4j; SQLite has one writer).

    ``ingest.load_files`` writes such a store's files in ``writers`` lanes (each enterprise's
    files in one lane, in file order) and reserves upload ids in file order with
    ``reserve_upload_ids``, passing one to each ``save_upload``, so ids follow the files as
    a one-by-one load's would. A store that is not one gets its files one by one.
    """

    writers: int

    def reserve_upload_ids(self, count: int = 1) -> range:
        """The next ``count`` upload ids, consecutive, committed at once."""

    def save_upload(self, upload: Upload, upload_id: int | None = None) -> LoadResult:
        """``Store.save_upload``, with an id from ``reserve_upload_ids`` when given."""


@runtime_checkable
class CypherReads(Protocol):
    """A store that answers Cypher (Neo4j): ``read`` runs one statement in a read-only
    transaction, values only as parameters, and returns a DataFrame."""

    def read(self, cypher: str, /, **params) -> pd.DataFrame:
        """The statement's rows (columns as it returns them); a write is refused."""


@runtime_checkable
class DetectsInDatabase(Protocol):
    """A store that runs the SPEC §5 detectors where the data is (Neo4j: the Cypher detectors
    of queries/), returning only the findings (``flowgraph detect --in-database``)."""

    def detect_in_database(self, **options) -> pd.DataFrame:
        """Findings as ``analysis.detect`` gives them; ``options``: period, year, types,
        families, tolerances."""
