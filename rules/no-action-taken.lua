-- Actions the tracker itself says nobody has acted on.
return {
  id = "no-action-taken",
  title = "No action taken on an agreed action",
  severity = "medium",
  category = "overdue",
  description = [[
Flags audit actions the tracker lists under "no action taken" (position no
action taken) that are still open: management agreed them and has not
started. Whether they are past their date is the business of overdue-actions;
this rule reports the tracker's own statement.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': listed as no action taken'
               || coalesce(', due ' || due, '') AS message,
             area, owner, due, update_note AS evidence_update, position AS evidence_position,
             status AS evidence_status, action_id AS row_audit_actions
        FROM audit_actions
       WHERE open AND position = 'no action taken'
       ORDER BY action_id]])
  end,
}
