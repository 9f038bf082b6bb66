"""How the workbench is served: address, password, language, reviewer name."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path

from flowgraph.errors import UsageError

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
PASSWORD_ENV = "FLOWGRAPH_SERVE_PASSWORD"


@dataclass(frozen=True)
class ServeConfig:
    """``password`` None = no sign-in (only allowed on a loopback ``host``); ``lang`` None =
    each browser's language; ``reviewer`` = the name reviews are recorded under when there is
    no sign-in (default: the login name). ``settings``: flowgraph.toml content (tolerances).
    ``detect_in_database``: where "Run detection" runs the detectors - None (default) on the
    store's server when it can (Neo4j: the Cypher detectors, only findings come back), else in
    the workbench's process; False always in the process.

    >>> ServeConfig().host, ServeConfig().port
    ('127.0.0.1', 8050)
    """

    host: str = "127.0.0.1"
    port: int = 8050
    password: str | None = field(default=None, repr=False)
    lang: str | None = None
    reviewer: str = ""
    settings: dict = field(default_factory=dict)
    detect_in_database: bool | None = None

    def __post_init__(self) -> None:
        if self.host not in LOCAL_HOSTS and not self.password:
            raise UsageError(
                f"--host {self.host} makes the workbench reachable from other machines: "
                f"set a password in {PASSWORD_ENV} or with --password-file FILE"
            )

    @property
    def signs_in(self) -> bool:
        return bool(self.password)

    def detects_in_database(self, store) -> bool:
        """Whether "Run detection" runs on ``store``'s server (see ``detect_in_database``).

        >>> ServeConfig().detects_in_database(object())
        False
        >>> ServeConfig(detect_in_database=True).detects_in_database(object())
        Traceback (most recent call last):
        flowgraph.errors.UsageError: detection in the database needs a Neo4j store
        """
        from flowgraph.store.base import DetectsInDatabase

        can = isinstance(store, DetectsInDatabase)
        if self.detect_in_database and not can:
            raise UsageError("detection in the database needs a Neo4j store")
        return can if self.detect_in_database is None else self.detect_in_database

    def default_reviewer(self) -> str:
        if self.reviewer:
            return self.reviewer
        try:
            return getpass.getuser()
        except Exception:  # no login name in some containers
            return "workbench"


def read_password(path: str | Path | None, environ: dict[str, str]) -> str | None:
    """The password from ``--password-file`` (first line) or FLOWGRAPH_SERVE_PASSWORD.

    >>> read_password(None, {"FLOWGRAPH_SERVE_PASSWORD": "s3cret"})
    's3cret'
    """
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise UsageError(f"--password-file {path}: {e.strerror}") from None
        first = text.splitlines()[0].strip() if text.strip() else ""
        if not first:
            raise UsageError(f"--password-file {path}: the file is empty")
        return first
    return environ.get(PASSWORD_ENV) or None
