// Top entry points of untraceable mass: where REO enters the chain with no valid origin - a lot
// used with no loaded creating event (by the enterprise that first used it), an extract by an
// enterprise without a mining designation on that date, or an import lacking country or customs
// document. Ranked by REO mass.
// @param limit int = 20 how many entry points to list
// @returns enterprise_id, kind, lots, reo_kg
CALL {
  MATCH (l:Lot)
  WHERE NOT EXISTS { ()-[:EXTRACTED|IMPORTED|YIELDED]->(l) }
  CALL {
    WITH l
    CALL {
      WITH l
      MATCH (:Enterprise)-[r:EXPORTED]->(l)
      RETURN r
      UNION ALL
      WITH l
      MATCH (l)-[r:INPUT_TO]->(:Batch)
      RETURN r
      UNION ALL
      WITH l
      MATCH (s:Shipment)-[:CARRIES]->(l)
      MATCH (:Enterprise)-[r:SENT|RECEIVED]->(s)
      WHERE r.lot_id = l.id
      RETURN r
    }
    WITH r ORDER BY r.date, r.upload_id, r.source_row LIMIT 1
    RETURN r
  }
  RETURN r.enterprise_id AS enterprise_id, 'unknown lot' AS kind, l.id AS lot,
         r.mass_kg * coalesce(r.reo_pct, 0.0) / 100.0 AS reo
  UNION ALL
  MATCH (e:Enterprise)-[r:EXTRACTED]->(l:Lot)
  WHERE NOT EXISTS {
    MATCH (e)-[:HOLDS]->(d:Designation {current: true, activity: 'mining'})
    WHERE d.valid_from <= r.date AND (d.valid_to IS NULL OR r.date <= d.valid_to)
  }
  RETURN e.id AS enterprise_id, 'undesignated extract' AS kind, l.id AS lot,
         r.mass_kg * r.reo_pct / 100.0 AS reo
  UNION ALL
  MATCH (e:Enterprise)-[r:IMPORTED]->(l:Lot)
  WHERE r.country IS NULL OR r.document_ref IS NULL OR trim(r.country) = ''
     OR trim(r.document_ref) = ''
  RETURN e.id AS enterprise_id, 'undocumented import' AS kind, l.id AS lot,
         r.mass_kg * r.reo_pct / 100.0 AS reo
}
RETURN enterprise_id, kind, count(DISTINCT lot) AS lots, sum(reo) AS reo_kg
ORDER BY reo_kg DESC, enterprise_id, kind
LIMIT $limit
