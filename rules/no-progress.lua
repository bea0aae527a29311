-- Open actions that are not moving.
-- Mixed: SQL finds the actions; with run history, the previous snapshot says
-- what they looked like at the last import.
return {
  id = "no-progress",
  title = "Action making no progress",
  severity = "medium",
  category = "overdue",
  description = [[
Flags open audit actions that are not moving, in either of two ways:
- the percent complete is more than max_gap percentage points behind the
  share of the time from agreement (agreed_on) to the due date that has
  gone by: 10% complete with 80% of the time gone;
- once an earlier import of the tracker is kept (the previous snapshot),
  nothing the tracker says about the action -- percent complete, update,
  date of update -- has changed since that import, at least min_days ago.
Actions with neither a percent complete nor an update are left to the other
rules: there is nothing to compare.]],
  covers = { datasets = { "audit_actions" } },
  params = { max_gap = 50, min_days = 60 },

  check = function(ctx)
    local flagged = {}
    for a in ctx:rows([[
        SELECT action_id, area, owner, due, description, percent_complete, elapsed
          FROM (SELECT *, 100.0 * min(max(julianday(?1) - julianday(agreed_on), 0),
                                      julianday(due) - julianday(agreed_on))
                          / (julianday(due) - julianday(agreed_on)) AS elapsed
                  FROM audit_actions
                 WHERE open AND percent_complete IS NOT NULL AND due > agreed_on)
         WHERE elapsed - percent_complete > ?2
         ORDER BY action_id]], ctx.as_of, ctx.params.max_gap) do
      flagged[a.action_id] = true
      ctx:flag{
        subject = a.action_id,
        message = string.format("%s: %d%% complete with %d%% of the time to %s gone",
                                a.description, math.floor(a.percent_complete + 0.5),
                                math.floor(a.elapsed + 0.5), a.due),
        area = a.area, owner = a.owner, due = a.due,
        evidence = { percent_complete = a.percent_complete,
                     time_elapsed_pct = math.floor(a.elapsed * 10 + 0.5) / 10,
                     gap_pct = math.floor((a.elapsed - a.percent_complete) * 10 + 0.5) / 10 },
        rows = { { "audit_actions", a.action_id } },
      }
    end
    local prev, since = ctx:previous("audit_actions")
    if not prev or ctx:days_between(since, ctx.as_of) < ctx.params.min_days then
      return
    end
    for a in ctx:rows([[
        SELECT a.action_id, a.area, a.owner, a.due, a.description, a.last_update
          FROM audit_actions a JOIN ]] .. prev .. [[ p USING (action_id)
         WHERE a.open
           AND (a.percent_complete IS NOT NULL OR a.update_note IS NOT NULL
                OR a.last_update IS NOT NULL)
           AND a.percent_complete IS p.percent_complete AND a.update_note IS p.update_note
           AND a.last_update IS p.last_update
         ORDER BY a.action_id]]) do
      if not flagged[a.action_id] then
        ctx:flag{
          subject = a.action_id,
          message = string.format("%s: nothing has changed since the tracker of %s%s",
                                  a.description, since,
                                  a.last_update and " (last update " .. a.last_update .. ")" or ""),
          area = a.area, owner = a.owner, due = a.due,
          evidence = { previous = since, last_update = a.last_update,
                       days_since_previous = ctx:days_between(since, ctx.as_of) },
          rows = { { "audit_actions", a.action_id } },
        }
      end
    end
  end,
}
