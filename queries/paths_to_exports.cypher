// Paths from an enterprise to exports: for every exporter reachable from the enterprise by
// shipments (sender -> shipment -> receiver, up to 12 hops), the shortest trade route and what
// that exporter shipped abroad.
// @param enterprise_id string where the material starts
// @returns exporter_id, hops, route, countries, exported_kg, export_rows
MATCH (src:Enterprise {id: $enterprise_id})
MATCH (x:Enterprise) WHERE EXISTS { (x)-[:EXPORTED]->() }
MATCH p = shortestPath((src)-[:SENT|TO*0..24]->(x))
WITH x, p
MATCH (x)-[r:EXPORTED]->()
RETURN x.id AS exporter_id, length(p) / 2 AS hops,
       [n IN nodes(p) WHERE n:Enterprise | n.id] AS route,
       collect(DISTINCT r.country) AS countries, sum(r.mass_kg) AS exported_kg,
       count(r) AS export_rows
ORDER BY hops, exporter_id
