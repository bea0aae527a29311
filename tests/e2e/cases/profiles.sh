# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- export profiles and overlays: trackers as they come ----

# A spreadsheet export is read as it is: the first worksheet, or the one
# named after '#'; problems name the sheet and cell.
case_import_xlsx_worksheets() {
    local X=$FX/xlsx/tracker.xlsx
    run import --map "$MAP" --db "$T/db" --as-of 2022-10-03 "actions=$X#Actions"
    expect_rc 0
    expect_out "actions                  3 rows from $X#Actions"
    # date-styled cells and dates typed as text both arrive as dates
    [ "$(sql "$T/db" "SELECT due || '|' || revised || '|' || _line FROM actions WHERE action_id = 'A-001'")" = "2022-03-31|2022-06-30|4" ] ||
        fail "A-001 as stored: $(sql "$T/db" "SELECT * FROM actions WHERE action_id = 'A-001'")"
    # the same workbook again is recognised; another sheet of it is not the same data
    run import --map "$MAP" --db "$T/db" --as-of 2022-10-03 "actions=$X#Actions"
    expect_out "unchanged: $X#Actions is identical"
    local before
    before=$(db_state "$T/db")
    run import --map "$MAP" --db "$T/db" --as-of 2022-10-03 "actions=$X#Q1 actions"
    expect_rc 65
    expect_err "tracker.xlsx:'Q1 actions'!D5: error: Due: 'soon': not a date"
    expect_err "tracker.xlsx:'Q1 actions'!C6: error: Priority: 'urgent': not an allowed value"
    [ "$(db_state "$T/db")" = "$before" ] || fail "a rejected worksheet changed the database"
    # the first sheet is a notes page: the message says how to name another
    run import --map "$MAP" --db "$T/db" "actions=$X"
    expect_rc 65
    expect_err "tracker.xlsx:Read me row 1: error: required column 'Action ID' is missing"
    expect_err "this is the workbook's first sheet, 'Read me'; to read another, name it:"
    run import --map "$MAP" --db "$T/db" "actions=$X#Q2"
    expect_rc 65
    expect_err "error: no sheet named 'Q2'; the workbook has 3: 'Read me', 'Actions', 'Q1 actions'"
    # not a workbook at all
    run import --map "$MAP" --db "$T/db" "actions=$FX/xlsx/notzip.xlsx"
    expect_rc 65
    expect_err "notzip.xlsx: error: not a zip archive"
    [ "$(db_state "$T/db")" = "$before" ] || fail "a rejected workbook changed the database"
}

