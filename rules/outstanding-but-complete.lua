-- The tracker contradicts itself: listed as outstanding, said to be done.
return {
  id = "outstanding-but-complete",
  title = "Action listed as outstanding but said to be complete",
  severity = "low",
  category = "overdue",
  description = [[
Flags audit actions the tracker still lists as outstanding, live, not yet due,
extension requested or no action taken while their status says they are
implemented, complete or verified closed: one of the two is wrong, and the
committee's counts of outstanding actions are off until it is put right.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': listed as ' || position || ' but its status is ' || status
               AS message,
             area, owner, due, update_note AS evidence_update, position AS evidence_position,
             status AS evidence_status, action_id AS row_audit_actions
        FROM audit_actions
       WHERE position IN ('live', 'not yet due', 'extension requested', 'outstanding',
                          'no action taken')
         AND status IN ('implemented awaiting verification', 'complete', 'verified closed')
       ORDER BY action_id]])
  end,
}
