-- The latest risk maturity assessment below its target level.
return {
  id = "maturity-below-target",
  title = "Risk maturity below target",
  severity = "medium",
  category = "maturity",
  description = [[
Takes the most recent maturity assessment of each scope (IIA levels 1 to 5)
and flags it when its level is below its target level, or below min_level
when no target is recorded.]],
  covers = { datasets = { "maturity_assessments" } },
  params = { min_level = 4 },

  check = function(ctx)
    local sql = [[
      SELECT scope, assessor, assessed_on, level, band, target_level
        FROM maturity_assessments m
       WHERE assessed_on = (SELECT max(assessed_on) FROM maturity_assessments
                             WHERE scope = m.scope AND assessed_on <= ?)
       ORDER BY scope]]
    for m in ctx:rows(sql, ctx.as_of) do
      local target = m.target_level or ctx.params.min_level
      if m.level < target then
        ctx:flag{
          subject = m.scope,
          message = string.format("risk maturity level %d%s (%s, %s) is below the target of %d",
                                  m.level, m.band and (" (" .. m.band .. ")") or "",
                                  m.assessor, m.assessed_on, target),
          evidence = { level = m.level, target = target, assessed_on = m.assessed_on,
                       target_from = m.target_level and "assessment" or "min_level" },
          rows = { { "maturity_assessments", m.scope .. ", " .. m.assessed_on } },
        }
      end
    end
  end,
}
