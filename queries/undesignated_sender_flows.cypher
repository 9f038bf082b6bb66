// All flows out of undesignated or unregistered senders: shipments whose sender is absent from
// the current registry, or holds no current mining or smelting designation valid on the date.
// Both sides count: the sender's own ship rows and receipts that name such a sender.
// @param min_mass_kg float = 0.0 only flows of at least this mass
// @returns side, sender_id, registered, receiver_id, shipment_id, lot_id, product, date, mass_kg
CALL {
  MATCH (s:Enterprise)-[r:SENT]->(:Shipment)
  RETURN 'ship' AS side, s, r.counterparty_id AS receiver_id, r
  UNION ALL
  MATCH (rc:Enterprise)-[r:RECEIVED]->(:Shipment)-[:FROM]->(s:Enterprise)
  WHERE r.counterparty_id = s.id
  RETURN 'receive' AS side, s, rc.id AS receiver_id, r
}
WITH side, s, receiver_id, r
WHERE r.mass_kg >= $min_mass_kg
  AND (coalesce(s.registered, false) = false
       OR NOT EXISTS {
         MATCH (s)-[:HOLDS]->(d:Designation {current: true})
         WHERE d.valid_from <= r.date AND (d.valid_to IS NULL OR r.date <= d.valid_to)
       })
OPTIONAL MATCH (l:Lot {id: r.lot_id})
RETURN side, s.id AS sender_id, coalesce(s.registered, false) AS registered, receiver_id,
       r.shipment_id AS shipment_id, r.lot_id AS lot_id, coalesce(r.product, l.product) AS product,
       r.date AS date, r.mass_kg AS mass_kg
ORDER BY sender_id, date, shipment_id, side
