// Detector UNDESIGNATED_EXTRACTION in Cypher (SPEC §5): an extract by an enterprise with no
// current mining designation covering its date. One finding per (enterprise, lot): first month,
// REO summed. Held equal to flowgraph.analysis.
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (e:Enterprise)-[r:EXTRACTED]->(l:Lot)
WHERE NOT EXISTS {
  MATCH (e)-[:HOLDS]->(d:Designation {current: true, activity: 'mining'})
  WHERE d.valid_from <= r.date AND (d.valid_to IS NULL OR r.date <= d.valid_to)
}
WITH e, l, r, coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
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
RETURN 'UNDESIGNATED_EXTRACTION' AS type, min(r.period) AS period, e.id AS enterprise_id,
       l.id AS lot_id, null AS shipment_id, null AS batch_id, null AS year, null AS activity,
       sum(reo) AS reo_kg, {date: min(r.date)} AS facts
ORDER BY enterprise_id, lot_id
