-- Open actions nobody owns, or with no due date.
return {
  id = "action-without-owner-or-date",
  title = "Action without an owner or a due date",
  severity = "medium",
  category = "overdue",
  description = [[
Flags open audit actions with no named owner or no due date: they cannot be
chased, and will never show as overdue. A tracker that does not keep owners
(the map says owner is not captured) is not flagged for lacking them, nor one
that keeps no due dates for lacking those.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    local owners = ctx:captured("audit_actions", "owner")
    local dates = ctx:captured("audit_actions", "original_due")
      or ctx:captured("audit_actions", "current_due")
    for a in ctx:rows([[
        SELECT action_id, area, description, owner, due
          FROM audit_actions
         WHERE open AND ((?1 AND owner IS NULL) OR (?2 AND due IS NULL))
         ORDER BY action_id]], owners, dates) do
      local no_owner, no_date = owners and not a.owner, dates and not a.due
      local missing = no_owner and no_date and "no owner and no due date"
        or no_owner and "no owner" or "no due date"
      ctx:flag{ subject = a.action_id, message = a.description .. ": " .. missing,
                area = a.area, due = a.due,
                evidence = { owner_missing = no_owner and true or false,
                             due_missing = no_date and true or false,
                             owner_captured = owners, due_captured = dates and true or false },
                rows = { { "audit_actions", a.action_id } } }
    end
  end,
}
