// Detector RECEIPT_WITHOUT_SHIPMENT in Cypher (SPEC §5): a receipt whose sender has uploads for
// the receiving month and the one before, and no shipment with that id to this receiver.
// period = the (first) receiving month; reo_kg = REO received; enterprise_id = the receiver.
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (p:Enterprise)-[r:RECEIVED]->(s:Shipment)
WITH p, s, r, coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
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
WITH p.id AS receiver, s.id AS shipment_id, r.counterparty_id AS sender, sum(r.mass_kg) AS mass,
     sum(reo) AS reo, min(r.period) AS first, max(r.period) AS last
WHERE NOT EXISTS {
    MATCH (:Enterprise {id: sender})-[x:SENT]->(:Shipment {id: shipment_id})
    WHERE x.counterparty_id = receiver
  }
  AND EXISTS { MATCH (:Upload {enterprise_id: sender, period: first, current: true}) }
  AND EXISTS { MATCH (:Upload {enterprise_id: sender, period: substring(toString(date(first + '-01') - duration({months: 1})), 0, 7), current: true}) }
RETURN 'RECEIPT_WITHOUT_SHIPMENT' AS type, first AS period, receiver AS enterprise_id,
       null AS lot_id, shipment_id, null AS batch_id, null AS year, null AS activity,
       reo AS reo_kg, {sender: sender, mass: mass} AS facts
ORDER BY shipment_id, enterprise_id
