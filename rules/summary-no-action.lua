-- Report-level counts of recommendations nobody has acted on.
return {
  id = "summary-no-action",
  title = "Tracker summary shows recommendations with no action taken",
  severity = "medium",
  category = "overdue",
  description = [[
Flags each row of a provider's latest tracker summary (on or before the
evaluation date) that counts recommendations on which no action has been
taken within the timetable agreed: management accepted them and has not
started.]],
  covers = { datasets = { "tracker_summaries" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT 'report of ' || report_date || coalesce(', ' || provider, '')
               || coalesce(', ' || scope, '') AS subject,
             coalesce(provider || ' ', '') || 'report of ' || report_date
               || coalesce(' (' || scope || ')', '') || ': ' || no_action
               || coalesce(' of ' || total, '') || ' with no action taken' AS message,
             no_action AS evidence_no_action, total AS evidence_total
        FROM tracker_summaries t
       WHERE no_action > 0 AND reported_from <= ?1
         AND report_date = (SELECT max(report_date) FROM tracker_summaries u
                             WHERE coalesce(u.provider, '') = coalesce(t.provider, '')
                               AND u.reported_from <= ?1)
       ORDER BY subject]], ctx.as_of)
  end,
}
