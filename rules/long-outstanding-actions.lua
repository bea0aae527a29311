-- Actions still open long after they were first due.
return {
  id = "long-outstanding-actions",
  title = "Action long outstanding",
  severity = "high",
  category = "overdue",
  description = [[
Flags open audit actions whose original due date is more than max_days before
the evaluation date, whatever extensions they have had.]],
  covers = { datasets = { "audit_actions" } },
  params = { max_days = 365 },

  check = function(ctx)
    local cutoff = ctx:add_days(ctx.as_of, -ctx.params.max_days)
    for a in ctx:rows([[
        SELECT action_id, area, description, owner, original_due
          FROM audit_actions
         WHERE status IN ('not started', 'in progress') AND original_due < ?
         ORDER BY action_id]], cutoff) do
      ctx:flag{
        subject = a.action_id,
        message = string.format("%s: open %d days after its original due date %s",
                                a.description, ctx:days_between(a.original_due, ctx.as_of),
                                a.original_due),
        area = a.area, owner = a.owner, due = a.original_due,
      }
    end
  end,
}
