-- High-risk areas with no active independent assurance.
return {
  id = "no-independent-assurance",
  title = "No independent assurance on a high risk",
  severity = "high",
  category = "gap",
  description = [[
Flags each area whose residual risk score is at least min_residual and which
no active source covers from a line at least min_independence independent of
management (by default: internal audit or external inspection).]],
  params = { min_residual = 15, min_independence = 3 },

  check = function(ctx)
    for _, area in ipairs(ctx.map.areas) do
      if (area.risk.residual or 0) >= ctx.params.min_residual then
        local independent = false
        for _, source in ipairs(ctx.map.sources) do
          local line = ctx.map.line[source.line]
          if source.status == "active" and line.independence >= ctx.params.min_independence then
            for _, covered in ipairs(source.areas) do
              if covered == area.id then independent = true end
            end
          end
        end
        if not independent then
          ctx:flag{
            subject = area.id,
            message = string.format("%s: residual risk %d, but no active independent assurance",
                                    area.title, area.risk.residual),
            area = area.id, unit = area.unit, principle = area.principle, owner = area.owner,
            evidence = { residual = area.risk.residual, independent_sources = 0 },
            rows = { { "map.areas", area.id } },
          }
        end
      end
    end
  end,
}
