-- Inspectorate findings whose quarterly update is overdue.
local function days(n) return string.format("%d day%s", n, n == 1 and "" or "s") end

return {
  id = "inspection-update-stale",
  title = "Inspectorate finding without a recent update",
  severity = "low",
  category = "overdue",
  description = [[
Owners give a progress update on every open inspectorate finding each
quarter. Flags open findings whose last update is more than max_days old,
or that have never had one.]],
  covers = { datasets = { "inspection_findings" } },
  params = { max_days = 100 },

  check = function(ctx)
    local cutoff = ctx:add_days(ctx.as_of, -ctx.params.max_days)
    for f in ctx:rows([[
        SELECT finding_id, kind, area, owner, last_update
          FROM inspection_findings
         WHERE status NOT IN ('complete', 'authorised for closure')
           AND (last_update IS NULL OR last_update < ?)
         ORDER BY finding_id]], cutoff) do
      ctx:flag{
        subject = f.finding_id,
        message = f.last_update
          and string.format("%s last updated %s, %s ago", f.kind, f.last_update,
                            days(ctx:days_between(f.last_update, ctx.as_of)))
          or f.kind .. " has never had a progress update",
        area = f.area, owner = f.owner,
        evidence = { kind = f.kind, last_update = f.last_update, cutoff = cutoff,
                     days_since_update = f.last_update and ctx:days_between(f.last_update, ctx.as_of)
                       or nil },
        rows = { { "inspection_findings", f.finding_id } },
      }
    end
  end,
}
