"""The Neo4j graph model's constraints, indexes and the fixed Cypher the store writes with.

Everything here is a constant: relationship types are fixed names (Cypher cannot take them as
parameters), every value travels in parameters. See docs/neo4j-model.md for the picture.
"""

from __future__ import annotations

# Uniqueness constraints (Community edition supports single-property uniqueness). Created with
# IF NOT EXISTS before the first write, so MERGE on these keys is index-backed and race-free.
CONSTRAINTS: tuple[str, ...] = (
    "CREATE CONSTRAINT fg_enterprise_id IF NOT EXISTS FOR (n:Enterprise) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT fg_lot_id IF NOT EXISTS FOR (n:Lot) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT fg_shipment_id IF NOT EXISTS FOR (n:Shipment) REQUIRE n.id IS UNIQUE",
    # Batch ids are only unique within their enterprise: key = "<enterprise_id>/<batch_id>".
    "CREATE CONSTRAINT fg_batch_key IF NOT EXISTS FOR (n:Batch) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT fg_upload_id IF NOT EXISTS FOR (n:Upload) REQUIRE n.upload_id IS UNIQUE",
    "CREATE CONSTRAINT fg_registry_version IF NOT EXISTS "
    "FOR (n:RegistryVersion) REQUIRE n.version IS UNIQUE",
    "CREATE CONSTRAINT fg_counter_name IF NOT EXISTS FOR (n:Counter) REQUIRE n.name IS UNIQUE",
    "CREATE CONSTRAINT fg_upload_lock IF NOT EXISTS "
    "FOR (n:UploadLock) REQUIRE n.enterprise_id IS UNIQUE",
)
INDEXES: tuple[str, ...] = (
    "CREATE INDEX fg_upload_identity IF NOT EXISTS FOR (n:Upload) ON (n.enterprise_id, n.period)",
    "CREATE INDEX fg_upload_sha IF NOT EXISTS FOR (n:Upload) ON (n.sha256)",
    "CREATE INDEX fg_batch_id IF NOT EXISTS FOR (n:Batch) ON (n.id)",
    "CREATE INDEX fg_designation_current IF NOT EXISTS FOR (n:Designation) ON (n.current)",
    "CREATE INDEX fg_quota_current IF NOT EXISTS FOR (n:Quota) ON (n.current)",
    "CREATE INDEX fg_finding_type IF NOT EXISTS FOR (n:Finding) ON (n.type)",
    # SPEC §7 registers: detectors join upload rows to them by these numbers.
    "CREATE INDEX fg_declaration_no IF NOT EXISTS FOR (n:CustomsDeclaration) ON (n.declaration_no)",
    "CREATE INDEX fg_declaration_current IF NOT EXISTS FOR (n:CustomsDeclaration) ON (n.current)",
    "CREATE INDEX fg_licence_no IF NOT EXISTS FOR (n:ExportLicence) ON (n.licence_no)",
    "CREATE INDEX fg_licence_current IF NOT EXISTS FOR (n:ExportLicence) ON (n.current)",
    "CREATE INDEX fg_controlled_current IF NOT EXISTS FOR (n:ControlledProduct) ON (n.current)",
)

# event_type -> relationship type carrying that event (all its columns as properties).
EVENT_RELATIONSHIPS: dict[str, str] = {
    "extract": "EXTRACTED",
    "import": "IMPORTED",
    "ship": "SENT",
    "receive": "RECEIVED",
    "export": "EXPORTED",
    "consume": "INPUT_TO",
    "produce": "YIELDED",
    "loss": "LOST",
    "stock": "HELD",
}
ALL_EVENT_RELS = "|".join(EVENT_RELATIONSHIPS.values())
# Event relationships that start at the uploading enterprise (the others hang off its batches).
ENTERPRISE_EVENT_RELS = "EXTRACTED|IMPORTED|SENT|RECEIVED|EXPORTED|LOST|HELD"

