-- Areas with no active source of assurance in a line the area requires.
-- Map only: reads ctx.map, no data.
return {
  id = "required-line-missing",
  title = "No active assurance in a required line",
  severity = "high",
  category = "gap",
  description = [[
For every assurance area and every line of assurance it requires, looks for a
source in that line which covers the area and is active. Flags the area and
line when there is none, naming any suspended or planned sources that would
otherwise cover it.]],

  check = function(ctx)
    for _, area in ipairs(ctx.map.areas) do
      for _, line in ipairs(area.required_lines) do
        local active, inactive, ids = 0, {}, { { "map.areas", area.id } }
        for _, source in ipairs(ctx.map.sources) do
          if source.line == line then
            for _, covered in ipairs(source.areas) do
              if covered == area.id then
                if source.status == "active" then
                  active = active + 1
                else
                  inactive[#inactive + 1] = source.title .. " (" .. source.status .. ")"
                  ids[#ids + 1] = { "map.sources", source.id }
                end
              end
            end
          end
        end
        if active == 0 then
          local message = string.format("%s: no active %s assurance", area.title,
                                        ctx.map.line[line].name)
          if #inactive > 0 then
            message = message .. "; only " .. table.concat(inactive, ", ")
          end
          ctx:flag{
            subject = area.id .. "/" .. line,
            message = message,
            area = area.id,
            line = line,
            principle = area.principle,
            unit = area.unit,
            owner = area.owner,
            evidence = { required_line = line, active_sources = active,
                         inactive_sources = #inactive },
            rows = ids,
          }
        end
      end
    end
  end,
}
