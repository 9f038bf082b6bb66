"""The investigators' workbench: a local Dash web application over either store.

``create_app(store, config)`` builds the app (nothing happens at import); ``flowgraph serve``
runs it. One module per page under ``flowgraph.web.pages``; callbacks call the library
(``flowgraph.querylib.run_query``, the analyses, the store's public methods), never Cypher.
All JavaScript (Dash, AG Grid, Cytoscape, plotly.js) is served from the installed packages.

Example::

    from flowgraph.store import open_store
    from flowgraph.web import create_app
    app = create_app(open_store("demo/flowgraph.db"))
    app.run(host="127.0.0.1", port=8050)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flowgraph.web.config import ServeConfig


def create_app(store, config: ServeConfig | None = None):
    """The Dash app of the workbench on ``store`` (see ServeConfig for address and sign-in)."""
    from flowgraph.web.shell import build_app

    return build_app(store, config or ServeConfig())


@contextmanager
def serving(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` from a background thread (port 0: a free one); yields its base URL.

    For tests, benchmarks and notebooks; ``flowgraph serve`` runs the app in the foreground.
    """
    import threading

    from werkzeug.serving import make_server

    server = make_server(host, port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


__all__ = ["ServeConfig", "create_app", "serving"]
