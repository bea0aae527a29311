-- Areas rated green despite recent negative assurance.
return {
  id = "negative-assurance-not-reflected",
  title = "Negative assurance not reflected in the area's rating",
  severity = "high",
  category = "gap",
  description = [[
Flags each area whose latest overall rating is the best on its scale (Green)
although, within window_days before it was rated, a source reported limited
or no assurance (rank max_rank or below) or internal audit gave a Limited or
No opinion.]],
  covers = { datasets = { "area_ratings", "assurance_evidence", "audit_engagements" } },
  params = { window_days = 365, max_rank = 2 },

  check = function(ctx)
    local sql = [[
      SELECT r.area, r.rated_on, r.rating
        FROM area_ratings r
       WHERE r.rated_on = (SELECT max(rated_on) FROM area_ratings
                            WHERE area = r.area AND rated_on <= ?)
         AND r.rating_rank = (SELECT max(rank) FROM map_enum_values
                               WHERE dataset = 'area_ratings' AND field = 'rating')
       ORDER BY r.area]]
    for r in ctx:rows(sql, ctx.as_of) do
      local from = ctx:add_days(r.rated_on, -ctx.params.window_days)
      local bad = ctx:one([[
        SELECT label, day, rank, ds, k FROM (
          SELECT e.rating AS label, e.reported_on AS day, e.rating_rank AS rank,
                 'assurance_evidence' AS ds, e.evidence_id AS k FROM assurance_evidence e
           WHERE e.area = ?1 AND e.rating_rank <= ?2 AND e.reported_on BETWEEN ?3 AND ?4
          UNION ALL
          SELECT a.opinion, a.final_report, a.opinion_rank, 'audit_engagements', a.engagement_id
            FROM audit_engagements a
           WHERE a.area = ?1 AND a.opinion_rank <= ?2 AND a.final_report BETWEEN ?3 AND ?4)
        ORDER BY day DESC]], r.area, ctx.params.max_rank, from, r.rated_on)
      if bad then
        local area = ctx.map.area[r.area]
        ctx:flag{
          subject = r.area,
          message = string.format("%s is rated %s (%s) despite %s assurance on %s",
                                  area.title, r.rating, r.rated_on, bad.label, bad.day),
          area = r.area, unit = area.unit, owner = area.owner,
          evidence = { rating = r.rating, rated_on = r.rated_on, negative = bad.label,
                       negative_on = bad.day, negative_rank = bad.rank, window_from = from },
          rows = { { "area_ratings", r.area .. ", " .. r.rated_on }, { bad.ds, bad.k } },
        }
      end
    end
  end,
}
