// Detector LINEAGE_CYCLE in Cypher (SPEC §5): lots derive from each other in a cycle (a lot is
// consumed by a batch whose outputs lead, through further batches, back to it). One finding per
// cycle - a strongly connected group of lots in the lot -> batch -> lot graph - keyed by its
// smallest lot id; period = the month of the last produce row into the group's lots; reo_kg =
// REO produced into them; enterprise_id = the enterprise whose produce row came last (by date,
// upload, row). Held equal to flowgraph.analysis (tests/neo4j/test_neo4j_detectors.py).
// A batch is a (:Batch) node, one per (enterprise_id, batch_id), as in the Python lineage.
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (x:Lot)
// SHORTEST 1 searches the graph breadth-first per (start, end) pair: polynomial, where an
// unrestricted path pattern would enumerate every trail of a strongly connected group.
WHERE EXISTS { (x)-[:INPUT_TO]->(:Batch) } AND EXISTS { (:Batch)-[:YIELDED]->(x) }
  AND EXISTS { MATCH SHORTEST 1 (x) ((:Lot)-[:INPUT_TO]->(:Batch)-[:YIELDED]->(:Lot))+ (x) }
WITH collect(x) AS on_cycle
// The lots on cycles each one reaches (itself included) ...
UNWIND on_cycle AS x
MATCH SHORTEST 1 (x) ((:Lot)-[:INPUT_TO]->(:Batch)-[:YIELDED]->(:Lot))+ (y:Lot)
WHERE y IN on_cycle
WITH x, collect(y) AS reach
WITH collect({lot: x, reach: reach}) AS reaches
// ... and its group: those that also reach it back.
UNWIND reaches AS a
WITH a.lot AS x, [b IN reaches WHERE b.lot IN a.reach AND a.lot IN b.reach | b.lot] AS members
WITH members, reduce(low = null, m IN members |
  CASE WHEN low IS NULL OR m.id < low THEN m.id ELSE low END) AS key
// Every member of a group found the same group: keep one copy per key.
WITH key, head(collect(members)) AS members
UNWIND members AS m
MATCH (:Batch)-[r:YIELDED]->(m)
// SPEC §1: a creating row with its own REO % is measured by it; else the lot's, else typical.
WITH key, [x IN members | x.id] AS ids, r, coalesce(r.mass_kg * coalesce(r.reo_pct,
  head(COLLECT {
    MATCH ()-[c:EXTRACTED|IMPORTED|YIELDED]->(m)
    WHERE c.reo_pct IS NOT NULL
    RETURN c.reo_pct ORDER BY c.date, c.upload_id, c.source_row
  }),
  {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    }[r.product]) / 100.0, 0.0) AS reo
ORDER BY r.date, r.upload_id, r.source_row
WITH key, ids, collect(r) AS made, max(r.period) AS period, sum(reo) AS reo
RETURN 'LINEAGE_CYCLE' AS type, period, last(made).enterprise_id AS enterprise_id,
       key AS lot_id, null AS shipment_id, null AS batch_id, null AS year, null AS activity,
       reo AS reo_kg, {lots: ids} AS facts
ORDER BY lot_id
