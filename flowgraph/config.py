"""Settings: where the store is, how to reach Neo4j, load parallelism and the detectors'
tolerances (defaults = SPEC §5).

Precedence, lowest to highest: SPEC defaults, ``flowgraph.toml`` in the working
directory (or the file named by ``FLOWGRAPH_CONFIG``), environment, command-line flags.

This module is the only one that reads environment variables (``Environment.read``); the
library takes what it needs from here, so a notebook, a test or the CLI can also pass
settings explicitly.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from flowgraph.errors import UsageError

DEFAULT_STORE = "flowgraph.db"
# The password scripts/neo4j-local sets when NEO4J_PASSWORD is not given (a local dev server);
# tried only for a server on this machine (``neo4j_auth``).
DEV_PASSWORD = "flowgraph-dev"


@dataclass(frozen=True)
class Environment:
    """Every environment variable flowgraph reads, read in one place.

    >>> env = Environment.read({"FLOWGRAPH_WORKERS": "2", "NEO4J_DATABASE": ""})
    >>> env.workers, env.neo4j_database, env.store
    (2, None, None)
    """

    store: str | None = None  # FLOWGRAPH_STORE
    config_file: str | None = None  # FLOWGRAPH_CONFIG
    workers_text: str | None = None  # FLOWGRAPH_WORKERS: parse processes for a load (1 = none)
    writers_text: str | None = None  # FLOWGRAPH_WRITERS: Neo4j writer lanes for a load
    neo4j_username: str | None = None  # NEO4J_USERNAME
    neo4j_password: str | None = field(default=None, repr=False)  # NEO4J_PASSWORD
    neo4j_database: str | None = None  # NEO4J_DATABASE
    serve_password: str | None = field(default=None, repr=False)  # FLOWGRAPH_SERVE_PASSWORD
    neo4j_admin: str | None = None  # NEO4J_ADMIN: the neo4j-admin command for neo4j-import
    locale: str | None = None  # the first of LC_ALL, LC_MESSAGES, LANG that is set

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> Environment:
        """The settings in ``environ`` (default ``os.environ``, read now); empty = unset."""
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            return env.get(name) or None

        return cls(
            store=text("FLOWGRAPH_STORE"),
            config_file=text("FLOWGRAPH_CONFIG"),
            workers_text=text("FLOWGRAPH_WORKERS"),
            writers_text=text("FLOWGRAPH_WRITERS"),
            neo4j_username=text("NEO4J_USERNAME"),
            neo4j_password=text("NEO4J_PASSWORD"),
            neo4j_database=text("NEO4J_DATABASE"),
            serve_password=text("FLOWGRAPH_SERVE_PASSWORD"),
            neo4j_admin=text("NEO4J_ADMIN"),
            locale=text("LC_ALL") or text("LC_MESSAGES") or text("LANG"),
        )

    # Parsed when a load asks, so a bad value fails the load, not every other command.
    @property
    def workers(self) -> int | None:
        return _whole_number("FLOWGRAPH_WORKERS", self.workers_text)

    @property
    def writers(self) -> int | None:
        return _whole_number("FLOWGRAPH_WRITERS", self.writers_text)


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment a child process (e.g. neo4j-admin) gets: this one plus ``overrides``.

    >>> child_environment(NEO4J_HOME="/opt/neo4j")["NEO4J_HOME"]
    '/opt/neo4j'
    """
    return {**os.environ, **overrides}


def _whole_number(name: str, value: str | None) -> int | None:
    """
    >>> _whole_number("FLOWGRAPH_WRITERS", "two")
    Traceback (most recent call last):
    ...
    flowgraph.errors.UsageError: FLOWGRAPH_WRITERS must be a whole number, got 'two'
    """
    if value is None:
        return None
    try:
        return max(1, int(value))
    except ValueError as e:
        raise UsageError(f"{name} must be a whole number, got {value!r}") from e


@dataclass(frozen=True)
class Neo4jAuth:
    """How to log in to a Neo4j server: user, password (None: no credentials sent), database."""

    username: str = "neo4j"
    password: str | None = field(default=None, repr=False)
    database: str | None = None


