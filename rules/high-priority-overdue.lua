-- High-priority audit actions past their due date.
return {
  id = "high-priority-overdue",
  title = "High-priority audit action overdue",
  severity = "high",
  category = "overdue",
  description = [[
Flags every high-priority audit action not yet implemented whose current due
date (the original one if never revised) has passed. Boards track these
individually.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    for a in ctx:rows([[
        SELECT action_id, area, description, owner, coalesce(current_due, original_due) AS due
          FROM audit_actions
         WHERE priority = 'high' AND status IN ('not started', 'in progress')
           AND coalesce(current_due, original_due) < ?
         ORDER BY action_id]], ctx.as_of) do
      ctx:flag{
        subject = a.action_id,
        message = string.format("%s: high priority, %d days past its due date", a.description,
                                ctx:days_between(a.due, ctx.as_of)),
        area = a.area, owner = a.owner, due = a.due,
      }
    end
  end,
}