# A lot first seen in a non-creating row takes that row's product until its creation sets it
# (no SET on every row: property writes on each MERGE cost about a fifth of the load time).
_LOT = (
    "MERGE (l:Lot {id: row.lot_id}) ON CREATE SET l.product = row.product, l.family = row.family "
)
_CREATED_LOT = (
    "MERGE (l:Lot {id: row.lot_id}) "
    "SET l.product = row.product, l.family = row.family, l.reo_pct = row.reo_pct "
)
_BATCH = (
    "MERGE (b:Batch {key: row.batch_key}) ON CREATE SET b.id = row.batch_id, b.enterprise_id = $ent "
    "MERGE (e)-[:RAN]->(b) "
)


# The event's columns as an inline property map (absent values are not stored): creating the
# relationship with its properties avoids a SET-from-map step and the Eager it drags in. Rows
# come from neo4j_rows.write_rows: the date arrives as an ISO string (cheaper to send).
_PROPS = (
    "{"
    + ", ".join(
        f"{c}: date(row.{c})" if c == "date" else f"{c}: row.{c}"
        for c in (
            "event_id", "event_type", "date", "enterprise_id", "lot_id", "product", "mass_kg",
            "reo_pct", "counterparty_id", "shipment_id", "batch_id", "country", "document_ref",
            "licence_no", "note", "period", "source_row",
        )
    )
    + ", upload_id: uid}"
)  # fmt: skip
# event_type -> the statement part writing a row of that type, inside a statement that has
# bound `e` (the uploading Enterprise), `uid` (the upload id) and `row`.
_EVENT_BODIES: dict[str, str] = {
    "extract": _CREATED_LOT + f"CREATE (e)-[r:EXTRACTED {_PROPS}]->(l)",
    "import": _CREATED_LOT + f"CREATE (e)-[r:IMPORTED {_PROPS}]->(l)",
    "ship": _LOT
    + "MERGE (s:Shipment {id: row.shipment_id}) MERGE (c:Enterprise {id: row.counterparty_id}) "
    f"CREATE (e)-[r:SENT {_PROPS}]->(s) "
    "MERGE (s)-[:TO]->(c) MERGE (s)-[:CARRIES]->(l)",
    "receive": _LOT
    + "MERGE (s:Shipment {id: row.shipment_id}) MERGE (c:Enterprise {id: row.counterparty_id}) "
    f"CREATE (e)-[r:RECEIVED {_PROPS}]->(s) "
    "MERGE (s)-[:FROM]->(c) MERGE (s)-[:CARRIES]->(l)",
    "export": _LOT + f"CREATE (e)-[r:EXPORTED {_PROPS}]->(l)",
    "consume": _LOT + _BATCH + f"CREATE (l)-[r:INPUT_TO {_PROPS}]->(b)",
    "produce": _CREATED_LOT + _BATCH + f"CREATE (b)-[r:YIELDED {_PROPS}]->(l)",
    "loss": _LOT + f"CREATE (e)-[r:LOST {_PROPS}]->(l)",
    "stock": _LOT + f"CREATE (e)-[r:HELD {_PROPS}]->(l)",
}


