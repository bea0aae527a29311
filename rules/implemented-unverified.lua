-- Actions management calls implemented that nobody has verified.
return {
  id = "implemented-unverified",
  title = "Action implemented but not verified",
  severity = "medium",
  category = "overdue",
  description = [[
Flags actions marked implemented awaiting verification for more than max_days
since they were implemented (or, with no implementation date, since they were
due): implementation is management's claim; closure needs internal audit's
verification.]],
  covers = { datasets = { "audit_actions" } },
  params = { max_days = 90 },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT action_id AS subject,
             description || ': implemented ' || coalesce(implemented_on, 'on an unrecorded date')
               || ', still not verified after ' || waited
               || CASE waited WHEN 1 THEN ' day' ELSE ' days' END AS message,
             area, owner, implemented_on AS evidence_implemented_on,
             CASE WHEN implemented_on IS NULL THEN due END AS evidence_counted_from_due,
             waited AS evidence_days_waiting, action_id AS row_audit_actions
        FROM (SELECT *, CAST(julianday(?1) - julianday(coalesce(implemented_on, due)) AS INTEGER)
                          AS waited
                FROM audit_actions WHERE status = 'implemented awaiting verification')
       WHERE waited > ?2
       ORDER BY action_id]], ctx.as_of, ctx.params.max_days)
  end,
}
