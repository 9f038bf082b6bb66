"""Settings: where the store is and the detectors' tolerances (defaults = SPEC §5).

Precedence, lowest to highest: SPEC defaults, ``flowgraph.toml`` in the working
directory (or the file named by ``FLOWGRAPH_CONFIG``), environment, command-line flags.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from flowgraph.errors import UsageError

DEFAULT_STORE = "flowgraph.db"


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


def tolerance_names() -> list[str]:
    return [f.name for f in fields(Tolerances)]


def load_config_file(path: Path | None = None) -> dict:
    """Read flowgraph.toml (or ``path``); a missing default file is an empty config."""
    explicit = path is not None or "FLOWGRAPH_CONFIG" in os.environ
    path = Path(path or os.environ.get("FLOWGRAPH_CONFIG", "flowgraph.toml"))
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
    return (
        option or os.environ.get("FLOWGRAPH_STORE") or (config or {}).get("store") or DEFAULT_STORE
    )
