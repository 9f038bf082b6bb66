// Detector DUPLICATE_LOT in Cypher (SPEC §5): more than one event (extract, import, produce)
// created the same lot. period and enterprise_id: the second creation's (by date, upload, row);
// reo_kg = REO of every creation after the first. Held equal to flowgraph.analysis.
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH ()-[r:EXTRACTED|IMPORTED|YIELDED]->(l:Lot)
WITH l, r ORDER BY r.date, r.upload_id, r.source_row
WITH l, collect(r) AS created
WHERE size(created) > 1
UNWIND created[1..] AS r
WITH l, size(created) AS n, [c IN created | c.enterprise_id] AS makers,
     created[1] AS second, sum(coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
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
RETURN 'DUPLICATE_LOT' AS type, second.period AS period, second.enterprise_id AS enterprise_id,
       l.id AS lot_id, null AS shipment_id, null AS batch_id, null AS year, null AS activity,
       reo AS reo_kg, {n: n, makers: makers} AS facts
ORDER BY lot_id
