-- High-priority audit actions past their due date.
return {
  id = "high-priority-overdue",
  title = "High-priority audit action overdue",
  severity = "high",
  category = "overdue",
  description = [[
Flags every open high-priority audit action whose due date (the latest agreed
one, or the original if never moved) has passed. Boards track these
individually.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': high priority, ' || late
               || CASE late WHEN 1 THEN ' day' ELSE ' days' END
               || ' past its due date' AS message,
             area, owner, due, late AS evidence_days_late, priority AS evidence_priority,
             original_due AS evidence_original_due, action_id AS row_audit_actions
        FROM (SELECT *, CAST(julianday(?1) - julianday(due) AS INTEGER) AS late
                FROM audit_actions WHERE open AND priority = 'high')
       WHERE due < ?1
       ORDER BY action_id]], ctx.as_of)
  end,
}
