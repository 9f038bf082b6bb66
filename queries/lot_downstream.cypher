// Downstream exposure of a lot: every lot made from it (through batches, up to 30 steps) and
// who got that material - the enterprises that received it and the exports that left the
// country with it.
// @param lot_id string the lot whose material is followed downstream
// @returns lot_id, steps, flow, enterprise_id, counterparty_id, shipment_id, country, date, mass_kg
MATCH (src:Lot {id: $lot_id})
MATCH (src) ((a:Lot)-[:INPUT_TO]->(:Batch)-[:YIELDED]->(b:Lot)){0,30} (d:Lot)
WITH DISTINCT d, min(size(a)) AS steps
CALL {
  WITH d
  MATCH (e:Enterprise)-[r:EXPORTED]->(d)
  RETURN 'export' AS flow, e.id AS enterprise_id, null AS counterparty_id, r
  UNION ALL
  WITH d
  MATCH (s:Shipment)-[:CARRIES]->(d)
  MATCH (e:Enterprise)-[r:RECEIVED]->(s)
  WHERE r.lot_id = d.id
  RETURN 'receive' AS flow, e.id AS enterprise_id, r.counterparty_id AS counterparty_id, r
}
RETURN d.id AS lot_id, steps, flow, enterprise_id, counterparty_id, r.shipment_id AS shipment_id,
       r.country AS country, r.date AS date, r.mass_kg AS mass_kg
ORDER BY steps, lot_id, date, enterprise_id
