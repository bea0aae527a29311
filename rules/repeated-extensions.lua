-- Actions whose due date has been moved again and again.
return {
  id = "repeated-extensions",
  title = "Action extended repeatedly",
  severity = "medium",
  category = "overdue",
  description = [[
Flags open audit actions whose due date has been moved max_extensions times
or more, counting every revision in action_revisions that changed the date
(or the tracker's own extensions count, if higher).]],
  covers = { datasets = { "audit_actions", "action_revisions" } },
  params = { max_extensions = 2 },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': due date moved ' || moves || ' times'
               || coalesce(', from ' || original_due, '') || coalesce(' to ' || due, '')
               AS message,
             area, owner, due, moves AS evidence_extensions, extensions AS evidence_extensions_field,
             (SELECT count(*) FROM action_revisions r WHERE r.action_id = t.action_id
                 AND r.to_due <> r.from_due) AS evidence_revisions_moving_date,
             original_due AS evidence_original_due, action_id AS row_audit_actions
        FROM (SELECT a.*,
                     max(coalesce(a.extensions, 0),
                         (SELECT count(*) FROM action_revisions r
                           WHERE r.action_id = a.action_id AND r.to_due <> r.from_due)) AS moves
                FROM audit_actions a
               WHERE a.open) t
       WHERE moves >= ?
       ORDER BY action_id]], ctx.params.max_extensions)
  end,
}