# The next $count upload ids (the first is returned), taken in a transaction of their own: the
# counter's lock is then held for milliseconds instead of for a whole file's write, so files of
# different enterprises can be written concurrently, and a block of ids costs one commit rather
# than one per file. An id a load does not use stays unused (ids are unique and increase in the
# order files are stored; they are not dense).
NEXT_UPLOAD_IDS = (
    "MERGE (c:Counter {name: 'upload'}) SET c.value = coalesce(c.value, 0) + $count "
    "RETURN c.value - $count + 1 AS first"
)
# Creates the (:Upload) with the reserved id $uid and retires the one it supersedes.
CREATE_UPLOAD = (
    "WITH $uid AS uid "
    "MERGE (e:Enterprise {id: $ent}) "
    "CREATE (u:Upload) SET u = $props, u.upload_id = uid "
    "CREATE (e)-[:UPLOADED]->(u) "
    "WITH e, u, uid OPTIONAL MATCH (old:Upload {upload_id: $old}) "
    "FOREACH (o IN CASE WHEN old IS NULL THEN [] ELSE [old] END | "
    "  SET o.current = false, o.superseded_by = uid CREATE (u)-[:SUPERSEDES]->(o)) "
)
# event_type -> one UNWIND statement writing up to 10k rows of that type (rows beyond the first
# 10k of a type in a file; SAVE_UPLOAD writes the first ones).
WRITE_EVENTS: dict[str, str] = {
    kind: "MATCH (e:Enterprise {id: $ent}) WITH e, $uid AS uid UNWIND $rows AS row " + body
    for kind, body in _EVENT_BODIES.items()
}
EVENT_TYPES = tuple(_EVENT_BODIES)
# The whole of a typical file in ONE round trip: the (:Upload) as CREATE_UPLOAD, then one unit
# sub-query per event type unwinding that type's rows, $rows = {event_type: rows} (a type the
# file lacks is null, unwinding nothing). Each sub-query sees only its own rows, so the per-row
# cost is that of WRITE_EVENTS, minus a round trip per type (measured ~2 ms a file at scale 5).
# (Routing ONE row list through nine filtered sub-queries instead cost 3-4x more per row.)
SAVE_UPLOAD = (
    CREATE_UPLOAD
    + "WITH e, uid "
    + " ".join(
        f"CALL {{ WITH e, uid UNWIND $rows.{kind} AS row {body} }}"
        for kind, body in _EVENT_BODIES.items()
    )
    + " RETURN uid"
)
CREATE_UPLOAD += "RETURN uid"

# The identity's history and which other uploads of the enterprise are current, in one round
# trip; their event / batch id lists are fetched only for uploads the store has not seen yet
# (UPLOAD_KEYS: an upload's ids never change), so a year of monthly files reads each list once.
# The file's transaction first takes its enterprise's (:UploadLock) for writing: two loads at
# once (two processes) writing the same enterprise then run one after the other, each reading
# the other's committed revision, as SQLite's write lock makes the embedded store do. Nothing
# else touches these nodes, so this lock, always taken first, adds no deadlock; the lanes of
# one load never wait on it (an enterprise's files share a lane).
UPLOAD_STATE = (
    "MERGE (lock:UploadLock {enterprise_id: $ent}) SET lock.taken = true "
    "WITH 1 AS _ "
    "OPTIONAL MATCH (u:Upload {enterprise_id: $ent, period: $period}) "
    "WITH collect(u {.upload_id, .sha256, .revision, .current}) AS history "
    "OPTIONAL MATCH (o:Upload {enterprise_id: $ent}) WHERE o.current AND o.period <> $period "
    "RETURN history, collect(o {.period, .upload_id}) AS others"
)
UPLOAD_KEYS = (
    "UNWIND $ids AS id MATCH (o:Upload {upload_id: id}) "
    "RETURN o.upload_id AS upload_id, o.event_ids AS event_ids, o.batch_ids AS batch_ids"
)
# Supersession: the old upload's event relationships leave the current graph but stay in
# history as (:Upload)-[:RECORDED]->(:Event) nodes with the same properties.
ARCHIVE_ENTERPRISE_EVENTS = (
    "MATCH (old:Upload {upload_id: $old}) "
    f"MATCH (e:Enterprise {{id: $ent}})-[r:{ENTERPRISE_EVENT_RELS}]->() "
    "WHERE r.upload_id = $old "
    "CREATE (old)-[:RECORDED]->(ev:Event) SET ev = properties(r) DELETE r"
)
ARCHIVE_YIELDED = (
    "MATCH (old:Upload {upload_id: $old}) "
    "MATCH (e:Enterprise {id: $ent})-[:RAN]->(b:Batch)-[r:YIELDED]->() "
    "WHERE r.upload_id = $old "
    "CREATE (old)-[:RECORDED]->(ev:Event) SET ev = properties(r) DELETE r"
)
ARCHIVE_INPUT_TO = (
    "MATCH (old:Upload {upload_id: $old}) "
    "MATCH (e:Enterprise {id: $ent})-[:RAN]->(b:Batch)<-[r:INPUT_TO]-() "
    "WHERE r.upload_id = $old "
    "CREATE (old)-[:RECORDED]->(ev:Event) SET ev = properties(r) DELETE r"
)
# The shipments and lots the superseded upload named (to tidy up after it).
RETIRED_NAMES = (
    "MATCH (:Upload {upload_id: $old})-[:RECORDED]->(ev:Event) "
    "RETURN collect(DISTINCT ev.shipment_id) AS shipments, collect(DISTINCT ev.lot_id) AS lots"
)
DROP_EMPTY_BATCHES = (
    "MATCH (e:Enterprise {id: $ent})-[:RAN]->(b:Batch) "
    "WHERE NOT ()-[:INPUT_TO]->(b) AND NOT (b)-[:YIELDED]->() DETACH DELETE b"
)
# After a revision, a shipment's TO / FROM / CARRIES links stand only where a current SENT or
# RECEIVED event still names that counterparty or lot (the new revision's links are already in).
DROP_STALE_SHIPMENT_LINKS = (
    "UNWIND $shipments AS sid "
    "MATCH (s:Shipment {id: sid})-[link:TO|FROM|CARRIES]->(n) "
    "WHERE NOT EXISTS { MATCH ()-[r:SENT|RECEIVED]->(s) WHERE "
    "(type(link) = 'TO' AND type(r) = 'SENT' AND r.counterparty_id = n.id) "
    "OR (type(link) = 'FROM' AND type(r) = 'RECEIVED' AND r.counterparty_id = n.id) "
    "OR (type(link) = 'CARRIES' AND r.lot_id = n.id) } "
    "DELETE link"
)
# Lots the superseded upload named that no current event or shipment mentions any more.
DROP_ORPHAN_LOTS = (
    "UNWIND $lots AS lid MATCH (l:Lot {id: lid}) "
    "WHERE NOT EXISTS { (l)-[:INPUT_TO|CARRIES]-() } "
    "AND NOT EXISTS { ()-[:EXTRACTED|IMPORTED|EXPORTED|LOST|HELD|YIELDED]->(l) } "
    "DETACH DELETE l"
)
DROP_EMPTY_SHIPMENTS = (
    "MATCH (s:Shipment) WHERE s.id IN $shipments AND NOT ()-[:SENT|RECEIVED]->(s) DETACH DELETE s"
)

