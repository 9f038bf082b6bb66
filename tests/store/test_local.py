"""What only the embedded store has: its file, several connections, a failure mid-transaction.

The behaviour both stores share is tests/store/test_store_contract.py."""

from __future__ import annotations

import pytest
from test_store_contract import make_upload

from flowgraph.errors import InputError, StoreUnavailable
from flowgraph.model import registry_from_records
from flowgraph.store import eventcodec
from flowgraph.store.local import LocalStore


@pytest.fixture
def store(tmp_path):
    s = LocalStore.open(tmp_path / "fg.db")
    yield s
    s.close()


def test_failure_half_way_stores_nothing(store, monkeypatch):
    store.save_upload(make_upload(sha="a" * 64))

    def explode(events):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(eventcodec, "encode_events", explode)
    with pytest.raises(RuntimeError):
        store.save_upload(make_upload(sha="b" * 64, ids=("e7",)))
    monkeypatch.undo()
    history = store.uploads(include_history=True)
    assert len(history) == 1 and history["current"].all()  # the old one is still current
    assert store.events()["event_id"].tolist() == ["e1", "e2"]


def test_unopenable_store_is_store_unavailable(tmp_path):
    with pytest.raises(StoreUnavailable, match="does not exist"):
        LocalStore.open(tmp_path / "missing" / "fg.db")
    not_sqlite = tmp_path / "junk.db"
    not_sqlite.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailable, match="cannot open store"):
        LocalStore.open(not_sqlite)


def test_id_check_sees_uploads_made_through_another_connection(tmp_path):
    path = tmp_path / "shared.db"
    first, second = LocalStore.open(path), LocalStore.open(path)
    try:
        first.save_upload(make_upload(period="2024-03", sha="a" * 64, ids=("e1",)))
        second.save_upload(make_upload(period="2024-04", sha="b" * 64, ids=("e2",)))
        with pytest.raises(InputError, match="'e2' is already used .* 2024-04 upload"):
            first.save_upload(make_upload(period="2024-05", sha="c" * 64, ids=("e2",)))
    finally:
        first.close()
        second.close()


def test_registry_history_lists_every_version(store):
    reg = registry_from_records(enterprises=[{"enterprise_id": "M1", "roles": "mine"}])
    store.save_registry(reg, "dir1")
    store.save_registry(registry_from_records(), "dir2")
    assert store.registry_history()["source"].tolist() == ["dir1", "dir2"]
