// Detector STOCK_MISMATCH in Cypher (SPEC §5): declared closing stock differs from book stock
// (created + received - outflows up to the end of the stock row's month, every event of that
// month counted) by more than max(stock_pct % of |book|, stock_min_kg). Several stock rows of
// one lot, enterprise and month are summed; a lot the enterprise never held has book stock 0.
// reo_kg = |declared - book| x the lot's REO % (of the first stock row, by upload and row);
// period = the stock rows' month. Held equal to flowgraph.analysis
// (tests/neo4j/test_neo4j_detectors.py).
// @param stock_pct float = 0.5 tolerance, percent of book stock
// @param stock_min_kg float = 1.0 tolerance floor in kg
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
MATCH (e:Enterprise)-[h:HELD]->(l:Lot)
WITH e, l, h ORDER BY h.upload_id, h.source_row
WITH e, l, h.period AS period, sum(h.mass_kg) AS declared, collect(h)[0] AS first
// SPEC §1: the lot's REO % (its earliest creation's), else the row's own, else its product's.
WITH e, l, period, declared, coalesce(
  head(COLLECT {
    MATCH ()-[c:EXTRACTED|IMPORTED|YIELDED]->(l)
    WHERE c.reo_pct IS NOT NULL
    RETURN c.reo_pct ORDER BY c.date, c.upload_id, c.source_row
  }),
  first.reo_pct,
  {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    }[first.product]) AS pct
// Book stock: this enterprise's flows of the lot in months up to the stock month (the
// aggregating sub-query returns 0 when there are none).
CALL {
  WITH e, l, period
  CALL {
    WITH e, l
    MATCH (e)-[r:EXTRACTED|IMPORTED|EXPORTED|LOST]->(l)
    RETURN r
    UNION ALL
    WITH e, l
    MATCH (e)-[r:SENT|RECEIVED]->(:Shipment)-[:CARRIES]->(l)
    WHERE r.lot_id = l.id
    RETURN r
    UNION ALL
    WITH e, l
    MATCH (l)-[r:INPUT_TO]->(:Batch)<-[:RAN]-(e)
    RETURN r
    UNION ALL
    WITH e, l
    MATCH (e)-[:RAN]->(:Batch)-[r:YIELDED]->(l)
    RETURN r
  }
  WITH r WHERE r.period <= period
  RETURN sum(CASE WHEN r.event_type IN ['extract', 'import', 'produce', 'receive']
    THEN r.mass_kg ELSE -r.mass_kg END) AS book
}
WITH e, l, period, declared, pct, book, abs(declared - book) AS diff,
     CASE WHEN abs(book) * $stock_pct / 100.0 > $stock_min_kg THEN abs(book) * $stock_pct / 100.0
       ELSE $stock_min_kg END AS lim
// "> x" with float noise of one part in 10^9 forgiven (RULES.md).
WHERE diff - lim > 1e-9 * CASE WHEN abs(lim) > 1.0 THEN abs(lim) ELSE 1.0 END
RETURN 'STOCK_MISMATCH' AS type, period, e.id AS enterprise_id, l.id AS lot_id,
       null AS shipment_id, null AS batch_id, null AS year, null AS activity,
       diff * coalesce(pct, 0.0) / 100.0 AS reo_kg, {declared: declared, book: book} AS facts
ORDER BY enterprise_id, lot_id, period
