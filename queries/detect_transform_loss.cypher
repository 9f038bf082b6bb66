// Detector TRANSFORM_LOSS in Cypher (SPEC §5): a batch whose REO produced is below its REO
// consumed x loss_ratio; reo_kg = consumed - produced; period = the month of its latest row.
// Held equal to flowgraph.analysis (tests/neo4j/test_neo4j_detectors.py).
// @param loss_ratio float = 0.85 tolerance (SPEC default)
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (b:Batch)
CALL {
  WITH b
  MATCH ()-[r:INPUT_TO]->(b)
  RETURN r
  UNION ALL
  WITH b
  MATCH (b)-[r:YIELDED]->()
  RETURN r
}
WITH b, r, coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
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
WITH b, sum(CASE WHEN r.event_type = 'consume' THEN reo ELSE 0.0 END) AS consumed,
     sum(CASE WHEN r.event_type = 'produce' THEN reo ELSE 0.0 END) AS produced,
     max(r.period) AS period
WHERE consumed * $loss_ratio - produced > 1e-9 * CASE WHEN abs(produced) > 1.0
  THEN abs(produced) ELSE 1.0 END
RETURN 'TRANSFORM_LOSS' AS type, period, b.enterprise_id AS enterprise_id, null AS lot_id,
       null AS shipment_id, b.id AS batch_id, null AS year, null AS activity,
       consumed - produced AS reo_kg, {produced: produced, consumed: consumed} AS facts
ORDER BY enterprise_id, batch_id
