// Quota burn-down: an enterprise's month-by-month use of its current quotas for one year, in
// tonnes REO - mining counts extracts, smelting counts the output of batches that consume a
// mineral product - with the running total and what is left.
// @param enterprise_id string the enterprise holding the quota
// @param year int the quota year
// @returns activity, period, used_t, cumulative_t, quota_t, remaining_t
MATCH (e:Enterprise {id: $enterprise_id})-[:HAS_QUOTA]->(q:Quota {current: true, year: $year})
WITH e, q.activity AS activity, sum(q.quota_t_reo) AS quota_t
CALL {
  WITH e, activity
  MATCH (e)-[r:EXTRACTED]->()
  WHERE activity = 'mining' AND r.date.year = $year
  RETURN r.period AS period, r.mass_kg * r.reo_pct / 100.0 AS reo
  UNION ALL
  WITH e, activity
  MATCH (e)-[:RAN]->(b:Batch)-[r:YIELDED]->()
  WHERE activity = 'smelting' AND r.date.year = $year
    AND EXISTS { MATCH (m:Lot)-[:INPUT_TO]->(b) WHERE m.family = 'mineral' }
  RETURN r.period AS period, r.mass_kg * r.reo_pct / 100.0 AS reo
}
WITH activity, quota_t, period, sum(reo) / 1000.0 AS used_t
ORDER BY activity, period
WITH activity, quota_t, collect({period: period, used_t: used_t}) AS months
UNWIND range(0, size(months) - 1) AS i
WITH activity, quota_t, months[i] AS m,
     reduce(total = 0.0, x IN months[0..i + 1] | total + x.used_t) AS cumulative_t
RETURN activity, m.period AS period, m.used_t AS used_t, cumulative_t, quota_t,
       quota_t - cumulative_t AS remaining_t
ORDER BY activity, period
