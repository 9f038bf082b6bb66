"""A page's content is computed while its HTML is sent (flowgraph/web/prefetch.py), and only the
route callback of the same page, query, language and signed-in user takes it."""

from __future__ import annotations

import base64
import json
import time

import pytest
import webdata

from flowgraph.investigations.runs import detect_run
from flowgraph.store.local import LocalStore
from flowgraph.web import ServeConfig, create_app, shell, stop_prefetch
from flowgraph.web.prefetch import route_key


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = LocalStore.open(tmp_path_factory.mktemp("prefetch") / "fg.db")
    webdata.load(s)
    detect_run(s)
    yield s
    s.close()


@pytest.fixture
def make_app(store):
    """Apps on the test store computing pages ahead (as when served), stopped afterwards."""
    made = []

    def make(config: ServeConfig):
        app = create_app(store, config)
        app.prefetch.enabled = True  # what wsgi_server does
        made.append(app)
        return app

    yield make
    for app in made:
        stop_prefetch(app)


def basic(user: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:pw".encode()).decode()}


def route(web, path: str, headers: dict) -> str:
    """The route callback as dash-renderer calls it once the scripts have loaded."""
    payload = {
        "output": "shell.children",
        "outputs": {"id": "shell", "property": "children"},
        "inputs": [
            {"id": "url", "property": "pathname", "value": path},
            {"id": "url", "property": "search", "value": ""},
        ],
        "changedPropIds": ["url.pathname", "url.search"],
        "state": [],
    }
    response = web.post("/_dash-update-component", json=payload, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.dumps(response.get_json()["response"]["shell"]["children"], ensure_ascii=False)


def computed_ahead(app, before: float, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while app.prefetch.cpu_seconds == before:  # the background computation has finished
        assert time.monotonic() < deadline, "the page was not computed ahead"
        time.sleep(0.02)


def test_the_route_callback_takes_the_page_computed_while_its_html_was_sent(make_app, monkeypatch):
    app = make_app(ServeConfig(reviewer="tester"))
    web = app.server.test_client()
    headers = {"Accept-Language": "en"}
    expected = route(web, "/enterprise/S1", headers)  # computed by the callback itself
    assert "Smelter One" in expected
    before = app.prefetch.cpu_seconds
    assert web.get("/enterprise/S1", headers=headers).status_code == 200
    computed_ahead(app, before)

    def no_render(*args):
        raise AssertionError("computed again")

    monkeypatch.setattr(shell, "render", no_render)
    assert route(web, "/enterprise/S1", headers) == expected  # the page computed ahead
    with pytest.raises(AssertionError, match="500 Internal Server Error"):  # used once only:
        route(web, "/enterprise/S1", headers)  # computed again, and no_render raised


@pytest.mark.parametrize(
    ("loaded_by", "asked_by"),
    [
        ({**basic("ana"), "Accept-Language": "en"}, {**basic("bob"), "Accept-Language": "en"}),
        ({**basic("ana"), "Accept-Language": "zh-CN"}, {**basic("ana"), "Accept-Language": "en"}),
    ],
    ids=["another user", "another language"],
)
def test_a_page_computed_for_one_reader_is_not_given_to_another(make_app, monkeypatch, loaded_by,
                                                                asked_by):  # fmt: skip
    app = make_app(ServeConfig(host="0.0.0.0", password="pw"))
    web = app.server.test_client()
    before = app.prefetch.cpu_seconds
    assert web.get("/enterprise/S1", headers=loaded_by).status_code == 200
    computed_ahead(app, before)
    monkeypatch.setattr(shell, "render", lambda *args: "computed for this reader")
    assert route(web, "/enterprise/S1", asked_by) == '"computed for this reader"'
    monkeypatch.undo()
    page = route(web, "/enterprise/S1", loaded_by)  # the reader it was computed for gets it
    assert "ana" in page and "Smelter One" in page


def test_route_key_follows_what_render_reads():
    assert route_key("/lot/L%2F1", "", "en", "u") == (("lot", "L/1"), (), "en", "u")
    assert route_key("/", None, "en", "u") == route_key("", "", "en", "u")
    assert route_key("/search", "?q=a&q=b", "en", "u")[1] == (("q", "b"),)  # render's last
    assert route_key("/x", "", "en", "u") != route_key("/x", "", "zh-CN", "u")


def test_off_unless_served(store):
    """A Flask test client (no server of the workbench) computes pages in the callback only:
    nothing runs on after it, when the store may be closed."""
    app = create_app(store, ServeConfig())
    assert app.server.test_client().get("/enterprise/S1").status_code == 200
    assert app.prefetch.cpu_seconds == 0.0 and not app.prefetch.enabled
