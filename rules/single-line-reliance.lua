-- Areas that rely on a single line of assurance.
return {
  id = "single-line-reliance",
  title = "Reliance on a single line of assurance",
  severity = "medium",
  category = "reliance",
  description = [[
Flags each area whose active sources of assurance all sit in fewer than
min_lines lines, so that one line's view is the only one the board gets.]],
  params = { min_lines = 2 },

  check = function(ctx)
    for _, area in ipairs(ctx.map.areas) do
      local lines, names, rows = {}, {}, { { "map.areas", area.id } }
      for _, source in ipairs(ctx.map.sources) do
        if source.status == "active" then
          for _, covered in ipairs(source.areas) do
            if covered == area.id then rows[#rows + 1] = { "map.sources", source.id } end
            if covered == area.id and not lines[source.line] then
              lines[source.line] = true
              names[#names + 1] = ctx.map.line[source.line].name
            end
          end
        end
      end
      if #names > 0 and #names < ctx.params.min_lines then
        table.sort(names)
        ctx:flag{
          subject = area.id,
          message = string.format("%s relies on %s alone", area.title, table.concat(names, ", ")),
          area = area.id, unit = area.unit, principle = area.principle, owner = area.owner,
          evidence = { lines = #names, min_lines = ctx.params.min_lines },
          rows = rows,
        }
      end
    end
  end,
}
