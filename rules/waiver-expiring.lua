-- Waivers about to run out: the risk owner must renew or act.
return {
  id = "waiver-expiring",
  title = "Waiver expiring soon",
  severity = "low",
  category = "waiver",
  description = [[
Flags each waiver whose expiry date falls within within_days of the
evaluation date (or on it): the finding it covers becomes an exception again
when it expires unless the risk acceptance is renewed. Expired waivers are
not flagged here: their findings are back in the exception list, saying
"waiver expired on ...".]],
  covers = { datasets = { "waivers" } },
  params = { within_days = 30 },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT coalesce(rule || ' ' || subject, fingerprint) AS subject,
             'waiver ' || CASE WHEN rule IS NOT NULL THEN 'of ' || rule || ' for ' || subject
                               ELSE 'of finding ' || fingerprint END
               || ' expires on ' || expires || ', in '
               || CAST(julianday(expires) - julianday(?1) AS INTEGER) || ' day'
               || CASE CAST(julianday(expires) - julianday(?1) AS INTEGER) WHEN 1 THEN '' ELSE 's' END
               || coalesce(' (approved by ' || approver || ')', '') AS message,
             expires AS due, approver AS owner,
             expires AS evidence_expires, approved_on AS evidence_approved_on,
             CAST(julianday(expires) - julianday(?1) AS INTEGER) AS evidence_days_left,
             _line AS row_waivers
        FROM waivers
       WHERE expires >= ?1 AND expires <= date(?1, '+' || ?2 || ' days')
         AND approved_on <= ?1
       ORDER BY subject]], ctx.as_of, ctx.params.within_days)
  end,
}
