-- Opinions left in draft long after they were given.
return {
  id = "draft-opinion-not-final",
  title = "Audit opinion still in draft",
  severity = "low",
  category = "gap",
  description = [[
Flags internal audit engagements whose opinion is still draft or indicative
(opinion_stage), or whose report is at draft stage (status draft report),
more than max_days after the draft was given (opinion_date): a draft opinion
may change, and assurance that never reaches a final report is not
assurance the committee can rely on. Engagements with no opinion date are
not flagged: the rule cannot tell how long they have waited.]],
  covers = { datasets = { "audit_engagements" }, lines = { "L3" } },
  params = { max_days = 60 },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT engagement_id AS subject,
             title || ': ' || coalesce(opinion_stage || ' opinion ' || opinion, 'draft report')
               || ' given ' || opinion_date || ', not final after ' || waited
               || CASE waited WHEN 1 THEN ' day' ELSE ' days' END AS message,
             area, opinion AS evidence_opinion, opinion_date AS evidence_opinion_date,
             opinion_stage AS evidence_opinion_stage, status AS evidence_status,
             waited AS evidence_days_waiting, engagement_id AS row_audit_engagements
        FROM (SELECT *, CAST(julianday(?1) - julianday(opinion_date) AS INTEGER) AS waited
                FROM audit_engagements
               WHERE (opinion_stage IN ('draft', 'indicative')
                      OR (opinion_stage IS NULL AND status = 'draft report'))
                 AND coalesce(status, '') NOT IN ('final', 'cancelled'))
       WHERE waited > ?2
       ORDER BY engagement_id]], ctx.as_of, ctx.params.max_days)
  end,
}
