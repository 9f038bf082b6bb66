// Detector CUSTOMS_MASS_MISMATCH in Cypher (SPEC §5, §7): for a current customs declaration
// that its declarant's rows name (same direction), per product (the lot's), the uploaded and
// declared masses differ by more than max(customs_pct % of the declared mass, customs_min_kg);
// a product on one side only counts 0 on the other. reo_kg = the difference at the rows' REO
// per kg (the product's typical REO % where only customs has it); period = the month of the
// product's first upload row, else the declaration's. Held equal to flowgraph.analysis.
// @param customs_pct float = 0.5 tolerance, percent of the declared mass
// @param customs_min_kg float = 1.0 tolerance floor in kg
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, document_ref, licence_no, product, country, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (v:RegistryVersion {current: true})
WHERE v.has_customs
WITH {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    } AS typical
MATCH (:Enterprise)-[r:IMPORTED|EXPORTED]->(:Lot)
WHERE r.document_ref IS NOT NULL
MATCH (d:CustomsDeclaration {declaration_no: r.document_ref, current: true})
WHERE d.enterprise_id = r.enterprise_id AND d.direction = r.event_type
WITH typical, d, r, coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
      THEN r.reo_pct
      ELSE coalesce(
        head(COLLECT {
          MATCH ()-[c:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: r.lot_id})
          WHERE c.reo_pct IS NOT NULL
          RETURN c.reo_pct ORDER BY c.date, c.upload_id, c.source_row
        }),
        r.reo_pct, typical[r.product])
    END / 100.0, 0.0) AS reo,
    coalesce(
      head(COLLECT {
        MATCH ()-[k:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: r.lot_id})
        WHERE k.product IS NOT NULL
        RETURN k.product ORDER BY k.date, k.upload_id, k.source_row
      }),
      r.product) AS product
ORDER BY r.date, r.upload_id, r.source_row
WITH typical, d, product, sum(r.mass_kg) AS kg, sum(reo) AS reo, collect(r.period) AS periods,
     collect(r.country) AS countries, count(r) AS n
WITH typical, d, collect({product: product, kg: kg, reo: reo, month: head(periods),
     country: CASE WHEN size(countries) = n AND n > 0 AND all(x IN countries WHERE x = head(countries)) THEN head(countries) END}) AS ups
MATCH (d)-[:HAS_LINE]->(line:CustomsLine)
WITH typical, d, ups, line.product AS product, sum(line.mass_kg) AS kg,
     collect(line.country) AS countries, count(line) AS n
WITH typical, d, ups, collect({product: product, kg: kg,
     country: CASE WHEN size(countries) = n AND n > 0 AND all(x IN countries WHERE x = head(countries)) THEN head(countries) END}) AS decls
WITH typical, d, ups, decls,
     [x IN ups | x.product] + [x IN decls WHERE NOT x.product IN [y IN ups | y.product] | x.product]
       AS products
UNWIND products AS product
WITH typical, d, product, head([x IN ups WHERE x.product = product]) AS u,
     head([x IN decls WHERE x.product = product]) AS c
WITH typical, d, product, u, c, coalesce(u.kg, 0.0) AS up_kg, coalesce(c.kg, 0.0) AS decl_kg
WITH typical, d, product, u, c, up_kg, abs(up_kg - decl_kg) AS diff,
     CASE WHEN decl_kg * $customs_pct / 100.0 > $customs_min_kg THEN decl_kg * $customs_pct / 100.0
       ELSE $customs_min_kg END AS lim
WHERE diff - lim > 1e-9 * CASE WHEN abs(lim) > 1.0 THEN abs(lim) ELSE 1.0 END
RETURN 'CUSTOMS_MASS_MISMATCH' AS type,
       coalesce(u.month, substring(toString(d.date), 0, 7)) AS period,
       d.enterprise_id AS enterprise_id, null AS lot_id, null AS shipment_id, null AS batch_id,
       null AS year, null AS activity, d.declaration_no AS document_ref, null AS licence_no,
       product, CASE WHEN c IS NOT NULL THEN c.country ELSE u.country END AS country,
       diff * CASE WHEN up_kg > 0 THEN u.reo / up_kg ELSE coalesce(typical[product], 0.0) / 100.0 END
         AS reo_kg,
       {direction: d.direction, uploaded: up_kg, declared: coalesce(c.kg, 0.0)} AS facts
ORDER BY enterprise_id, document_ref, product
