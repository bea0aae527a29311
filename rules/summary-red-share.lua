-- Too large a share of a tracker's recommendations rated red.
return {
  id = "summary-red-share",
  title = "Tracker summary rates too many recommendations red",
  severity = "medium",
  category = "overdue",
  description = [[
Flags each row of a provider's latest tracker summary (on or before the
evaluation date) where the recommendations rated red are more than max_share
(a fraction: 0.2 is a fifth) of those given a RAG rating.]],
  covers = { datasets = { "tracker_summaries" } },
  params = { max_share = 0.2 },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT report AS subject,
             report || ': ' || red || ' of ' || rated || ' rated red ('
               || CAST(round(100.0 * red / rated) AS INTEGER) || '%)' AS message,
             red AS evidence_red, rated AS evidence_rated,
             round(1.0 * red / rated, 4) AS evidence_share, reported_from AS evidence_reported_from,
             _line AS row_tracker_summaries
        FROM (SELECT *, coalesce(red, 0) + coalesce(amber, 0) + coalesce(green, 0) AS rated
                FROM ]] .. ctx:latest("tracker_summaries", "reported_from", "provider") .. [[)
       WHERE rated > 0 AND 1.0 * red / rated > ?
       ORDER BY subject]], ctx.params.max_share)
  end,
}
