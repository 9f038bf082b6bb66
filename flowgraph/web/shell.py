"""The frame around every page: navigation, language, routing of paths to page modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote

import dash
import flask
from dash import Input, Output, dcc, html

from flowgraph.errors import FlowgraphError
from flowgraph.i18n import negotiate, translator
from flowgraph.web import scripts, security
from flowgraph.web.config import LOCAL_HOSTS, ServeConfig
from flowgraph.web.data import Workbench
from flowgraph.web.prefetch import Prefetch, route_key


@dataclass
class Page:
    """What a page's layout function gets: the data, the language and who is signed in."""

    wb: Workbench
    config: ServeConfig
    lang: str

    @property
    def _(self):
        return translator(self.lang)

    @property
    def user(self) -> str:
        return security.signed_in_name(self.config)


def request_lang(config: ServeConfig | None = None) -> str:
    """--lang if given, else the browser's preferred language (Accept-Language)."""
    fixed = config.lang if config is not None else None
    if fixed is None and flask.has_app_context():
        fixed = flask.current_app.config.get("FLOWGRAPH_LANG")
    if fixed:
        return fixed
    header = flask.request.headers.get("Accept-Language") if flask.has_request_context() else None
    return negotiate(header)


def page_for(wb: Workbench, config: ServeConfig) -> Page:
    return Page(wb, config, request_lang(config))


def _routes():
    from flowgraph.web.pages import enterprise, finding, findings, flows, lot, search

    return {
        "": findings.layout,
        "findings": findings.layout,
        "finding": finding.layout,
        "enterprise": enterprise.layout,
        "lot": lot.layout,
        "batch": lot.batch_layout,
        "flows": flows.layout,
        "search": search.layout,
    }


def _register_all(app: dash.Dash, wb: Workbench, config: ServeConfig) -> None:
    from flowgraph.web.pages import enterprise, finding, findings, flows, lot, search

    for module in (findings, finding, enterprise, lot, flows, search):
        module.register(app, wb, config)


def header(page: Page) -> html.Header:
    _ = page._
    store = getattr(page.wb.store, "uri", "")
    from flowgraph.store.base import CypherReads

    if isinstance(page.wb.store, CypherReads):
        from flowgraph.store.neo4j import safe_uri

        store = safe_uri(store)
    return html.Header(
        [
            dcc.Link("flowgraph", href="/", className="brand"),
            dcc.Link(_("Findings"), href="/"),
            dcc.Link(_("National flows"), href="/flows"),
            dcc.Link(_("Search"), href="/search"),
            html.Div(className="spacer"),
            html.Form(
                [
                    html.Div(
                        dcc.Input(
                            name="q",
                            type="search",
                            placeholder=_("Enterprise, lot, shipment, batch or finding id"),
                            id="top-search",
                            style={"width": "260px"},
                        )
                    ),
                    html.Button(_("Search"), type="submit"),
                ],
                action="/search",
                method="get",
            ),
            html.Span(
                _("Store: {store} · signed in as {user}").format(store=store, user=page.user),
                className="who",
            ),
        ],
        className="top",
    )


def render(wb: Workbench, config: ServeConfig, pathname: str | None, search: str | None):
    page = page_for(wb, config)
    parts = [unquote(p) for p in (pathname or "/").strip("/").split("/")]
    head, args = (parts[0], parts[1:]) if parts and parts[0] else ("", [])
    query = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    layout = _routes().get(head)
    try:
        body = (
            layout(page, args, query)
            if layout
            else html.P(page._("No such page."), className="message error")
        )
    except FlowgraphError as e:  # a library error is one clear line, never a traceback
        body = html.P(str(e), className="message error")
    return [header(page), html.Main(body)]


class WorkbenchDash(dash.Dash):
    """Dash with the scripts the page's first render needs in its HTML (see
    flowgraph.web.scripts), which
    starts computing the page's content as its HTML is sent (see flowgraph.web.prefetch)."""

    on_index = None  # called with the page's path and query when its HTML is requested

    def interpolate_index(self, **kwargs) -> str:
        path = flask.request.path if flask.has_request_context() else "/"
        if self.on_index is not None and flask.has_request_context():
            query = flask.request.query_string.decode("latin-1")
            self.on_index(path, f"?{query}" if query else "")
        prefix = self.config.requests_pathname_prefix
        kwargs["metas"] = kwargs.get("metas", "") + scripts.preload_tags(path, prefix)
        kwargs["scripts"] = kwargs.get("scripts", "") + scripts.script_tags(path, prefix)
        return super().interpolate_index(**kwargs)


def build_app(store, config: ServeConfig) -> dash.Dash:
    wb = Workbench(store, config.settings)
    app = WorkbenchDash(
        __name__,
        title="flowgraph",
        assets_folder=str(Path(__file__).parent / "assets"),
        serve_locally=True,
        suppress_callback_exceptions=True,
        update_title=None,
        compress=config.host not in LOCAL_HOSTS,  # over a network; on loopback only a cost
    )
    app.scripts.config.serve_locally = True
    app.css.config.serve_locally = True
    security.install(app.server, config)
    scripts.install(app.server, app.config.requests_pathname_prefix)
    app.server.config["FLOWGRAPH_LANG"] = config.lang
    app.layout = html.Div([dcc.Location(id="url", refresh="callback-nav"), html.Div(id="shell")])

    pages = Prefetch()

    def on_index(path: str, search: str) -> None:
        # the page's content computed while the browser evaluates the scripts; the route
        # callback below takes it (same page, query, language and user)
        user = flask.g.get("user")
        key = route_key(path, search, request_lang(config), security.signed_in_name(config))

        @flask.copy_current_request_context
        def compute():
            if user is not None:
                flask.g.user = user  # what the sign-in check set for this request
            return render(wb, config, path, search)

        pages.start(key, compute)

    app.on_index = on_index
    app.prefetch = pages

    @app.callback(Output("shell", "children"), Input("url", "pathname"), Input("url", "search"))
    def route(pathname, search):
        key = route_key(pathname, search, request_lang(config), security.signed_in_name(config))
        done = pages.take(key)
        return done if done is not None else render(wb, config, pathname, search)

    _register_all(app, wb, config)
    app.workbench = wb  # tests and the benchmark reach the data through the app
    return app
