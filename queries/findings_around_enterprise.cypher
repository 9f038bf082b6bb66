// Findings around an enterprise: the last detection run's findings about the enterprise itself,
// its batches, the lots it handled and its shipments, and about its direct trading partners.
// @param enterprise_id string the enterprise
// @returns relation, about_label, about_id, type, family, period, reo_kg, detail
MATCH (e:Enterprise {id: $enterprise_id})
CALL {
  WITH e
  MATCH (f:Finding)-[:ABOUT]->(e)
  RETURN 'self' AS relation, f, e AS about
  UNION
  WITH e
  MATCH (e)-[:RAN]->(b:Batch)<-[:ABOUT]-(f:Finding)
  RETURN 'own batch' AS relation, f, b AS about
  UNION
  WITH e
  MATCH (e)-[:SENT|RECEIVED]->(s:Shipment)<-[:ABOUT]-(f:Finding)
  RETURN 'own shipment' AS relation, f, s AS about
  UNION
  WITH e
  MATCH (e)-[:EXTRACTED|IMPORTED|EXPORTED|LOST|HELD]->(l:Lot)<-[:ABOUT]-(f:Finding)
  RETURN 'lot handled' AS relation, f, l AS about
  UNION
  WITH e
  MATCH (e)-[:SENT|RECEIVED]->(:Shipment)-[:TO|FROM]->(p:Enterprise)<-[:ABOUT]-(f:Finding)
  WHERE p <> e
  RETURN 'partner' AS relation, f, p AS about
}
RETURN DISTINCT relation, labels(about)[0] AS about_label,
       coalesce(about.id, about.key) AS about_id, f.type AS type, f.family AS family,
       f.period AS period, f.reo_kg AS reo_kg, f.detail AS detail
ORDER BY relation, period, type, about_id
