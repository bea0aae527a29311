-- Report-level counts of extensions asked for.
return {
  id = "summary-extensions",
  title = "Tracker summary shows extensions requested",
  severity = "low",
  category = "overdue",
  description = [[
Flags each row of a provider's latest tracker summary (on or before the
evaluation date) that counts recommendations whose owners have asked for
more time: the committee is asked to approve revised dates, and every
extension is a recommendation not done when promised.]],
  covers = { datasets = { "tracker_summaries" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT 'report of ' || report_date || coalesce(', ' || provider, '')
               || coalesce(', ' || scope, '') AS subject,
             coalesce(provider || ' ', '') || 'report of ' || report_date
               || coalesce(' (' || scope || ')', '') || ': ' || extensions_requested
               || CASE extensions_requested WHEN 1 THEN ' extension' ELSE ' extensions' END
               || ' requested' AS message,
             extensions_requested AS evidence_extensions_requested
        FROM tracker_summaries t
       WHERE extensions_requested > 0 AND reported_from <= ?1
         AND report_date = (SELECT max(report_date) FROM tracker_summaries u
                             WHERE coalesce(u.provider, '') = coalesce(t.provider, '')
                               AND u.reported_from <= ?1)
       ORDER BY subject]], ctx.as_of)
  end,
}
