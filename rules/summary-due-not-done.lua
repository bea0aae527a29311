-- Too few of the recommendations due in the period were implemented.
return {
  id = "summary-due-not-done",
  title = "Tracker summary shows recommendations due but not done",
  severity = "medium",
  category = "overdue",
  description = [[
Flags each row of a provider's latest tracker summary (on or before the
evaluation date) where, of the recommendations due for implementation in the
period, the share implemented is below min_rate (a fraction: 0.8 is four in
five).]],
  covers = { datasets = { "tracker_summaries" } },
  params = { min_rate = 0.8 },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT 'report of ' || report_date || coalesce(', ' || provider, '')
               || coalesce(', ' || scope, '') AS subject,
             coalesce(provider || ' ', '') || 'report of ' || report_date
               || coalesce(' (' || scope || ')', '') || ': ' || done || ' of ' || due
               || ' due for implementation were done ('
               || CAST(round(100.0 * done / due) AS INTEGER) || '%)' AS message,
             due AS evidence_due, done AS evidence_done
        FROM tracker_summaries t
       WHERE due > 0 AND done IS NOT NULL AND 1.0 * done / due < ?2 AND reported_from <= ?1
         AND report_date = (SELECT max(report_date) FROM tracker_summaries u
                             WHERE coalesce(u.provider, '') = coalesce(t.provider, '')
                               AND u.reported_from <= ?1)
       ORDER BY subject]], ctx.as_of, ctx.params.min_rate)
  end,
}
