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
             description || ': open ' || CAST(julianday(?1) - julianday(original_due) AS INTEGER)
               || ' days after its original due date ' || original_due AS message,
             area, owner, original_due AS due
        FROM audit_actions
       WHERE status IN ('not started', 'in progress')
         AND original_due < date(?1, '-' || ?2 || ' days')
       ORDER BY action_id]], ctx.as_of, ctx.params.max_days)
  end,
}