# Profile keys for counts tables: a field reading whichever of several
# columns holds a value (coalesce), a report date taken from --as-of, '%'
# telling a percentage column from its count, a value read after a phrase.
case_import_profile_columns() {
    cat >"$T/map.yaml" <<EOF
assure: 1
include: [$ROOT/mappings/standard/datasets.yaml]
organisation: {name: Counts Council, fiscal_year_start: 4}
units: [{id: RES, name: Resources, kind: business_group}]
areas: [{id: plan, title: Audit plan, principle: F, unit: RES, owner: Head of Audit}]
datasets:
  - id: tracker_summaries
    overlay: true
    fields:
      - {name: report_date, value: as-of}
      - {name: total, header: [recommendations, actions for follow up], coalesce: true}
      - {name: completed, header: fully implemented}
  - id: audit_engagements
    overlay: true
    fields:
      - {name: area, value: plan}
      - {name: final_report, header: Status, after: [Final report issued]}
      - {name: status, header: Status, shared: true, synonyms: {"Complete*": final}, other: none}
EOF
    printf 'Paper,recommendations,fully implemented,fully implemented %%,actions for follow up\nA,43,17,40%%,\nB,,18,,46\n' >"$T/counts.csv"
    run import --map "$T/map.yaml" --db "$T/db" --as-of 2023-06-21 tracker_summaries="$T/counts.csv"
    expect_rc 0
    [ "$(sql "$T/db" "SELECT group_concat(report_date || ':' || total || ':' || completed, ' ') FROM tracker_summaries")" = "2023-06-21:43:17 2023-06-21:46:18" ] ||
        fail "coalesce / as-of: $(sql "$T/db" "SELECT * FROM tracker_summaries")"
    expect_err "left out: 'Paper', 'fully implemented %'"
    # without coalesce, two columns naming one field are refused
    sed -i 's/, coalesce: true//' "$T/map.yaml"
    run import --map "$T/map.yaml" --db "$T/db" --as-of 2023-06-21 tracker_summaries="$T/counts.csv"
    expect_rc 65
    expect_err "column 5 'actions for follow up' appears twice (also column 2)"
    printf 'Engagement ID,Title,Status\nE-1,Waste,Complete Final report issued 25 October 2011\nE-2,Parking,Draft report issued 1 November 2011\n' >"$T/plan.csv"
    run import --map "$T/map.yaml" --db "$T/db" --as-of 2011-12-06 audit_engagements="$T/plan.csv"
    expect_rc 0
    [ "$(sql "$T/db" "SELECT group_concat(engagement_id || ':' || coalesce(status, '-') || ':' || coalesce(final_report, '-'), ' ') FROM audit_engagements")" = "E-1:final:2011-10-25 E-2:-:-" ] ||
        fail "after: $(sql "$T/db" "SELECT * FROM audit_engagements")"
    # a table whose statuses run down the first column: each column a record
    cat >>"$T/map.yaml" <<EOF
  - id: tracker_summaries
    overlay: true
    records: columns
    skip_rows: {scope: ["*%"]}
    fields:
      - {name: scope, header: Recommendation status}
      - {name: outstanding, header: Outstanding}
      - {name: partly_implemented, header: Partly implemented}
EOF
    sed -i '0,/      - {name: completed, header: fully implemented}/{//d}' "$T/map.yaml"
    printf 'Recommendation status,No.,%%\nCompleted,44,51.1\n\nPartly implemented,9,10.5\nOutstanding,33,38.4\n' >"$T/down.csv"
    run import --map "$T/map.yaml" --db "$T/db" --as-of 2011-12-06 tracker_summaries="$T/down.csv"
    expect_rc 0
    expect_err "down.csv: warning: 1 column passed over as the dataset's skip_rows say"
    [ "$(sql "$T/db" "SELECT scope || ':' || outstanding || ':' || partly_implemented || ':' || report_date FROM tracker_summaries")" = "No.:33:9:2011-12-06" ] ||
        fail "records: columns: $(sql "$T/db" "SELECT * FROM tracker_summaries")"
    # a bad count is named by its line and column
    printf 'Recommendation status,No.\nOutstanding,33\n\nPartly implemented,nine\n' >"$T/down.csv"
    run import --map "$T/map.yaml" --db "$T/db" --as-of 2011-12-06 tracker_summaries="$T/down.csv"
    expect_rc 65
    expect_err "down.csv:4, column 2: error: Partly implemented: 'nine': not a whole number"
}

