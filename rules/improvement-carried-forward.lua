-- Governance improvement actions carried over from an earlier year.
return {
  id = "improvement-carried-forward",
  title = "Governance improvement action carried forward",
  severity = "medium",
  category = "maturity",
  description = [[
Flags open governance improvement actions carried forward from an earlier
year's Annual Governance Statement, or marked carried forward: long-standing
weaknesses the board should see.]],
  covers = { datasets = { "improvement_actions" } },

  check = function(ctx)
    for a in ctx:rows([[
        SELECT action_id, principle, area, title, owner, target, status, carried_from
          FROM improvement_actions
         WHERE status <> 'complete' AND (status = 'carried forward' OR carried_from IS NOT NULL)
         ORDER BY action_id]]) do
      ctx:flag{
        subject = a.action_id,
        message = string.format("%s: carried forward%s (status: %s)", a.title,
                                a.carried_from and (" from " .. a.carried_from) or "", a.status),
        principle = a.principle, area = a.area, owner = a.owner, due = a.target,
        evidence = { status = a.status, carried_from = a.carried_from, target = a.target },
        rows = { { "improvement_actions", a.action_id } },
      }
    end
  end,
}
