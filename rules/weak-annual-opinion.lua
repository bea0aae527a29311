-- The head of internal audit's annual opinion is weak or qualified.
return {
  id = "weak-annual-opinion",
  title = "Weak or qualified annual audit opinion",
  severity = "high",
  category = "gap",
  description = [[
Flags each annual internal audit opinion that gives a level at or below
max_rank on its scale (Limited or No), is qualified, reports a limitation of
scope, or -- where the tracker keeps only the opinion's words -- uses one of
the phrases in words (separated by ';', any case). The annual opinion feeds
the Annual Governance Statement: a weak one must be reflected there.]],
  covers = { datasets = { "annual_opinions" } },
  params = {
    max_rank = 2,
    words = "limited assurance;no assurance;minimal assurance;partial assurance;"
         .. "unsatisfactory;inadequate;qualified opinion;limitation of scope;"
         .. "limitation on scope",
  },

  check = function(ctx)
    local phrases = {}
    for w in string.gmatch(ctx.params.words, "[^;]+") do
      w = w:gsub("^%s+", ""):gsub("%s+$", "")
      if w ~= "" then phrases[#phrases + 1] = w:lower() end
    end
    for o in ctx:rows([[
        SELECT _line, year, provider, opinion_text, level, level_rank, qualified,
               limitation_of_scope
          FROM annual_opinions ORDER BY year, provider]]) do
      local why
      if o.level_rank and o.level_rank <= ctx.params.max_rank then
        why = o.level .. " assurance"
      elseif o.qualified == 1 then
        why = "a qualified opinion"
      elseif o.limitation_of_scope == 1 then
        why = "a limitation of scope"
      elseif not o.level then
        local text = o.opinion_text:lower()
        for _, p in ipairs(phrases) do
          -- "no assurance can ever be absolute" is a caveat, not an opinion
          local at = text:find(p, 1, true)
          while at and text:sub(at + #p, at + #p + 4) == " can " do
            at = text:find(p, at + 1, true)
          end
          if at then
            why = '"' .. p .. '"'
            break
          end
        end
      end
      if why then
        ctx:flag{
          subject = o.provider and o.year .. " " .. o.provider or o.year,
          message = string.format("annual opinion for %s%s: %s", o.year,
                                  o.provider and " (" .. o.provider .. ")" or "", why),
          evidence = { opinion = o.opinion_text, level = o.level, level_rank = o.level_rank,
                       qualified = o.qualified == 1, limitation_of_scope = o.limitation_of_scope == 1,
                       reason = why },
          rows = { { "annual_opinions", tostring(o._line) } },
        }
      end
    end
  end,
}
