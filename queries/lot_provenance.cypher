// Provenance of a lot: every origin lot it derives from through processing batches (up to 30
// batch steps), and how each origin entered the chain (extract, import, or no creating record).
// origin_kind "none" means no loaded event created the lot: its REO is untraceable.
// @param lot_id string the lot to trace upstream
// @returns origin_lot, steps, product, origin_kind, created_by, date, country, document_ref, mass_kg, reo_pct
MATCH (target:Lot {id: $lot_id})
MATCH (origin:Lot) ((a:Lot)-[:INPUT_TO]->(:Batch)-[:YIELDED]->(b:Lot)){0,30} (target)
WHERE NOT EXISTS { ()-[:YIELDED]->(origin) }
WITH DISTINCT origin, min(size(a)) AS steps
OPTIONAL MATCH (creator:Enterprise)-[r:EXTRACTED|IMPORTED]->(origin)
RETURN origin.id AS origin_lot, steps, coalesce(r.product, origin.product) AS product,
       CASE type(r) WHEN 'EXTRACTED' THEN 'extract' WHEN 'IMPORTED' THEN 'import' ELSE 'none' END
         AS origin_kind,
       creator.id AS created_by, r.date AS date, r.country AS country,
       r.document_ref AS document_ref, r.mass_kg AS mass_kg, r.reo_pct AS reo_pct
ORDER BY steps, origin_lot, date
