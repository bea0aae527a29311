-- Report-level counts that show recommendations still outstanding.
return {
  id = "summary-outstanding",
  title = "Tracker summary shows outstanding recommendations",
  severity = "low",
  category = "overdue",
  description = [[
Flags each row of a provider's latest tracker summary (on or before the
evaluation date) that counts recommendations outstanding, overdue or only
partly implemented. Where a report says only how many of how many are
resolved ("18 of 46 resolved") and gives no other count, the rest are
outstanding. Overdue ones make it medium. For trackers that give only
counts, this is how outstanding actions reach the exception list; trackers
that list every action are better checked by the action rules.]],
  covers = { datasets = { "tracker_summaries" } },

  check = function(ctx)
    for r in ctx:rows([[
        SELECT _line, report, reported_from, total, completed, outstanding, overdue,
               partly_implemented, derived
          FROM (SELECT *,
                       CASE WHEN outstanding IS NULL AND overdue IS NULL AND not_yet_due IS NULL
                                 AND no_action IS NULL AND partly_implemented IS NULL
                            THEN total - completed - coalesce(superseded, 0)
                                 - coalesce(pending_evidence, 0) END AS derived
                  FROM ]] .. ctx:latest("tracker_summaries", "reported_from", "provider") .. [[)
         WHERE outstanding > 0 OR overdue > 0 OR partly_implemented > 0 OR derived > 0
         ORDER BY report]]) do
      local said = {}
      if r.outstanding and r.outstanding > 0 then said[#said + 1] = r.outstanding .. " outstanding" end
      if r.derived then said[#said + 1] = r.derived .. " of " .. r.total .. " not resolved" end
      if r.overdue and r.overdue > 0 then said[#said + 1] = r.overdue .. " past their date" end
      if r.partly_implemented and r.partly_implemented > 0 then
        said[#said + 1] = r.partly_implemented .. " only partly implemented"
      end
      ctx:flag{
        subject = r.report,
        message = r.report .. ": " .. table.concat(said, ", "),
        severity = (r.overdue or 0) > 0 and "medium" or nil,
        evidence = { outstanding = r.outstanding, overdue = r.overdue,
                     partly_implemented = r.partly_implemented, total = r.total,
                     completed = r.completed, not_resolved = r.derived,
                     reported_from = r.reported_from },
        rows = { { "tracker_summaries", tostring(r._line) } },
      }
    end
  end,
}
