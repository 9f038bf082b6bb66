"""Shared by tests: a ``flowgraph synth`` folder read straight from its files (no store), as the
detectors see it - every upload's events with its upload id in file order, and the registry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from loaders import find_upload_files, read_registry, read_upload


def synth_events(outdir: Path, uploads: list | None = None) -> tuple[pd.DataFrame, object]:
    """(events, registry) of the synth folder ``outdir``; ``uploads``: its files already read
    (``read_upload`` of each, in file order), e.g. by a session fixture."""
    if uploads is None:
        uploads = [read_upload(path) for path in find_upload_files([outdir / "uploads"])]
    frames = [
        upload.events.assign(upload_id=upload_id)
        for upload_id, upload in enumerate(uploads, start=1)
    ]
    return pd.concat(frames, ignore_index=True), read_registry(outdir / "registry")
