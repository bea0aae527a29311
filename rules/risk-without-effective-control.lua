-- Open risks whose controls are failing or untested.
return {
  id = "risk-without-effective-control",
  title = "Risk without an effective control",
  severity = "medium",
  category = "gap",
  description = [[
Flags each open risk with no control rated effective and at least one control
that is ineffective or not assessed, or with no controls at all: a gap in
control. Risks with a residual score of high_residual or more are high
severity.]],
  covers = { datasets = { "risks", "risk_controls" } },
  params = { high_residual = 15 },

  check = function(ctx)
    local sql = [[
      SELECT r.risk_id, r.title, r.area, r.owner, r.residual,
             sum(c.operation = 'effective') AS effective,
             sum(c.operation IN ('ineffective', 'not assessed')) AS failing,
             count(c.control_id) AS controls
        FROM risks r LEFT JOIN risk_controls c USING (risk_id)
       WHERE r.status = 'open'
       GROUP BY r.risk_id
      HAVING coalesce(effective, 0) = 0 AND (coalesce(failing, 0) > 0 OR controls = 0)
       ORDER BY r.risk_id]]
    for r in ctx:rows(sql) do
      local rows = { { "risks", r.risk_id } }
      for c in ctx:rows("SELECT control_id FROM risk_controls WHERE risk_id = ? ORDER BY control_id",
                        r.risk_id) do
        rows[#rows + 1] = { "risk_controls", c.control_id }
      end
      local why = r.controls == 0 and "has no controls"
        or string.format("has no effective control (%d of %d ineffective or not assessed)",
                         r.failing, r.controls)
      ctx:flag{
        subject = r.risk_id,
        message = r.title .. ": " .. why,
        severity = (r.residual or 0) >= ctx.params.high_residual and "high" or nil,
        area = r.area, owner = r.owner,
        evidence = { residual = r.residual, controls = r.controls,
                     effective = r.effective or 0, failing = r.failing or 0 },
        rows = rows,
      }
    end
  end,
}
