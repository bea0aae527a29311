-- Sources of assurance that are suspended or only planned.
return {
  id = "suspended-source",
  title = "Source of assurance suspended or not yet in place",
  severity = "medium",
  category = "gap",
  description = [[
Flags each area covered by a source whose status is suspended or planned:
the map counts on assurance that is not being given.]],

  check = function(ctx)
    for _, source in ipairs(ctx.map.sources) do
      if source.status ~= "active" then
        for _, area_id in ipairs(source.areas) do
          local area = ctx.map.area[area_id]
          ctx:flag{
            subject = source.id .. "/" .. area_id,
            message = string.format("%s is %s, so %s gets no %s assurance from it",
                                    source.title, source.status, area.title,
                                    ctx.map.line[source.line].name),
            area = area_id, line = source.line, unit = area.unit, owner = source.owner,
            evidence = { status = source.status },
            rows = { { "map.sources", source.id }, { "map.areas", area_id } },
          }
        end
      end
    end
  end,
}
