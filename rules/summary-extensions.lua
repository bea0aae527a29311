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
      SELECT report AS subject,
             report || ': ' || extensions_requested
               || CASE extensions_requested WHEN 1 THEN ' extension' ELSE ' extensions' END
               || ' requested' AS message,
             extensions_requested AS evidence_extensions_requested,
             reported_from AS evidence_reported_from, _line AS row_tracker_summaries
        FROM ]] .. ctx:latest("tracker_summaries", "reported_from", "provider") .. [[
       WHERE extensions_requested > 0
       ORDER BY subject]])
  end,
}
