-- Report-level counts that show recommendations still outstanding.
return {
  id = "summary-outstanding",
  title = "Tracker summary shows outstanding recommendations",
  severity = "low",
  category = "overdue",
  description = [[
Flags each row of a provider's latest tracker summary (on or before the
evaluation date) that counts recommendations outstanding or overdue. Where a
report says only how many of how many are resolved ("18 of 46 resolved") and
gives no other count, the rest are outstanding. Overdue ones make it medium.
For trackers that give only counts, this is how outstanding actions reach the
exception list; trackers that list every action are better checked by the
action rules.]],
  covers = { datasets = { "tracker_summaries" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT 'report of ' || report_date || coalesce(', ' || provider, '')
               || coalesce(', ' || scope, '') AS subject,
             coalesce(provider || ' ', '') || 'report of ' || report_date
               || coalesce(' (' || scope || ')', '') || ': '
               || coalesce(outstanding || ' outstanding', derived || ' of ' || total || ' not resolved',
                           '')
               || CASE WHEN coalesce(outstanding, derived) IS NOT NULL AND overdue > 0 THEN ', '
                       ELSE '' END
               || CASE WHEN overdue > 0 THEN overdue || ' past their date' ELSE '' END AS message,
             CASE WHEN overdue > 0 THEN 'medium' END AS severity,
             outstanding AS evidence_outstanding, overdue AS evidence_overdue,
             total AS evidence_total
        FROM (SELECT *,
                     CASE WHEN outstanding IS NULL AND overdue IS NULL AND not_yet_due IS NULL
                               AND no_action IS NULL AND partly_implemented IS NULL
                          THEN total - completed - coalesce(superseded, 0)
                               - coalesce(pending_evidence, 0) END AS derived
                FROM tracker_summaries t
               WHERE reported_from <= ?1
                 AND report_date = (SELECT max(report_date) FROM tracker_summaries u
                                     WHERE coalesce(u.provider, '') = coalesce(t.provider, '')
                                       AND u.reported_from <= ?1))
       WHERE outstanding > 0 OR overdue > 0 OR derived > 0
       ORDER BY subject]], ctx.as_of)
  end,
}
