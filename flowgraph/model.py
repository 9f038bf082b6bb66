"""The vocabulary of SPEC.md: event types, products, column schemas and finding types.

Every other module takes its names from here so the contract is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

EVENT_TYPES: tuple[str, ...] = (
    "extract",
    "import",
    "ship",
    "receive",
    "export",
    "consume",
    "produce",
    "loss",
    "stock",
)
CREATING_TYPES = frozenset({"extract", "import", "produce"})
OUTFLOW_TYPES = frozenset({"ship", "export", "consume", "loss"})
INFLOW_TYPES = frozenset({"receive"})

# Upload columns in SPEC §1 order.
UPLOAD_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_type",
    "date",
    "enterprise_id",
    "lot_id",
    "product",
    "mass_kg",
    "reo_pct",
    "counterparty_id",
    "shipment_id",
    "batch_id",
    "country",
    "document_ref",
    "licence_no",
    "note",
)
ALWAYS_REQUIRED = ("event_id", "event_type", "date", "enterprise_id", "lot_id", "mass_kg")
# Columns required per event type beyond ALWAYS_REQUIRED (product on non-creating rows is
# required only when the lot is not created in the same file: checked by the loader).
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "extract": ("product", "reo_pct", "document_ref"),
    "import": ("product", "reo_pct", "country", "document_ref"),
    "ship": ("counterparty_id", "shipment_id"),
    "receive": ("counterparty_id", "shipment_id"),
    "export": ("shipment_id", "country", "document_ref"),
    "consume": ("batch_id",),
    "produce": ("product", "reo_pct", "batch_id"),
    "loss": (),
    "stock": (),
}

# The event table the loaders produce and the stores return (one row per event).
#   date: datetime64[ns]; period: "YYYY-MM"; mass_kg, reo_pct: float64 (reo_pct NaN when absent);
#   text columns: object dtype, None when absent; upload_id: int64 (store key, 0 before storing);
#   source_row: int64 spreadsheet row of the event in its file (header = 1).
EVENT_COLUMNS: tuple[str, ...] = UPLOAD_COLUMNS + ("period", "upload_id", "source_row")
TEXT_COLUMNS: tuple[str, ...] = tuple(
    c for c in UPLOAD_COLUMNS if c not in ("date", "mass_kg", "reo_pct")
)


@dataclass(frozen=True)
class Product:
    code: str
    family: str  # mineral | compound | metal | downstream
    typical_reo_pct: float
    name: str


def _products() -> dict[str, Product]:
    rows = [
        ("BAST_CONC", "mineral", 60, "bastnaesite concentrate"),
        ("MIXED_CONC", "mineral", 50, "mixed bastnaesite-monazite concentrate"),
        ("MONAZITE_CONC", "mineral", 60, "monazite concentrate"),
        ("ION_ADS_CONC", "mineral", 92, "ion-adsorption rare-earth concentrate"),
        ("MIXED_CARBONATE", "compound", 45, "mixed rare-earth carbonate"),
        ("MIXED_CHLORIDE", "compound", 46, "mixed rare-earth chloride"),
    ]
    for element in ("LA", "CE", "PRND", "ND", "SM", "EU", "GD", "TB", "DY", "Y"):
        rows.append((f"{element}_OXIDE", "compound", 99, f"{element} oxide"))
    for metal in ("PRND_METAL", "ND_METAL", "TB_METAL", "DYFE_ALLOY"):
        rows.append((metal, "metal", 116, metal.replace("_", " ").lower()))
    rows.append(("NDFEB_MAGNET", "downstream", 36, "sintered NdFeB magnet"))
    return {code: Product(code, fam, float(pct), name) for code, fam, pct, name in rows}


PRODUCTS: dict[str, Product] = _products()
MINERAL_PRODUCTS = frozenset(c for c, p in PRODUCTS.items() if p.family == "mineral")
ROLES = ("mine", "smelter", "importer", "trader", "processor", "exporter")
ACTIVITIES = ("mining", "smelting")

FAMILIES = ("unaccounted_mass", "untraceable_input", "undesignated_flow", "cross_register")
FINDING_TYPES: dict[str, str] = {
    "TRANSFORM_GAIN": "unaccounted_mass",
    "TRANSFORM_LOSS": "unaccounted_mass",
    "LOT_OVERDRAWN": "unaccounted_mass",
    "TRANSIT_MISMATCH": "unaccounted_mass",
    "UNCONFIRMED_SHIPMENT": "unaccounted_mass",
    "STOCK_MISMATCH": "unaccounted_mass",
    "UNKNOWN_LOT": "untraceable_input",
    "DUPLICATE_LOT": "untraceable_input",
    "RECEIPT_WITHOUT_SHIPMENT": "untraceable_input",
    "TIME_INVERSION": "untraceable_input",
    "LINEAGE_CYCLE": "untraceable_input",
    "UNTRACEABLE_EXPORT": "untraceable_input",
    "UNDESIGNATED_EXTRACTION": "undesignated_flow",
    "UNDESIGNATED_SMELTING": "undesignated_flow",
    "UNDESIGNATED_SUPPLY": "undesignated_flow",
    "QUOTA_EXCEEDED": "undesignated_flow",
    "CUSTOMS_UNDECLARED": "cross_register",
    "CUSTOMS_MASS_MISMATCH": "cross_register",
    "UNREPORTED_CUSTOMS": "cross_register",
    "UNLICENSED_EXPORT": "cross_register",
    "LICENCE_EXCEEDED": "cross_register",
}
# The cross_register types each register enables (SPEC §7: no register, no finding).
CUSTOMS_TYPES = ("CUSTOMS_UNDECLARED", "CUSTOMS_MASS_MISMATCH", "UNREPORTED_CUSTOMS")
LICENCE_TYPES = ("UNLICENSED_EXPORT", "LICENCE_EXCEEDED")
# SPEC §5 keys: which columns identify one finding of a type (everything else is measurement).
FINDING_KEYS: dict[str, tuple[str, ...]] = {
    "TRANSFORM_GAIN": ("batch_id",),
    "TRANSFORM_LOSS": ("batch_id",),
    "LOT_OVERDRAWN": ("enterprise_id", "lot_id"),
    "TRANSIT_MISMATCH": ("shipment_id",),
    "UNCONFIRMED_SHIPMENT": ("shipment_id",),
    "STOCK_MISMATCH": ("enterprise_id", "lot_id", "period"),
    "UNKNOWN_LOT": ("lot_id",),
    "DUPLICATE_LOT": ("lot_id",),
    "RECEIPT_WITHOUT_SHIPMENT": ("shipment_id",),
    "TIME_INVERSION": ("enterprise_id", "lot_id"),
    "LINEAGE_CYCLE": ("lot_id",),
    "UNTRACEABLE_EXPORT": ("shipment_id",),
    "UNDESIGNATED_EXTRACTION": ("enterprise_id", "lot_id"),
    "UNDESIGNATED_SMELTING": ("batch_id",),
    "UNDESIGNATED_SUPPLY": ("shipment_id",),
    "QUOTA_EXCEEDED": ("enterprise_id", "year", "activity"),
    "CUSTOMS_UNDECLARED": ("enterprise_id", "document_ref"),
    "CUSTOMS_MASS_MISMATCH": ("enterprise_id", "document_ref", "product"),
    "UNREPORTED_CUSTOMS": ("document_ref",),
    "UNLICENSED_EXPORT": ("enterprise_id", "shipment_id"),
    "LICENCE_EXCEEDED": ("licence_no", "product", "country"),
}
# SPEC §5 output columns, in order; "activity" is the extra key of QUOTA_EXCEEDED, document_ref,
# licence_no, product and country those of the cross_register family (null elsewhere).
FINDING_COLUMNS: tuple[str, ...] = (
    "type",
    "family",
    "period",
    "enterprise_id",
    "lot_id",
    "shipment_id",
    "batch_id",
    "year",
    "activity",
    "document_ref",
    "licence_no",
    "product",
    "country",
    "reo_kg",
    "detail",
)


def empty_findings() -> pd.DataFrame:
    """A findings table with no rows and the SPEC §5 columns.

    >>> list(empty_findings().columns)[:3]
    ['type', 'family', 'period']
    """
    return pd.DataFrame({c: pd.Series(dtype="object") for c in FINDING_COLUMNS}).astype(
        {"reo_kg": "float64"}
    )


def empty_events() -> pd.DataFrame:
    """An event table with no rows and the schema the stores return."""
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in EVENT_COLUMNS})
    return frame.astype(
        {
            "date": "datetime64[ns]",
            "mass_kg": "float64",
            "reo_pct": "float64",
            "upload_id": "int64",
            "source_row": "int64",
        }
    )


ENTERPRISE_COLUMNS = ("enterprise_id", "name", "province", "group", "roles")
DESIGNATION_COLUMNS = ("enterprise_id", "activity", "licence_no", "valid_from", "valid_to")
QUOTA_COLUMNS = ("enterprise_id", "year", "activity", "quota_t_reo")
# Registers of other authorities (SPEC §7), each optional in the registry folder.
CUSTOMS_COLUMNS = (
    "declaration_no",
    "direction",
    "enterprise_id",
    "date",
    "product",
    "mass_kg",
    "country",
)
LICENCE_COLUMNS = (
    "licence_no",
    "enterprise_id",
    "product",
    "country",
    "quantity_kg",
    "valid_from",
    "valid_to",
    "end_user",
)
CONTROL_COLUMNS = ("product", "valid_from", "valid_to", "basis")
DIRECTIONS = ("import", "export")

# The built-in export controls list (SPEC §7), as published; ``controls.csv`` in the registry
# replaces it as a whole. One row per product: (product, valid_from, valid_to or None, basis).
BUILTIN_CONTROLS_BASIS = "MOFCOM/GAC announcement No. 18 of 2025 (Sm, Gd, Tb, Dy, Lu, Sc, Y)"
BUILTIN_CONTROLS: tuple[tuple[str, str, str | None, str], ...] = tuple(
    (product, "2025-04-04", None, BUILTIN_CONTROLS_BASIS)
    for product in (
        "SM_OXIDE",
        "GD_OXIDE",
        "TB_OXIDE",
        "DY_OXIDE",
        "Y_OXIDE",
        "TB_METAL",
        "DYFE_ALLOY",
    )
)


def _frame(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def empty_customs() -> pd.DataFrame:
    """The customs register's columns, no rows (date datetime64[ns], mass_kg float64)."""
    types = dict.fromkeys(CUSTOMS_COLUMNS, "object")
    return _frame({**types, "date": "datetime64[ns]", "mass_kg": "float64"})


