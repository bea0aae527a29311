-- Assurance older than the area allows in that line.
return {
  id = "stale-assurance",
  title = "Stale assurance",
  severity = "medium",
  category = "stale",
  description = [[
For each area and line with assurance evidence, takes the latest report and
flags it when it is older than the area's max_age_days for that line (or
default_max_age_days when the map gives none): the assurance no longer tells
the board how the control works today.]],
  covers = { datasets = { "assurance_evidence" } },
  params = { default_max_age_days = 730 },

  check = function(ctx)
    for e in ctx:rows([[
        SELECT e.area, s.line, max(e.reported_on) AS latest, group_concat(DISTINCT s.title) AS sources
          FROM assurance_evidence e JOIN map_sources s ON s.id = e.source
         WHERE e.reported_on <= ?
         GROUP BY e.area, s.line
         ORDER BY e.area, s.line]], ctx.as_of) do
      local area = ctx.map.area[e.area]
      local max_age = area.max_age_days[e.line] or ctx.params.default_max_age_days
      local age = ctx:days_between(e.latest, ctx.as_of)
      if age > max_age then
        local rows = {}
        for r in ctx:rows([[
            SELECT e.evidence_id FROM assurance_evidence e JOIN map_sources s ON s.id = e.source
             WHERE e.area = ? AND s.line = ? AND e.reported_on = ? ORDER BY e.evidence_id]],
            e.area, e.line, e.latest) do
          rows[#rows + 1] = { "assurance_evidence", r.evidence_id }
        end
        ctx:flag{
          subject = e.area .. "/" .. e.line,
          message = string.format("%s: the latest %s assurance (%s, %s) is %d days old; "
                                    .. "the map allows %d", area.title,
                                  ctx.map.line[e.line].name, e.sources, e.latest, age, max_age),
          area = e.area, line = e.line, unit = area.unit, owner = area.owner,
          evidence = { age_days = age, max_age_days = max_age, latest = e.latest,
                       max_age_from = area.max_age_days[e.line] and "map" or "default_max_age_days" },
          rows = rows,
        }
      end
    end
  end,
}
