// Lots held by more enterprises than they were shipped to: enterprises that report a lot (ship,
// export, consume, loss or closing stock) although they neither created it nor were shipped
// or declared receiving it.
// @param min_holders int = 1 only lots with at least this many unexplained holders
// @returns lot_id, entitled, holders, unexplained
MATCH (l:Lot)
CALL {
  WITH l
  CALL {
    WITH l
    MATCH (c:Enterprise)-[:EXTRACTED|IMPORTED]->(l)
    RETURN c.id AS who
    UNION
    WITH l
    MATCH (b:Batch)-[:YIELDED]->(l)
    RETURN b.enterprise_id AS who
    UNION
    WITH l
    MATCH (s:Shipment)-[:CARRIES]->(l)
    MATCH (:Enterprise)-[r:SENT]->(s)
    WHERE r.lot_id = l.id
    RETURN r.counterparty_id AS who
    UNION
    WITH l
    MATCH (s:Shipment)-[:CARRIES]->(l)
    MATCH (e:Enterprise)-[r:RECEIVED]->(s)
    WHERE r.lot_id = l.id
    RETURN e.id AS who
  }
  RETURN collect(DISTINCT who) AS entitled
}
CALL {
  WITH l
  CALL {
    WITH l
    MATCH (h:Enterprise)-[:EXPORTED|LOST|HELD]->(l)
    RETURN h.id AS holder
    UNION
    WITH l
    MATCH (s:Shipment)-[:CARRIES]->(l)
    MATCH (h:Enterprise)-[r:SENT]->(s)
    WHERE r.lot_id = l.id
    RETURN h.id AS holder
    UNION
    WITH l
    MATCH (l)-[:INPUT_TO]->(b:Batch)
    RETURN b.enterprise_id AS holder
  }
  RETURN collect(DISTINCT holder) AS holders
}
WITH l, entitled, holders, [h IN holders WHERE NOT h IN entitled] AS unexplained
WHERE size(unexplained) >= $min_holders
RETURN l.id AS lot_id, entitled, holders, unexplained
ORDER BY size(unexplained) DESC, lot_id
