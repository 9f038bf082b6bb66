"""Configuration in one place: only flowgraph/config.py reads the environment, and the local
dev password goes only to a server on this machine (checked on the wire, with a listener that
speaks the start of Bolt and records what the driver sends)."""

from __future__ import annotations

import ast
import socket
import threading
from pathlib import Path

import pytest

from flowgraph.config import DEV_PASSWORD, Environment, Neo4jAuth, neo4j_auth
from flowgraph.errors import StoreUnavailable, UsageError
from flowgraph.store.neo4j import Neo4jStore

REPO = Path(__file__).resolve().parents[1]


def _reads_environment(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv"):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(a.name in ("environ", "getenv") for a in node.names):
                lines.append(node.lineno)
    return lines


def test_only_config_reads_environment_variables():
    offenders = {
        str(path.relative_to(REPO)): lines
        for package in ("flowgraph", "loaders")
        for path in sorted((REPO / package).rglob("*.py"))
        if path != REPO / "flowgraph" / "config.py" and (lines := _reads_environment(path))
    }
    assert offenders == {}


def test_environment_is_read_from_the_mapping_given():
    env = Environment.read({"FLOWGRAPH_STORE": "x.db", "NEO4J_PASSWORD": "", "NEO4J_USERNAME": "u"})
    assert (env.store, env.neo4j_password, env.neo4j_username) == ("x.db", None, "u")
    assert "s3cret" not in repr(Environment(neo4j_password="s3cret"))
    with pytest.raises(UsageError, match="FLOWGRAPH_WORKERS must be a whole number, got 'lots'"):
        _ = Environment.read({"FLOWGRAPH_WORKERS": "lots"}).workers
    assert Environment.read({"FLOWGRAPH_WRITERS": "0"}).writers == 1


@pytest.mark.parametrize(
    ("uri", "dev"),
    [
        ("bolt://127.0.0.1:7687", True),
        ("neo4j://localhost:7687", True),
        ("bolt://[::1]:7687", True),
        ("bolt://127.1.2.3", True),
        ("neo4j+s://xxxx.databases.neo4j.io", False),
        ("bolt://10.0.0.5:7687", False),
        ("bolt://localhost.example.com:7687", False),
        ("bolt://user:pw@db.example:7687", False),
    ],
)
def test_dev_password_only_for_this_machine(uri, dev):
    auth = neo4j_auth(uri, Environment())
    assert (auth.password == DEV_PASSWORD) is dev
    assert auth.password is None or dev
    given = neo4j_auth(uri, Environment(neo4j_password="p", neo4j_database="db"))
    assert (given.password, given.database, given.username) == ("p", "db", "neo4j")


def _this_machines_other_address() -> str | None:
    """An address of this machine that is not loopback (the one it would reach others by)."""
    for target in ("198.51.100.1", "10.255.255.255"):  # documentation / private addresses
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect((target, 9))  # no packet is sent: this only picks a route
            address = probe.getsockname()[0]
        except OSError:
            continue
        finally:
            probe.close()
        if not address.startswith("127.") and address != "0.0.0.0":
            return address
    return None


def _tiny_text(text: str) -> bytes:
    return bytes([0x80 + len(text)]) + text.encode()


# Bolt 5.4's answer to HELLO: SUCCESS {server, connection_id} (PackStream, one chunk).
_SUCCESS = (
    b"\xb1\x70\xa2"
    + _tiny_text("server") + _tiny_text("Neo4j/5.26.0")
    + _tiny_text("connection_id") + _tiny_text("bolt-1")
)  # fmt: skip
_SUCCESS_CHUNK = len(_SUCCESS).to_bytes(2, "big") + _SUCCESS + b"\x00\x00"


def _messages(stream: bytes) -> int:
    """Complete Bolt messages in ``stream``: chunks (2-byte size, data) ending in a 0 size."""
    count, at = 0, 0
    while at + 2 <= len(stream):
        size = int.from_bytes(stream[at : at + 2], "big")
        at += 2 + size
        if at > len(stream):
            break
        count += size == 0
    return count


def _sent_on_connect(host: str, auth: Neo4jAuth | None) -> bytes:
    """What the driver sends a Bolt 5.4 server at ``host`` up to LOGON (the message that
    carries the credentials), when flowgraph connects with ``auth``."""
    listener = socket.socket()
    listener.bind((host, 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    received = bytearray()

    def serve() -> None:
        connection, _ = listener.accept()
        connection.settimeout(5)
        greeted = False
        try:
            received.extend(connection.recv(20))  # magic + four version proposals
            connection.sendall(b"\x00\x00\x04\x05")  # Bolt 5.4
            while len(received) < 8192:
                # Counted from the chunk headers: the driver may send HELLO and LOGON in one
                # packet (counting packets then waited for the 5 s timeout on every call).
                messages = _messages(bytes(received[20:]))
                if messages >= 1 and not greeted:  # HELLO: answer it
                    connection.sendall(_SUCCESS_CHUNK)
                    greeted = True
                if messages >= 2:  # LOGON, which carries the credentials, if any
                    break
                chunk = connection.recv(4096)
                if not chunk:
                    break
                received.extend(chunk)
        except OSError:
            pass
        finally:
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(StoreUnavailable) as info:
            Neo4jStore.connect(f"bolt://{host}:{port}", auth)
        assert DEV_PASSWORD not in str(info.value)
    finally:
        thread.join(10)
        listener.close()
    return bytes(received)


def test_dev_password_is_sent_to_a_server_on_loopback():
    # The listener sees the password here, so it would see it below if it were sent.
    sent = _sent_on_connect("127.0.0.1", neo4j_auth("bolt://127.0.0.1", Environment()))
    assert b"credentials" in sent and DEV_PASSWORD.encode() in sent


def test_dev_password_is_never_sent_to_another_server(monkeypatch):
    host = _this_machines_other_address()
    if host is None:
        pytest.skip("this machine has no non-loopback address to listen on")
    for name in ("NEO4J_PASSWORD", "NEO4J_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    sent = _sent_on_connect(host, None)  # connect's default: config.neo4j_auth from the env
    assert b"user_agent" in sent  # the driver did say HELLO
    assert DEV_PASSWORD.encode() not in sent and b"credentials" not in sent
