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
    for a in ctx:rows([[
        SELECT a.action_id, a.area, a.description, a.owner, a.original_due,
               coalesce(a.current_due, a.original_due) AS due,
               max(coalesce(a.extensions, 0),
                   (SELECT count(*) FROM action_revisions r
                     WHERE r.action_id = a.action_id AND r.to_due <> r.from_due)) AS moves
          FROM audit_actions a
         WHERE a.status IN ('not started', 'in progress')
           AND moves >= ?
         ORDER BY a.action_id]], ctx.params.max_extensions) do
      ctx:flag{
        subject = a.action_id,
        message = string.format("%s: due date moved %d times, from %s to %s", a.description,
                                a.moves, a.original_due, a.due),
        area = a.area, owner = a.owner, due = a.due,
        evidence = { extensions = a.moves },
      }
    end
  end,
}
