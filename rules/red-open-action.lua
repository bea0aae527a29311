-- Actions the tracker itself rates red.
return {
  id = "red-open-action",
  title = "Open action rated red",
  severity = "high",
  category = "overdue",
  description = [[
Flags open audit actions whose RAG status is at the bottom of its scale (Red,
or whatever label ranks 1): the owner or the auditor says the action is off
track, whatever its dates say.]],
  covers = { datasets = { "audit_actions" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': rated ' || rag
               || CASE WHEN due < ?1 THEN ', and past its due date ' || due
                       WHEN due IS NOT NULL THEN ', due ' || due ELSE '' END AS message,
             area, owner, due, rag AS evidence_rag, update_note AS evidence_update
        FROM audit_actions
       WHERE open AND rag_rank = 1
       ORDER BY action_id]], ctx.as_of)
  end,
}
