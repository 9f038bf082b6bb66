"""Workbench request checks through Flask's test client (no browser needed)."""

from __future__ import annotations

import base64
import time

import pytest

from flowgraph.errors import UsageError
from flowgraph.store.local import LocalStore
from flowgraph.web import ServeConfig, create_app
from flowgraph.web.config import read_password


@pytest.fixture
def store(tmp_path):
    s = LocalStore.open(tmp_path / "fg.db")
    yield s
    s.close()


def client(store, **config):
    return create_app(store, ServeConfig(**config)).server.test_client()


def basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_other_host_refuses_to_start_without_a_password():
    with pytest.raises(UsageError, match="set a password in FLOWGRAPH_SERVE_PASSWORD"):
        ServeConfig(host="0.0.0.0")
    assert ServeConfig(host="0.0.0.0", password="pw").signs_in
    assert not ServeConfig(host="127.0.0.1").signs_in


def test_password_file_and_environment(tmp_path):
    path = tmp_path / "pw.txt"
    path.write_text("s3cret\nignored\n", encoding="utf-8")
    assert read_password(path, {"FLOWGRAPH_SERVE_PASSWORD": "env"}) == "s3cret"
    assert read_password(None, {"FLOWGRAPH_SERVE_PASSWORD": "env"}) == "env"
    assert read_password(None, {}) is None
    (tmp_path / "empty.txt").write_text("\n", encoding="utf-8")
    with pytest.raises(UsageError, match="empty"):
        read_password(tmp_path / "empty.txt", {})


def test_cli_serve_on_another_host_without_password_exits_2(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from flowgraph.cli.main import cli

    monkeypatch.delenv("FLOWGRAPH_SERVE_PASSWORD", raising=False)
    LocalStore.open(tmp_path / "fg.db").close()
    result = CliRunner().invoke(
        cli, ["--store", str(tmp_path / "fg.db"), "serve", "--host", "0.0.0.0"]
    )
    assert result.exit_code == 2
    assert "--host 0.0.0.0 makes the workbench reachable" in result.output


def test_cli_serve_on_a_busy_port_exits_2_in_one_line(tmp_path):
    import socket

    from click.testing import CliRunner

    from flowgraph.cli.main import cli

    LocalStore.open(tmp_path / "fg.db").close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["--store", str(tmp_path / "fg.db"), "serve", "--port", str(port)]
        )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and f"--port {port}: cannot listen there" in lines[0], lines


def test_every_request_needs_the_password(store):
    web = client(store, host="0.0.0.0", password="pw")
    assert web.get("/").status_code == 401
    assert "Basic" in web.get("/").headers["WWW-Authenticate"]
    assert web.get("/", headers=basic("li", "wrong")).status_code == 401
    assert web.get("/_dash-layout").status_code == 401  # data endpoints too
    assert web.get("/", headers=basic("li", "pw")).status_code == 200


def test_cross_origin_state_change_refused(store):
    web = client(store)
    host = {"Host": "127.0.0.1:8050"}
    post = "/_dash-update-component"
    evil = web.post(post, json={}, headers={**host, "Origin": "http://evil.example"})
    assert evil.status_code == 403
    evil = web.post(post, json={}, headers={**host, "Referer": "http://evil.example/x"})
    assert evil.status_code == 403
    evil = web.post(post, json={}, headers={**host, "Sec-Fetch-Site": "cross-site"})
    assert evil.status_code == 403
    own = web.post(post, json={}, headers={**host, "Origin": "http://127.0.0.1:8050"})
    assert own.status_code != 403


def test_loopback_server_refuses_foreign_host_header(store):
    web = client(store)
    assert web.get("/", headers={"Host": "attacker.example:8050"}).status_code == 400
    page = web.get("/", headers={"Host": "127.0.0.1:8050"})
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_cli_serve_runs_under_waitress_and_stops_cleanly_on_ctrl_c(tmp_path):
    """`flowgraph serve` answers through waitress (not Werkzeug's development server, which
    warns so on every start), refuses the port once it is taken, and Ctrl+C stops it with exit
    status 0 and no traceback."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request

    LocalStore.open(tmp_path / "fg.db").close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "flowgraph", "--store", str(tmp_path / "fg.db"), "serve",
               "--port", str(port)]  # fmt: skip
    env = {**os.environ, "FLOWGRAPH_SERVE_PASSWORD": ""}
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    assert page.status == 200 and page.headers["Server"] == "flowgraph"
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "not serving"
                time.sleep(0.2)
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 2, again.stderr
        assert f"--port {port}: cannot listen there" in again.stderr
        server.send_signal(signal.SIGINT)
        _out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, err
    assert "Traceback" not in err and "development server" not in err, err
    assert f"flowgraph workbench on http://127.0.0.1:{port}/" in err
