"""``flowgraph serve``: the investigators' web workbench on the store."""

from __future__ import annotations

import click

from flowgraph.cli.context import AppContext, pass_app


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but a loopback address needs a password.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8050, show_default=True)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False),
    help="File whose first line is the password (else FLOWGRAPH_SERVE_PASSWORD). "
    "With a password every request signs in (HTTP basic; the user name is recorded "
    "with reviews).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh-CN"]),
    help="Language of every page (default: each browser's language).",
)
@click.option(
    "--detect-in-client",
    is_flag=True,
    help='On a Neo4j store, "Run detection" reads the events back and runs the Python '
    "detectors in this process (default there: the Cypher detectors on the server).",
)
@pass_app
def serve(app: AppContext, host: str, port: int, password_file: str | None,
          lang: str | None, detect_in_client: bool) -> None:  # fmt: skip
    """Serve the investigators' workbench: findings, case sheets, enterprises, lots, national
    flows and search, in a browser, on the store in use.

    \b
    Example:
      flowgraph --store demo/flowgraph.db serve            # then open http://127.0.0.1:8050
      FLOWGRAPH_SERVE_PASSWORD=... flowgraph serve --host 0.0.0.0 --port 8050
    """
    from flowgraph.config import Environment
    from flowgraph.web import ServeConfig, create_app, stop_prefetch, wsgi_server
    from flowgraph.web.config import PASSWORD_ENV, read_password

    config = ServeConfig(
        host=host,
        port=port,
        password=read_password(password_file, {PASSWORD_ENV: Environment.read().serve_password}),
        lang=lang,
        settings=app.config,
        detect_in_database=False if detect_in_client else None,
    )
    _check_port_free(host, port)  # before the store is read: a busy port fails at once
    store = app.store()
    web = create_app(store, config)
    click.echo(f"flowgraph workbench on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    web.workbench.warm()  # read the store and prepare the first pages before listening
    try:
        server = wsgi_server(web, host, port)  # waitress, not Werkzeug's development server
    except OSError as e:  # taken while the store was read
        raise _cannot_listen(host, port, e) from None
    try:
        server.run()  # until Ctrl+C, which waitress turns into a clean stop
    finally:
        server.close()
        stop_prefetch(web)


def _cannot_listen(host: str, port: int, error: OSError):
    from flowgraph.errors import UsageError

    reason = error.strerror or str(error)
    return UsageError(f"--host {host} --port {port}: cannot listen there ({reason})")


def _check_port_free(host: str, port: int) -> None:
    """One clear line (exit 2) when ``host:port`` cannot be listened on, before the store is
    read (a national year takes seconds), instead of the web server's own error after it."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as e:
        raise _cannot_listen(host, port, e) from None
