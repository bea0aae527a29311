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
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': open ' || late || CASE late WHEN 1 THEN ' day' ELSE ' days' END
               || ' after its original due date ' || original_due AS message,
             area, owner, original_due AS due, late AS evidence_days_late,
             current_due AS evidence_current_due, status AS evidence_status,
             action_id AS row_audit_actions
        FROM (SELECT *, CAST(julianday(?1) - julianday(original_due) AS INTEGER) AS late
                FROM audit_actions WHERE open)
       WHERE original_due < date(?1, '-' || ?2 || ' days')
       ORDER BY action_id]], ctx.as_of, ctx.params.max_days)
  end,
}
