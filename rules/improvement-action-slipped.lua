-- Governance improvement actions that have slipped.
return {
  id = "improvement-action-slipped",
  title = "Governance improvement action slipped",
  severity = "medium",
  category = "maturity",
  description = [[
Flags governance improvement plan actions marked slipped, and those still not
started or on track after their target date.]],
  covers = { datasets = { "improvement_actions" } },

  check = function(ctx)
    for a in ctx:rows([[
        SELECT action_id, principle, area, title, owner, target, status
          FROM improvement_actions
         WHERE status = 'slipped'
            OR (status IN ('not started', 'on track') AND target < ?)
         ORDER BY action_id]], ctx.as_of) do
      ctx:flag{
        subject = a.action_id,
        message = a.status == "slipped"
          and string.format("%s: slipped, now due %s (%s)", a.title, a.target or "?",
                            a.target and ctx:quarter(a.target) or "no date")
          or string.format("%s: still %s after its target date %s", a.title, a.status, a.target),
        principle = a.principle, area = a.area, owner = a.owner, due = a.target,
        evidence = { status = a.status, target = a.target,
                     days_past_target = a.target and ctx:days_between(a.target, ctx.as_of) or nil },
        rows = { { "improvement_actions", a.action_id } },
      }
    end
  end,
}
