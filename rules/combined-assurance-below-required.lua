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
        local evidence = { score = a.score, level = a.level or "none", required = a.required,
                           required_score = a.required_score }
        for _, l in ipairs(a.lines) do
          if l.source then
            local s
            for _, x in ipairs(a.sources) do
              if x.id == l.source and x.line == l.line then s = x end
            end
            held[#held + 1] = string.format("%s (%s, %g of %g)", ctx.map.source[l.source].title,
                                            l.line, l.points, l.weight)
            rows[#rows + 1] = { "map.sources", l.source }
            if s.dataset then rows[#rows + 1] = { s.dataset, s.key } end
            -- how the line's points were reached, for re-performing by hand
            evidence[l.line] = string.format("%s: %s of %s (%s): %g x %g = %g",
                                             ctx.map.source[l.source].title,
                                             s.rating or "no rating", s.date, s.basis
                                               .. (s.stale and ", out of date" or "")
                                               .. (s.late and ", late" or "")
                                               .. (s.partial and ", partial coverage" or ""),
                                             s.factor, l.weight, l.points)
          end
        end
        evidence.lines_held = #held
        local rests = #held > 0 and ("; it rests on " .. table.concat(held, ", "))
                      or "; no source gives it any"
        ctx:flag{
          subject = a.area,
          message = string.format("%s: combined assurance %.1f of 100%s, below the %s level "
                                    .. "the map requires (%g)%s", area.title, a.score,
                                  a.level and (" (" .. a.level .. ")") or "", a.required,
                                  a.required_score, rests),
          area = a.area, principle = area.principle, unit = area.unit, owner = area.owner,
          evidence = evidence,
          rows = rows,
        }
      end
    end
  end,
}
