// Batches outside the recovery band: REO produced / REO consumed below `low` or above `high`
// (SPEC defaults 0.85 and 1.005). A batch with output and no input has ratio null and is listed.
// @param low float = 0.85 lowest plausible recovery
// @param high float = 1.005 highest plausible recovery
// @returns enterprise_id, batch_id, period, reo_consumed_kg, reo_produced_kg, recovery
MATCH (e:Enterprise)-[:RAN]->(b:Batch)
CALL {
  WITH b
  OPTIONAL MATCH (l:Lot)-[r:INPUT_TO]->(b)
  RETURN sum(r.mass_kg * coalesce(l.reo_pct, r.reo_pct, 0.0) / 100.0) AS consumed,
         max(r.period) AS last_in
}
CALL {
  WITH b
  OPTIONAL MATCH (b)-[r:YIELDED]->(:Lot)
  RETURN sum(r.mass_kg * coalesce(r.reo_pct, 0.0) / 100.0) AS produced, max(r.period) AS last_out
}
WITH e, b, consumed, produced, CASE WHEN last_out > last_in OR last_in IS NULL THEN last_out
  ELSE last_in END AS period,
     CASE WHEN consumed > 0 THEN produced / consumed ELSE null END AS recovery
WHERE recovery IS NULL OR recovery < $low OR recovery > $high
RETURN e.id AS enterprise_id, b.id AS batch_id, period, consumed AS reo_consumed_kg,
       produced AS reo_produced_kg, recovery
ORDER BY period, enterprise_id, batch_id
