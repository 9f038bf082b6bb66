// An enterprise's monthly REO balance for one year: REO in (extract, import, produce, receive),
// REO out (ship, export, consume, loss), declared closing stock, and in - out. REO of a row is
// mass_kg x the lot's REO % (from its creating event), else the row's own REO %.
// @param enterprise_id string the enterprise
// @param year int calendar year, e.g. 2024
// @returns period, reo_in_kg, reo_out_kg, net_kg, declared_stock_reo_kg, events
MATCH (e:Enterprise {id: $enterprise_id})
CALL {
  WITH e
  MATCH (e)-[r:EXTRACTED|IMPORTED|SENT|RECEIVED|EXPORTED|LOST|HELD]->()
  RETURN r
  UNION ALL
  WITH e
  MATCH (e)-[:RAN]->(:Batch)-[r:YIELDED]->()
  RETURN r
  UNION ALL
  WITH e
  MATCH (e)-[:RAN]->(:Batch)<-[r:INPUT_TO]-()
  RETURN r
}
WITH r WHERE r.period STARTS WITH toString($year) + '-'
OPTIONAL MATCH (l:Lot {id: r.lot_id})
WITH r.period AS period, r.event_type AS kind,
     r.mass_kg * coalesce(l.reo_pct, r.reo_pct, 0.0) / 100.0 AS reo
WITH period,
     sum(CASE WHEN kind IN ['extract', 'import', 'produce', 'receive'] THEN reo ELSE 0.0 END)
       AS reo_in_kg,
     sum(CASE WHEN kind IN ['ship', 'export', 'consume', 'loss'] THEN reo ELSE 0.0 END)
       AS reo_out_kg,
     sum(CASE WHEN kind = 'stock' THEN reo ELSE 0.0 END) AS declared_stock_reo_kg,
     count(*) AS events
RETURN period, reo_in_kg, reo_out_kg, reo_in_kg - reo_out_kg AS net_kg, declared_stock_reo_kg,
       events
ORDER BY period
