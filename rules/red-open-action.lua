-- Actions the tracker itself rates red, once they are due.
return {
  id = "red-open-action",
  title = "Open action rated red",
  severity = "high",
  category = "overdue",
  description = [[
Flags open audit actions whose RAG status is at the bottom of its scale (Red,
or whatever label ranks 1) and that are past their due date or have none:
the owner or the auditor says the action is off track. Red actions not yet
due are told apart: many trackers rate new or unstarted items red until work
begins, so they are left out unless include_not_yet_due is true, and then
reported at low severity.]],
  covers = { datasets = { "audit_actions" } },
  params = { include_not_yet_due = false },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': rated ' || rag
               || CASE WHEN due < ?1 THEN ', and past its due date ' || due
                       WHEN due IS NOT NULL THEN ', though not due until ' || due
                       ELSE ', with no due date' END AS message,
             CASE WHEN due >= ?1 THEN 'low' END AS severity,
             area, owner, due, rag AS evidence_rag, update_note AS evidence_update,
             CASE WHEN due IS NOT NULL THEN CAST(julianday(?1) - julianday(due) AS INTEGER) END
               AS evidence_days_past_due, action_id AS row_audit_actions
        FROM audit_actions
       WHERE open AND rag_rank = 1 AND (due IS NULL OR due < ?1 OR ?2)
       ORDER BY action_id]], ctx.as_of, ctx.params.include_not_yet_due)
  end,
}
