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


THREADS = 8  # requests served at once (a page load asks for ~15 scripts and callbacks)
OUTBUF_IN_MEMORY = 8 * 1024 * 1024


def wsgi_server(app, host: str = "127.0.0.1", port: int = 8050):
    """A waitress server (a production WSGI server: pure Python, a pool of ``THREADS``
    threads) bound to ``host:port`` for ``app``; ``run()`` serves until Ctrl+C. Binding
    happens here, so a busy port raises OSError before anything is served.

    Werkzeug's own server, which ``app.run`` starts, is a development server (and says so).
    Turns on computing pages ahead (flowgraph.web.prefetch); ``stop_prefetch(app)`` when done.
    """
    from waitress import create_server

    server = create_server(
        app.server,
        host=host,
        port=port,
        threads=THREADS,
        ident="flowgraph",
        clear_untrusted_proxy_headers=True,
        # a response past this size is spooled to a temporary file: AG Grid's and plotly.js's
        # scripts are 1.3 MB each, kept in memory (the default is 1 MB)
        outbuf_overflow=OUTBUF_IN_MEMORY,
    )
    prefetch = getattr(app, "prefetch", None)  # pages computed while their scripts load
    if prefetch is not None:
        prefetch.enabled = True
    return server


def stop_prefetch(app) -> None:
    """Wait for the pages being computed ahead (before the store is closed)."""
    prefetch = getattr(app, "prefetch", None)
    if prefetch is not None:
        prefetch.stop()


@contextmanager
def serving(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` from a background thread (port 0: a free one); yields its base URL.

    For tests, benchmarks and notebooks; ``flowgraph serve`` runs the same server in the
    foreground.
    """
    import threading

    from waitress import wasyncore

    server = wsgi_server(app, host, port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        # closed from the server's own loop (its trigger runs the function there): with every
        # socket closed the loop ends
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        stop_prefetch(app)


__all__ = ["ServeConfig", "create_app", "serving", "wsgi_server"]
