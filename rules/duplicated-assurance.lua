-- Several current sources of one line over the same area and scope.
return {
  id = "duplicated-assurance",
  title = "Duplicated assurance",
  severity = "low",
  category = "duplication",
  description = [[
For every area, looks for two or more sources of the same line whose latest
reports are current (within the area's age limit for the line) and positive,
over the same scope (the scope their reports name, or the whole area when
they name none). Such sources duplicate each other: a candidate for combined
assurance -- one planned review relied on by both, or one of them stood
down -- rather than a gap. The grouping is the engine's combined-assurance
computation (ctx:combined_assurance), which counts only the best source of
each line.]],
  covers = { datasets = { "assurance_evidence", "audit_engagements", "inspection_grades",
                          "inspection_reports" } },

  check = function(ctx)
    for _, a in ipairs(ctx:combined_assurance()) do
      local area = ctx.map.area[a.area]
      for _, group in ipairs(a.duplicates) do
        local titles, rows = {}, { { "map.areas", a.area } }
        for _, id in ipairs(group.sources) do
          titles[#titles + 1] = ctx.map.source[id].title
          rows[#rows + 1] = { "map.sources", id }
        end
        local scope = group.scope and (" over " .. group.scope) or ""
        ctx:flag{
          subject = a.area .. "/" .. group.line .. (group.scope and ("/" .. group.scope) or ""),
          message = string.format("%s: %d current %s sources%s (%s); a candidate for combined "
                                    .. "assurance", area.title, #group.sources,
                                  ctx.map.line[group.line].name, scope,
                                  table.concat(titles, "; ")),
          area = a.area, line = group.line, principle = area.principle, unit = area.unit,
          owner = area.owner,
          evidence = { sources = #group.sources, scope = group.scope or "whole area" },
          rows = rows,
        }
      end
    end
  end,
}