def is_loopback(uri: str) -> bool:
    """Whether a URI's host is this machine (localhost, 127.0.0.0/8, ::1).

    >>> is_loopback("bolt://127.0.0.1:7687"), is_loopback("neo4j://localhost")
    (True, True)
    >>> is_loopback("neo4j+s://xxxx.databases.neo4j.io"), is_loopback("bolt://10.0.0.5:7687")
    (False, False)
    """
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def neo4j_auth(uri: str, env: Environment | None = None) -> Neo4jAuth:
    """Credentials for ``uri`` from NEO4J_USERNAME / NEO4J_PASSWORD / NEO4J_DATABASE.

    Without NEO4J_PASSWORD the local dev server's password is tried, but only for a server on
    this machine: it is never sent anywhere else (another server gets no password, and says
    whether it needs one).

    >>> neo4j_auth("bolt://127.0.0.1:7687", Environment()).password == DEV_PASSWORD
    True
    >>> neo4j_auth("bolt://db.example:7687", Environment()).password is None
    True
    >>> neo4j_auth("bolt://db.example:7687", Environment(neo4j_password="s3cret")).password
    's3cret'
    """
    env = Environment.read() if env is None else env
    password = env.neo4j_password
    if password is None and is_loopback(uri):
        password = DEV_PASSWORD
    return Neo4jAuth(env.neo4j_username or "neo4j", password, env.neo4j_database)


@dataclass(frozen=True)
class Tolerances:
    """Detector thresholds. Every field is settable under ``[tolerances]`` in flowgraph.toml.

    >>> Tolerances().gain_ratio
    1.005
    >>> Tolerances(gain_ratio=1.01).loss_ratio
    0.85
    """

    gain_ratio: float = 1.005  # TRANSFORM_GAIN: produced REO > consumed REO x this
    loss_ratio: float = 0.85  # TRANSFORM_LOSS: produced REO < consumed REO x this
    overdraw_pct: float = 0.5  # LOT_OVERDRAWN: outflows exceed inflows by more than this %
    transit_pct: float = 0.5  # TRANSIT_MISMATCH: % of shipped mass ...
    transit_min_kg: float = 1.0  # ... or this many kg, whichever is larger
    stock_pct: float = 0.5  # STOCK_MISMATCH: % of book stock ...
    stock_min_kg: float = 1.0  # ... or this many kg, whichever is larger
    untraceable_export_share: float = 0.05  # UNTRACEABLE_EXPORT: untraceable REO share > this
    customs_pct: float = 0.5  # CUSTOMS_MASS_MISMATCH: % of the declared mass ...
    customs_min_kg: float = 1.0  # ... or this many kg, whichever is larger
    licence_pct: float = 0.5  # LICENCE_EXCEEDED: exports exceed quantity_kg by more than this %


def tolerance_names() -> list[str]:
    return [f.name for f in fields(Tolerances)]


def load_config_file(path: Path | None = None) -> dict:
    """Read flowgraph.toml (or ``path``); a missing default file is an empty config."""
    named = Environment.read().config_file if path is None else None
    explicit = path is not None or named is not None
    path = Path(path or named or "flowgraph.toml")
    if not path.exists():
        if explicit:
            raise UsageError(f"{path}: configuration file not found")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: not valid TOML: {e}") from e


def tolerances_from(config: dict, overrides: dict[str, float] | None = None) -> Tolerances:
    """Build Tolerances from a config mapping's ``[tolerances]`` table plus explicit overrides.

    >>> tolerances_from({"tolerances": {"stock_min_kg": 2}}).stock_min_kg
    2.0
    """
    values: dict[str, float] = {}
    for source in (config.get("tolerances", {}), overrides or {}):
        for name, value in source.items():
            if value is None:
                continue
            if name not in tolerance_names():
                raise UsageError(
                    f"unknown tolerance {name!r}; known: {', '.join(tolerance_names())}"
                )
            try:
                values[name] = float(value)
            except (TypeError, ValueError) as e:
                raise UsageError(f"tolerance {name} must be a number, got {value!r}") from e
            if values[name] < 0:
                raise UsageError(f"tolerance {name} must be >= 0, got {value!r}")
    return replace(Tolerances(), **values)


def store_uri(option: str | None = None, config: dict | None = None) -> str:
    """The store to use: ``--store``, else FLOWGRAPH_STORE, else flowgraph.toml ``store``, else ./flowgraph.db."""
    return option or Environment.read().store or (config or {}).get("store") or DEFAULT_STORE
