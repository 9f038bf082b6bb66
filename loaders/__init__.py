"""Readers for the files flowgraph loads: monthly uploads (CSV/XLSX) and the registry.

Every reader validates the whole file and raises ``flowgraph.errors.InputError`` carrying
every problem as ``FILE:ROW:COLUMN: message``; nothing here touches a store.
"""

from loaders.registry import read_registry
from loaders.upload import find_upload_files, read_upload, sha256_file

__all__ = ["find_upload_files", "read_registry", "read_upload", "sha256_file"]
