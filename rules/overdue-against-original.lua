-- Actions kept "on time" only by moving the due date.
return {
  id = "overdue-against-original",
  title = "Action on time only by an extension",
  severity = "medium",
  category = "overdue",
  description = [[
Flags open audit actions whose latest agreed due date has not yet passed but
whose original due date has: on the tracker they look on time; against the
date management first agreed they are late, and the committee is being asked
to accept the new date. Extensions asked for before the original date passes
are flagged by extension-requested; actions past even the new date, by
overdue-actions.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    for a in ctx:rows([[
        SELECT action_id, area, description, owner, original_due, current_due
          FROM audit_actions
         WHERE open AND original_due < ?1 AND current_due >= ?1
         ORDER BY action_id]], ctx.as_of) do
      local late = ctx:days_between(a.original_due, ctx.as_of)
      ctx:flag{
        subject = a.action_id,
        message = string.format("%s: %d day%s past its original due date %s, now due %s",
                                a.description, late, late == 1 and "" or "s",
                                a.original_due, a.current_due),
        area = a.area, owner = a.owner, due = a.current_due,
        evidence = { original_due = a.original_due, current_due = a.current_due,
                     days_past_original = late },
        rows = { { "audit_actions", a.action_id } },
      }
    end
  end,
}
