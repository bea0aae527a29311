-- Medium- and low-priority audit actions past their due date.
-- SQL only: the query does the work; the rule words the finding.
return {
  id = "overdue-actions",
  title = "Audit action overdue",
  severity = "medium",
  category = "overdue",
  description = [[
Flags every medium- or low-priority audit action that is not implemented,
verified, superseded or risk-accepted and whose current due date (the original
one if it was never revised) is more than grace_days before the evaluation
date. High-priority actions are flagged by high-priority-overdue.]],
  covers = { datasets = { "audit_actions" } },
  params = { grace_days = 0 },

  check = function(ctx)
    local sql = [[
      SELECT action_id, area, description, owner, priority, original_due,
             coalesce(current_due, original_due) AS due
        FROM audit_actions
       WHERE status IN ('not started', 'in progress') AND priority <> 'high'
         AND coalesce(current_due, original_due) < date(?, '-' || ? || ' days')
       ORDER BY action_id]]
    for a in ctx:rows(sql, ctx.as_of, ctx.params.grace_days) do
      local late = ctx:days_between(a.due, ctx.as_of)
      ctx:flag{
        subject = a.action_id,
        severity = a.priority == "low" and "low" or nil,
        message = string.format("%s: %d days past its due date", a.description, late),
        area = a.area,
        owner = a.owner,
        due = a.due,
        evidence = { priority = a.priority, original_due = a.original_due, days_late = late },
      }
    end
  end,
}