case_import_export_profiles() {
    local P=$FX/profiles
    run import --map "$P/map.yaml" --db "$T/db" --as-of 2025-06-20 audit_actions="$P/tracker.csv"
    expect_rc 0
    expect_out "audit_actions            4 rows from"
    # the title and blank rows above the header are passed over; so are the
    # Total line and the empty one at the end; the Notes column is noticed
    expect_err "tracker.csv:3: warning: 1 column no field of dataset 'audit_actions' reads, left out: 'Notes'"
    expect_err "tracker.csv: warning: 1 row passed over as the dataset's skip_rows say"
    q() { sql "$T/db" "SELECT $1 FROM audit_actions WHERE action_id = '$2'"; }
    # references as the body writes them; spaces trimmed; a constant area
    [ "$(q "owner || '|' || area" '18 RM&CG 03')" = "Head of Procurement|procurement" ] || fail "owner/area"
    # synonyms, any case: Priority 1 -> high, priority 2 -> medium; R -> Red via the scale overlay
    [ "$(q "priority || '|' || rag" '18 RM&CG 03')" = "high|Red" ] || fail "priority/rag: $(q "priority || '|' || rag" '18 RM&CG 03')"
    [ "$(q priority 'AR 112')" = medium ] || fail "lower-case synonym"
    [ "$(q rag 'H&S 02')" = Red ] || fail "Amber/Red -> Red"
    # one cell, two dates: the original and its revision
    [ "$(q "original_due || '|' || current_due || '|' || due || '|' || extended" '18 RM&CG 03')" = "2024-06-30|2025-03-31|2025-03-31|1" ] ||
        fail "pick first / later: $(q "original_due || '|' || current_due" '18 RM&CG 03')"
    [ "$(q "original_due || '|' || coalesce(current_due, 'none')" 'AR 112')" = "2025-09-30|none" ] || fail "30-Sep-2025"
    # "Ongoing" means no date
    [ "$(q "coalesce(original_due, 'none')" '14 HN (CBL)')" = none ] || fail "Ongoing"
    # positions, with glob synonyms; open follows from them
    [ "$(q "position || '|' || open" '14 HN (CBL)')" = "completed|0" ] || fail "Complete - approved ..."
    [ "$(q "position || '|' || open" 'H&S 02')" = "removed for review|0" ] || fail "removed for a further full review"
    [ "$(q "position || '|' || open" '18 RM&CG 03')" = "extension requested|1" ] || fail "extension requested"
    # 40% is 40; partial dates keep their precision
    [ "$(q percent_complete '18 RM&CG 03')" = 40.0 ] || fail "40%"
    [ "$(q "next_review || '|' || next_review_precision" '18 RM&CG 03')" = "2025-06-30|month" ] || fail "June 2025"
    [ "$(q "next_review || '|' || next_review_precision" 'AR 112')" = "2025-09-30|quarter" ] || fail "Q2 2025/26"
    # not captured: always empty, never required
    [ "$(sql "$T/db" "SELECT count(*) FROM audit_actions WHERE status IS NOT NULL OR engagement_id IS NOT NULL")" = 0 ] ||
        fail "not captured fields hold values"
}

case_import_profile_problems() {
    local P=$FX/profiles
    # a value no synonym covers, a second date where one is expected, a bad layout
    printf 'Ref,Recommendation,Priority,Target date\nX 1,a,Priority 9,30/06/2024\nX 2,b,Priority 1,30/06/2024 31/07/2024 x\n' >"$T/bad.csv"
    run import --map "$P/map.yaml" --db "$T/db" --as-of 2025-06-20 audit_actions="$T/bad.csv"
    expect_rc 65
    expect_err "bad.csv:2: error: Priority: 'Priority 9': not an allowed value (high, medium, low); if the export words it its own way, add it to the field's synonyms"
    expect_err "bad.csv:3: error: Target date: '30/06/2024 31/07/2024 x': not a date in any of the 9 layouts declared"
    # overlays are checked like the rest of the map
    sed 's|\.\./\.\./\.\./mappings|'"$ROOT"'/mappings|' "$P/map.yaml" |
        sed 's/  - id: audit_actions$/  - id: audit_action/; s/synonyms: {G: Green/synonyms: {G: Gren/' >"$T/map.yaml"
    run validate --map "$T/map.yaml"
    expect_rc 78
    expect_err "error: datasets[0]: overlay of a dataset that is not declared before it ('audit_action')"
    expect_err "synonym 'G' means 'Gren', which is not one of the values; did you mean 'Green'?"
}

# A dataset the map declares but no import has filled keeps up with the map:
# when a new version of the map (or of the standard model) gives it another
# column, the next import makes its empty table again, so rules reading the
# new column find it. A dataset that holds rows is left as it is.
case_import_empty_dataset_follows_the_map() {
    cp "$MAP" "$T/map.yaml"
    "$ASSURE" import --map "$T/map.yaml" --db "$T/db" actions="$FX/actions.csv" >/dev/null 2>&1 ||
        fail "could not import the actions"
    sed 's/      - {name: final_report, type: date}/&\n      - {name: follow_up, type: date}/' \
        "$MAP" >"$T/map.yaml"
    grep -q 'follow_up' "$T/map.yaml" || fail "the test could not change the map"
    run import --map "$T/map.yaml" --db "$T/db" actions="$FX/actions.csv"
    expect_rc 0
    sql "$T/db" "PRAGMA table_info(engagements)" | grep -q '|follow_up|' ||
        fail "the empty engagements table did not gain the map's new column"
    [ "$(sql "$T/db" "SELECT count(*) FROM actions")" -gt 0 ] || fail "the actions were lost"
}
