-- Areas whose combined assurance falls short of the level the map requires.
-- The score is the engine's (ctx:combined_assurance), the same the board
-- report draws: the picture and the finding cannot disagree.
return {
  id = "combined-assurance-below-required",
  title = "Combined assurance below the required level",
  severity = "high",
  category = "gap",
  description = [[
For every area where the map states the level of assurance the sponsor
requires (required_assurance), takes the combined assurance the area holds:
what each source's latest report gives, weighted by its line and reduced for
a weaker rating, an out-of-date or late report and partial coverage (the
map's combined_assurance weighting); the best source in each line, summed
over the lines as a score out of 100. Flags the area when the score is below
the required level, naming what it rests on.]],
  covers = { datasets = { "assurance_evidence", "audit_engagements", "inspection_grades",
                          "inspection_reports" } },

  check = function(ctx)
    for _, a in ipairs(ctx:combined_assurance()) do
      if a.below then
        local area = ctx.map.area[a.area]
        local held, rows = {}, { { "map.areas", a.area } }
        for _, l in ipairs(a.lines) do
          if l.source then
            held[#held + 1] = string.format("%s (%s, %g of %g)", ctx.map.source[l.source].title,
                                            l.line, l.points, l.weight)
            rows[#rows + 1] = { "map.sources", l.source }
          end
        end
        local rests = #held > 0 and ("; it rests on " .. table.concat(held, ", "))
                      or "; no source gives it any"
        ctx:flag{
          subject = a.area,
          message = string.format("%s: combined assurance %.1f of 100%s, below the %s level "
                                    .. "the map requires (%g)%s", area.title, a.score,
                                  a.level and (" (" .. a.level .. ")") or "", a.required,
                                  a.required_score, rests),
          area = a.area, principle = area.principle, unit = area.unit, owner = area.owner,
          evidence = { score = a.score, level = a.level or "none", required = a.required,
                       required_score = a.required_score, lines_held = #held },
          rows = rows,
        }
      end
    end
  end,
}
