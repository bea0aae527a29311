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

  -- One query makes every finding (ctx:flag_rows): no Lua runs per row.
  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': ' || CAST(julianday(?1) - julianday(due) AS INTEGER)
               || ' days past its due date' AS message,
             CASE priority WHEN 'low' THEN 'low' END AS severity,
             area, owner, due,
             priority AS evidence_priority, original_due AS evidence_original_due,
             CAST(julianday(?1) - julianday(due) AS INTEGER) AS evidence_days_late
        FROM (SELECT *, coalesce(current_due, original_due) AS due FROM audit_actions)
       WHERE status IN ('not started', 'in progress') AND priority <> 'high'
         AND due < date(?1, '-' || ?2 || ' days')
       ORDER BY action_id]], ctx.as_of, ctx.params.grace_days)
  end,
}
