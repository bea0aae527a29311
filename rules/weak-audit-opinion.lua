-- Every weak final opinion of the year, where follow-ups are not tracked.
return {
  id = "weak-audit-opinion",
  title = "Weak audit opinion",
  severity = "medium",
  category = "gap",
  description = [[
Flags each internal audit engagement whose final opinion ranks at or below
max_rank on its scale (the two lowest labels of every standard scale:
Limited and No, Partial and Minimal) and whose final report is dated within
within_days before the evaluation date, or not dated at all. Draft and
indicative opinions wait until they are final; advisory work and grant claims
carry no opinion. Where the tracker records follow-up reviews (follow_up_of is
captured), weak-opinion-no-follow-up flags the weak opinions that lack one and
this rule is quiet.]],
  covers = { datasets = { "audit_engagements" }, lines = { "L3" } },
  params = { max_rank = 2, within_days = 365 },

  check = function(ctx)
    if ctx:captured("audit_engagements", "follow_up_of") then
      return
    end
    for e in ctx:rows([[
        SELECT engagement_id, title, area, opinion, opinion_rank, final_report
          FROM audit_engagements
         WHERE opinion_rank <= ?1 AND coalesce(opinion_stage, 'final') = 'final'
           AND coalesce(kind, '') NOT IN ('advisory', 'grant claim')
           AND (final_report IS NULL
                OR (final_report <= ?3 AND final_report > date(?3, '-' || ?2 || ' days')))
         ORDER BY engagement_id]], ctx.params.max_rank, ctx.params.within_days, ctx.as_of) do
      local area = ctx.map.area[e.area]
      ctx:flag{
        subject = e.engagement_id,
        message = string.format("%s: %s opinion%s", e.title, e.opinion,
                                e.final_report and ", final report " .. e.final_report or ""),
        area = e.area,
        owner = area and area.owner,
        unit = area and area.unit,
        evidence = { opinion = e.opinion, opinion_rank = e.opinion_rank,
                     final_report = e.final_report,
                     days_since_report = e.final_report and ctx:days_between(e.final_report, ctx.as_of)
                       or nil },
        rows = { { "audit_engagements", e.engagement_id } },
      }
    end
  end,
}
