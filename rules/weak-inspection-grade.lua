-- Inspection judgements graded requires improvement or inadequate.
return {
  id = "weak-inspection-grade",
  title = "Weak inspection grade",
  severity = "high",
  category = "maturity",
  description = [[
Flags each graded inspection judgement whose grade ranks at or below
max_rank on its scale (on the PEEL 2021 scale: requires improvement and
inadequate).]],
  covers = { datasets = { "inspection_grades" }, lines = { "EXT" } },
  params = { max_rank = 2 },

  check = function(ctx)
    for g in ctx:rows([[
        SELECT g.report_id, g.question, g.area, g.grade, g.grade_rank, r.title, r.published
          FROM inspection_grades g LEFT JOIN inspection_reports r USING (report_id)
         WHERE g.grade_rank <= ? AND (r.published IS NULL OR r.published <= ?)
         ORDER BY g.report_id, g.question]], ctx.params.max_rank, ctx.as_of) do
      ctx:flag{
        subject = g.report_id .. "/" .. g.question,
        message = string.format("%s graded '%s' in %s", g.question, g.grade,
                                g.title or g.report_id),
        area = g.area, line = "EXT",
        evidence = { grade = g.grade, grade_rank = g.grade_rank, published = g.published },
        rows = { { "inspection_grades", g.report_id .. ", " .. g.question },
                 g.title and { "inspection_reports", g.report_id } or nil },
      }
    end
  end,
}
