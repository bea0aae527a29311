-- Limited or No internal audit opinions with no follow-up engagement.
-- Mixed: SQL finds the engagements, the map supplies the scale and owner.
return {
  id = "weak-opinion-no-follow-up",
  title = "Weak audit opinion without follow-up",
  severity = "high",
  category = "gap",
  description = [[
Flags each internal audit engagement whose final opinion ranks at or below
max_rank on its scale (Limited = 2 on the DARA scale) when no later
engagement names it as the one it follows up. Draft and indicative opinions
are left until they are final. Where the tracker does not record which
engagement follows up which (follow_up_of is not captured), this rule is
quiet and weak-audit-opinion lists the weak opinions instead.]],
  covers = { datasets = { "audit_engagements" }, lines = { "L3" } },
  params = { max_rank = 2 },

  check = function(ctx)
    if not ctx:captured("audit_engagements", "follow_up_of") then
      return
    end
    local sql = [[
      SELECT e.engagement_id, e.title, e.area, e.opinion, e.opinion_rank, e.final_report
        FROM audit_engagements e
       WHERE e.opinion_rank <= ? AND coalesce(e.opinion_stage, 'final') = 'final'
         AND NOT EXISTS (SELECT 1 FROM audit_engagements f
                          WHERE f.follow_up_of = e.engagement_id)
       ORDER BY e.engagement_id]]
    for e in ctx:rows(sql, ctx.params.max_rank) do
      local area = ctx.map.area[e.area]
      local when = e.final_report and " (" .. ctx:quarter(e.final_report) .. ")" or ""
      ctx:flag{
        subject = e.engagement_id,
        message = string.format("%s was rated %s%s and has no follow-up review",
                                e.title, e.opinion, when),
        area = e.area,
        owner = area.owner,
        unit = area.unit,
        evidence = { opinion = e.opinion, opinion_rank = e.opinion_rank,
                     final_report = e.final_report, follow_ups = 0 },
        rows = { { "audit_engagements", e.engagement_id } },
      }
    end
  end,
}
