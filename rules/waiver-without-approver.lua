-- A risk acceptance nobody is named as having approved.
return {
  id = "waiver-without-approver",
  title = "Waiver without an approver",
  severity = "medium",
  category = "waiver",
  description = [[
Flags each waiver in force that names no approver. A risk acceptance must be
made by someone with the authority to make it, and the record must say who;
without one the waiver still applies, but this finding says it should not be
relied on.]],
  covers = { datasets = { "waivers" } },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT coalesce(rule || ' ' || subject, fingerprint) AS subject,
             'waiver ' || CASE WHEN rule IS NOT NULL THEN 'of ' || rule || ' for ' || subject
                               ELSE 'of finding ' || fingerprint END
               || ' names no approver (approved on ' || approved_on || ', expires '
               || expires || ')' AS message,
             expires AS due, justification AS evidence_justification,
             approver AS evidence_approver, approved_on AS evidence_approved_on,
             expires AS evidence_expires, _line AS row_waivers
        FROM waivers
       WHERE (approver IS NULL OR trim(approver) = '') AND expires >= ?1
       ORDER BY subject]], ctx.as_of)
  end,
}
