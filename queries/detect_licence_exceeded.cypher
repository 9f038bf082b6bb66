// Detector LICENCE_EXCEEDED in Cypher (SPEC §5, §7): the licence holder's export rows naming a
// current (:ExportLicence) row, of its product (the lot's) to its country, dated within its
// validity, exceed its quantity_kg by more than licence_pct %. period = the month the running
// total (date order) first went over; reo_kg = the excess over quantity_kg at the rows' REO per
// kg. Held equal to flowgraph.analysis (tests/neo4j/test_neo4j_detectors.py).
// @param licence_pct float = 0.5 tolerance, percent over the licensed quantity
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
MATCH (h:Enterprise)-[:HOLDS_LICENCE]->(x:ExportLicence {current: true})
MATCH (h)-[r:EXPORTED]->(:Lot)
WHERE r.licence_no = x.licence_no AND r.country = x.country AND x.valid_from <= r.date
  AND (x.valid_to IS NULL OR r.date <= x.valid_to)
WITH typical, x, r, coalesce(
      head(COLLECT {
        MATCH ()-[k:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: r.lot_id})
        WHERE k.product IS NOT NULL
        RETURN k.product ORDER BY k.date, k.upload_id, k.source_row
      }),
      r.product) AS product
WHERE product = x.product
WITH x, r, coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
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
WITH x, collect({mass: r.mass_kg, period: r.period}) AS rows, sum(r.mass_kg) AS mass,
     sum(reo) AS reo, x.quantity_kg * (1.0 + $licence_pct / 100.0) AS line
WITH x, mass, reo,
     reduce(run = {total: 0.0, first: null}, m IN rows |
       {total: run.total + m.mass,
        first: CASE WHEN run.first IS NULL AND run.total + m.mass - line >
                 1e-9 * CASE WHEN abs(line) > 1.0 THEN abs(line) ELSE 1.0 END
               THEN m.period ELSE run.first END}) AS run
WHERE run.first IS NOT NULL
RETURN 'LICENCE_EXCEEDED' AS type, run.first AS period, x.enterprise_id AS enterprise_id,
       null AS lot_id, null AS shipment_id, null AS batch_id, null AS year, null AS activity,
       null AS document_ref, x.licence_no AS licence_no, x.product AS product,
       x.country AS country,
       (mass - x.quantity_kg) * CASE WHEN mass > 0 THEN reo / mass ELSE 0.0 END AS reo_kg,
       {mass: mass, quantity: x.quantity_kg} AS facts
ORDER BY licence_no, product, country
