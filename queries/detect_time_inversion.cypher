// Detector TIME_INVERSION in Cypher (SPEC §5): an enterprise's first outflow of a lot (ship,
// export, consume, loss) is dated before it first created or received the lot (dates, not
// times: the same day is fine). One finding per (enterprise, lot); reo_kg = REO of the outflows
// dated before; period = the first outflow's month. An enterprise that never created nor
// received the lot is not a time inversion. Held equal to flowgraph.analysis
// (tests/neo4j/test_neo4j_detectors.py).
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (l:Lot)
// Every flow row of the lot, whoever reported it (stock rows are declarations, not flows).
CALL {
  WITH l
  MATCH ()-[r:EXTRACTED|IMPORTED|YIELDED|EXPORTED|LOST]->(l)
  RETURN r
  UNION ALL
  WITH l
  MATCH (l)-[r:INPUT_TO]->(:Batch)
  RETURN r
  UNION ALL
  WITH l
  MATCH (l)<-[:CARRIES]-(:Shipment)<-[r:SENT|RECEIVED]-(:Enterprise)
  WHERE r.lot_id = l.id
  RETURN r
}
WITH l, r.enterprise_id AS enterprise_id,
     min(CASE WHEN r.event_type IN ['extract', 'import', 'produce', 'receive'] THEN r.date END)
       AS first_in,
     collect(CASE WHEN r.event_type IN ['ship', 'export', 'consume', 'loss'] THEN r END) AS outs
WHERE first_in IS NOT NULL
UNWIND outs AS r
WITH l, enterprise_id, first_in, r
WHERE r.date < first_in
// SPEC §1: REO of a row is its lot's (the earliest creation's %), else its own, else typical.
WITH l, enterprise_id, first_in, r, coalesce(r.mass_kg * coalesce(
  head(COLLECT {
    MATCH ()-[c:EXTRACTED|IMPORTED|YIELDED]->(l)
    WHERE c.reo_pct IS NOT NULL
    RETURN c.reo_pct ORDER BY c.date, c.upload_id, c.source_row
  }),
  r.reo_pct,
  {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    }[r.product]) / 100.0, 0.0) AS reo
WITH l, enterprise_id, first_in, min(r.period) AS period, sum(reo) AS reo,
     min(r.date) AS first_out
RETURN 'TIME_INVERSION' AS type, period, enterprise_id, l.id AS lot_id,
       null AS shipment_id, null AS batch_id, null AS year, null AS activity, reo AS reo_kg,
       {first_out: first_out, first_in: first_in} AS facts
ORDER BY enterprise_id, lot_id
