// Detector UNREPORTED_CUSTOMS in Cypher (SPEC §5, §7): a current customs declaration dated in a
// month for which its enterprise has a current (:Upload), that no current row of that
// enterprise in that direction (IMPORTED / EXPORTED) names. reo_kg = the declared mass at each
// product's typical REO %; period = the declaration's month; product and country where one
// applies to every line. Held equal to flowgraph.analysis (tests/neo4j/test_neo4j_detectors.py).
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
MATCH (v)-[:INCLUDES]->(d:CustomsDeclaration)-[:HAS_LINE]->(line:CustomsLine)
WITH d, sum(line.mass_kg * coalesce(typical[line.product], 0.0) / 100.0) AS reo_kg,
     collect(line.product) AS products, collect(line.country) AS countries, count(line) AS n,
     sum(line.mass_kg) AS mass
WITH d, reo_kg, mass, products, countries, n, substring(toString(d.date), 0, 7) AS period
WHERE EXISTS {
    MATCH (u:Upload {enterprise_id: d.enterprise_id, period: period}) WHERE u.current
  }
  AND NOT EXISTS {
    MATCH (:Enterprise {id: d.enterprise_id})-[r:IMPORTED|EXPORTED]->()
    WHERE r.document_ref = d.declaration_no AND r.event_type = d.direction
  }
RETURN 'UNREPORTED_CUSTOMS' AS type, period, d.enterprise_id AS enterprise_id, null AS lot_id,
       null AS shipment_id, null AS batch_id, null AS year, null AS activity,
       d.declaration_no AS document_ref, null AS licence_no,
       CASE WHEN size(products) = n AND n > 0 AND all(x IN products WHERE x = head(products)) THEN head(products) END AS product,
       CASE WHEN size(countries) = n AND n > 0 AND all(x IN countries WHERE x = head(countries)) THEN head(countries) END AS country, reo_kg,
       {direction: d.direction, date: d.date, mass: mass} AS facts
ORDER BY document_ref
