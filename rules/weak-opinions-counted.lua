-- Limited and No assurance reports counted in the annual opinion.
return {
  id = "weak-opinions-counted",
  title = "Annual report counts Limited or No assurance reports",
  severity = "medium",
  category = "gap",
  description = [[
Flags each annual internal audit opinion whose count of reports at Limited
(or the scale's second-lowest label) and No assurance is above max_weak
("one No and four Limited assurance reports this year"): the weak areas
behind an overall opinion, which the Annual Governance Statement should
name. Engagement by engagement, weak-audit-opinion and
weak-opinion-no-follow-up do the same where the reports themselves are
imported.]],
  covers = { datasets = { "annual_opinions" } },
  params = { max_weak = 0 },

  check = function(ctx)
    ctx:flag_rows([[
      SELECT year || coalesce(' ' || provider, '') AS subject,
             'annual report for ' || year || coalesce(' (' || provider || ')', '') || ': '
               || CASE WHEN coalesce(reports_no, 0) > 0
                       THEN reports_no || ' No assurance report'
                            || CASE reports_no WHEN 1 THEN '' ELSE 's' END ELSE '' END
               || CASE WHEN coalesce(reports_no, 0) > 0 AND coalesce(reports_limited, 0) > 0
                       THEN ' and ' ELSE '' END
               || CASE WHEN coalesce(reports_limited, 0) > 0
                       THEN reports_limited || ' Limited' ELSE '' END
               || CASE WHEN coalesce(reports_limited, 0) > 0 AND coalesce(reports_no, 0) = 0
                       THEN ' assurance report'
                            || CASE reports_limited WHEN 1 THEN '' ELSE 's' END ELSE '' END
               || CASE WHEN reports_substantial IS NOT NULL OR reports_reasonable IS NOT NULL
                       THEN ' of ' || (coalesce(reports_substantial, 0)
                            + coalesce(reports_reasonable, 0) + coalesce(reports_limited, 0)
                            + coalesce(reports_no, 0)) || ' with an opinion'
                       ELSE '' END AS message,
             reports_limited AS evidence_limited, reports_no AS evidence_no,
             coalesce(reports_limited, 0) + coalesce(reports_no, 0) AS evidence_weak,
             _line AS row_annual_opinions
        FROM annual_opinions
       WHERE coalesce(reports_limited, 0) + coalesce(reports_no, 0) > ?
       ORDER BY year, provider]], ctx.params.max_weak)
  end,
}
