-- Senior leaders' survey statements with low confidence.
return {
  id = "survey-confidence-low",
  title = "Low confidence in the senior leaders' survey",
  severity = "medium",
  category = "maturity",
  description = [[
In the latest year of the senior leaders' internal control survey, flags each
statement fewer than min_yes_pct per cent of leaders agreed with, or more
than max_no_pct per cent disagreed with. Both at once is high severity.]],
  covers = { datasets = { "survey_results" },
             principles = { "A", "B", "C", "D", "E", "F", "G" } },
  params = { min_yes_pct = 60, max_no_pct = 5 },

  check = function(ctx)
    for q in ctx:rows([[
        SELECT fiscal_year, question, principle, statement, yes_pct, partly_pct, no_pct
          FROM survey_results
         WHERE fiscal_year = (SELECT max(fiscal_year) FROM survey_results)
           AND (yes_pct < ?1 OR no_pct > ?2)
         ORDER BY CAST(substr(question, 2) AS INTEGER)]],
        ctx.params.min_yes_pct, ctx.params.max_no_pct) do
      local both = q.yes_pct < ctx.params.min_yes_pct and q.no_pct > ctx.params.max_no_pct
      ctx:flag{
        subject = q.fiscal_year .. "/" .. q.question,
        severity = both and "high" or nil,
        message = string.format("%s %s: yes %d%%, partly %d%%, no %d%%: %s", q.fiscal_year,
                                q.question, q.yes_pct, q.partly_pct, q.no_pct,
                                q.statement),
        principle = q.principle,
        evidence = { yes_pct = q.yes_pct, partly_pct = q.partly_pct, no_pct = q.no_pct,
                     yes_below_min = q.yes_pct < ctx.params.min_yes_pct,
                     no_above_max = q.no_pct > ctx.params.max_no_pct },
        rows = { { "survey_results", q.fiscal_year .. ", " .. q.question } },
      }
    end
  end,
}
