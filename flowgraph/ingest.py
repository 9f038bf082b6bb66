"""Loading files into a store: the one place that joins the loaders to a store.

Each file is parsed, validated and stored on its own: a bad file is reported and skipped,
the others still load (SPEC §1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flowgraph.errors import InputError, Problem
from flowgraph.store.base import LoadResult, RegistryResult, Store


@dataclass
class LoadSummary:
    """What one ``load`` did, file by file."""

    results: list[LoadResult] = field(default_factory=list)
    rejected: dict[str, list[Problem]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def events(self) -> int:
        """Events newly stored (unchanged files add none)."""
        return sum(r.events for r in self.results if r.status != "unchanged")

    @property
    def problems(self) -> list[Problem]:
        return [p for problems in self.rejected.values() for p in problems]

    def line(self) -> str:
        """One-line summary, e.g. ``3 files: 2 loaded, 0 superseded, 1 unchanged, 0 rejected; 41 events``."""
        files = len(self.results) + len(self.rejected)
        return (
            f"{files} file{'s' if files != 1 else ''}: {self.count('loaded')} loaded, "
            f"{self.count('superseded')} superseded, {self.count('unchanged')} unchanged, "
            f"{len(self.rejected)} rejected; {self.events:,} events"
        )


def load_files(
    store: Store,
    paths: Iterable[str | Path],
    *,
    on_file: Callable[[Path], None] | None = None,
) -> LoadSummary:
    """Load upload files and folders (recursive ``*.csv`` / ``*.xlsx``) into ``store``.

    Raises InputError only for a path that does not exist; problems inside files are
    collected per file in the summary (the file is then not stored at all).

    >>> import tempfile, os
    >>> from flowgraph.store.local import LocalStore
    >>> store = LocalStore.open(os.path.join(tempfile.mkdtemp(), "fg.db"))
    >>> load_files(store, []).line()
    '0 files: 0 loaded, 0 superseded, 0 unchanged, 0 rejected; 0 events'
    """
    from loaders import find_upload_files, read_upload, sha256_file

    summary = LoadSummary()
    for path in find_upload_files(paths):
        name = str(path)
        try:
            identity = store.find_current_by_sha(sha256_file(path))
            if identity is not None:
                # Same bytes as a current upload: nothing to parse, nothing to write.
                summary.results.append(LoadResult(name, *identity, "unchanged", 0, 0))
            else:
                upload = read_upload(path, display_name=name)
                summary.warnings.extend(upload.warnings)
                summary.results.append(store.save_upload(upload))
        except InputError as e:
            summary.rejected[name] = e.problems
        except OSError as e:
            summary.rejected[name] = [Problem(name, None, None, f"cannot read file: {e.strerror}")]
        if on_file is not None:
            on_file(path)
    return summary


def load_registry(store: Store, directory: str | Path) -> RegistryResult:
    """Read the three registry files in ``directory`` and make them the current registry."""
    from loaders import read_registry

    registry = read_registry(directory)
    return store.save_registry(registry, source=str(directory))
