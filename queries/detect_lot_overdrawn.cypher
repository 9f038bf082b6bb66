// Detector LOT_OVERDRAWN in Cypher (SPEC §5): an enterprise's outflows of a lot (ship, export,
// consume, loss) exceed what it created plus received by more than overdraw_pct %. One finding
// per (enterprise, lot); period = the first month whose running month-end totals are over;
// reo_kg = REO out - REO in over all months (0 when that is not positive, e.g. a second
// creation stating a higher REO % than the lot's). Held equal to flowgraph.analysis
// (tests/neo4j/test_neo4j_detectors.py).
// @param overdraw_pct float = 0.5 tolerance, percent of created + received mass
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (l:Lot)
// SPEC §1: the lot's REO % is its earliest creation's (date, upload, row).
WITH l, head(COLLECT {
  MATCH ()-[c:EXTRACTED|IMPORTED|YIELDED]->(l)
  WHERE c.reo_pct IS NOT NULL
  RETURN c.reo_pct ORDER BY c.date, c.upload_id, c.source_row
}) AS lot_pct
// Every flow row of the lot, whoever reported it (stock rows are declarations, not flows).
CALL {
  WITH l
  MATCH ()-[r:EXTRACTED|IMPORTED|YIELDED|EXPORTED|LOST]->(l)
  RETURN r
  UNION ALL
  WITH l
  MATCH (l)-[r:INPUT_TO]->(:Batch)
  RETURN r
  UNION ALL
  WITH l
  MATCH (l)<-[:CARRIES]-(:Shipment)<-[r:SENT|RECEIVED]-(:Enterprise)
  WHERE r.lot_id = l.id
  RETURN r
}
WITH l, r, r.event_type IN ['extract', 'import', 'produce', 'receive'] AS inflow,
     coalesce(r.mass_kg * CASE WHEN r.event_type IN ['extract', 'import', 'produce'] AND r.reo_pct IS NOT NULL
       THEN r.reo_pct
       ELSE coalesce(lot_pct, r.reo_pct, {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    }[r.product])
     END / 100.0, 0.0) AS reo
// Month-end totals per (enterprise, lot, month), then a running sum over the months.
WITH l, r.enterprise_id AS enterprise_id, r.period AS period,
     sum(CASE WHEN inflow THEN r.mass_kg ELSE 0.0 END) AS mass_in,
     sum(CASE WHEN inflow THEN 0.0 ELSE r.mass_kg END) AS mass_out,
     sum(CASE WHEN inflow THEN reo ELSE 0.0 END) AS reo_in,
     sum(CASE WHEN inflow THEN 0.0 ELSE reo END) AS reo_out
ORDER BY period
WITH l, enterprise_id, 1.0 + $overdraw_pct / 100.0 AS factor,
     collect({period: period, mass_in: mass_in, mass_out: mass_out}) AS months,
     sum(mass_in) AS mass_in, sum(mass_out) AS mass_out, sum(reo_in) AS reo_in,
     sum(reo_out) AS reo_out
// "> x" with float noise of one part in 10^9 forgiven (RULES.md).
WHERE mass_out - mass_in * factor > 1e-9 * CASE WHEN abs(mass_in * factor) > 1.0
  THEN abs(mass_in * factor) ELSE 1.0 END
WITH l, enterprise_id, reo_in, reo_out, mass_in, mass_out,
     reduce(run = {cin: 0.0, cout: 0.0, first: null}, m IN months |
       {cin: run.cin + m.mass_in, cout: run.cout + m.mass_out,
        first: CASE WHEN run.first IS NULL
                 AND (run.cout + m.mass_out) - (run.cin + m.mass_in) * factor > 1e-9 *
                   CASE WHEN abs((run.cin + m.mass_in) * factor) > 1.0
                     THEN abs((run.cin + m.mass_in) * factor) ELSE 1.0 END
               THEN m.period ELSE run.first END}) AS run
RETURN 'LOT_OVERDRAWN' AS type, run.first AS period, enterprise_id, l.id AS lot_id,
       null AS shipment_id, null AS batch_id, null AS year, null AS activity,
       CASE WHEN reo_out > reo_in THEN reo_out - reo_in ELSE 0.0 END AS reo_kg,
       {mass_in: mass_in, mass_out: mass_out} AS facts
ORDER BY enterprise_id, lot_id
