-- Areas and internal sources of assurance with no named owner.
return {
  id = "missing-owner",
  title = "Area or source without an owner",
  severity = "medium",
  category = "gap",
  description = [[
Flags each assurance area with no owner, and each active or planned source in
a line below max_independence (the organisation's own lines) with no owner:
assurance nobody owns is assurance nobody answers for.]],
  params = { max_independence = 3 },

  check = function(ctx)
    for _, area in ipairs(ctx.map.areas) do
      if not area.owner then
        ctx:flag{ subject = "area/" .. area.id, message = area.title .. " has no owner",
                  area = area.id, unit = area.unit, evidence = { kind = "area" },
                  rows = { { "map.areas", area.id } } }
      end
    end
    for _, source in ipairs(ctx.map.sources) do
      local internal = ctx.map.line[source.line].independence <= ctx.params.max_independence
      if internal and source.status ~= "suspended" and not source.owner then
        ctx:flag{ subject = "source/" .. source.id, message = source.title .. " has no owner",
                  line = source.line,
                  evidence = { kind = "source", status = source.status,
                               independence = ctx.map.line[source.line].independence },
                  rows = { { "map.sources", source.id } } }
      end
    end
  end,
}
