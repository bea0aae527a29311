-- Actions management calls implemented that nobody has verified.
return {
  id = "implemented-unverified",
  title = "Action implemented but not verified",
  severity = "medium",
  category = "overdue",
  description = [[
Flags actions marked implemented awaiting verification for more than max_days
since they were implemented: implementation is management's claim; closure
needs internal audit's verification.]],
  covers = { datasets = { "audit_actions" } },
  params = { max_days = 90 },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': implemented ' || coalesce(implemented_on, 'on an unrecorded date')
               || ', still not verified after '
               || coalesce(CAST(julianday(?1) - julianday(implemented_on) AS INTEGER), ?2)
               || ' days' AS message,
             area, owner
        FROM audit_actions
       WHERE status = 'implemented awaiting verification'
         AND coalesce(implemented_on, original_due) < date(?1, '-' || ?2 || ' days')
       ORDER BY action_id]], ctx.as_of, ctx.params.max_days)
  end,
}
