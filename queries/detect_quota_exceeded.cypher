// Detector QUOTA_EXCEEDED in Cypher (SPEC §5): an enterprise holding a current quota for a year
// and activity produced more REO in that calendar year than the quota (quota rows of one year
// and activity add up). Mining counts extracts; smelting counts the produce rows of batches that
// consume a mineral product. period = the month the running total first went over; reo_kg =
// the year's excess. Held equal to flowgraph.analysis (tests/neo4j/test_neo4j_detectors.py).
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (e:Enterprise)-[:HAS_QUOTA]->(q:Quota {current: true})
WITH e, q.year AS year, q.activity AS activity, sum(q.quota_t_reo) * 1000.0 AS quota_kg
CALL {
  WITH e, year, activity
  MATCH (e)-[r:EXTRACTED]->()
  WHERE activity = 'mining' AND r.date.year = year
  RETURN r
  UNION ALL
  WITH e, year, activity
  MATCH (e)-[:RAN]->(b:Batch)-[r:YIELDED]->()
  WHERE activity = 'smelting' AND r.date.year = year
    AND EXISTS {
      MATCH ()-[c:INPUT_TO]->(b)
      WHERE coalesce(
        head(COLLECT {
          MATCH ()-[k:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: c.lot_id})
          WHERE k.reo_pct IS NOT NULL
          RETURN k.product ORDER BY k.date, k.upload_id, k.source_row
        }),
        c.product) IN ['BAST_CONC', 'MIXED_CONC', 'MONAZITE_CONC', 'ION_ADS_CONC']
    }
  RETURN r
}
WITH e, year, activity, quota_kg, r.period AS period,
     sum(coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
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
    END / 100.0, 0.0)) AS reo
ORDER BY period
WITH e, year, activity, quota_kg, collect({period: period, reo: reo}) AS months
WITH e, year, activity, quota_kg,
     reduce(run = {total: 0.0, first: null}, m IN months |
       {total: run.total + m.reo,
        first: CASE WHEN run.first IS NULL AND run.total + m.reo - quota_kg >
                 1e-9 * CASE WHEN abs(quota_kg) > 1.0 THEN abs(quota_kg) ELSE 1.0 END
               THEN m.period ELSE run.first END}) AS run
WHERE run.first IS NOT NULL
RETURN 'QUOTA_EXCEEDED' AS type, run.first AS period, e.id AS enterprise_id, null AS lot_id,
       null AS shipment_id, null AS batch_id, year, activity, run.total - quota_kg AS reo_kg,
       {total: run.total, quota_kg: quota_kg} AS facts
ORDER BY enterprise_id, year, activity
