-- Risk maturity that has not risen since the last assessment.
return {
  id = "maturity-not-improving",
  title = "Risk maturity not improving",
  severity = "medium",
  category = "maturity",
  description = [[
Compares each scope's latest maturity assessment with the one before it and
flags the scope when the level has not risen (and is below the top level, 5).]],
  covers = { datasets = { "maturity_assessments" } },

  check = function(ctx)
    for m in ctx:rows([[
        SELECT cur.scope, cur.level, cur.assessed_on, prev.level AS before,
               prev.assessed_on AS before_on
          FROM maturity_assessments cur
          JOIN maturity_assessments prev ON prev.scope = cur.scope
         WHERE cur.assessed_on = (SELECT max(assessed_on) FROM maturity_assessments
                                   WHERE scope = cur.scope AND assessed_on <= ?1)
           AND prev.assessed_on = (SELECT max(assessed_on) FROM maturity_assessments
                                    WHERE scope = cur.scope AND assessed_on < cur.assessed_on)
           AND cur.level <= prev.level AND cur.level < 5
         ORDER BY cur.scope]], ctx.as_of) do
      ctx:flag{
        subject = m.scope,
        message = string.format("risk maturity level %d on %s, %s level %d on %s", m.level,
                                m.assessed_on, m.level < m.before and "down from" or "no higher than",
                                m.before, m.before_on),
        evidence = { level = m.level, previous = m.before, assessed_on = m.assessed_on,
                     previous_on = m.before_on },
        rows = { { "maturity_assessments", m.scope .. ", " .. m.assessed_on },
                 { "maturity_assessments", m.scope .. ", " .. m.before_on } },
      }
    end
  end,
}
