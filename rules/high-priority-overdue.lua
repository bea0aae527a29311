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
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': high priority, ' || CAST(julianday(?1) - julianday(due) AS INTEGER)
               || ' days past its due date' AS message,
             area, owner, due
        FROM (SELECT *, coalesce(current_due, original_due) AS due FROM audit_actions)
       WHERE priority = 'high' AND status IN ('not started', 'in progress') AND due < ?1
       ORDER BY action_id]], ctx.as_of)
  end,
}
