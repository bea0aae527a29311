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
      SELECT report AS subject,
             report || ': ' || no_action || coalesce(' of ' || total, '')
               || ' with no action taken' AS message,
             no_action AS evidence_no_action, total AS evidence_total,
             reported_from AS evidence_reported_from, _line AS row_tracker_summaries
        FROM ]] .. ctx:latest("tracker_summaries", "reported_from", "provider") .. [[
       WHERE no_action > 0
       ORDER BY subject]])
  end,
}
