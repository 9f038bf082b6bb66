// Detector UNKNOWN_LOT in Cypher (SPEC §5): a lot is received, consumed, shipped or exported and
// no loaded event created it. period and enterprise_id: its first such event (by date, upload,
// row); reo_kg: the most any one enterprise handled (the larger of its receipts and its
// outflows). Held equal to flowgraph.analysis.
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (l:Lot)
WHERE NOT EXISTS { ()-[:EXTRACTED|IMPORTED|YIELDED]->(l) }
CALL {
  WITH l
  MATCH (:Enterprise)-[r:EXPORTED]->(l)
  RETURN r
  UNION ALL
  WITH l
  MATCH (l)-[r:INPUT_TO]->(:Batch)
  RETURN r
  UNION ALL
  WITH l
  MATCH (s:Shipment)-[:CARRIES]->(l)
  MATCH (:Enterprise)-[r:SENT|RECEIVED]->(s)
  WHERE r.lot_id = l.id
  RETURN r
}
WITH l, r, coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
      THEN r.reo_pct
      ELSE coalesce(
        head(COLLECT {
          MATCH ()-[c:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: r.lot_id})
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
    }[r.product])
    END / 100.0, 0.0) AS reo
ORDER BY r.date, r.upload_id, r.source_row
WITH l, collect(r)[0] AS first, r.enterprise_id AS holder,
     sum(CASE WHEN r.event_type = 'receive' THEN reo ELSE 0.0 END) AS r_in,
     sum(CASE WHEN r.event_type <> 'receive' THEN reo ELSE 0.0 END) AS r_out
WITH l, collect(first) AS firsts, max(CASE WHEN r_in > r_out THEN r_in ELSE r_out END) AS reo
UNWIND firsts AS f
WITH l, reo, f ORDER BY f.date, f.upload_id, f.source_row
WITH l, reo, collect(f)[0] AS first
RETURN 'UNKNOWN_LOT' AS type, first.period AS period, first.enterprise_id AS enterprise_id,
       l.id AS lot_id, null AS shipment_id, null AS batch_id, null AS year, null AS activity,
       reo AS reo_kg, {event_type: first.event_type} AS facts
ORDER BY lot_id
