-- Extensions of due dates the committee should see.
return {
  id = "extension-requested",
  title = "Extension of an action's due date",
  severity = "low",
  category = "overdue",
  description = [[
Flags open audit actions whose due date has been moved, or for which the
tracker lists an extension as requested, while neither the original nor the
new date has passed: committees are asked to note or approve revised dates.
Once the original date has passed the action is flagged by
overdue-against-original instead, and once the new date has passed too, by
overdue-actions; repeated-extensions flags actions moved again and again.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': ' ||
               CASE WHEN current_due > original_due
                    THEN 'due date moved from ' || original_due || ' to ' || current_due
                    WHEN due IS NOT NULL THEN 'an extension is requested; due ' || due
                    ELSE 'an extension is requested' END AS message,
             area, owner, due,
             original_due AS evidence_original_due, current_due AS evidence_current_due,
             position AS evidence_position, action_id AS row_audit_actions
        FROM audit_actions
       WHERE open AND extended
         AND coalesce(original_due >= ?1, 1) AND coalesce(due >= ?1, 1)
       ORDER BY action_id]], ctx.as_of)
  end,
}
