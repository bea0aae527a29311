-- Open actions nobody owns, or with no due date.
return {
  id = "action-without-owner-or-date",
  title = "Action without an owner or a due date",
  severity = "medium",
  category = "overdue",
  description = [[
Flags open audit actions with no named owner or no due date: they cannot be
chased, and will never show as overdue.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    for a in ctx:rows([[
        SELECT action_id, area, description, owner, coalesce(current_due, original_due) AS due
          FROM audit_actions
         WHERE status IN ('not started', 'in progress')
           AND (owner IS NULL OR coalesce(current_due, original_due) IS NULL)
         ORDER BY action_id]]) do
      local missing = not a.owner and not a.due and "no owner and no due date"
        or not a.owner and "no owner" or "no due date"
      ctx:flag{ subject = a.action_id, message = a.description .. ": " .. missing,
                area = a.area, due = a.due }
    end
  end,
}