_EVENT_RETURN = (
    "RETURN r.event_id AS event_id, r.event_type AS event_type, toString(r.date) AS date, "
    "r.enterprise_id AS enterprise_id, r.lot_id AS lot_id, r.product AS product, "
    "r.mass_kg AS mass_kg, r.reo_pct AS reo_pct, r.counterparty_id AS counterparty_id, "
    "r.shipment_id AS shipment_id, r.batch_id AS batch_id, r.country AS country, "
    "r.document_ref AS document_ref, r.licence_no AS licence_no, r.note AS note, "
    "r.period AS period, "
    "r.upload_id AS upload_id, r.source_row AS source_row"
)
READ_EVENTS = (
    f"MATCH ()-[r:{ALL_EVENT_RELS}]->() "
    "WHERE ($period IS NULL OR r.period = $period) "
    "AND ($year IS NULL OR r.period STARTS WITH $year) " + _EVENT_RETURN
)  # no ORDER BY: the server would hold every row to sort them (Neo4jStore.events sorts)
# The events of a few current uploads ($uploads), from each upload's enterprise: its own event
# relationships and those of its batches (no index on relationship properties is needed).
READ_UPLOAD_EVENTS = (
    "MATCH (e:Enterprise)-[:UPLOADED]->(u:Upload) WHERE u.upload_id IN $uploads AND u.current "
    "CALL { "
    f"  WITH e, u MATCH (e)-[r:{ENTERPRISE_EVENT_RELS}]->() WHERE r.upload_id = u.upload_id "
    "  RETURN r "
    "  UNION WITH e, u MATCH (e)-[:RAN]->(:Batch)-[r:YIELDED]->() WHERE r.upload_id = u.upload_id "
    "  RETURN r "
    "  UNION WITH e, u MATCH (e)-[:RAN]->(:Batch)<-[r:INPUT_TO]-() "
    "  WHERE r.upload_id = u.upload_id RETURN r "
    "} " + _EVENT_RETURN
)
# The current uploads with a row naming any of $ids as lot, shipment or batch (through the Lot,
# Shipment and Batch nodes' indexes; a ship or receive row hangs off its shipment).
UPLOADS_HOLDING = (
    "UNWIND $ids AS id CALL { "
    "  WITH id MATCH (:Lot {id: id})<-[r:EXTRACTED|IMPORTED|EXPORTED|LOST|HELD|YIELDED]-() "
    "  RETURN r.upload_id AS upload_id "
    "  UNION WITH id MATCH (:Lot {id: id})-[r:INPUT_TO]->() RETURN r.upload_id AS upload_id "
    "  UNION WITH id MATCH (:Lot {id: id})<-[:CARRIES]-(:Shipment)<-[r:SENT|RECEIVED]-() "
    "  WHERE r.lot_id = id RETURN r.upload_id AS upload_id "
    "  UNION WITH id MATCH (:Shipment {id: id})<-[r:SENT|RECEIVED]-() "
    "  RETURN r.upload_id AS upload_id "
    "  UNION WITH id MATCH (b:Batch {id: id})-[r:YIELDED]->() RETURN r.upload_id AS upload_id "
    "  UNION WITH id MATCH (b:Batch {id: id})<-[r:INPUT_TO]-() RETURN r.upload_id AS upload_id "
    "} RETURN DISTINCT upload_id"
)
READ_UPLOADS = (
    "MATCH (u:Upload) WHERE $history OR u.current "
    "RETURN u.upload_id AS upload_id, u.enterprise_id AS enterprise_id, u.period AS period, "
    "u.revision AS revision, u.file_name AS file_name, u.sha256 AS sha256, "
    "u.loaded_at AS loaded_at, u.superseded_by AS superseded_by, u.events AS events, "
    "u.current AS current ORDER BY enterprise_id, period, revision"
)
CURRENT_SHAS = (
    "MATCH (u:Upload) WHERE u.current "
    "RETURN u.sha256 AS sha256, u.enterprise_id AS enterprise_id, u.period AS period"
)
FIND_BY_SHA = (
    "MATCH (u:Upload {sha256: $sha}) WHERE u.current "
    "RETURN u.enterprise_id AS enterprise_id, u.period AS period LIMIT 1"
)

