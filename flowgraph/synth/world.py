"""The synthetic registry: who the actors are, what they may do and their 2024-style quotas.

Figures (CALIBRATION.md): national quotas 2024 mining 270,000 t REO and smelting/separation
254,000 t; about 93% light (Bayan Obo mixed concentrate, Sichuan bastnaesite) and 7%
ion-adsorption (southern provinces); China Northern Rare Earth holds the bulk, China Rare Earth
Group the rest of light plus most ion-adsorption, Xiamen Tungsten and Guangdong Rare Earth a few
thousand tonnes each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# GB 32100-2015 check character of the 18-character unified social credit code.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MINING_QUOTA_T = 270_000.0
SMELTING_QUOTA_T = 254_000.0
# Group split of the mining quota (t REO): light 93% / ion-adsorption 7%.
MINING_SPLIT = {
    ("NR", "light"): 187_650.0,
    ("CREG", "light"): 63_450.0,
    ("CREG", "ion"): 12_760.0,
    ("XT", "ion"): 3_440.0,
    ("GD", "ion"): 2_700.0,
}
GROUPS = {
    "NR": "China Northern Rare Earth",
    "CREG": "China Rare Earth Group",
    "XT": "Xiamen Tungsten",
    "GD": "Guangdong Rare Earth",
    "": "",
}


def uscc(region: str, body: str) -> str:
    """An 18-character unified social credit code: '91' + 6-digit region + 9 chars + check.

    >>> uscc("150200", "MA0N1B2C3")
    '91150200MA0N1B2C3D'
    """
    base = "91" + region + body
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(base, _USCC_WEIGHTS, strict=True))
    return base + _USCC_CHARS[(31 - total % 31) % 31]


@dataclass
class Actor:
    """One enterprise of the synthetic world (reporting or not)."""

    eid: str
    short: str
    kind: str  # mine smelter importer metal magnet trader exporter sink
    name: str
    province: str
    group: str
    roles: str
    pool: str = ""  # light | ion (mines, smelters)
    product: str = ""  # what a mine extracts
    mining_quota_t: float = 0.0
    smelting_quota_t: float = 0.0
    licence: str = ""
    designated_to: str | None = None  # last day of the mining designation (None = open)
    reporting: bool = True
    size: float = 1.0
    meta: dict = field(default_factory=dict)


# (short, kind, name, province, region, group, pool, product, share of the group's pool quota)
_MINES = [
    ("NRM1", "Baotou Bayan Obo East Mine", "Inner Mongolia", "150200", "NR", "MIXED_CONC", 0.46),
    ("NRM2", "Baotou Bayan Obo Main Mine", "Inner Mongolia", "150200", "NR", "MIXED_CONC", 0.34),
    ("NRM3", "Baotou Bayan Obo West Mine", "Inner Mongolia", "150200", "NR", "MIXED_CONC", 0.20),
    ("CRM4", "Mianning Maoniuping Mining", "Sichuan", "513400", "CREG", "BAST_CONC", 0.62),
    ("CRM5", "Dechang Dalucao Mining", "Sichuan", "513400", "CREG", "BAST_CONC", 0.38),
    ("CRM6", "Ganzhou Longnan Ion Mining", "Jiangxi", "360700", "CREG", "ION_ADS_CONC", 0.58),
    ("CRM7", "Chongzuo Ion Rare Earth Mining", "Guangxi", "451400", "CREG", "ION_ADS_CONC", 0.42),
    ("XTM8", "Longyan Changting Rare Earth Mining", "Fujian", "350800", "XT", "ION_ADS_CONC", 1.0),
    (
        "GDM9",
        "Meizhou Pingyuan Rare Earth Mining",
        "Guangdong",
        "441400",
        "GD",
        "ION_ADS_CONC",
        0.6,
    ),
    ("GDMA", "Shaoguan Ion Rare Earth Mining", "Guangdong", "440200", "GD", "ION_ADS_CONC", 0.4),
]
# (short, name, province, region, group, pool, smelting quota t)
_SMELTERS = [
    (
        "NRS1",
        "Baotou Huamei Rare Earth Smelting",
        "Inner Mongolia",
        "150200",
        "NR",
        "light",
        52_578,
    ),
    (
        "NRS2",
        "Baotou Tianjiao Qingmei Separation",
        "Inner Mongolia",
        "150200",
        "NR",
        "light",
        43_815,
    ),
    ("NRS3", "Baotou Hefa Rare Earth Smelting", "Inner Mongolia", "150200", "NR", "light", 35_052),
    (
        "NRS4",
        "Baotou Jinmeng Rare Earth Separation",
        "Inner Mongolia",
        "150200",
        "NR",
        "light",
        26_289,
    ),
    ("NRS5", "Northern Rare Earth Gansu Smelting", "Gansu", "620300", "NR", "light", 17_526),
    ("CRS1", "Leshan Shenghe Rare Earth Smelting", "Sichuan", "511100", "CREG", "light", 29_700),
    ("CRS2", "Liangshan Mianning Separation", "Sichuan", "513400", "CREG", "light", 24_300),
    ("CRS3", "Ganzhou Rare Earth Separation", "Jiangxi", "360700", "CREG", "ion", 7_000),
    ("CRS4", "Guangxi Chongzuo Separation", "Guangxi", "451400", "CREG", "ion", 5_000),
    ("XTS1", "Longyan Xiamen Tungsten Separation", "Fujian", "350800", "XT", "ion", 6_540),
    ("GDS1", "Meizhou Guangdong Rare Earth Separation", "Guangdong", "441400", "GD", "ion", 6_200),
]
# (short, kind, name, province, region, group, roles)
_OTHERS = [
    ("IMP1", "importer", "Tengchong Border Minerals Trading", "Yunnan", "530581", "", "importer"),
    ("IMP2", "importer", "Fangchenggang Port Ore Import", "Guangxi", "450600", "", "importer"),
    ("IMP3", "importer", "Lianyungang Rare Earth Import", "Jiangsu", "320700", "CREG", "importer"),
    ("MET1", "metal", "Baotou Rare Earth Metals", "Inner Mongolia", "150200", "NR", "processor"),
    ("MET2", "metal", "Ganzhou Chenguang Metals", "Jiangxi", "360700", "CREG", "processor"),
    ("MET3", "metal", "Sichuan Lomon Metals", "Sichuan", "511100", "", "processor"),
    ("MET4", "metal", "Jiangxi Jinli Alloy", "Jiangxi", "360700", "", "processor"),
    ("MET5", "metal", "Fujian Changting Jinlong Metals", "Fujian", "350800", "XT", "processor"),
    ("MAG1", "magnet", "Ningbo Yunsheng Magnets", "Zhejiang", "330200", "", "processor"),
    ("MAG2", "magnet", "Beijing Zhongke Sanhuan Magnets", "Beijing", "110100", "", "processor"),
    ("MAG3", "magnet", "Ganzhou Jinli Permanent Magnet", "Jiangxi", "360700", "", "processor"),
    ("MAG4", "magnet", "Baotou Tianhe Magnetics", "Inner Mongolia", "150200", "NR", "processor"),
    ("MAG5", "magnet", "Tianjin Zhonghuan Magnets", "Tianjin", "120100", "", "processor"),
    ("TRD1", "trader", "Shanghai Rare Earth Trading", "Shanghai", "310100", "", "trader"),
    (
        "TRD2",
        "trader",
        "Baotou Rare Earth Products Exchange Trading",
        "Inner Mongolia",
        "150200",
        "NR",
        "trader",
    ),
    ("TRD3", "trader", "Ganzhou Rare Earth Trading", "Jiangxi", "360700", "CREG", "trader"),
    ("TRD4", "trader", "Xiamen Rare Earth Materials Trading", "Fujian", "350200", "XT", "trader"),
    (
        "EXP1",
        "exporter",
        "China Minmetals Rare Earth Export",
        "Beijing",
        "110100",
        "CREG",
        "exporter;trader",
    ),
    ("EXP2", "exporter", "Tianjin Port Rare Earth Export", "Tianjin", "120100", "", "exporter"),
    ("EXP3", "exporter", "Ningbo Magnet Export", "Zhejiang", "330200", "", "exporter"),
    ("EXP4", "exporter", "Shenzhen Rare Earth Export", "Guangdong", "440300", "GD", "exporter"),
    ("EXP5", "exporter", "Qingdao Rare Earth Export", "Shandong", "370200", "", "exporter"),
]
# Domestic downstream buyers: in the registry, never upload (not covered by the reporting rule).
_SINKS = [
    ("DOM1", "Zibo Polishing Powder Works", "Shandong", "370300"),
    ("DOM2", "Sinopec Catalyst Rare Earth Buyer", "Beijing", "110100"),
    ("DOM3", "Foshan Lighting Phosphors", "Guangdong", "440600"),
    ("DOM4", "Ningbo Motor Components", "Zhejiang", "330200"),
    ("DOM5", "Changzhou Hydrogen Storage Alloys", "Jiangsu", "320400"),
    ("DOM6", "Wuxi Ceramic Pigments", "Jiangsu", "320200"),
    ("DOM7", "Chongqing Automotive Magnets", "Chongqing", "500100"),
    ("DOM8", "Hefei Battery Materials", "Anhui", "340100"),
    ("DOM9", "Xi'an Optical Glass", "Shaanxi", "610100"),
    ("RCY1", "Ganzhou Magnet Scrap Recycling", "Jiangxi", "360700"),
]


@dataclass
class World:
    actors: dict[str, Actor]  # by short code
    year: int
    outsider: str  # an enterprise id absent from the registry (planted supply)

    def by_kind(self, kind: str) -> list[Actor]:
        return [a for a in self.actors.values() if a.kind == kind]

    @property
    def reporting(self) -> list[Actor]:
        return [a for a in self.actors.values() if a.reporting]

    def registry_records(self, years: int = 1) -> tuple[list[dict], list[dict], list[dict]]:
        """enterprises, designations, quotas as SPEC §2 records (dates ISO text), for ``years``
        calendar years from ``self.year``: the same quota every year; a mine whose designation
        lapses (``designated_to``) is designated again each January to the same day of the year.
        """
        ents, des, quo = [], [], []
        span = range(self.year, self.year + years)
        for a in self.actors.values():
            ents.append(
                {
                    "enterprise_id": a.eid,
                    "name": a.name,
                    "province": a.province,
                    "group": GROUPS[a.group],
                    "roles": a.roles,
                }
            )
            if a.kind == "mine":
                des.append(
                    {
                        "enterprise_id": a.eid,
                        "activity": "mining",
                        "licence_no": a.licence,
                        "valid_from": f"{self.year - 3}-01-01",
                        "valid_to": a.designated_to or "",
                    }
                )
                if a.designated_to:
                    for y in span[1:]:
                        des.append(
                            {
                                "enterprise_id": a.eid,
                                "activity": "mining",
                                "licence_no": a.licence,
                                "valid_from": f"{y}-01-01",
                                "valid_to": f"{y}{a.designated_to[4:]}",
                            }
                        )
                quo += [
                    {
                        "enterprise_id": a.eid,
                        "year": y,
                        "activity": "mining",
                        "quota_t_reo": a.mining_quota_t,
                    }
                    for y in span
                ]
            if a.kind == "smelter":
                des.append(
                    {
                        "enterprise_id": a.eid,
                        "activity": "smelting",
                        "licence_no": a.licence,
                        "valid_from": f"{self.year - 2}-07-01",
                        "valid_to": "",
                    }
                )
                quo += [
                    {
                        "enterprise_id": a.eid,
                        "year": y,
                        "activity": "smelting",
                        "quota_t_reo": a.smelting_quota_t,
                    }
                    for y in span
                ]
        return ents, des, quo


def build_world(rng: np.random.Generator, year: int) -> World:
    """The fixed cast of ~44 reporting enterprises and 10 non-reporting buyers.

    Ids are valid-looking unified social credit codes drawn from ``rng`` (so a seed fixes them).
    """
    used: set[str] = set()

    def new_id(region: str) -> str:
        while True:
            body = "".join(rng.choice(list(_USCC_CHARS[:10] + "MA"), 9))
            code = uscc(region, body)
            if code not in used:
                used.add(code)
                return code

    actors: dict[str, Actor] = {}
    for short, name, prov, region, group, product, share in _MINES:
        pool = "ion" if product == "ION_ADS_CONC" else "light"
        quota = round(MINING_SPLIT[(group, pool)] * share, 1)
        a = Actor(new_id(region), short, "mine", name, prov, group, "mine", pool, product)
        a.mining_quota_t = quota
        a.licence = "C" + "".join(str(d) for d in rng.integers(0, 10, 22))
        a.size = quota / 20_000
        actors[short] = a
    # The small Shaoguan mine's designation lapses at the end of September (renewed the next
    # January when there are several years, lapsing again each September).
    actors["GDMA"].designated_to = f"{year}-09-30"
    for short, name, prov, region, group, pool, quota in _SMELTERS:
        a = Actor(new_id(region), short, "smelter", name, prov, group, "smelter", pool)
        a.smelting_quota_t = float(quota)
        a.licence = f"RE-SS-{region[:2]}-{int(rng.integers(1000, 9999))}"
        a.size = quota / 20_000
        actors[short] = a
    actors["CRS3"].roles = "smelter;processor"
    for short, kind, name, prov, region, group, roles in _OTHERS:
        actors[short] = Actor(new_id(region), short, kind, name, prov, group, roles)
    for short, name, prov, region in _SINKS:
        roles = "trader" if short.startswith("RCY") else "processor"
        actors[short] = Actor(new_id(region), short, "sink", name, prov, "", roles, reporting=False)
    outsider = new_id("530500")  # Baoshan, Yunnan: an unregistered border supplier
    return World(actors=actors, year=year, outsider=outsider)
