-- Actions taken off the tracker before they were done.
return {
  id = "removed-without-completion",
  title = "Action removed from the tracker without being completed",
  severity = "medium",
  category = "overdue",
  description = [[
Flags audit actions the tracker lists as removed (for a further review, say)
or deleted while their status says they are not done (not started or in
progress), or gives no status at all: an action that leaves the tracker
without being implemented, superseded or risk-accepted is no longer chased,
and the risk it answered is still there.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': ' ||
               CASE position WHEN 'deleted' THEN 'deleted from the tracker'
                             ELSE 'removed from the tracker for review' END
               || CASE WHEN status IS NULL THEN ' without being completed'
                       ELSE ' while ' || status END AS message,
             area, owner, due, update_note AS evidence_update, position AS evidence_position,
             status AS evidence_status, action_id AS row_audit_actions
        FROM audit_actions
       WHERE position IN ('removed for review', 'deleted')
         AND (status IS NULL OR status IN ('not started', 'in progress'))
       ORDER BY action_id]])
  end,
}
