"""Shared by tests: a ``flowgraph synth`` folder read straight from its files (no store), as the
detectors see it - every upload's events with its upload id in file order, and the registry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from loaders import find_upload_files, read_registry, read_upload


def synth_events(outdir: Path) -> tuple[pd.DataFrame, object]:
    """(events, registry) of the synth folder ``outdir``."""
    frames = []
    for upload_id, path in enumerate(find_upload_files([outdir / "uploads"]), start=1):
        events = read_upload(path).events
        events["upload_id"] = upload_id
        frames.append(events)
    return pd.concat(frames, ignore_index=True), read_registry(outdir / "registry")
