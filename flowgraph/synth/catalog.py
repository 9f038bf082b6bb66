"""What the synthetic economy is made of: grades, yields, product profiles, routes, trade.

Figures from CALIBRATION.md: mixed concentrate graded 45/50/60% REO, Sichuan bastnaesite
52-62%, monazite 55-61%, ion-adsorption 89-93%; 2024 imports 132,931 product tonnes (Myanmar
ion-adsorption concentrate and carbonate, Laos carbonate, monazite from AU/MG/LA/US); exports
about 55,000 product tonnes of oxides, metals and magnets.
"""

from __future__ import annotations

import numpy as np

from flowgraph.model import MINERAL_PRODUCTS
from flowgraph.synth.sim import FastRng

USAGE = 0.98  # share of its quota a clean mine / smelter uses
SEASON = np.array([0.8, 0.7, 1.0, 1.05, 1.1, 1.1, 1.05, 1.05, 1.05, 1.05, 1.0, 1.0])

LIGHT_PROFILE = {
    "CE_OXIDE": 0.48,
    "LA_OXIDE": 0.26,
    "PRND_OXIDE": 0.19,
    "MIXED_CHLORIDE": 0.03,
    "SM_OXIDE": 0.02,
    "EU_OXIDE": 0.005,
    "GD_OXIDE": 0.015,
}
ION_PROFILE = {
    "Y_OXIDE": 0.40,
    "LA_OXIDE": 0.15,
    "ND_OXIDE": 0.18,
    "PRND_OXIDE": 0.08,
    "DY_OXIDE": 0.07,
    "TB_OXIDE": 0.015,
    "GD_OXIDE": 0.05,
    "SM_OXIDE": 0.03,
    "EU_OXIDE": 0.005,
    "CE_OXIDE": 0.02,
}
FEEDS = MINERAL_PRODUCTS | {"MIXED_CARBONATE"}  # what a smelter-separator keeps to process
MAGNET_OXIDES = frozenset({"PRND_OXIDE", "ND_OXIDE", "DY_OXIDE", "TB_OXIDE"})
METALS = frozenset({"PRND_METAL", "ND_METAL", "TB_METAL", "DYFE_ALLOY"})
METAL_OF = {
    "PRND_OXIDE": "PRND_METAL",
    "ND_OXIDE": "ND_METAL",
    "DY_OXIDE": "DYFE_ALLOY",
    "TB_OXIDE": "TB_METAL",
}
# Where each category of product goes: class -> share of REO.
ROUTES = {
    "light": {"exporter": 0.11, "trader": 0.08, "sink": 0.81},
    "magox": {"metal": 0.6, "exporter": 0.04, "trader": 0.04, "sink": 0.32},
    "metal": {"magnet": 0.6, "exporter": 0.2, "sink": 0.2},
    "magnet": {"exporter": 0.21, "sink": 0.79},
    "trader": {"exporter": 0.4, "sink": 0.6},
}
COUNTRIES = {
    "light": {
        "JP": 0.3,
        "US": 0.15,
        "NL": 0.12,
        "KR": 0.1,
        "DE": 0.08,
        "VN": 0.08,
        "IT": 0.05,
        "FR": 0.05,
        "IN": 0.04,
        "TH": 0.03,
    },
    "metal": {"JP": 0.4, "VN": 0.2, "US": 0.15, "KR": 0.15, "DE": 0.1},
    "magnet": {
        "DE": 0.2,
        "US": 0.2,
        "KR": 0.12,
        "VN": 0.1,
        "IN": 0.1,
        "JP": 0.1,
        "IT": 0.08,
        "MX": 0.05,
        "TH": 0.05,
    },
}
PORTS = {"EXP1": 100, "EXP2": 202, "EXP3": 3100, "EXP4": 5300, "EXP5": 4200}
# (importer, product, {country: weight}, product tonnes a year) — sums to 132,931 t.
IMPORTS = [
    ("IMP1", "ION_ADS_CONC", {"MM": 1.0}, 10_000),
    ("IMP1", "MIXED_CARBONATE", {"MM": 1.0}, 52_000),
    ("IMP2", "MONAZITE_CONC", {"AU": 0.35, "MG": 0.3, "LA": 0.15, "US": 0.2}, 14_000),
    ("IMP2", "MIXED_CARBONATE", {"LA": 0.7, "MM": 0.3}, 20_931),
    ("IMP3", "MONAZITE_CONC", {"AU": 0.5, "US": 0.5}, 8_000),
    ("IMP3", "MIXED_CARBONATE", {"MM": 1.0}, 28_000),
]
IMPORT_PORTS = {"IMP1": 8606, "IMP2": 7208, "IMP3": 2305}
NOTES_ZH = {
    "extract": "白云鄂博矿区",
    "extract_BAST_CONC": "牦牛坪矿区",
    "extract_ION_ADS_CONC": "离子型稀土矿区",
    "ship": "公路运输",
    "loss": "装卸损耗",
    "return": "退货：品位不符",
    "stock": "月末盘点",
    "import": "进口报关",
    "export": "出口报关",
}


def category(product: str) -> str:
    if product in MAGNET_OXIDES:
        return "magox"
    if product in METALS:
        return "metal"
    if product == "NDFEB_MAGNET":
        return "magnet"
    return "light"


def sample_pct(rng: FastRng, product: str) -> float:
    """REO % of a new lot (grades per CALIBRATION.md)."""
    if product == "MIXED_CONC":
        base = rng.pick([45.0, 50.0, 60.0], [0.3, 0.5, 0.2])
        value = base + rng.normal(0, 0.8)
    elif product == "BAST_CONC":
        value = rng.uniform(52, 62)
    elif product == "ION_ADS_CONC":
        value = rng.uniform(89, 93)
    elif product == "MONAZITE_CONC":
        value = rng.uniform(55, 61)
    elif product in ("MIXED_CARBONATE", "MIXED_CHLORIDE"):
        value = rng.uniform(43, 47)
    elif product in METALS:
        value = rng.uniform(114.5, 117.5)
    elif product == "NDFEB_MAGNET":
        value = rng.uniform(33, 37)
    else:
        value = rng.uniform(98.6, 99.6)
    return round(float(value), 2)
