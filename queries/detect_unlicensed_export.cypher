// Detector UNLICENSED_EXPORT in Cypher (SPEC §5, §7): an export row of a lot whose product is
// controlled on the row's date (a current (:ControlledProduct): controls.csv, else the built-in
// list) whose licence_no is empty or names no current (:ExportLicence) row of that enterprise,
// product and country valid on that date (validity dates inclusive). One finding per export
// (enterprise_id, shipment_id); reo_kg = the REO of those rows; period = the first one's month;
// licence_no, product, country where one applies to every row. Nothing without a licence
// register. Held equal to flowgraph.analysis (tests/neo4j/test_neo4j_detectors.py).
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, document_ref, licence_no, product, country, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (v:RegistryVersion {current: true})
WHERE v.has_licences
WITH {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    } AS typical
MATCH (:Enterprise)-[r:EXPORTED]->(:Lot)
WHERE r.shipment_id IS NOT NULL
WITH typical, r, coalesce(
      head(COLLECT {
        MATCH ()-[k:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: r.lot_id})
        WHERE k.product IS NOT NULL
        RETURN k.product ORDER BY k.date, k.upload_id, k.source_row
      }),
      r.product) AS product
WHERE EXISTS {
    MATCH (c:ControlledProduct {current: true})
    WHERE c.product = product AND c.valid_from <= r.date
      AND (c.valid_to IS NULL OR r.date <= c.valid_to)
  }
  AND NOT EXISTS {
    MATCH (x:ExportLicence {licence_no: r.licence_no, current: true})
    WHERE x.enterprise_id = r.enterprise_id AND x.product = product AND x.country = r.country
      AND x.valid_from <= r.date AND (x.valid_to IS NULL OR r.date <= x.valid_to)
  }
WITH r, product, coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
      THEN r.reo_pct
      ELSE coalesce(
        head(COLLECT {
          MATCH ()-[c:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: r.lot_id})
          WHERE c.reo_pct IS NOT NULL
          RETURN c.reo_pct ORDER BY c.date, c.upload_id, c.source_row
        }),
        r.reo_pct, typical[r.product])
    END / 100.0, 0.0) AS reo
ORDER BY r.date, r.upload_id, r.source_row
WITH r.enterprise_id AS enterprise_id, r.shipment_id AS shipment_id, collect(r.period) AS periods,
     count(r) AS n, sum(reo) AS reo_kg, collect(r.licence_no) AS licences,
     collect(product) AS products, collect(r.country) AS countries,
     head(collect({licence_no: r.licence_no, product: product, country: r.country, date: r.date}))
       AS first
RETURN 'UNLICENSED_EXPORT' AS type, head(periods) AS period, enterprise_id, null AS lot_id,
       shipment_id, null AS batch_id, null AS year, null AS activity, null AS document_ref,
       CASE WHEN size(licences) = n AND n > 0 AND all(x IN licences WHERE x = head(licences)) THEN head(licences) END AS licence_no,
       CASE WHEN size(products) = n AND n > 0 AND all(x IN products WHERE x = head(products)) THEN head(products) END AS product,
       CASE WHEN size(countries) = n AND n > 0 AND all(x IN countries WHERE x = head(countries)) THEN head(countries) END AS country, reo_kg,
       {n: n, first: first} AS facts
ORDER BY shipment_id, enterprise_id
