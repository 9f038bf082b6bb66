"""Request checks of the workbench: sign-in (HTTP basic), same-origin writes, safe headers.

- With a password every request needs it (HTTP basic; the user name is who reviews are
  recorded under). Compared in constant time; never logged.
- A request that can change state (anything but GET/HEAD/OPTIONS: Dash callbacks are POSTs)
  must come from the workbench's own pages: an ``Origin`` (or, without one, a ``Referer``) of
  another site, or ``Sec-Fetch-Site: cross-site``, is refused with 403.
- On a loopback address the ``Host`` header must name a loopback host (a page on another
  site cannot reach the workbench by DNS rebinding).
- Content-Security-Policy ``default-src 'self'``: the browser fetches nothing from elsewhere.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

import flask

from flowgraph.web.config import LOCAL_HOSTS, ServeConfig

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Dash renders its config and renderer bootstrap inline, and plotly.js evaluates generated
# code; everything else comes from the workbench itself.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def _host_name(netloc: str) -> str:
    return (urlsplit(f"//{netloc}").hostname or "").lower()


def same_origin(request: flask.Request) -> bool:
    """Does a state-changing request come from a page of this server?"""
    own = request.host.lower()
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc.lower() == own
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    referer = request.headers.get("Referer")
    return referer is None or urlsplit(referer).netloc.lower() == own


def install(server: flask.Flask, config: ServeConfig) -> None:
    """Register the checks on the Flask server Dash runs on."""

    @server.before_request
    def check() -> flask.Response | None:
        request = flask.request
        if config.host in LOCAL_HOSTS and _host_name(request.host) not in LOCAL_HOSTS:
            return flask.Response("unknown host", 400, mimetype="text/plain")
        if config.signs_in:
            auth = request.authorization
            given = (auth.password or "") if auth is not None else ""
            if auth is None or not hmac.compare_digest(given.encode(), config.password.encode()):
                return flask.Response(
                    "sign in with your workbench user name and password",
                    401,
                    {"WWW-Authenticate": 'Basic realm="flowgraph workbench", charset="UTF-8"'},
                    mimetype="text/plain",
                )
            flask.g.user = auth.username or "workbench"
        if request.method not in SAFE_METHODS and not same_origin(request):
            return flask.Response("cross-origin request refused", 403, mimetype="text/plain")
        return None

    @server.after_request
    def headers(response: flask.Response) -> flask.Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def signed_in_name(config: ServeConfig) -> str:
    """Who is using the workbench: the signed-in user, else the configured reviewer."""
    if config.signs_in and flask.has_request_context():
        return flask.g.get("user") or "workbench"
    return config.default_reviewer()
