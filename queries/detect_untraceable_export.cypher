// Detector UNTRACEABLE_EXPORT in Cypher (SPEC §5): an export whose lot's untraceable REO share
// is above untraceable_export_share. One finding per export (exporter, shipment_id); reo_kg =
// sum of row REO x untraceable share over the offending rows; period = their first month;
// enterprise_id = the exporter; lot_id = the offending lot with the most untraceable REO. Held equal to flowgraph.analysis
// (tests/neo4j/test_neo4j_detectors.py).
// The traceable share (SPEC §5 Origins, the "haircut" rule) is linear in the shares of a
// batch's inputs, so instead of propagating it batch generation by batch generation it is
// summed over the lot's upstream paths lot <-produce- batch <-consume- lot ... : each path
// weighs reo(produce row) / REO created of the lot x reo(consume row) / max(REO consumed,
// REO produced) of the batch at every step, and ends at a lot whose valid creations (an
// extract under a current mining designation, an import with country and customs document)
// give REO-weighted share 1, every other creation 0. Lots on a lineage cycle have share 0 (no
// path may pass through one). As in the Python lineage, a row's REO here is its lot's % (the
// earliest creation's), a creating row's (extract, import, produce) its own %, so a second
// creation of a lot keeps its own grade (README rules). A batch is a (:Batch) node, one
// per (enterprise_id, batch_id), as in the Python lineage. The cost is the number of upstream
// paths (product chains are short; lots on cycles cut them).
// @param untraceable_export_share float = 0.05 tolerance, untraceable share of the lot's REO
// @returns type, period, enterprise_id, lot_id, shipment_id, batch_id, year, activity, reo_kg, facts
// (facts: the figures the finding's detail names, for flowgraph.store.neo4j_detect)
WITH {
      BAST_CONC: 60.0, MIXED_CONC: 50.0, MONAZITE_CONC: 60.0, ION_ADS_CONC: 92.0,
      MIXED_CARBONATE: 45.0, MIXED_CHLORIDE: 46.0, LA_OXIDE: 99.0, CE_OXIDE: 99.0,
      PRND_OXIDE: 99.0, ND_OXIDE: 99.0, SM_OXIDE: 99.0, EU_OXIDE: 99.0, GD_OXIDE: 99.0,
      TB_OXIDE: 99.0, DY_OXIDE: 99.0, Y_OXIDE: 99.0, PRND_METAL: 116.0, ND_METAL: 116.0,
      TB_METAL: 116.0, DYFE_ALLOY: 116.0, NDFEB_MAGNET: 36.0
    } AS typical
