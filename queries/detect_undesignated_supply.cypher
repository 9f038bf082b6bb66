// Detector UNDESIGNATED_SUPPLY in Cypher (SPEC §5): a receipt of a mineral product (by the lot's
// creating product) whose sender has no lawful custody of the lot - by its own loaded records it
// neither extracted it under a current mining designation covering the date, imported it with
// country and customs document, produced it in a batch, nor received it (at any date) - or a
// receipt of any product from a sender absent from the current registry. One finding per
// (receiver, shipment_id, sender); reo_kg = REO of the offending rows; period = their first
// month; enterprise_id = the sender. Held equal to flowgraph.analysis
// (tests/neo4j/test_neo4j_detectors.py).
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (p:Enterprise)-[r:RECEIVED]->(s:Shipment)-[:CARRIES]->(l:Lot)
WHERE r.lot_id = l.id
WITH p, s, l, r, r.counterparty_id AS sender,
     // the lot's earliest creation (date, upload, row) gives its REO % and product (SPEC §1)
     head(COLLECT {
       MATCH ()-[c:EXTRACTED|IMPORTED|YIELDED]->(l)
       WHERE c.reo_pct IS NOT NULL
       RETURN c ORDER BY c.date, c.upload_id, c.source_row
     }) AS created
WITH p, s, l, r, sender, created,
     NOT EXISTS { MATCH (:Enterprise {id: sender, registered: true}) } AS unregistered,
     coalesce(created.product, r.product)
       IN ['BAST_CONC', 'MIXED_CONC', 'MONAZITE_CONC', 'ION_ADS_CONC'] AS mineral
WHERE unregistered OR (mineral AND NOT EXISTS {
    MATCH (:Enterprise {id: sender})-[x:EXTRACTED]->(l)
    WHERE EXISTS {
      MATCH (:Enterprise {id: sender})-[:HOLDS]->(d:Designation {current: true, activity: 'mining'})
      WHERE d.valid_from <= x.date AND (d.valid_to IS NULL OR x.date <= d.valid_to)
    }
  } AND NOT EXISTS {
    MATCH (:Enterprise {id: sender})-[x:IMPORTED]->(l)
    WHERE trim(coalesce(x.country, '')) <> '' AND trim(coalesce(x.document_ref, '')) <> ''
  } AND NOT EXISTS {
    MATCH (:Enterprise {id: sender})-[:RAN]->(:Batch)-[:YIELDED]->(l)
  } AND NOT EXISTS {
    MATCH (:Enterprise {id: sender})-[x:RECEIVED]->(:Shipment)-[:CARRIES]->(l)
    WHERE x.lot_id = l.id
  })
WITH p, s, sender, unregistered, r, coalesce(r.mass_kg * coalesce(created.reo_pct, r.reo_pct, {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    }[r.product]) / 100.0, 0.0) AS reo
WITH p, s, sender, min(r.period) AS period, sum(reo) AS reo,
     max(CASE WHEN unregistered THEN 1 ELSE 0 END) = 1 AS unregistered
RETURN 'UNDESIGNATED_SUPPLY' AS type, period, sender AS enterprise_id, null AS lot_id,
       s.id AS shipment_id, null AS batch_id, null AS year, null AS activity, reo AS reo_kg,
       {unregistered: unregistered} AS facts
ORDER BY shipment_id, enterprise_id
