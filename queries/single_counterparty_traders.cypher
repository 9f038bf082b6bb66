// Enterprises trading with one counterparty only: all their shipments out and receipts in go to
// or come from a single other enterprise (a pattern of captive or front companies).
// @param min_shipments int = 2 only enterprises with at least this many ship/receive rows
// @returns enterprise_id, registered, counterparty_id, shipments, mass_kg
MATCH (e:Enterprise)-[r:SENT|RECEIVED]->(:Shipment)
WITH e, collect(DISTINCT r.counterparty_id) AS partners, count(r) AS shipments,
     sum(r.mass_kg) AS mass_kg
WHERE size(partners) = 1 AND shipments >= $min_shipments
RETURN e.id AS enterprise_id, coalesce(e.registered, false) AS registered,
       partners[0] AS counterparty_id, shipments, mass_kg
ORDER BY shipments DESC, enterprise_id
