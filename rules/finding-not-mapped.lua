-- Inspectorate findings that no assurance area takes on.
return {
  id = "finding-not-mapped",
  title = "Inspectorate finding mapped to no area",
  severity = "medium",
  category = "gap",
  description = [[
Flags each open cause of concern, recommendation or area for improvement that
is not mapped to an assurance area, so no area owner is answerable for it.]],
  covers = { datasets = { "inspection_findings" } },

  check = function(ctx)
    for f in ctx:rows([[
        SELECT f.finding_id, f.kind, f.owner, f.status, f.report_id, r.title
          FROM inspection_findings f LEFT JOIN inspection_reports r USING (report_id)
         WHERE f.area IS NULL AND f.status NOT IN ('complete', 'authorised for closure')
         ORDER BY f.finding_id]]) do
      ctx:flag{
        subject = f.finding_id,
        message = string.format("%s from '%s' is not mapped to any assurance area", f.kind,
                                f.title or "an unknown report"),
        owner = f.owner,
        evidence = { kind = f.kind, status = f.status, area = "(none)" },
        rows = { { "inspection_findings", f.finding_id } },
      }
    end
  end,
}