LATEST_REGISTRY = (
    "MATCH (v:RegistryVersion) RETURN v.version AS version, v.digest AS digest "
    "ORDER BY v.version DESC LIMIT 1"
)
WRITE_ENTERPRISES = (
    "MATCH (v:RegistryVersion {version: $version}) "
    "UNWIND $rows AS row "
    "MERGE (e:Enterprise {id: row.enterprise_id}) "
    "SET e.name = row.name, e.province = row.province, e.group = row.group, "
    "e.roles = row.roles, e.role_list = row.role_list, e.registered = true, "
    "e.registry_version = $version "
    "CREATE (v)-[:LISTS {row: row.row}]->(e)"
)
WRITE_DESIGNATIONS = (
    "MATCH (v:RegistryVersion {version: $version}) "
    "UNWIND $rows AS row "
    "MERGE (e:Enterprise {id: row.enterprise_id}) "
    "CREATE (d:Designation) SET d = row, d.version = $version, d.current = true "
    "CREATE (e)-[:HOLDS]->(d) CREATE (v)-[:INCLUDES]->(d)"
)
WRITE_QUOTAS = (
    "MATCH (v:RegistryVersion {version: $version}) "
    "UNWIND $rows AS row "
    "MERGE (e:Enterprise {id: row.enterprise_id}) "
    "CREATE (q:Quota) SET q = row, q.version = $version, q.current = true "
    "CREATE (e)-[:HAS_QUOTA]->(q) CREATE (v)-[:INCLUDES]->(q)"
)
# SPEC §7 registers, versioned like designations (old versions kept with current=false).
WRITE_CUSTOMS = (
    "MATCH (v:RegistryVersion {version: $version}) "
    "UNWIND $rows AS row "
    "MERGE (e:Enterprise {id: row.enterprise_id}) "
    "CREATE (d:CustomsDeclaration {declaration_no: row.declaration_no, direction: row.direction, "
    "enterprise_id: row.enterprise_id, date: row.date, version: $version, current: true}) "
    "CREATE (e)-[:DECLARED]->(d) CREATE (v)-[:INCLUDES]->(d) "
    "WITH d, row UNWIND row.lines AS line "
    "CREATE (d)-[:HAS_LINE]->(:CustomsLine {declaration_no: row.declaration_no, "
    "product: line.product, mass_kg: line.mass_kg, country: line.country, row: line.row, "
    "version: $version, current: true})"
)
WRITE_LICENCES = (
    "MATCH (v:RegistryVersion {version: $version}) "
    "UNWIND $rows AS row "
    "MERGE (e:Enterprise {id: row.enterprise_id}) "
    "CREATE (x:ExportLicence) SET x = row, x.version = $version, x.current = true "
    "CREATE (e)-[:HOLDS_LICENCE]->(x) CREATE (v)-[:INCLUDES]->(x)"
)
WRITE_CONTROLS = (
    "MATCH (v:RegistryVersion {version: $version}) "
    "UNWIND $rows AS row "
    "CREATE (c:ControlledProduct) SET c = row, c.version = $version, c.current = true "
    "CREATE (v)-[:INCLUDES]->(c)"
)
RETIRE_REGISTERS: tuple[str, ...] = (
    "MATCH (d:CustomsDeclaration {current: true}) SET d.current = false",
    "MATCH (d:CustomsLine {current: true}) SET d.current = false",
    "MATCH (x:ExportLicence {current: true}) SET x.current = false",
    "MATCH (c:ControlledProduct {current: true}) SET c.current = false",
)
# Register links for Browser / Bloom walks (the detectors join on properties, never on these):
# (:CustomsDeclaration)-[:DECLARES]->(:Lot) for each lot whose current IMPORTED / EXPORTED event
# by the declaration's enterprise, in its direction, names it as document_ref;
# (:ExportLicence)-[:COVERS]->(:Lot) for each lot its holder's current EXPORTED event names the
# licence_no of, where the licence row's product is the lot's and its country the event's
# (validity is the detectors' to judge). Only current register nodes have links: a registry load
# drops the retired versions' links before they are retired (DROP_REGISTER_LINKS) and builds the
# new ones; an upload's transaction rebuilds its enterprise's (DROP_/LINK_ with $ent). Driven by
# the events (index lookups on declaration_no / licence_no), so the cost is O(import/export
# events), never declarations x events.
_DECLARES = (
    "WHERE r.document_ref IS NOT NULL "
    "MATCH (d:CustomsDeclaration {declaration_no: r.document_ref}) "
    "WHERE d.current AND d.enterprise_id = e.id AND d.direction = r.event_type "
    "MERGE (d)-[:DECLARES]->(l)"
)
_COVERS = (
    "WHERE r.licence_no IS NOT NULL "
    "MATCH (x:ExportLicence {licence_no: r.licence_no}) "
    "WHERE x.current AND x.enterprise_id = e.id AND x.product = l.product "
    "AND x.country = r.country "
    "MERGE (x)-[:COVERS]->(l)"
)
DROP_REGISTER_LINKS: tuple[str, ...] = (
    "MATCH (:CustomsDeclaration {current: true})-[k:DECLARES]->() DELETE k",
    "MATCH (:ExportLicence {current: true})-[k:COVERS]->() DELETE k",
)
LINK_REGISTERS: tuple[str, ...] = (
    "MATCH (e:Enterprise)-[r:IMPORTED|EXPORTED]->(l:Lot) " + _DECLARES,
    "MATCH (e:Enterprise)-[r:EXPORTED]->(l:Lot) " + _COVERS,
)
DROP_ENTERPRISE_REGISTER_LINKS: tuple[str, ...] = (
    "MATCH (:Enterprise {id: $ent})-[:DECLARED]->(:CustomsDeclaration {current: true})"
    "-[k:DECLARES]->() DELETE k",
    "MATCH (:Enterprise {id: $ent})-[:HOLDS_LICENCE]->(:ExportLicence {current: true})"
    "-[k:COVERS]->() DELETE k",
)
# An enterprise without current declarations / licences costs one existence check, not a walk
# over its events.
LINK_ENTERPRISE_REGISTERS: tuple[str, ...] = (
    "MATCH (e:Enterprise {id: $ent}) "
    "WHERE EXISTS { (e)-[:DECLARED]->(:CustomsDeclaration {current: true}) } "
    "MATCH (e)-[r:IMPORTED|EXPORTED]->(l:Lot) " + _DECLARES,
    "MATCH (e:Enterprise {id: $ent}) "
    "WHERE EXISTS { (e)-[:HOLDS_LICENCE]->(:ExportLicence {current: true}) } "
    "MATCH (e)-[r:EXPORTED]->(l:Lot) " + _COVERS,
)
READ_REGISTERS_HELD = (
    "MATCH (v:RegistryVersion {version: $version}) "
    "RETURN v.has_customs AS customs, v.has_licences AS licences, v.has_controls AS controls"
)
READ_CUSTOMS = (
    "MATCH (:RegistryVersion {version: $version})-[:INCLUDES]->(d:CustomsDeclaration)"
    "-[:HAS_LINE]->(l:CustomsLine) "
    "RETURN d.declaration_no AS declaration_no, d.direction AS direction, "
    "d.enterprise_id AS enterprise_id, toString(d.date) AS date, l.product AS product, "
    "l.mass_kg AS mass_kg, l.country AS country ORDER BY l.row"
)
READ_LICENCES = (
    "MATCH (:RegistryVersion {version: $version})-[:INCLUDES]->(x:ExportLicence) "
    "RETURN x.licence_no AS licence_no, x.enterprise_id AS enterprise_id, x.product AS product, "
    "x.country AS country, x.quantity_kg AS quantity_kg, toString(x.valid_from) AS valid_from, "
    "toString(x.valid_to) AS valid_to, x.end_user AS end_user ORDER BY x.row"
)
READ_CONTROLS = (
    "MATCH (:RegistryVersion {version: $version})-[:INCLUDES]->(c:ControlledProduct) "
    "WHERE NOT c.builtin "
    "RETURN c.product AS product, toString(c.valid_from) AS valid_from, "
    "toString(c.valid_to) AS valid_to, c.basis AS basis ORDER BY c.row"
)
READ_ENTERPRISES = (
    "MATCH (:RegistryVersion {version: $version})-[l:LISTS]->(e:Enterprise) "
    "RETURN e.id AS enterprise_id, e.name AS name, e.province AS province, e.group AS group, "
    "e.roles AS roles ORDER BY l.row"
)
READ_DESIGNATIONS = (
    "MATCH (:RegistryVersion {version: $version})-[:INCLUDES]->(d:Designation) "
    "RETURN d.enterprise_id AS enterprise_id, d.activity AS activity, "
    "d.licence_no AS licence_no, toString(d.valid_from) AS valid_from, "
    "toString(d.valid_to) AS valid_to ORDER BY d.row"
)
READ_QUOTAS = (
    "MATCH (:RegistryVersion {version: $version})-[:INCLUDES]->(q:Quota) "
    "RETURN q.enterprise_id AS enterprise_id, q.year AS year, q.activity AS activity, "
    "q.quota_t_reo AS quota_t_reo ORDER BY q.row"
)

# Empties the database, in batches and relationships first (one DETACH DELETE of a national
# year's enterprise nodes exceeds the server's transaction memory). Tests and benchmarks only.
DELETE_ALL: tuple[str, ...] = (
    "MATCH ()-[r]->() CALL { WITH r DELETE r } IN TRANSACTIONS OF 50000 ROWS",
    "MATCH (n) CALL { WITH n DELETE n } IN TRANSACTIONS OF 50000 ROWS",
)
