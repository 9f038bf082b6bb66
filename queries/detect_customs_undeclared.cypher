// Detector CUSTOMS_UNDECLARED in Cypher (SPEC §5, §7): an import or export row whose
// document_ref is no (:CustomsDeclaration) of that enterprise in that direction, dated in a month
// the current customs register covers (holds any declaration dated in it). One finding per
// (enterprise_id, document_ref); period = the first such row's month; reo_kg = the rows' REO;
// product and country where one applies to every row. Nothing without a customs register.
// Held equal to flowgraph.analysis (tests/neo4j/test_neo4j_detectors.py).
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, document_ref, licence_no, product, country, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (v:RegistryVersion {current: true})
WHERE v.has_customs
OPTIONAL MATCH (v)-[:INCLUDES]->(d:CustomsDeclaration)
WITH collect(DISTINCT substring(toString(d.date), 0, 7)) AS covered
WITH {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    } AS typical, covered
MATCH (:Enterprise)-[r:IMPORTED|EXPORTED]->(:Lot)
WHERE r.document_ref IS NOT NULL AND r.period IN covered
  AND NOT EXISTS {
    MATCH (d:CustomsDeclaration {declaration_no: r.document_ref, current: true})
    WHERE d.enterprise_id = r.enterprise_id AND d.direction = r.event_type
  }
WITH r, coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
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
WITH r.enterprise_id AS enterprise_id, r.document_ref AS document_ref, collect(r.period) AS periods,
     count(r) AS n, sum(reo) AS reo_kg, collect(product) AS products, collect(r.country) AS countries,
     sum(r.mass_kg) AS mass, collect(DISTINCT r.event_type) AS directions
RETURN 'CUSTOMS_UNDECLARED' AS type, head(periods) AS period, enterprise_id, null AS lot_id,
       null AS shipment_id, null AS batch_id, null AS year, null AS activity, document_ref,
       null AS licence_no, CASE WHEN size(products) = n AND n > 0 AND all(x IN products WHERE x = head(products)) THEN head(products) END AS product,
       CASE WHEN size(countries) = n AND n > 0 AND all(x IN countries WHERE x = head(countries)) THEN head(countries) END AS country, reo_kg,
       {n: n, mass: mass, directions: directions} AS facts
ORDER BY enterprise_id, document_ref
