// Unmatched shipments: shipped with no receipt naming the same sender and shipment id, or
// received with no matching shipment. Optionally only one month (the unmatched side's period).
// @param period string = null month YYYY-MM, or leave out for all months
// @returns side, shipment_id, sender_id, receiver_id, period, lots, mass_kg
CALL {
  MATCH (snd:Enterprise)-[r:SENT]->(s:Shipment)
  WHERE NOT EXISTS {
    MATCH (rc:Enterprise {id: r.counterparty_id})-[x:RECEIVED]->(s)
    WHERE x.counterparty_id = snd.id
  }
  RETURN 'shipped, no receipt' AS side, s.id AS shipment_id, snd.id AS sender_id,
         r.counterparty_id AS receiver_id, r
  UNION ALL
  MATCH (rc:Enterprise)-[r:RECEIVED]->(s:Shipment)
  WHERE NOT EXISTS {
    MATCH (snd:Enterprise {id: r.counterparty_id})-[x:SENT]->(s)
    WHERE x.counterparty_id = rc.id
  }
  RETURN 'received, no shipment' AS side, s.id AS shipment_id, r.counterparty_id AS sender_id,
         rc.id AS receiver_id, r
}
WITH side, shipment_id, sender_id, receiver_id, r
WHERE $period IS NULL OR r.period = $period
RETURN side, shipment_id, sender_id, receiver_id, min(r.period) AS period,
       collect(DISTINCT r.lot_id) AS lots, sum(r.mass_kg) AS mass_kg
ORDER BY period, shipment_id, side
