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
      SELECT report AS subject,
             report || ': ' || done || ' of ' || due || ' due for implementation were done ('
               || CAST(round(100.0 * done / due) AS INTEGER) || '%)' AS message,
             due AS evidence_due, done AS evidence_done,
             round(1.0 * done / due, 4) AS evidence_rate, reported_from AS evidence_reported_from,
             _line AS row_tracker_summaries
        FROM ]] .. ctx:latest("tracker_summaries", "reported_from", "provider") .. [[
       WHERE due > 0 AND done IS NOT NULL AND 1.0 * done / due < ?
       ORDER BY subject]], ctx.params.min_rate)
  end,
}
