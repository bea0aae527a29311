-- Medium- and low-priority audit actions past their due date.
-- SQL only: the query does the work; the rule words the finding.
return {
  id = "overdue-actions",
  title = "Audit action overdue",
  severity = "medium",
  category = "overdue",
  description = [[
Flags every open audit action (not started or in progress; with no status,
one the tracker does not list as completed, superseded or removed) that is not
high priority and whose due date -- the latest agreed one, or the original if
it was never moved -- is more than grace_days before the evaluation date.
High-priority actions are flagged by high-priority-overdue.]],
  covers = { datasets = { "audit_actions" } },
  params = { grace_days = 0 },

  -- One query makes every finding (ctx:flag_rows): no Lua runs per row.
  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': ' || late || CASE late WHEN 1 THEN ' day' ELSE ' days' END
               || ' past its due date' AS message,
             CASE priority WHEN 'low' THEN 'low' END AS severity,
             area, owner, due,
             priority AS evidence_priority, original_due AS evidence_original_due,
             late AS evidence_days_late, action_id AS row_audit_actions
        FROM (SELECT *, CAST(julianday(?1) - julianday(due) AS INTEGER) AS late
                FROM audit_actions
               WHERE open AND coalesce(priority, '') <> 'high')
       WHERE due < date(?1, '-' || ?2 || ' days')
       ORDER BY action_id]], ctx.as_of, ctx.params.grace_days)
  end,
}
