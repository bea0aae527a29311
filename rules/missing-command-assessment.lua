-- Commands with no Command Assessment of Standards for the last quarter.
return {
  id = "missing-command-assessment",
  title = "Command Assessment of Standards missing",
  severity = "medium",
  category = "gap",
  description = [[
For the last complete fiscal quarter before the evaluation date, flags each
command (a unit of kind 'command') with no Command Assessment of Standards
return. Quarters that start before first_due, when the assessments began,
are not checked.]],
  covers = { datasets = { "command_assessments" } },
  params = { first_due = "2022-07-01", unit_kind = "command" },

  check = function(ctx)
    local start = ctx:quarter_bounds(ctx:add_months(ctx.as_of, -3))
    if start < ctx.params.first_due then return end
    local quarter = ctx:quarter(start)
    for _, unit in ipairs(ctx.map.units) do
      if unit.kind == ctx.params.unit_kind then
        local n = ctx:one("SELECT count(*) FROM command_assessments WHERE unit = ? AND quarter = ?",
                          unit.id, quarter)
        if n == 0 then
          ctx:flag{
            subject = unit.id .. "/" .. quarter,
            message = string.format("%s has no Command Assessment of Standards for %s",
                                    unit.name, quarter),
            unit = unit.id,
            evidence = { quarter = quarter, quarter_start = start, assessments_found = n,
                         unit_kind = unit.kind },
            rows = { { "map.units", unit.id } },
          }
        end
      end
    end
  end,
}