// Lots on a lineage cycle (as detect_lineage_cycle finds them).
CALL {
  MATCH (x:Lot)
  WHERE EXISTS { (x)-[:INPUT_TO]->(:Batch) } AND EXISTS { (:Batch)-[:YIELDED]->(x) }
    AND EXISTS { MATCH SHORTEST 1 (x) ((:Lot)-[:INPUT_TO]->(:Batch)-[:YIELDED]->(:Lot))+ (x) }
  RETURN collect(x) AS on_cycle
}
MATCH (:Enterprise)-[e:EXPORTED]->(l:Lot)
WHERE e.shipment_id IS NOT NULL
WITH DISTINCT typical, on_cycle, l
// Traceable share of l: the sum over its upstream paths (one path of length 0: l itself).
CALL {
  WITH typical, on_cycle, l
  MATCH p = (l) ((c:Lot)<-[y:YIELDED]-(b:Batch)<-[k:INPUT_TO]-(u:Lot)
                 WHERE NOT u IN on_cycle)* (o:Lot)
  WHERE NOT l IN on_cycle
  // Step i < size(y): lot c[i] made by y[i] in b[i], which consumed k[i] of the next lot;
  // step size(y): the valid-origin share of the lot the path ends at.
  WITH typical, p, c + [o] AS lots, y, b, k
  UNWIND range(0, size(y)) AS i
  WITH typical, p, lots[i] AS lot, lots[i + 1] AS next, y[i] AS yi, b[i] AS bi, k[i] AS ki,
       i = size(y) AS origin
  // The lot's REO % (SPEC §1, earliest creation), the REO of all its creations, of the valid ones.
  CALL {
    WITH typical, lot
    WITH typical, lot, head(COLLECT {
      MATCH ()-[x:EXTRACTED|IMPORTED|YIELDED]->(lot)
      WHERE x.reo_pct IS NOT NULL
      RETURN x.reo_pct ORDER BY x.date, x.upload_id, x.source_row
    }) AS pct
    OPTIONAL MATCH ()-[x:EXTRACTED|IMPORTED|YIELDED]->(lot)
    WITH pct, x,
         coalesce(x.mass_kg * coalesce(x.reo_pct, pct, typical[x.product]) / 100.0, 0.0) AS reo
    RETURN pct, sum(reo) AS created, sum(CASE
      WHEN x.event_type = 'import'
        AND trim(coalesce(x.country, '')) <> '' AND trim(coalesce(x.document_ref, '')) <> ''
      THEN reo
      WHEN x.event_type = 'extract' AND EXISTS {
        MATCH (:Enterprise {id: x.enterprise_id})-[:HOLDS]->
              (d:Designation {current: true, activity: 'mining'})
        WHERE d.valid_from <= x.date AND (d.valid_to IS NULL OR x.date <= d.valid_to)
      } THEN reo
      ELSE 0.0 END) AS valid
  }
  // The batch's share denominator max(REO consumed, REO produced), each row at its lot's %.
  CALL {
    WITH typical, bi
    CALL {
      WITH bi
      MATCH (z:Lot)-[x:INPUT_TO]->(bi)
      RETURN z, x
      UNION ALL
      WITH bi
      MATCH (bi)-[x:YIELDED]->(z:Lot)
      RETURN z, x
    }
    WITH x, coalesce(x.mass_kg * coalesce(CASE WHEN x.event_type = 'produce' THEN x.reo_pct END,
      head(COLLECT {
        MATCH ()-[w:EXTRACTED|IMPORTED|YIELDED]->(z)
        WHERE w.reo_pct IS NOT NULL
        RETURN w.reo_pct ORDER BY w.date, w.upload_id, w.source_row
      }), x.reo_pct, typical[x.product]) / 100.0, 0.0) AS reo
    WITH sum(CASE WHEN x.event_type = 'consume' THEN reo ELSE 0.0 END) AS consumed,
         sum(CASE WHEN x.event_type = 'produce' THEN reo ELSE 0.0 END) AS produced
    RETURN CASE WHEN consumed > produced THEN consumed ELSE produced END AS batch_den
  }
  WITH p, CASE
    WHEN created <= 0.0 THEN 0.0
    WHEN origin THEN valid / created
    WHEN batch_den <= 0.0 THEN 0.0
    ELSE coalesce(yi.mass_kg * coalesce(yi.reo_pct, pct, typical[yi.product]) / 100.0, 0.0)
      / created
      * coalesce(ki.mass_kg * coalesce(head(COLLECT {
          MATCH ()-[w:EXTRACTED|IMPORTED|YIELDED]->(next)
          WHERE w.reo_pct IS NOT NULL
          RETURN w.reo_pct ORDER BY w.date, w.upload_id, w.source_row
        }), ki.reo_pct, typical[ki.product]) / 100.0, 0.0)
      / batch_den
    END AS factor
  WITH p, collect(factor) AS factors
  RETURN sum(reduce(w = 1.0, f IN factors | w * f)) AS share
}
MATCH (x:Enterprise)-[r:EXPORTED]->(l)
WHERE r.shipment_id IS NOT NULL
WITH x, r, 1.0 - CASE WHEN share > 1.0 THEN 1.0 WHEN share < 0.0 THEN 0.0 ELSE share END
  AS untraceable, typical, l
// "> x" with float noise of one part in 10^9 forgiven (RULES.md).
WHERE untraceable - $untraceable_export_share > 1e-9 * CASE
  WHEN abs($untraceable_export_share) > 1.0 THEN abs($untraceable_export_share) ELSE 1.0 END
WITH x, r, untraceable, coalesce(r.mass_kg * coalesce(head(COLLECT {
      MATCH ()-[w:EXTRACTED|IMPORTED|YIELDED]->(l)
      WHERE w.reo_pct IS NOT NULL
      RETURN w.reo_pct ORDER BY w.date, w.upload_id, w.source_row
    }), r.reo_pct, typical[r.product]) / 100.0, 0.0) AS reo, l
// Per lot first: lot_id is the offending lot with the most untraceable REO (rounded to the gram
// so float noise never decides; ties: the smallest id), as in the Python detector.
WITH x, r.shipment_id AS shipment_id, l.id AS lot, min(r.period) AS period,
     sum(reo * untraceable) AS lot_reo, sum(reo) AS lot_total
ORDER BY round(lot_reo, 3) DESC, lot
WITH x, shipment_id, min(period) AS period, sum(lot_reo) AS reo, sum(lot_total) AS total,
     collect(lot) AS lots
RETURN 'UNTRACEABLE_EXPORT' AS type, period, x.id AS enterprise_id, lots[0] AS lot_id,
       shipment_id, null AS batch_id, null AS year, null AS activity, reo AS reo_kg,
       {total: total, lots: size(lots)} AS facts
ORDER BY shipment_id, enterprise_id
