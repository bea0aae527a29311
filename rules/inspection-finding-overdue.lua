-- Inspectorate findings past their deadline.
local function days(n) return string.format("%d day%s", n, n == 1 and "" or "s") end

return {
  id = "inspection-finding-overdue",
  title = "Inspectorate finding past its deadline",
  severity = "medium",
  category = "overdue",
  description = [[
Flags causes of concern, recommendations and areas for improvement that are
not complete or authorised for closure once their deadline has passed.
Causes of concern are high severity.]],
  covers = { datasets = { "inspection_findings" } },

  check = function(ctx)
    for f in ctx:rows([[
        SELECT finding_id, kind, area, owner, deadline
          FROM inspection_findings
         WHERE status NOT IN ('complete', 'authorised for closure') AND deadline < ?
         ORDER BY finding_id]], ctx.as_of) do
      ctx:flag{
        subject = f.finding_id,
        severity = f.kind == "cause of concern" and "high" or nil,
        message = string.format("%s %s past its deadline", f.kind,
                                days(ctx:days_between(f.deadline, ctx.as_of))),
        area = f.area, owner = f.owner, due = f.deadline,
        evidence = { kind = f.kind, deadline = f.deadline,
                     days_late = ctx:days_between(f.deadline, ctx.as_of) },
        rows = { { "inspection_findings", f.finding_id } },
      }
    end
  end,
}
