// Licence usage (SPEC §7): per row of the current export licence register (licence, product,
// country) and per month, the holder's exports counted against it - those naming the licence,
// of that product (the lot's) to that country, dated within the row's validity, as
// LICENCE_EXCEEDED counts them - with the licensed quantity, the month's exports, the running
// total and what remains (negative once exceeded). A licence row nothing was exported under has
// one row with period null. Masses in kg.
// @param licence_no string = null only this licence
// @param enterprise_id string = null only this holder's licences
// @returns licence_no, enterprise_id, product, country, valid_from, valid_to, period, licensed_kg, exported_kg, cumulative_kg, remaining_kg
MATCH (h:Enterprise)-[:HOLDS_LICENCE]->(x:ExportLicence {current: true})
WHERE ($licence_no IS NULL OR x.licence_no = $licence_no)
  AND ($enterprise_id IS NULL OR x.enterprise_id = $enterprise_id)
WITH x, COLLECT {
    MATCH (h)-[r:EXPORTED]->(:Lot)
    WHERE r.licence_no = x.licence_no AND r.country = x.country AND x.valid_from <= r.date
      AND (x.valid_to IS NULL OR r.date <= x.valid_to)
      AND coalesce(
        head(COLLECT {
          MATCH ()-[k:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: r.lot_id})
          WHERE k.product IS NOT NULL
          RETURN k.product ORDER BY k.date, k.upload_id, k.source_row
        }),
        r.product) = x.product
    RETURN {period: r.period, mass: r.mass_kg}
  } AS used
UNWIND CASE WHEN size(used) = 0 THEN [{period: null, mass: 0.0}] ELSE used END AS u
WITH x, u.period AS period, sum(u.mass) AS exported_kg
ORDER BY x.licence_no, x.product, x.country, period
WITH x, collect({period: period, kg: exported_kg}) AS months
UNWIND range(0, size(months) - 1) AS i
WITH x, months[i] AS m, reduce(total = 0.0, y IN months[0..i + 1] | total + y.kg) AS cumulative_kg
RETURN x.licence_no AS licence_no, x.enterprise_id AS enterprise_id, x.product AS product,
       x.country AS country, toString(x.valid_from) AS valid_from,
       toString(x.valid_to) AS valid_to, m.period AS period, x.quantity_kg AS licensed_kg,
       m.kg AS exported_kg, cumulative_kg, x.quantity_kg - cumulative_kg AS remaining_kg
ORDER BY licence_no, product, country, period
