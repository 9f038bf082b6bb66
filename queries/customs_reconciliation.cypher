// Customs reconciliation (SPEC §7): per enterprise, month, direction and product, the mass the
// current customs register declares (declarations dated in the month, by declarant) against
// the mass its current import / export rows upload (by the row's month and its lot's product),
// whatever document the rows name. Masses in kg; difference = uploaded - declared (to the
// gram, so sums of the same figures show 0). Nothing
// without a customs register.
// @param enterprise_id string = null only this enterprise
// @param period string = null only this month (YYYY-MM)
// @returns enterprise_id, period, direction, product, declared_kg, uploaded_kg, difference_kg
MATCH (v:RegistryVersion {current: true})
WHERE v.has_customs
CALL {
  WITH v
  MATCH (v)-[:INCLUDES]->(d:CustomsDeclaration)-[:HAS_LINE]->(l:CustomsLine)
  WHERE ($enterprise_id IS NULL OR d.enterprise_id = $enterprise_id)
    AND ($period IS NULL OR substring(toString(d.date), 0, 7) = $period)
  RETURN d.enterprise_id AS enterprise_id, substring(toString(d.date), 0, 7) AS period,
         d.direction AS direction, l.product AS product, l.mass_kg AS declared, 0.0 AS uploaded
  UNION ALL
  WITH v
  MATCH (:Enterprise)-[r:IMPORTED|EXPORTED]->(:Lot)
  WHERE ($enterprise_id IS NULL OR r.enterprise_id = $enterprise_id)
    AND ($period IS NULL OR r.period = $period)
  RETURN r.enterprise_id AS enterprise_id, r.period AS period, r.event_type AS direction,
         coalesce(
        head(COLLECT {
          MATCH ()-[k:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: r.lot_id})
          WHERE k.product IS NOT NULL
          RETURN k.product ORDER BY k.date, k.upload_id, k.source_row
        }),
        r.product) AS product,
         0.0 AS declared, r.mass_kg AS uploaded
}
WITH enterprise_id, period, direction, product, sum(declared) AS declared_kg,
     sum(uploaded) AS uploaded_kg
RETURN enterprise_id, period, direction, product, declared_kg, uploaded_kg,
       round(uploaded_kg - declared_kg, 3) AS difference_kg
ORDER BY enterprise_id, period, direction, product
