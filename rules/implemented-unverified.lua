-- Actions management calls implemented that nobody has verified.
return {
  id = "implemented-unverified",
  title = "Action implemented but not verified",
  severity = "medium",
  category = "overdue",
  description = [[
Flags actions marked implemented awaiting verification for more than max_days
since they were implemented: implementation is management's claim; closure
needs internal audit's verification.]],
  covers = { datasets = { "audit_actions" } },
  params = { max_days = 90 },

  check = function(ctx)
    local cutoff = ctx:add_days(ctx.as_of, -ctx.params.max_days)
    for a in ctx:rows([[
        SELECT action_id, area, description, owner, implemented_on
          FROM audit_actions
         WHERE status = 'implemented awaiting verification'
           AND coalesce(implemented_on, original_due) < ?
         ORDER BY action_id]], cutoff) do
      ctx:flag{
        subject = a.action_id,
        message = string.format("%s: implemented %s, still not verified after %d days",
                                a.description, a.implemented_on or "on an unrecorded date",
                                a.implemented_on and ctx:days_between(a.implemented_on, ctx.as_of)
                                  or ctx.params.max_days),
        area = a.area, owner = a.owner,
      }
    end
  end,
}