def empty_licences() -> pd.DataFrame:
    """The export licence register's columns, no rows (valid_to NaT = open-ended)."""
    types = dict.fromkeys(LICENCE_COLUMNS, "object")
    dates = {"valid_from": "datetime64[ns]", "valid_to": "datetime64[ns]"}
    return _frame({**types, "quantity_kg": "float64", **dates})


def empty_controls() -> pd.DataFrame:
    """The controls list's columns, no rows (valid_to NaT = open-ended)."""
    types = dict.fromkeys(CONTROL_COLUMNS, "object")
    return _frame({**types, "valid_from": "datetime64[ns]", "valid_to": "datetime64[ns]"})


def builtin_controls() -> pd.DataFrame:
    """The built-in controls list as a table (what applies without ``controls.csv``).

    >>> sorted(builtin_controls()["product"])[:2], str(builtin_controls().loc[0, "valid_from"])[:10]
    (['DYFE_ALLOY', 'DY_OXIDE'], '2025-04-04')
    """
    frame = pd.DataFrame(list(BUILTIN_CONTROLS), columns=list(CONTROL_COLUMNS))
    for column in ("valid_from", "valid_to"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame


@dataclass
class Registry:
    """The regulator's registry (SPEC §2) as DataFrames.

    enterprises: enterprise_id, name, province, group, roles (";"-separated text);
    designations: enterprise_id, activity, licence_no, valid_from, valid_to
    (datetime64[ns]; valid_to NaT = open-ended);
    quotas: enterprise_id, year (int64), activity, quota_t_reo (float64).
    The registers of SPEC §7, None when the registry folder had no such file:
    customs (CUSTOMS_COLUMNS), licences (LICENCE_COLUMNS), controls (CONTROL_COLUMNS; None =
    the built-in list, see ``controls_list``).

    >>> Registry.empty().enterprises.empty, Registry.empty().customs is None
    (True, True)
    """

    enterprises: pd.DataFrame = field(default_factory=pd.DataFrame)
    designations: pd.DataFrame = field(default_factory=pd.DataFrame)
    quotas: pd.DataFrame = field(default_factory=pd.DataFrame)
    customs: pd.DataFrame | None = None
    licences: pd.DataFrame | None = None
    controls: pd.DataFrame | None = None

    @classmethod
    def empty(cls) -> Registry:
        return cls(
            enterprises=pd.DataFrame({c: pd.Series(dtype="object") for c in ENTERPRISE_COLUMNS}),
            designations=pd.DataFrame(
                {
                    "enterprise_id": pd.Series(dtype="object"),
                    "activity": pd.Series(dtype="object"),
                    "licence_no": pd.Series(dtype="object"),
                    "valid_from": pd.Series(dtype="datetime64[ns]"),
                    "valid_to": pd.Series(dtype="datetime64[ns]"),
                }
            ),
            quotas=pd.DataFrame(
                {
                    "enterprise_id": pd.Series(dtype="object"),
                    "year": pd.Series(dtype="int64"),
                    "activity": pd.Series(dtype="object"),
                    "quota_t_reo": pd.Series(dtype="float64"),
                }
            ),
        )

    def controls_list(self) -> pd.DataFrame:
        """The controls list in force: ``controls`` when loaded, else the built-in one.

        >>> len(Registry.empty().controls_list())
        7
        """
        return builtin_controls() if self.controls is None else self.controls

    def registers(self) -> dict[str, pd.DataFrame | None]:
        """The SPEC §7 registers by file stem (None = not in the registry)."""
        return {"customs": self.customs, "licences": self.licences, "controls": self.controls}


@dataclass
class Upload:
    """One validated monthly upload, ready for a store.

    identity is (enterprise_id, period); events has EVENT_COLUMNS with upload_id 0.
    """

    file_name: str
    sha256: str
    enterprise_id: str
    period: str
    events: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @property
    def identity(self) -> tuple[str, str]:
        return (self.enterprise_id, self.period)


def events_frame(records: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """Normalise event records (dicts with any subset of UPLOAD_COLUMNS) to the store schema.

    Handy for tests and notebooks; period is derived from date, missing columns become null.

    >>> ev = events_frame([{"event_id": "1", "event_type": "extract", "date": "2024-03-05",
    ...                     "enterprise_id": "E1", "lot_id": "L1", "mass_kg": 10, "reo_pct": 50}])
    >>> ev.loc[0, "period"], ev.loc[0, "product"] is None
    ('2024-03', True)
    """
    frame = pd.DataFrame(records).copy()
    for column in EVENT_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["period"] = frame["date"].dt.strftime("%Y-%m").astype(object)
    frame["mass_kg"] = frame["mass_kg"].astype("float64")
    frame["reo_pct"] = pd.to_numeric(frame["reo_pct"]).astype("float64")
    frame["upload_id"] = frame["upload_id"].fillna(0).astype("int64")
    if frame["source_row"].isna().all():
        frame["source_row"] = range(2, len(frame) + 2)
    frame["source_row"] = frame["source_row"].astype("int64")
    for column in TEXT_COLUMNS:
        values = frame[column].astype("object")
        frame[column] = values.where(values.notna(), None)
    return frame[list(EVENT_COLUMNS)].reset_index(drop=True)


def registry_from_records(
    enterprises: list[dict] | None = None,
    designations: list[dict] | None = None,
    quotas: list[dict] | None = None,
    *,
    customs: list[dict] | None = None,
    licences: list[dict] | None = None,
    controls: list[dict] | None = None,
) -> Registry:
    """Build a Registry from plain records (tests, notebooks); a register given as ``None``
    is absent, ``[]`` present and empty.

    >>> reg = registry_from_records(designations=[{"enterprise_id": "E1", "activity": "mining",
    ...     "licence_no": "M-1", "valid_from": "2024-01-01", "valid_to": None}], licences=[])
    >>> reg.designations.loc[0, "valid_to"] is pd.NaT, reg.licences.empty, reg.customs is None
    (True, True, True)
    """
    base = Registry.empty()
    ent = pd.concat([base.enterprises, pd.DataFrame(enterprises or [])], ignore_index=True)
    des = pd.DataFrame(designations or [], columns=list(DESIGNATION_COLUMNS))
    des["valid_from"] = pd.to_datetime(des["valid_from"]).astype("datetime64[ns]")
    des["valid_to"] = pd.to_datetime(des["valid_to"]).astype("datetime64[ns]")
    quo = pd.DataFrame(quotas or [], columns=list(QUOTA_COLUMNS))
    quo = quo.astype({"year": "int64", "quota_t_reo": "float64"})
    return Registry(
        enterprises=ent[list(ENTERPRISE_COLUMNS)],
        designations=des,
        quotas=quo,
        customs=_register(customs, empty_customs()),
        licences=_register(licences, empty_licences()),
        controls=_register(controls, empty_controls()),
    )


def _register(records: list[dict] | None, empty: pd.DataFrame) -> pd.DataFrame | None:
    if records is None:
        return None
    frame = pd.DataFrame(records, columns=list(empty.columns))
    for column, dtype in empty.dtypes.items():
        if str(dtype).startswith("datetime64"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        elif dtype == "float64":
            frame[column] = frame[column].astype("float64")
        else:
            values = frame[column].astype("object")
            frame[column] = values.where(values.notna(), None)
    return frame.reset_index(drop=True)
