// Detector TRANSIT_MISMATCH in Cypher (SPEC §5): both sides of a shipment (sender, shipment_id,
// receiver) reported and the summed masses differ by more than max(transit_pct % of shipped,
// transit_min_kg). reo_kg = |shipped - received| x the shipment's REO per kg; period = the last
// receipt's month; enterprise_id = the sender. Held equal to flowgraph.analysis.
// @param transit_pct float = 0.5 tolerance, percent of shipped mass
// @param transit_min_kg float = 1.0 tolerance floor in kg
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (p:Enterprise)-[r:SENT]->(s:Shipment)
WITH p, s, r, coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
      THEN r.reo_pct
      ELSE coalesce(
        head(COLLECT {
          MATCH ()-[c:EXTRACTED|IMPORTED|YIELDED]->(:Lot {id: r.lot_id})
          WHERE c.reo_pct IS NOT NULL
          RETURN c.reo_pct ORDER BY c.date, c.upload_id, c.source_row
        }),
        r.reo_pct,
        {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    }[r.product])
    END / 100.0, 0.0) AS reo
WITH p.id AS sender, s.id AS shipment_id, r.counterparty_id AS receiver, sum(r.mass_kg) AS mass,
     sum(reo) AS reo, min(r.period) AS first, max(r.period) AS last
MATCH (rc:Enterprise {id: receiver})-[x:RECEIVED]->(:Shipment {id: shipment_id})
WHERE x.counterparty_id = sender
WITH sender, shipment_id, receiver, mass, reo, sum(x.mass_kg) AS received, max(x.period) AS period
WITH sender, shipment_id, receiver, mass, reo, received, period, abs(mass - received) AS diff,
     CASE WHEN mass * $transit_pct / 100.0 > $transit_min_kg THEN mass * $transit_pct / 100.0
       ELSE $transit_min_kg END AS lim
WHERE diff - lim > 1e-9 * CASE WHEN abs(lim) > 1.0 THEN abs(lim) ELSE 1.0 END
RETURN 'TRANSIT_MISMATCH' AS type, period, sender AS enterprise_id, null AS lot_id, shipment_id,
       null AS batch_id, null AS year, null AS activity,
       diff * CASE WHEN mass > 0 THEN reo / mass ELSE 0.0 END AS reo_kg,
       {receiver: receiver, shipped: mass, received: received} AS facts
ORDER BY shipment_id, enterprise_id
