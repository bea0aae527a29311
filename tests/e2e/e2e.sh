#!/usr/bin/env bash
# End-to-end tests: each case_* function runs the real assure binary on files
# under fixtures/ and checks its exit code, the place and wording of its
# messages, and what the database holds afterwards.
#
#   ASSURE=build/assure bash tests/e2e/e2e.sh CASE     one case
#   ASSURE=build/assure bash tests/e2e/e2e.sh --all    every case
#
# The cases live here and in tests/e2e/cases/*.sh (one file per topic).
set -u
: "${ASSURE:?set ASSURE to the assure binary}"
ROOT=${ASSURE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
FX=$ROOT/fixtures/test
MAP=$FX/map.yaml
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2
    cat "$T/out" >&2
    echo "--- stderr:" >&2
    cat "$T/err" >&2
    exit 1
}
# ASSURE_WRAP, if set, runs every checked command under a tool, e.g.
# "valgrind -q --error-exitcode=99 --leak-check=full".
run() {
    ${ASSURE_WRAP:-} "$ASSURE" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}
expect_rc() { [ "$RC" -eq "$1" ] || fail "exit code $RC, expected $1"; }
expect_err() { grep -qF -- "$1" "$T/err" || fail "stderr lacks: $1"; }
expect_out() { grep -qF -- "$1" "$T/out" || fail "stdout lacks: $1"; }
expect_no_err() { grep -qF -- "$1" "$T/err" && fail "stderr should not hold: $1"; true; }
sql() { sqlite3 "$1" "$2"; }
# Everything stored except the import log, which records rejected attempts.
db_state() { sqlite3 "$1" .dump | grep -v '^INSERT INTO assure_imports' | sha256sum; }

# A database holding the good test data.
good_db() {
    "$ASSURE" import --map "$MAP" --db "$T/db" actions="$FX/actions.csv" \
        engagements="$FX/engagements.json" >/dev/null 2>&1 || fail "could not import the good data"
}

# Imports a bad file over the good data and checks nothing stored changed.
reject_import() { # dataset file [extra args...]
    good_db
    local before
    before=$(db_state "$T/db")
    run import --map "$MAP" --db "$T/db" "${@:3}" "$1=$2"
    expect_rc 65
    expect_err "import rejected"
    expect_err "the database was not changed"
    [ "$(db_state "$T/db")" = "$before" ] || fail "stored data changed after a rejected import"
    [ "$(sql "$T/db" "SELECT outcome FROM assure_imports ORDER BY id DESC LIMIT 1")" = rejected ] ||
        fail "the rejected attempt is not in the import log"
}

# ---- the test files themselves ----

# Every case file is sourced into one shell: a helper defined in two of them
# would silently replace the other's.
case_e2e_helpers_defined_once() {
    local dup
    dup=$(grep -ho '^[A-Za-z_][A-Za-z0-9_]*()' "$ROOT"/tests/e2e/e2e.sh "$ROOT"/tests/e2e/cases/*.sh |
        sort | uniq -d)
    [ -z "$dup" ] || fail "defined in more than one e2e file: $dup"
}

# ---- command line ----

case_cli_help() {
    run --help
    expect_rc 0
    expect_out "validate"
    run validate --help
    expect_rc 0
    expect_out "Usage: assure validate"
    run import --help
    expect_rc 0
    expect_out "Usage: assure import"
    run --version
    expect_rc 0
    expect_out "assure "
}

case_cli_usage_errors() {
    run
    expect_rc 64
    run frobnicate
    expect_rc 64
    expect_err "unknown command 'frobnicate'"
    run validate
    expect_rc 64
    expect_err "--map FILE is required"
    run validate --map "$MAP" --colour
    expect_rc 64
    run import --map "$MAP" --db "$T/db" actions
    expect_rc 64
    expect_err "expected DATASET=PATH"
    run import --map "$MAP" --db "$T/db" --max-errors lots actions="$FX/actions.csv"
    expect_rc 64
    run import --map "$MAP" --db "$T/db" action="$FX/actions.csv"
    expect_rc 64
    expect_err "no dataset 'action'; did you mean 'actions'?"
    [ ! -e "$T/db" ] || [ "$(sql "$T/db" "SELECT count(*) FROM assure_imports")" = 0 ] ||
        fail "a usage error wrote to the database"
}

# ---- validate: good maps ----

case_validate_example_map() {
    run validate --map "$ROOT/mappings/met-2021-22/map.yaml"
    expect_rc 0
    expect_out "valid map for Metropolitan Police Service"
    expect_out "(from 2 files)"
}

case_validate_test_map() {
    run validate --map "$MAP"
    expect_rc 0
    expect_out "2 areas, 2 sources, 1 scales, 2 datasets"
}

case_validate_missing_map() {
    run validate --map "$T/nowhere.yaml"
    expect_rc 66
    expect_err "nowhere.yaml: error: cannot open"
}

case_validate_docs_example_map() {
    # The complete example in docs/map-format.md must stay valid.
    awk '/^## A complete example/ {f = 1; next} /^Check it with/ {f = 0}
         f && /^    / {sub(/^    /, ""); print}' "$ROOT/docs/map-format.md" >"$T/example.yaml"
    [ -s "$T/example.yaml" ] || fail "no example found in docs/map-format.md"
    run validate --map "$T/example.yaml"
    expect_rc 0
    expect_out "valid map for Example Constabulary"
}

# ---- validate: checklist Y1-Y9 ----

case_validate_deep_nesting_y1() {
    { printf 'organisation: '; head -c 30000 /dev/zero | tr '\0' '['; } >"$T/deep.yaml"
    run validate --map "$T/deep.yaml"
    expect_rc 78
    expect_err "deep.yaml:1:78: error: nesting deeper than 64 levels"
}

case_validate_aliases_y2() {
    run validate --map "$FX/maps/alias.yaml"
    expect_rc 78
    expect_err "alias.yaml:2:8: error: anchors (&base) are not allowed"
}

case_validate_duplicate_key_y3() {
    run validate --map "$FX/maps/duplicate_key.yaml"
    expect_rc 78
    expect_err "duplicate_key.yaml:6:5: error: duplicate key 'title' (first at line 4:5)"
}

case_validate_caps_problems() {
    # 2000 duplicate keys: the first 100 listed, in file order, the rest counted.
    { echo "organisation: {name: Dup}"; echo "params:"; echo "  r:";
      for i in $(seq 2001); do echo "    k: $i"; done; } >"$T/dups.yaml"
    run validate --map "$T/dups.yaml"
    expect_rc 78
    [ "$(grep -c "error: duplicate key 'k'" "$T/err")" = 100 ] || fail "cap of 100 not applied"
    expect_err "dups.yaml:5:5: error: duplicate key 'k' (first at line 4:5)"
    expect_err "dups.yaml:104:5: error: duplicate key 'k'"
    expect_no_err "dups.yaml:105:5"
    expect_err "... and 1,900 more problems not shown"
    expect_err "2000 problems; not valid"
}

case_validate_encoding_y4() {
    printf 'organisation: {name: Caf\xe9}\n' >"$T/latin1.yaml"
    run validate --map "$T/latin1.yaml"
    expect_rc 78
    expect_err "latin1.yaml:1:25: error: invalid UTF-8"
    printf '\xff\xfeo\x00r\x00' >"$T/utf16.yaml"
    run validate --map "$T/utf16.yaml"
    expect_rc 78
    expect_err "utf16.yaml:1:1: error: the file is UTF-16"
}

case_validate_size_cap_y5() {
    { echo "organisation: {name: Big}"; printf 'notes: "'; head -c 9000000 /dev/zero | tr '\0' 'x'; echo '"'; } >"$T/big.yaml"
    run validate --map "$T/big.yaml"
    expect_rc 78
    expect_err "the limit for a map file is 8388608"
}

case_validate_documents_y6() {
    run validate --map "$FX/maps/two_documents.yaml"
    expect_rc 78
    expect_err "two_documents.yaml:2:1: error: a second document"
    run validate --map "$FX/maps/empty.yaml"
    expect_rc 78
    expect_err "empty.yaml:1:1: error: the file is empty"
    run validate --map "$FX/maps/scalar_root.yaml"
    expect_rc 78
    expect_err "scalar_root.yaml:1:1: error: expected a mapping"
}

case_validate_no_yaml11_guessing_y7() {
    run validate --map "$FX/maps/yaml11_types.yaml"
    expect_rc 78
    expect_err "yaml11_types.yaml:1:47: error: organisation.fiscal_year_start: a whole number may not start with 0 (YAML 1.1 would read it as octal): '010'"
    expect_err "yaml11_types.yaml:5:41: error: datasets[0].fields[0].required: expected true or false, got a plain value 'yes'"
    expect_err "yaml11_types.yaml:6:41: error: datasets[0].fields[1].required: expected true or false, got a plain value 'on'"
    expect_err "yaml11_types.yaml:7:43: error: datasets[0].fields[2].max_length: expected a whole number, not quoted text: '40'"
}

case_validate_tags_y8() {
    run validate --map "$FX/maps/tags.yaml"
    expect_rc 78
    expect_err "tags.yaml:1:22: error: tags (tag:yaml.org,2002:str) are not allowed"
}

case_validate_truncated_y9() {
    run validate --map "$FX/maps/truncated.yaml"
    expect_rc 78
    expect_err "truncated.yaml:4:1: error: found unexpected end of stream"
}

case_validate_schema_errors_in_file_order() {
    run validate --map "$FX/maps/schema_errors.yaml"
    expect_rc 78
    expect_err "schema_errors.yaml:4:36: error: units[1].parent: no unit with id 'WEST'"
    expect_err "schema_errors.yaml:6:5: error: areas[0].title: missing required value 'title'"
    expect_err "schema_errors.yaml:7:5: error: areas[0]: unknown key 'titel'; did you mean 'title'?"
    expect_err "schema_errors.yaml:8:16: error: areas[0].principle: no principle with id 'H'"
    expect_err "schema_errors.yaml:10:26: error: areas[0].required_lines[1]: no line with id 'L4'; did you mean 'L1'?"
    expect_err "schema_errors.yaml:11:5: error: duplicate area id 'vetting'"
    expect_err "schema_errors.yaml:15:49: error: sources[0].status: 'paused' is not a source status"
    expect_err "schema_errors.yaml:15:74: error: sources[0].areas[1]: no area with id 'dq'"
    expect_err "8 problems; not valid"
    # file order: line numbers never go down
    grep -oE '^[^ ]*schema_errors.yaml:[0-9]+' "$T/err" | sed 's/.*://' | sort -n -c ||
        fail "problems are not in file order"
}

case_validate_unit_cycle() {
    run validate --map "$FX/maps/unit_cycle.yaml"
    expect_rc 78
    expect_err "unit_cycle.yaml:3:5: error: unit 'FLP' is its own ancestor"
}

case_validate_includes() {
    run validate --map "$FX/maps/include_missing.yaml"
    expect_rc 78
    expect_err "include_missing.yaml:1:11: error: cannot include"
    run validate --map "$FX/maps/include_cycle_a.yaml"
    expect_rc 78
    expect_err "includes itself"
}

# ---- import: good data ----

case_import_good_data() {
    run import --map "$MAP" --db "$T/db" actions="$FX/actions.csv" engagements="$FX/engagements.json"
    expect_rc 0
    expect_out "actions                  3 rows from"
    expect_out "engagements              2 rows from"
    [ "$(sql "$T/db" "SELECT revised FROM actions WHERE action_id='A-001'")" = 2022-09-30 ] ||
        fail "DD/MM/YYYY date not stored as ISO"
    [ "$(sql "$T/db" "SELECT count(*) FROM actions WHERE priority_rank < 3")" = 2 ] ||
        fail "enum ranks do not compare"
    [ "$(sql "$T/db" "SELECT opinion FROM engagements WHERE opinion_rank <= 2")" = Limited ] ||
        fail "scale ranks do not compare"
    [ "$(sql "$T/db" "SELECT count(*) FROM map_area_lines WHERE area='vetting' AND required")" = 3 ] ||
        fail "map tables not written"
    [ "$(sql "$T/db" "PRAGMA quick_check")" = ok ] || fail "database not ok"
}

case_import_identical_again_changes_nothing_c7() {
    good_db
    local before
    before=$(sqlite3 "$T/db" .dump | sha256sum)
    run import --map "$MAP" --db "$T/db" actions="$FX/actions.csv" engagements="$FX/engagements.json"
    expect_rc 0
    expect_out "actions                  unchanged:"
    expect_out "engagements              unchanged:"
    [ "$(sqlite3 "$T/db" .dump | sha256sum)" = "$before" ] || fail "an identical import changed the database"
    [ "$(sql "$T/db" "SELECT count(*) FROM actions")" = 3 ] || fail "rows were duplicated"
}

case_import_replaces_snapshot() {
    good_db
    printf 'Action ID,Area,Priority,Due\nA-100,vetting,low,2024-01-01\n' >"$T/new.csv"
    # 1 row for 3 is a fall of 67%: the row-drop gate stops it unless accepted
    run import --map "$MAP" --db "$T/db" actions="$T/new.csv"
    expect_rc 65
    expect_err "new.csv: error: gate row-drop: 1 row would replace 3 in actions: a fall of 67%"
    [ "$(sql "$T/db" "SELECT count(*) FROM actions")" = 3 ] || fail "the gate let rows be replaced"
    run import --map "$MAP" --db "$T/db" --accept-gate row-drop actions="$T/new.csv"
    expect_rc 0
    expect_out "actions                  1 row from"
    expect_out "(replacing 3)"
    [ "$(sql "$T/db" "SELECT group_concat(action_id) FROM actions")" = A-100 ] || fail "not replaced"
    [ "$(sql "$T/db" "SELECT count(*) FROM engagements")" = 2 ] || fail "other dataset touched"
    # the rows replaced are kept as the previous snapshot
    [ "$(sql "$T/db" "SELECT count(*) FROM previous_actions")" = 3 ] || fail "no snapshot kept"
}

case_import_gate_empty_export() {
    good_db
    before=$(db_state "$T/db")
    printf 'Action ID,Area,Priority,Due\n' >"$T/empty.csv"
    run import --map "$MAP" --db "$T/db" actions="$T/empty.csv"
    expect_rc 65
    expect_err "empty.csv: error: gate empty-export: the export has no rows and would replace the 3 rows of actions; nothing was imported"
    expect_err "--accept-gate empty-export"
    [ "$(db_state "$T/db")" = "$before" ] || fail "stored data changed after a gate stopped the import"
    run import --map "$MAP" --db "$T/db" --accept-gate empty-export actions="$T/empty.csv"
    expect_rc 0
    [ "$(sql "$T/db" "SELECT count(*) FROM actions")" = 0 ] || fail "an accepted empty export was not imported"
    run import --map "$MAP" --db "$T/db" --accept-gate emptyexport actions="$T/empty.csv"
    expect_rc 64
    expect_err "--accept-gate: no gate 'emptyexport'; did you mean 'empty-export'?"
}

case_import_gate_stale_export() {
    good_db
    # the test data's newest date is 2023-01-15: stale (a warning) against 2024,
    # current against 2023-02-01; a map can make the gate stop the import
    printf 'Action ID,Area,Priority,Due\nA-001,vetting,low,2023-01-15\nA-002,vetting,low,2023-01-10\nA-003,vetting,low,2023-01-01\n' >"$T/a.csv"
    run import --map "$MAP" --db "$T/db" --as-of 2024-06-01 actions="$T/a.csv"
    expect_rc 0
    expect_err "a.csv: warning: gate stale-export: the newest Due in the export is 2023-01-15, 503 days before the as-of date 2024-06-01 (more than 90)"
    printf 'Action ID,Area,Priority,Due\nA-001,vetting,low,2023-01-16\nA-002,vetting,low,2023-01-10\nA-003,vetting,low,2023-01-01\n' >"$T/b.csv"
    run import --map "$MAP" --db "$T/db" --as-of 2023-02-01 actions="$T/b.csv"
    expect_rc 0
    expect_no_err "stale-export"
    sed 's/^assure: 1$/assure: 1\ngates: {stale-export: {action: stop, days: 30}}/' "$MAP" >"$T/map.yaml"
    run import --map "$T/map.yaml" --db "$T/db" --as-of 2024-06-01 actions="$T/a.csv"
    expect_rc 65
    expect_err "gate stale-export: the newest Due in the export is 2023-01-15, 503 days before the as-of date 2024-06-01 (more than 30); nothing was imported"
}

case_import_bom_crlf_quoted_newlines_c4_c5_c9() {
    run import --map "$MAP" --db "$T/db" actions="$FX/data/bom_crlf.csv"
    expect_rc 0
    [ "$(sql "$T/db" "SELECT note FROM actions WHERE action_id='A-001'" | od -c | grep -c '\\r  \\n')" = 1 ] ||
        fail "quoted CRLF not kept"
    [ "$(sql "$T/db" "SELECT note FROM actions WHERE action_id='A-002'")" = "=1+1, @SUM(A1), -2, +3" ] ||
        fail "formula-like text not stored verbatim"
    [ "$(sql "$T/db" "SELECT _line FROM actions WHERE action_id='A-002'")" = 4 ] ||
        fail "line numbers wrong after a quoted line break"
}

# ---- import: checklist C1-C10, J1, D1-D7 ----

case_import_ragged_rows_c1() {
    reject_import actions "$FX/data/ragged.csv"
    expect_err "ragged.csv:3: error: this row has 6 fields but the header has 9"
    expect_err "ragged.csv:4: error: this row has 10 fields but the header has 9"
}

case_import_unterminated_quote_c2() {
    reject_import actions "$FX/data/unterminated_quote.csv"
    expect_err "unterminated_quote.csv:2: error: Note: quote opened on line 2 is never closed"
    expect_no_err "unterminated_quote.csv:3"
}

case_import_stray_quotes_c3() {
    reject_import actions "$FX/data/stray_quote.csv"
    expect_err "stray_quote.csv:2: error: Note: a quote inside an unquoted field"
    expect_err "stray_quote.csv:3: error: Note: text after the closing quote"
}

case_import_nul_and_encoding_c5() {
    printf 'Action ID,Area,Priority,Due\nA-001,vetting,high,2022-03-31\nA-002,vett\0ing,high,2022-03-31\nA-003,Caf\xe9,high,2022-03-31\n' >"$T/enc.csv"
    reject_import actions "$T/enc.csv"
    expect_err "enc.csv:3: error: Area: NUL byte inside the field"
    expect_err "enc.csv:4: error: Area: invalid UTF-8"
}

case_import_header_problems_c6() {
    reject_import actions "$FX/data/bad_header.csv"
    expect_err "bad_header.csv:1: error: column 3 'Area' appears twice (also column 2)"
    expect_err "bad_header.csv:1: error: column 6 'Colour' is not a column of dataset 'actions'"
    expect_err "takes the columns: Action ID*, Area*, Priority*, Due*, Revised"
    reject_import actions "$FX/data/missing_column.csv"
    expect_err "missing_column.csv:1: error: required column 'Area' is missing"
    # a column for a field the map says is not kept is named as such
    cat >"$T/lean.yaml" <<EOF
include: [$FX/map.yaml]
datasets:
  - {id: actions, overlay: true, fields: [{name: cost, captured: false}]}
EOF
    run import --map "$T/lean.yaml" --db "$T/lean.db" actions="$FX/actions.csv"
    expect_rc 65
    expect_err "actions.csv:1: error: column 7 'Cost' is field 'cost', which the map says is not captured"
}

case_import_size_caps_c8() {
    reject_import actions "$FX/actions.csv" --max-file-size 100
    expect_err "actions.csv: error: file is"
    expect_err "the limit is 100"
}

case_import_spreadsheet_damage_c10() {
    reject_import actions "$FX/data/bad_values.csv"
    # 'High' is the value high: enum values match ignoring case
    expect_no_err "bad_values.csv:2:"
    expect_err "bad_values.csv:3: error: Priority: 'urgent': not an allowed value"
    expect_err "bad_values.csv:4: error: Area: 'vettng': no area with this id in the map; did you mean 'vetting'?"
    expect_err "bad_values.csv:5: error: Extensions: '1.5': not a whole number"
    expect_err "bad_values.csv:6: error: Cost: '1.23E+15': scientific notation is not accepted"
    expect_err "bad_values.csv:7: error: Extensions: '007': a whole number may not start with 0"
    expect_err "bad_values.csv:8: error: Verified: 'maybe': expected true/false"
    expect_err "bad_values.csv:9: error: Action ID: '00123': does not match the pattern"
    expect_err "bad_values.csv:11: error: duplicate key (Action ID): the same as line 10"
}

case_import_dates_d1_to_d7() {
    reject_import actions "$FX/data/bad_dates.csv"
    expect_err "bad_dates.csv:2: error: Due: '2023-02-31': no such day: February 2023 has 28 days"
    expect_err "bad_dates.csv:3: error: Due: '2023-02-29': no such day: February 2023 has 28 days"
    expect_err "bad_dates.csv:4: error: Due: '2023-04-31': no such day: April 2023 has 30 days"
    expect_err "bad_dates.csv:5: error: Due: '2023-1-5': not a date in the form YYYY-MM-DD"
    expect_err "bad_dates.csv:6: error: Due: '2023-01-05x': not a date"
    # a stray space is not part of the value
    expect_no_err "bad_dates.csv:7:"
    expect_err "bad_dates.csv:8: error: Due: '05/01/2023': not a date in the form YYYY-MM-DD"
    expect_err "bad_dates.csv:9: error: Due: '45000': looks like a spreadsheet serial number"
    expect_err "bad_dates.csv:10: error: Due: '2023-01-05T24:00': not a date"
    expect_err "bad_dates.csv:11: error: Due: '0000-01-01': year 0 is outside 1900-2100"
    expect_err "bad_dates.csv:12: error: Due: '10000-01-01': not a date"
    expect_err "bad_dates.csv:13: error: Due: '': a value is required"
    expect_err "bad_dates.csv:14: error: Revised: '31/02/2023': no such day"
}

case_import_json_j1() {
    reject_import engagements "$FX/data/bad.json"
    expect_err "bad.json:2:47: error: duplicate key \"area\" in one object"
    reject_import engagements "$FX/data/nested.json"
    expect_err "nested.json:2:36: error: nested objects are not allowed"
    reject_import engagements "$FX/data/big_number.json"
    expect_err "big_number.json:1:62: error: integer beyond 2^53"
    printf '[{"engagement_id": "E-1", "area": "vetting", "opinion": "Reasonable"}]' >"$T/scale.json"
    reject_import engagements "$T/scale.json"
    expect_err "scale.json:1:57: error: opinion: 'Reasonable': not an allowed value (Substantial, Adequate, Limited, No)"
}

case_import_all_or_nothing_across_files() {
    good_db
    local before
    before=$(db_state "$T/db")
    printf 'Action ID,Area,Priority,Due\nA-100,vetting,low,2024-01-01\n' >"$T/new.csv"
    run import --map "$MAP" --db "$T/db" actions="$T/new.csv" engagements="$FX/data/nested.json"
    expect_rc 65
    [ "$(db_state "$T/db")" = "$before" ] || fail "a good file was imported beside a bad one"
    [ "$(sql "$T/db" "SELECT group_concat(action_id) FROM actions")" = A-001,A-002,A-003 ] ||
        fail "actions changed"
}

case_import_error_cap() {
    { echo "Action ID,Area,Priority,Due"; for i in $(seq 100 399); do echo "A-$i,nowhere,high,2022-01-01"; done; } >"$T/many.csv"
    reject_import actions "$T/many.csv" --max-errors 5
    [ "$(grep -c 'no area with this id' "$T/err")" = 5 ] || fail "cap not applied"
    expect_err "... and 295 more problems not shown"
    expect_err "import rejected: 300 problems"
}

case_import_duplicate_rows_capped() {
    # Every row after the first has the key of the first: the database finds
    # them, and only the first few are kept with their lines.
    { echo "Action ID,Area,Priority,Due"; for i in $(seq 400); do echo "A-100,vetting,high,2022-01-01"; done; } >"$T/dups.csv"
    reject_import actions "$T/dups.csv" --max-errors 7
    [ "$(grep -c 'duplicate key (Action ID): the same as line 2' "$T/err")" = 7 ] || fail "cap not applied"
    expect_err "dups.csv:3: error: duplicate key"
    expect_err "... and 392 more problems not shown"
    expect_err "import rejected: 399 problems"
}

# ---- import: files and the database ----

case_import_missing_file() {
    good_db
    run import --map "$MAP" --db "$T/db" actions="$T/nowhere.csv"
    expect_rc 66
    expect_err "nowhere.csv: error: cannot open: No such file or directory"
}

case_import_bad_map() {
    run import --map "$FX/maps/schema_errors.yaml" --db "$T/db" actions="$FX/actions.csv"
    expect_rc 78
    [ ! -e "$T/db" ] || fail "a bad map created the database"
}

case_import_locked_database() {
    good_db
    local before
    before=$(db_state "$T/db")
    # Another process holds the write lock until the import has given up
    # (it says when it holds it, so a slow machine cannot race the test).
    (printf "BEGIN IMMEDIATE;\nINSERT INTO assure_meta VALUES('held','1');\n.shell touch '%s'\n" "$T/held"
        while [ ! -e "$T/done" ]; do sleep 0.1; done
        echo "ROLLBACK;") | sqlite3 "$T/db" &
    local holder=$! i
    for i in $(seq 600); do [ -e "$T/held" ] && break; sleep 0.1; done
    [ -e "$T/held" ] || fail "the lock holder never took the lock"
    printf 'Action ID,Area,Priority,Due\nA-100,vetting,low,2024-01-01\n' >"$T/new.csv"
    run import --map "$MAP" --db "$T/db" --busy-timeout 200 actions="$T/new.csv"
    touch "$T/done"
    wait "$holder"
    expect_rc 75
    expect_err "database is locked by another process"
    expect_err "try again later"
    [ "$(db_state "$T/db")" = "$before" ] || fail "data changed"
}

# check, diff and history read a database its user may only read, in a
# directory they may not write, and write nothing there.
case_check_reads_a_read_only_database() {
    good_db
    sql "$T/db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    rm -f "$T/db-wal" "$T/db-shm"
    mkdir "$T/ro"
    mv "$T/db" "$T/ro/db"
    local before
    before=$(sha256sum <"$T/ro/db")
    chmod 444 "$T/ro/db"
    chmod 555 "$T/ro"
    chmod 755 "$T"
    local as=()
    if [ "$(id -u)" = 0 ]; then
        command -v setpriv >/dev/null || { chmod 755 "$T/ro"; exit 77; }
        as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        # the checkout must be readable by that user, or there is nothing to show
        "${as[@]}" "$ASSURE" validate --map "$MAP" >/dev/null 2>&1 || { chmod 755 "$T/ro"; exit 77; }
    fi
    "${as[@]}" "$ASSURE" check --map "$MAP" --db "$T/ro/db" --rules "$FX/rules" --rule high-actions \
        --as-of 2022-10-03 >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 1
    expect_out "high-actions  A-001"
    "${as[@]}" "$ASSURE" history --db "$T/ro/db" >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 0
    chmod 755 "$T/ro"
    [ "$(ls -A "$T/ro")" = db ] || fail "files were written beside the database: $(ls -A "$T/ro")"
    [ "$(sha256sum <"$T/ro/db")" = "$before" ] || fail "the database was written"
}

# A database whose schema version no assure writes is refused untouched.
case_import_refuses_absurd_schema_version() {
    good_db
    sql "$T/db" "PRAGMA user_version=-7"
    local before
    before=$(sha256sum <"$T/db")
    run import --map "$MAP" --db "$T/db" actions="$FX/actions.csv"
    expect_rc 65
    expect_err "the database's schema version is -7, which no assure writes; refusing to touch it"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --as-of 2022-10-03
    expect_rc 65
    [ "$(sha256sum <"$T/db")" = "$before" ] || fail "the database was written"
}

# An import killed part-way stores nothing, and the next commands say it
# did not finish; a large import leaves no large WAL behind.
case_import_killed_part_way() {
    awk -v rows=120000 -f "$ROOT/tests/bench/gen_actions.awk" >"$T/big.csv"
    run import --map "$MAP" --db "$T/db" --as-of 2022-10-03 actions="$T/big.csv"
    expect_rc 0
    [ ! -s "$T/db-wal" ] || fail "a 120,000-row import left a WAL of $(stat -c %s "$T/db-wal") bytes"
    local before pid i
    before=$(db_state "$T/db")
    awk -v rows=120001 -f "$ROOT/tests/bench/gen_actions.awk" >"$T/big2.csv"
    "$ASSURE" import --map "$MAP" --db "$T/db" --as-of 2022-10-04 actions="$T/big2.csv" \
        >/dev/null 2>&1 &
    pid=$!
    for i in $(seq 500); do
        [ "$(sql "$T/db" "SELECT count(*) FROM assure_imports WHERE outcome = 'started'")" = 1 ] && break
        sleep 0.02
    done
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    [ "$(db_state "$T/db")" = "$before" ] || fail "a killed import changed the data"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule high-actions --as-of 2022-10-03
    expect_err "warning: the import of actions started at"
    expect_err "did not finish (its process was stopped); nothing of it was stored"
    run import --map "$MAP" --db "$T/db" --as-of 2022-10-04 actions="$T/big2.csv"
    expect_rc 0
    expect_err "did not finish (its process was stopped)"
    expect_out "120001 rows from"
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_imports WHERE outcome = 'interrupted'")" = 1 ] ||
        fail "the interrupted import is not in the log"
    run import --map "$MAP" --db "$T/db" --as-of 2022-10-04 actions="$FX/actions.csv" --accept-gate row-drop
    expect_no_err "did not finish"
}

case_import_refuses_foreign_files() {
    printf 'Dear diary,\nthis is not a database.\n' >"$T/notes.db"
    cp "$T/notes.db" "$T/notes.orig"
    run import --map "$MAP" --db "$T/notes.db" actions="$FX/actions.csv"
    expect_rc 65
    expect_err "notes.db: error: not an SQLite database; refusing to touch it"
    cmp -s "$T/notes.db" "$T/notes.orig" || fail "the foreign file was changed"
    sqlite3 "$T/other.db" "CREATE TABLE invoices(id, amount); INSERT INTO invoices VALUES(1, 9.5);"
    cp "$T/other.db" "$T/other.orig"
    run import --map "$MAP" --db "$T/other.db" actions="$FX/actions.csv"
    expect_rc 65
    expect_err "belongs to another program"
    cmp -s "$T/other.db" "$T/other.orig" || fail "the other program's database was changed"
    [ ! -e "$T/other.db-wal" ] || fail "a WAL file was created beside it"
}

case_import_cannot_create_database() {
    run import --map "$MAP" --db "$T/no/such/dir/x.db" actions="$FX/actions.csv"
    expect_rc 73
    expect_err "x.db: error: cannot open the database"
}

case_import_disk_full() {
    # Needs root to mount a small tmpfs; exit 77 makes ctest show a skip.
    [ "$(id -u)" -eq 0 ] || { echo "skipped: mounting a tmpfs needs root"; exit 77; }
    mkdir -p "$T/small"
    mount -t tmpfs -o size=2m tmpfs "$T/small" || { echo "skipped: cannot mount a tmpfs"; exit 77; }
    trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
    "$ASSURE" import --map "$MAP" --db "$T/small/db" actions="$FX/actions.csv" >/dev/null ||
        fail "could not import the small file"
    local before
    before=$(db_state "$T/small/db")
    awk -v rows=30000 -f "$ROOT/tests/bench/gen_actions.awk" >"$T/big.csv"
    run import --map "$MAP" --db "$T/small/db" actions="$T/big.csv"
    expect_rc 74
    expect_err "database or disk is full"
    [ "$(db_state "$T/small/db")" = "$before" ] || fail "data changed after disk full"
    [ "$(sql "$T/small/db" "PRAGMA quick_check")" = ok ] || fail "database damaged"
}

# The good database grown by 3000 blobs in the given journal mode (DELETE,
# or WAL checkpointed into the file), then 16 KB in the middle of the file
# overwritten; the header stays valid.
damaged_db() { # journal-mode
    good_db
    sqlite3 "$T/db" "PRAGMA journal_mode=$1; CREATE TABLE filler(x);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<3000)
        INSERT INTO filler SELECT randomblob(200) FROM n;
        PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    dd if=/dev/urandom of="$T/db" bs=4096 seek=20 count=4 conv=notrunc status=none
}

case_import_refuses_damaged_database() {
    damaged_db DELETE
    cp "$T/db" "$T/db.orig"
    run import --map "$MAP" --db "$T/db" actions="$FX/actions.csv"
    expect_rc 74
    expect_err "the database is damaged"
    cmp -s "$T/db" "$T/db.orig" || fail "the damaged file was written to"
}


# ---- check ----

EXAMPLE_MAP=mappings/met-2021-22/map.yaml

example_db() {
    local f files=()
    for f in "$ROOT"/fixtures/met-2021-22/*.csv; do files+=("$(basename "$f" .csv)=$f"); done
    "$ASSURE" import --map "$ROOT/$EXAMPLE_MAP" --db "$T/db" --as-of 2022-10-03 "${files[@]}" >/dev/null ||
        fail "example import failed"
}

# Findings that outgrow what check keeps in memory (8 MiB) go to a temporary
# file beside the output, unlinked at once, and come back whole and in order.
case_check_large_output_spills_to_disk() {
    good_db
    mkdir -p "$T/out.d" "$T/tmp"
    # (JSON Lines: the formats workers format themselves; CSV and text are
    # laid out across rules by the parent)
    run check --map "$MAP" --db "$T/db" --rules "$FX/spill" --as-of 2022-10-03 --format jsonl \
        --max-findings 30000 --output "$T/out.d/list.jsonl"
    expect_rc 1
    [ "$(ls -A "$T/out.d")" = list.jsonl ] || fail "files left beside the output: $(ls -A "$T/out.d")"
    local size
    size=$(wc -c <"$T/out.d/list.jsonl")
    [ "$size" -gt $((8 << 20)) ] || fail "the list is $size bytes: too small to have been spilled"
    [ "$(grep -c '^{"type": "finding"' "$T/out.d/list.jsonl")" -eq 25000 ] ||
        fail "expected 25000 findings"
    # each subject once, in order, though the rule flagged them in reverse
    grep '^{"type": "finding"' "$T/out.d/list.jsonl" | grep -o '"subject": "[^"]*"' |
        cut -d'"' -f4 >"$T/subjects"
    awk 'BEGIN { for (i = 1; i <= 25000; i++) printf "s%05d\n", i }' | cmp -s - "$T/subjects" ||
        fail "the findings are not s00001 to s25000 in order"
    # to standard output, the spool goes to $TMPDIR
    TMPDIR=$T/tmp run check --map "$MAP" --db "$T/db" --rules "$FX/spill" --as-of 2022-10-03 \
        --format jsonl --max-findings 30000
    expect_rc 1
    [ "$(grep -c '^{"type": "finding", "rule": "many"' "$T/out")" -eq 25000 ] ||
        fail "expected 25000 findings as JSON Lines"
    [ -z "$(ls -A "$T/tmp")" ] || fail "the temporary file was left behind: $(ls -A "$T/tmp")"
}

# A spool that cannot be written fails the run (74) before anything is printed.
# Not under ASSURE_WRAP: valgrind itself needs $TMPDIR.
case_check_spool_not_writable() {
    good_db
    TMPDIR=$T/missing "$ASSURE" check --map "$MAP" --db "$T/db" --rules "$FX/spill" \
        --as-of 2022-10-03 --format jsonl --max-findings 30000 >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 74
    expect_err "cannot create a temporary file in $T/missing"
    [ ! -s "$T/out" ] || fail "something was printed"
}

# A worker that dies after sending its findings: they are in the spool, but a
# rule that did not finish contributes none of them.
case_check_findings_of_a_crashed_rule_dropped() {
    good_db
    mkdir -p "$T/rules" "$T/tmp"
    cp "$FX/spill/many.lua" "$ROOT/fixtures/hostile/good.lua" "$T/rules/"
    ASSURE_TEST_CRASH_RULE=many:sent TMPDIR=$T/tmp run check --map "$MAP" --db "$T/db" \
        --rules "$T/rules" --as-of 2022-10-03 --format jsonl --max-findings 30000
    expect_rc 2
    grep -qF '"rule": "many", "severity"' "$T/out" && fail "a finding of the crashed rule was listed"
    grep -qF '"type": "failure", "rule": "many"' "$T/out" || fail "the crash is not reported"
    expect_out '"type": "finding", "rule": "good"'
    expect_out '"findings": 1,'
}

case_check_example_in_every_format() {
    example_db
    cd "$ROOT" || fail "no project root"
    for f in text csv json jsonl; do
        COLUMNS=80 run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 \
            --format "$f"
        [ "$RC" -ne 2 ] || fail "a standard rule failed on the example"
        expect_rc 1
        grep -v '"elapsed_ms"' "$T/out" >"$T/got.$f"
        diff -u "fixtures/met-2021-22/expected/exceptions.$f" "$T/got.$f" >&2 ||
            fail "the $f exception list differs from fixtures/met-2021-22/expected/exceptions.$f"
    done
}

# --rules given twice: the library and local rules; a local rule with a
# library rule's id replaces it, with a warning.
case_check_rules_from_two_directories() {
    example_db
    cd "$ROOT" || fail "no project root"
    mkdir -p "$T/local"
    sed 's/grace_days = 0/grace_days = 400/' rules/overdue-actions.lua >"$T/local/overdue-actions.lua"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --rules "$T/local" --as-of 2022-10-03 \
        --format csv
    expect_rc 1
    expect_err "local/overdue-actions.lua:4: warning: rule 'overdue-actions' here replaces the one in rules/overdue-actions.lua"
    grep -q '^overdue-actions,' "$T/out" && fail "the library's overdue-actions ran, not the local one"
    expect_out "long-outstanding-actions,high,overdue,A-BR-01"
    run validate --map "$EXAMPLE_MAP" --rules rules --rules "$T/local"
    expect_rc 0
    expect_out "rules, $T/local: 45 valid rules"
    # two rules of one id in one directory are still an error
    cp "$T/local/overdue-actions.lua" "$T/local/again.lua"
    run validate --map "$EXAMPLE_MAP" --rules rules --rules "$T/local"
    expect_rc 78
    expect_err "duplicate rule id 'overdue-actions' (also in $T/local/again.lua)"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --rules "$T/nowhere"
    expect_rc 66
}

# A rule that fails inside a ctx:rows loop is reported with its file:line
# and the row it had reached; covers naming what the map lacks only warns.
case_check_rule_failure_names_its_row() {
    good_db
    mkdir -p "$T/rules"
    cat >"$T/rules/boom.lua" <<'LUA'
return {
  id = "boom", title = "Boom", severity = "low", category = "gap",
  description = "fails at the second action",
  covers = { datasets = { "actions" }, principles = { "Z" } },
  check = function(ctx)
    for a in ctx:rows("SELECT due, action_id FROM actions ORDER BY action_id") do
      if a.action_id == "A-002" then local n = #a.revised end
    end
  end,
}
LUA
    # wide enough that the failure's message stays on one line
    COLUMNS=250 run check --map "$MAP" --db "$T/db" --rules "$T/rules" --as-of 2022-10-03
    expect_rc 2
    expect_err "boom.lua:2: warning: boom: covers.principles names 'Z', which the map does not have; the rule still runs"
    expect_out "boom.lua:7: attempt to get length of a nil value (field 'revised') (at the row with action_id = A-002)"
}

# assure rules lists the library; the rule family pages must stay true to
# it: every rule has a row, naming each parameter with its default.
case_rules_list_matches_the_docs() {
    cd "$ROOT" || fail "no project root"
    run rules --rules rules --map "$EXAMPLE_MAP"
    expect_rc 0
    expect_out "overdue-actions  (medium, overdue)"
    expect_out "  param grace_days = 0 (number)"
    run rules --rules rules --format json
    expect_rc 0
    expect_out '{"name": "max_share", "type": "number", "default": 0.2}'
    run rules --rules rules
    local rule="" line name value type n=0
    while IFS= read -r line; do
        case $line in
        [a-z]*"  ("*) rule=${line%%  (*}; n=$((n + 1))
            grep -qF -- "| \`$rule\` |" docs/rules-*.md docs/waivers.md || fail "no row for $rule in docs/rules-*.md docs/waivers.md" ;;
        "  param "*)
            name=${line#  param }; name=${name%% = *}
            value=${line#* = }; type=${value##* (}; value=${value% (*}
            row=$(grep -hF -- "| \`$rule\` |" docs/rules-*.md docs/waivers.md)
            if [ "$type" = "text)" ]; then
                [[ $row == *"\`$name\`"* ]] || fail "docs for $rule do not name its parameter $name"
            else
                [[ $row == *"\`$name\` ($value)"* ]] ||
                    fail "docs for $rule do not give its parameter as \`$name\` ($value)"
            fi ;;
        esac
    done <"$T/out"
    [ "$n" -ge 40 ] || fail "only $n rules listed"
}

case_check_docs_tutorial_rule() {
    # The first rule in docs/rules.md must load and run as the page says.
    mkdir -p "$T/tutorial"
    awk '/^```lua$/ {n++; if (n == 1) {f = 1; next}} /^```$/ {f = 0} f' "$ROOT/docs/rules.md" \
        >"$T/tutorial/high-not-started.lua"
    example_db
    COLUMNS=200 run check --map "$ROOT/$EXAMPLE_MAP" --db "$T/db" --rules "$T/tutorial" \
        --as-of 2022-10-03
    expect_rc 1
    expect_out "high-not-started  A-DET-02"
    expect_out "Define roles, responsibilities and accountabilities in Met Detention: not started, due 2022-03-31"
}

case_check_output_does_not_depend_on_jobs() {
    example_db
    cd "$ROOT" || fail "no project root"
    for j in 1 2 4; do
        run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format json \
            --jobs "$j" --output "$T/jobs$j.json"
        expect_rc 1
        grep -v '"elapsed_ms"' "$T/jobs$j.json" >"$T/jobs$j.cmp"
    done
    cmp "$T/jobs1.cmp" "$T/jobs2.cmp" || fail "--jobs 1 and --jobs 2 differ"
    cmp "$T/jobs1.cmp" "$T/jobs4.cmp" || fail "--jobs 1 and --jobs 4 differ"
}

case_check_exit_codes() {
    good_db
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule quiet
    expect_rc 0
    expect_out "No exceptions."
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule high-actions --rule quiet
    expect_rc 1
    expect_out "1 finding from 2 rules"
    expect_out "high-actions  A-001    high priority"
}

case_check_ctx_api() {
    "$ASSURE" import --map "$FX/map_api.yaml" --db "$T/db" actions="$FX/actions.csv" >/dev/null ||
        fail "import failed"
    run check --map "$FX/map_api.yaml" --db "$T/db" --rules "$FX/rules" --rule api --as-of 2022-10-03 \
        --format csv
    expect_rc 1
    local expected
    for expected in "as_of,2022-10-03" "param.grace_days,14" "param.label,overridden" \
        "param.strict,false" "quarter,Q4 2022/23" "quarter.default,Q3 2022/23" \
        "fiscal_year,2022/23" "quarter_bounds,2024-01-01..2024-03-31" \
        "add_months,2023-02-28 2024-02-29" "add_days,2024-03-01" "days_between,1" \
        "one.value,3" "one.row,medium" "one.none,nil" "map.unit,2 of 2" \
        "map.root,15 area..units" "map.root.readonly,refused" "map.org,Test Constabulary" \
        "map.area,Vetting / 2 areas" "map.lines,4 Internal audit (third line)" "map.scale,2 of 4" \
        "map.readonly,refused" "map.pairs,2" "strict.globals,undefined global 'undefined_name'" \
        "bind.count,has 2 parameters but 1 value was given" "captured,true false false has no field 'nope'" "latest,A-001 A-002 / has no field 'nope'"; do
        grep -qF "api,low,info,${expected%%,*},${expected#*,}," "$T/out" || fail "ctx API: expected $expected"
    done
    expect_out "api,high,info,full,all fields,Headquarters,EAST,data_quality,L1,D,Owner,2022-12-31,"
    expect_out "a=one; b=2; c=true"
    expect_err "log: api: log line 42 true nil (table)"
}

case_check_profile() {
    example_db
    cd "$ROOT" || fail "no project root"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 --format json \
        --profile --output "$T/out.json"
    expect_rc 1
    expect_err "rule                                     ms k instructions    rows read  findings"
    expect_err "total"
    local n
    n=$(ls rules/*.lua | wc -l)
    [ "$(grep -c '^[a-z-]* *[0-9.]* *[0-9]* *[0-9]* *[0-9]* *[0-9]*$' "$T/err")" = "$n" ] ||
        fail "expected a profile line for each of the $n rules"
    grep -qE '^overdue-actions +[0-9.]+ +[0-9]+ +4 +4 ' "$T/err" || fail "overdue-actions: rows read or findings wrong"
}

case_check_flag_rows() {
    good_db
    mkdir -p "$T/rules"
    cat >"$T/rules/rows.lua" <<'LUA'
return { id = "rows", title = "t", severity = "low", category = "gap", description = "d",
  check = function(ctx)
    local n = ctx:flag_rows([[
      SELECT action_id AS subject, 'due ' || due AS message, area,
             CASE priority WHEN 'high' THEN 'high' END AS severity,
             priority AS evidence_priority, extensions AS evidence_extensions, due
        FROM actions WHERE due < ? ORDER BY action_id]], "2023-01-01")
    ctx:log("flagged", n)
  end }
LUA
    cat >"$T/rules/badcol.lua" <<'LUA'
return { id = "badcol", title = "t", severity = "low", category = "gap", description = "d",
  check = function(ctx) ctx:flag_rows("SELECT action_id AS subjet, 'm' AS message FROM actions") end }
LUA
    cat >"$T/rules/badref.lua" <<'LUA'
return { id = "badref", title = "t", severity = "low", category = "gap", description = "d",
  check = function(ctx) ctx:flag_rows("SELECT action_id AS subject, 'm' AS message, 'nowhere' AS area FROM actions") end }
LUA
    run check --map "$MAP" --db "$T/db" --rules "$T/rules" --format csv
    expect_rc 2
    expect_out "rows,high,gap,A-001,due 2022-03-31,Headquarters,,vetting,,,,2022-03-31,"
    expect_out "extensions=2; priority=high"
    expect_out "rows,low,gap,A-002,due 2022-06-30,"
    expect_err "log: rows: flagged 2"
    run check --map "$MAP" --db "$T/db" --rules "$T/rules" --format json
    grep -qF "column 'subjet' is not a finding field" "$T/out" || fail "a misspelt column was accepted"
    grep -qF "flag_rows: area 'nowhere' is not in the map" "$T/out" || fail "a bad area was accepted"
}

case_check_csv_is_formula_safe() {
    good_db
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule notes --format csv
    expect_rc 1
    expect_out 'notes,low,info,A-001,"Vetting IT system, delayed",'
    expect_out "notes,low,info,A-003,\"'=SUM(A1) stays as text\","
}

case_check_text_has_no_colour_off_a_terminal() {
    example_db
    cd "$ROOT" || fail "no project root"
    run check --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03
    expect_rc 1
    if grep -q $'\033' "$T/out"; then fail "colour codes written to a pipe"; fi
}

case_check_refuses_a_map_not_imported() {
    good_db
    run check --map "$FX/map_api.yaml" --db "$T/db" --rules "$FX/rules" --rule quiet
    expect_rc 65
    expect_err "the database holds a different version of the map"
    # Reloading just the map (no data files) lets the check run.
    run import --map "$FX/map_api.yaml" --db "$T/db"
    expect_rc 0
    expect_out "map tables loaded from"
    [ "$(sql "$T/db" "SELECT count(*) FROM actions")" = 3 ] || fail "data changed"
    run check --map "$FX/map_api.yaml" --db "$T/db" --rules "$FX/rules" --rule quiet
    expect_rc 0
    run check --map "$MAP" --db "$T/none.db" --rules "$FX/rules"
    expect_rc 66
    [ ! -e "$T/none.db" ] || fail "check created a database"
}

case_check_refuses_damaged_database() {
    damaged_db DELETE
    echo "previous list" >"$T/out.csv"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule quiet --output "$T/out.csv"
    expect_rc 74
    expect_err "the database is damaged"
    [ "$(cat "$T/out.csv")" = "previous list" ] || fail "output written from a damaged database"
}

# The same damage to a database in WAL mode, as assure leaves it: the check
# runs beside the rules (in a process of its own), and still nothing they
# found is printed or written.
case_check_refuses_damaged_database_checked_beside_the_rules() {
    damaged_db WAL
    [ "$(sqlite3 "$T/db" "PRAGMA journal_mode")" = wal ] || fail "the database is not in WAL mode"
    echo "previous list" >"$T/out.csv"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule high-actions --format csv \
        --as-of 2022-10-03 --output "$T/out.csv"
    expect_rc 74
    expect_err "the database is damaged"
    [ "$(cat "$T/out.csv")" = "previous list" ] || fail "output written from a damaged database"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule high-actions --as-of 2022-10-03
    expect_rc 74
    [ ! -s "$T/out" ] || fail "findings printed from a damaged database"
}

case_check_usage_errors() {
    good_db
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule quite
    expect_rc 64
    expect_err "--rule quite: no rule with this id"
    expect_err "did you mean 'quiet'?"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --as-of 2022-02-30
    expect_rc 64
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --format xml
    expect_rc 64
    run check --map "$MAP" --db "$T/db"
    expect_rc 64
    run check --map "$MAP" --db "$T/db" --rules "$T/no-rules"
    expect_rc 66
}

case_check_output_file_is_atomic() {
    good_db
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule quiet --output "$T/no/dir/out.txt"
    expect_rc 73
    # checked before the rules run: the same code when the list would have
    # been too long to keep in memory
    run check --map "$MAP" --db "$T/db" --rules "$FX/spill" --format csv --max-findings 30000 \
        --output "$T/no/dir/out.csv"
    expect_rc 73
    expect_err "cannot create the output file"
    echo "previous exception list" >"$T/out.csv"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule high-actions --format csv \
        --output "$T/out.csv"
    expect_rc 1
    grep -q "^high-actions," "$T/out.csv" || fail "output not written"
    [ "$(ls "$T" | grep -c 'out.csv.tmp')" = 0 ] || fail "a temporary file was left behind"
    # A full disk keeps the previous file whole.
    [ "$(id -u)" -eq 0 ] || { echo "skipped: mounting a tmpfs needs root"; exit 77; }
    mkdir -p "$T/small"
    mount -t tmpfs -o size=64k tmpfs "$T/small" || { echo "skipped: cannot mount a tmpfs"; exit 77; }
    trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
    echo "previous exception list" >"$T/small/out.txt"
    head -c 40000 /dev/zero >"$T/small/filler"
    "$ASSURE" import --map "$MAP" --db "$T/big.db" actions="$FX/actions.csv" >/dev/null
    awk -v rows=3000 -f "$ROOT/tests/bench/gen_actions.awk" >"$T/many.csv"
    "$ASSURE" import --map "$MAP" --db "$T/big.db" actions="$T/many.csv" >/dev/null || fail "import"
    run check --map "$MAP" --db "$T/big.db" --rules "$FX/rules" --rule high-actions \
        --output "$T/small/out.txt"
    expect_rc 74
    [ "$(cat "$T/small/out.txt")" = "previous exception list" ] || fail "the previous file was damaged"
    [ "$(ls "$T/small" | grep -c tmp)" = 0 ] || fail "a temporary file was left behind"
}

# ---- text for a terminal: control sequences in the data are shown, not obeyed ----

# An export whose notes hold each kind of sequence a terminal acts on: a
# colour (ESC[31m), an OSC window title (ESC]0;... BEL), a screen clear
# (ESC[2J), CR, BS, a right-to-left override (U+202E), a C1 CSI (U+009B) and
# a newline inside a value.
control_export() {
    { echo 'Action ID,Area,Priority,Due,Revised,Extensions,Cost,Verified,Note'
      printf 'A-101,vetting,high,2022-03-31,,,,,red \033[31mRED\033[0m\n'
      printf 'A-102,vetting,high,2022-03-31,,,,,\033]0;pwned title\007osc\n'
      printf 'A-103,vetting,high,2022-03-31,,,,,clear\033[2J\n'
      printf 'A-104,vetting,high,2022-03-31,,,,,"over\rwrite"\n'
      printf 'A-105,vetting,high,2022-03-31,,,,,back\bspace\n'
      printf 'A-106,vetting,high,2022-03-31,,,,,rtl \342\200\256txt.exe\n'
      printf 'A-107,vetting,high,2022-03-31,,,,,c1 \302\23331m\n'
      printf 'A-108,vetting,high,2022-03-31,,,,,"line\nbreak"\n'; } >"$T/ctl.csv"
}
# No byte that steers a terminal in the file (the newlines that end lines apart).
no_raw_controls() { # file
    LC_ALL=C tr -d '\n' <"$1" | LC_ALL=C grep -q '[[:cntrl:]]' &&
        fail "$1 holds a raw control character"
    local b
    for b in $'\xe2\x80\xae' $'\xe2\x80\xad' $'\xc2\x9b' $'\x9b'; do
        LC_ALL=C grep -qF -- "$b" "$1" && fail "$1 holds a raw C1 control or bidirectional override"
    done
    true
}
expect_escaped() { # file
    local e
    for e in 'red \x1b[31mRED\x1b[0m' '\x1b]0;pwned title\x07osc' 'clear\x1b[2J' 'over\rwrite' \
        'back\x08space' 'rtl \u202etxt.exe' 'c1 \u009b31m' 'line\nbreak' '[\u009b1m|\x9b2m]'; do
        grep -qF -- "$e" "$1" || fail "$1 lacks the escaped form $e"
    done
}

case_text_output_escapes_control_characters() {
    control_export
    "$ASSURE" import --map "$MAP" --db "$T/db" --as-of 2022-10-03 actions="$T/ctl.csv" >/dev/null 2>&1 ||
        fail "could not import the export with control characters"
    # wide, so that no escaped form is wrapped across two lines
    COLUMNS=400 run check --map "$MAP" --db "$T/db" --rules "$FX/terminal" --as-of 2022-10-03
    expect_rc 2
    no_raw_controls "$T/out"
    expect_escaped "$T/out"
    expect_out "owner: red \x1b[31mRED\x1b[0m"
    expect_out 'fails-loudly.lua:7:'
    expect_out 'gone \u202elmth.exe'
    # the rule's log lines, on standard error
    no_raw_controls "$T/err"
    expect_err 'log: echo-notes: note of A-106 rtl \u202etxt.exe'
    # CSV and JSON keep the data as it is (JSON escapes it its own way)
    run check --map "$MAP" --db "$T/db" --rules "$FX/terminal" --as-of 2022-10-03 --format json
    expect_out '"subject": "red \u001b[31mRED\u001b[0m"'
    run check --map "$MAP" --db "$T/db" --rules "$FX/terminal" --as-of 2022-10-03 --format csv
    LC_ALL=C grep -qF -- $'\033[2J' "$T/out" || fail "the CSV cell lost its data"
    # diagnostics quote values from the file
    { echo 'Action ID,Area,Priority,Due,Revised,Extensions,Cost,Verified,Note'
      printf 'A-\342\200\256\033[2J1,vetting,high,2022-03-31,,,,,\n'; } >"$T/bad.csv"
    run import --map "$MAP" --db "$T/db" actions="$T/bad.csv"
    expect_rc 65
    no_raw_controls "$T/err"
    expect_err '\u202e'
    # the nightly run's text output and its log
    run run --map "$MAP" --db "$T/run.db" --rules "$FX/terminal" --as-of 2022-10-03 \
        --export actions="$T/ctl.csv" --output text:"$T/list.txt"
    expect_rc 2
    no_raw_controls "$T/list.txt"
    expect_escaped "$T/list.txt"
    no_raw_controls "$T/err"
    expect_err 'log: echo-notes: note of A-106 rtl \u202etxt.exe'
}

# ---- outputs never replace an input or a file that is not a regular file ----

# A copy of the test map and rules, and a database loaded from them: the
# files a check reads, which its output must not replace.
inputs_copy() {
    mkdir -p "$T/in"
    cp "$MAP" "$T/in/map.yaml"
    cp -r "$FX/rules" "$T/in/rules"
    "$ASSURE" import --map "$T/in/map.yaml" --db "$T/in/db" actions="$FX/actions.csv" >/dev/null 2>&1 ||
        fail "could not import the test data"
}
refused_unchanged() { # file what [assure args...]: the output names file; 73, file as it was
    local before
    before=$(sha256sum <"$1")
    run "${@:3}"
    expect_rc 73
    expect_err "refusing to write over an input"
    expect_err "$2"
    [ "$(sha256sum <"$1")" = "$before" ] || fail "$1 was written over"
    [ -z "$(ls "$(dirname "$1")" | grep '\.tmp\.')" ] || fail "a temporary file was left beside $1"
}

case_output_never_replaces_an_input() {
    inputs_copy
    local f chk=(check --map "$T/in/map.yaml" --db "$T/in/db" --rules "$T/in/rules" --as-of 2022-10-03)
    refused_unchanged "$T/in/db" "$T/in/db: error: --output is the database itself; refusing to write over an input" \
        "${chk[@]}" --output "$T/in/db"
    refused_unchanged "$T/in/map.yaml" "--output is the map itself" "${chk[@]}" --output "$T/in/map.yaml"
    refused_unchanged "$T/in/rules/quiet.lua" "--output is a rule file" \
        "${chk[@]}" --format csv --output "$T/in/rules/quiet.lua"
    # another name for the same file: a hard link, a symbolic link, a path through ..
    ln "$T/in/db" "$T/hard"
    ln -s "$T/in/map.yaml" "$T/soft"
    refused_unchanged "$T/in/db" "--output is the same file as the database, $T/in/db" "${chk[@]}" --output "$T/hard"
    refused_unchanged "$T/in/map.yaml" "--output is the same file as the map" "${chk[@]}" --output "$T/soft"
    refused_unchanged "$T/in/db" "--output is the same file as the database" "${chk[@]}" --output "$T/in/rules/../db"
    # the files SQLite keeps beside the database, though none is there now
    run "${chk[@]}" --output "$T/in/db-wal"
    expect_rc 73
    expect_err "--output is the database's wal file itself"
    [ ! -e "$T/in/db-wal" ] || [ ! -s "$T/in/db-wal" ] || fail "db-wal was written"
    # assure diff and history
    refused_unchanged "$T/in/db" "--output is the database itself" history --db "$T/in/db" --output "$T/in/db"
    # assure test --coverage-html
    mkdir -p "$T/tr"
    cp "$ROOT/rules/high-priority-overdue.lua" "$T/tr/"
    sed "s|^map: .*|map: $ROOT/mappings/met-2021-22/map.yaml|" "$ROOT/rules/high-priority-overdue.test.yaml" \
        >"$T/tr/high-priority-overdue.test.yaml"
    refused_unchanged "$T/tr/high-priority-overdue.lua" "--coverage-html is a rule file" \
        test --rules "$T/tr" --coverage-html "$T/tr/high-priority-overdue.lua"
    refused_unchanged "$T/tr/high-priority-overdue.test.yaml" "--coverage-html is a test file" \
        test --rules "$T/tr" --coverage-html "$T/tr/high-priority-overdue.test.yaml"
    run test --rules "$T/tr" --coverage-html "$T/tr/coverage.html"
    expect_rc 0
    grep -q '<h1>Rule coverage' "$T/tr/coverage.html" || fail "the coverage page was not written"
    # a plain new name still works
    run "${chk[@]}" --output "$T/list.txt"
    expect_rc 1
    [ -s "$T/list.txt" ] || fail "the list was not written"
}

case_output_must_be_a_regular_file() {
    inputs_copy
    local chk=(check --map "$T/in/map.yaml" --db "$T/in/db" --rules "$T/in/rules" --as-of 2022-10-03)
    mkfifo "$T/fifo"
    mkdir "$T/dir"
    ln -s "$T/fifo" "$T/to-fifo"
    run "${chk[@]}" --output "$T/fifo"
    expect_rc 73
    expect_err "$T/fifo: error: --output is a FIFO; an output must be a regular file or a new name: refusing to replace it"
    [ -p "$T/fifo" ] || fail "the FIFO was replaced"
    run "${chk[@]}" --format csv --output "$T/dir"
    expect_rc 73
    expect_err "--output is a directory"
    [ -d "$T/dir" ] || fail "the directory was replaced"
    run "${chk[@]}" --output "$T/to-fifo"
    expect_rc 73
    expect_err "--output is a symbolic link to a FIFO"
    [ -L "$T/to-fifo" ] || fail "the link was replaced"
    # as root, a device node like /dev/null (--output /dev/null once replaced
    # it with a regular file), made here so a regression cannot harm the real one
    if [ "$(id -u)" -eq 0 ] && mknod "$T/null" c 1 3 2>/dev/null; then
        run "${chk[@]}" --output "$T/null"
        expect_rc 73
        expect_err "$T/null: error: --output is a character device"
        [ -c "$T/null" ] || fail "the device node was replaced"
    fi
    [ -z "$(ls "$T" | grep '\.tmp\.')" ] || fail "a temporary file was left behind"
}

case_run_output_never_replaces_an_input() {
    inputs_copy
    cp "$FX/actions.csv" "$T/in/actions.csv"
    local r=(run --map "$T/in/map.yaml" --db "$T/run.db" --rules "$T/in/rules" --as-of 2022-10-03
             --export actions="$T/in/actions.csv")
    refused_unchanged "$T/in/actions.csv" "--output is a data file being imported" \
        "${r[@]}" --output csv:"$T/in/actions.csv"
    refused_unchanged "$T/in/rules/quiet.lua" "--output is a rule file" "${r[@]}" --output text:"$T/in/rules/quiet.lua"
    refused_unchanged "$T/in/map.yaml" "--manifest is the map itself" "${r[@]}" --manifest "$T/in/map.yaml"
    refused_unchanged "$T/in/db" "--output is the database itself" \
        run --map "$T/in/map.yaml" --db "$T/in/db" --rules "$T/in/rules" --as-of 2022-10-03 \
        --output json:"$T/in/db"
    mkfifo "$T/fifo"
    run "${r[@]}" --output json:"$T/fifo"
    expect_rc 73
    expect_err "--output is a FIFO"
    expect_err "outputs: refused: nothing was imported or run"
    [ ! -e "$T/run.db" ] || [ "$(sql "$T/run.db" "SELECT count(*) FROM assure_imports")" = 0 ] ||
        fail "a refused run imported"
    [ "$(sql "$T/in/db" "SELECT count(*) FROM assure_runs")" = 0 ] || fail "a refused run was recorded"
}

# A write that fails says why (the disk is full), and keeps the previous file.
case_output_write_error_says_why() {
    [ "$(id -u)" -eq 0 ] || { echo "skipped: mounting a tmpfs needs root"; exit 77; }
    mkdir -p "$T/small"
    mount -t tmpfs -o size=64k tmpfs "$T/small" || { echo "skipped: cannot mount a tmpfs"; exit 77; }
    trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
    "$ASSURE" import --map "$MAP" --db "$T/big.db" actions="$FX/actions.csv" >/dev/null
    awk -v rows=3000 -f "$ROOT/tests/bench/gen_actions.awk" >"$T/many.csv"
    echo "previous exception list" >"$T/small/out.txt"
    head -c 40000 /dev/zero >"$T/small/filler"
    run run --map "$MAP" --db "$T/big.db" --rules "$FX/rules" --as-of 2022-10-03 \
        --export actions="$T/many.csv" --output text:"$T/small/out.txt"
    expect_rc 74
    expect_err "out.txt: error: cannot write the output file: No space left on device"
    [ "$(cat "$T/small/out.txt")" = "previous exception list" ] || fail "the previous file was damaged"
    [ "$(ls "$T/small" | grep -c tmp)" = 0 ] || fail "a temporary file was left behind"
    [ "$(sql "$T/big.db" "SELECT count(*) FROM assure_runs")" = 0 ] || fail "the run was recorded"
    run check --map "$MAP" --db "$T/big.db" --rules "$FX/rules" --as-of 2022-10-03 --format csv \
        --output "$T/small/out.txt"
    expect_rc 74
    expect_err "out.txt: error: cannot write the output file: No space left on device"
    [ "$(cat "$T/small/out.txt")" = "previous exception list" ] || fail "the previous file was damaged"
}

case_validate_rule_files() {
    run validate --map "$MAP" --rules "$ROOT/fixtures/hostile"
    expect_rc 0
    expect_out "35 valid rules"
    run validate --map "$FX/map_params.yaml" --rules "$FX/badrules"
    expect_rc 78
    expect_err "a-syntax.lua:5: error: unexpected symbol near ','"
    expect_err "b-no-id.lua: error: the rule has no id"
    expect_err "c-severity.lua:6: error: severity must be 'high', 'medium' or 'low', not 'critical'"
    expect_err "d-unknown-key.lua:6: error: unknown key 'descripton'; did you mean 'description'?"
    expect_err "f-dup-2.lua:2: error: duplicate rule id 'twice' (also in"
    expect_err "g-covers.lua:2: warning: covers: covers.areas names 'nowhere', which the map does not have; the rule still runs"
    expect_err "h-types.lua:3: error: title must be non-empty text"
    expect_err "i-not-table.lua: error: a rule file must end with 'return {"
    expect_err "map_params.yaml:4:29: error: params.with-params.grace_days: 'soon' must be a number"
    expect_err "map_params.yaml:4:42: error: params.with-params.lable: rule 'with-params' has no parameter 'lable'; did you mean 'label'?"
    expect_err "map_params.yaml:5:21: warning: params.no-such-rule: no rule with id 'no-such-rule'"
    expect_err "9 problems; not valid"
}

# ---- test: rule test cases and coverage ----

case_test_rule_library_with_coverage() {
    cd "$ROOT" || fail "no project root"
    # The CI gate: every line of every standard rule runs in some case, and
    # every rule is seen both firing and quiet (see docs/testing-rules.md).
    run test --rules rules --coverage --min-coverage 100
    expect_rc 0
    expect_out "0 failed"
    expect_out "Rule code: 100.0% of lines run"
    expect_out "Rule behaviour: 100.0% of rules seen both firing and quiet"
}

case_test_example_map_coverage() {
    cd "$ROOT" || fail "no project root"
    run test --rules rules --coverage --map "$EXAMPLE_MAP" --coverage-html "$T/coverage.html"
    expect_rc 0
    # Cells come from what the cases read and flagged (tests/e2e/cases/coverage.sh):
    # overdue-actions is credited where its cases' actions were.
    expect_out "The map: "
    expect_out "datasets read by a tested rule: "
    grep -E '^ +\*?L1 .* overdue-actions' "$T/out" >/dev/null || fail "overdue-actions is in no cell"
    grep -q "<table>" "$T/coverage.html" || fail "no HTML coverage page"
    grep -qF "Vetting and counter-corruption" "$T/coverage.html" || fail "areas missing from the page"
}

# A mutated copy of a rule must make at least one case fail.
mutate_and_test() { # rule-file sed-expression
    cp -r "$ROOT/rules" "$ROOT/mappings" "$ROOT/fixtures" "$T/"
    sed -i "$2" "$T/rules/$1"
    cmp -s "$ROOT/rules/$1" "$T/rules/$1" && fail "the mutation changed nothing in $1"
    run test --rules "$T/rules"
    expect_rc 1
    expect_out "FAIL "
}

case_test_catches_mutated_comparison() {
    mutate_and_test overdue-actions.lua 's/WHERE due < date(/WHERE due <= date(/'
    expect_out "FAIL $T/rules/overdue-actions.test.yaml:22: quiet on the due date itself, and for high priority"
    expect_out "unexpected: overdue-actions A-1"
}

case_test_catches_mutated_threshold() {
    mutate_and_test weak-opinion-no-follow-up.lua 's/WHERE e.opinion_rank <= ?/WHERE e.opinion_rank < ?/'
    expect_out "missing:    E-1"
}

case_test_reports_failures_readably() {
    mkdir -p "$T/rules"
    cp "$FX/rules/high-actions.lua" "$T/rules/"
    cat >"$T/rules/high-actions.test.yaml" <<'YAML'
rule: high-actions
cases:
  - name: expects the wrong subject
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-01-01}
    expect:
      - {subject: A-999}
  - name: passes
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-01-01}
        - {action_id: A-002, area: vetting, priority: low, due: 2022-01-01}
    expect:
      - {subject: A-001, severity: medium, message: "^high priority$"}
YAML
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 1
    expect_out "FAIL $T/rules/high-actions.test.yaml:3: expects the wrong subject"
    expect_out "    missing:    A-999  (expected at line 9)"
    expect_out '    unexpected: high-actions A-001 [medium] "high priority"'
    expect_out "PASS $T/rules/high-actions.test.yaml:10: passes"
    expect_out "1 passed, 1 failed"
    run test --rules "$T/rules" --map "$MAP" --format junit
    expect_rc 1
    expect_out '<testsuites name="assure rule tests" tests="2" failures="1">'
    expect_out '<failure message="findings differ from the expected ones">'
    run test --rules "$T/rules" --map "$MAP" --format json --filter passes
    expect_rc 0
    expect_out '"passed": 1, "failed": 0, "skipped": 1'
}

case_test_expected_failures() {
    mkdir -p "$T/rules"
    cp "$ROOT/fixtures/hostile/h06-loop.lua" "$T/rules/"
    cat >"$T/rules/loop.test.yaml" <<'YAML'
rule: h06-loop
cases:
  - name: the loop times out, as expected
    as_of: 2022-10-03
    expect_failure: timeout
  - name: an unexpected failure fails the case
    as_of: 2022-10-03
    expect: []
YAML
    run test --rules "$T/rules" --map "$MAP" --timeout 1
    expect_out "PASS $T/rules/loop.test.yaml:3: the loop times out, as expected"
    expect_out "FAIL $T/rules/loop.test.yaml:6: an unexpected failure fails the case"
    expect_out "rule h06-loop failed (timeout)"
}

case_test_caps_problems() {
    mkdir -p "$T/rules"
    cp "$FX/rules/high-actions.lua" "$T/rules/"
    { echo "rule: high-actions"; echo "cases:";
      for i in $(seq 150); do echo "  - {name: c$i, as_of: 2022-10-03, expected: []}"; done; } >"$T/rules/many.test.yaml"
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 78
    [ "$(grep -c 'error: cases' "$T/err")" = 100 ] || fail "cap of 100 not applied"
    expect_err "... and 50 more problems not shown"
}

case_test_caps_differences() {
    # 150 expected findings no row makes: the first 100 listed, the rest
    # counted; the one that is made is paired, in any order.
    mkdir -p "$T/rules"
    cp "$FX/rules/high-actions.lua" "$T/rules/"
    { echo "rule: high-actions"; echo "cases:"; echo "  - name: mostly missing";
      echo "    as_of: 2022-10-03"; echo "    data:"; echo "      actions:";
      echo "        - {action_id: A-001, area: vetting, priority: high, due: 2022-01-01}";
      echo "    expect:";
      for i in $(seq 150); do echo "      - {subject: B-$i}"; done;
      echo "      - {subject: A-001, severity: medium, message: high}"; } >"$T/rules/missing.test.yaml"
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 1
    [ "$(grep -c 'missing: ' "$T/out")" = 100 ] || fail "cap of 100 not applied"
    expect_out "missing:    B-1  (expected at line 9)"
    expect_out "... and 50 more missing or unexpected findings"
    expect_no_err "A-001"
    grep -q "A-001" "$T/out" && fail "A-001 was found but not paired"
    true
}

case_test_bad_test_files() {
    mkdir -p "$T/rules"
    cp "$FX/rules/high-actions.lua" "$T/rules/"
    cat >"$T/rules/bad.test.yaml" <<'YAML'
rule: high-actions
cases:
  - name: unknown key
    as_of: 2022-10-03
    expected: []
  - name: bad date in the data
    as_of: 2022-13-01
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-02-30}
    expect: []
YAML
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 78
    expect_err "bad.test.yaml:5:5: error: cases[0]: unknown key 'expected'; did you mean 'expect'?"
    expect_err "bad.test.yaml:7:12: error: cases[1]: as_of '2022-13-01' is not a YYYY-MM-DD date"
    cat >"$T/rules/bad.test.yaml" <<'YAML'
rule: high-actions
cases:
  - name: data the importer would refuse
    as_of: 2022-10-03
    data:
      actions:
        - {action_id: A-001, area: vetting, priority: high, due: 2022-02-30}
        - {action_id: A-002, area: nowhere, priority: urgent, due: 2022-01-01, colour: red}
    expect: []
YAML
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 78
    expect_err "bad.test.yaml:8:80: error: actions: 'colour' is not a field of dataset 'actions'"
    sed -i 's/, colour: red//' "$T/rules/bad.test.yaml"
    run test --rules "$T/rules" --map "$MAP"
    expect_rc 78
    expect_err "bad.test.yaml:7:11: error: Due: '2022-02-30': no such day"
    expect_err "bad.test.yaml:8:11: error: Area: 'nowhere': no area with this id in the map"
    expect_err "bad.test.yaml:8:11: error: Priority: 'urgent': not an allowed value"
}

# ---- check: the hostile-rule suite (checklist H1-H30) ----

HOSTILE=$ROOT/fixtures/hostile

# Runs the good rule beside the named hostile ones, from an empty working
# directory, with small budgets. Checks what every hostile run must show: it
# ends in time, the good rule's finding is there, the database is unchanged,
# and nothing but the output file was written.
hostile_run() { # rule-id...
    "$ASSURE" import --map "$MAP" --db "$T/db" actions="$FX/actions.csv" >/dev/null 2>&1 ||
        fail "could not import the test data"
    mkdir -p "$T/rules" "$T/cwd"
    cp "$HOSTILE/good.lua" "$T/rules/"
    for id in "$@"; do cp "$HOSTILE/$id.lua" "$T/rules/"; done
    local before started elapsed
    # the check's own record of its verified integrity check (store.h) is
    # the one row it may write; everything else must stay as it was
    hostile_dump() { sqlite3 "$T/db" .dump | grep -v "^INSERT INTO assure_meta VALUES('verified'," | sha256sum; }
    before=$(hostile_dump)
    started=$(date +%s)
    (cd "$T/cwd" && run check --map "$MAP" --db "$T/db" --rules "$T/rules" --as-of 2022-10-03 \
        --timeout "${HOSTILE_TIMEOUT:-2}" --memory 64 --jobs 2 --format json --output "$T/cwd/out.json"
     echo "$RC" >"$T/rc")
    RC=$(cat "$T/rc")
    elapsed=$(($(date +%s) - started))
    [ "$elapsed" -lt $((30 * ${HOSTILE_TIMEOUT:-2} / 2)) ] ||
        fail "the run took ${elapsed}s; the deadline is ${HOSTILE_TIMEOUT:-2}s per rule"
    grep -qF '"rule": "good", "severity": "medium", "category": "overdue", "subject": "A-001", "message": "high priority in VETTING"' "$T/cwd/out.json" ||
        { cat "$T/cwd/out.json" >&2; fail "the good rule's finding is missing"; }
    [ "$(hostile_dump)" = "$before" ] || fail "the database changed"
    [ "$(ls -A "$T/cwd")" = out.json ] || fail "files were written: $(ls -A "$T/cwd")"
}

expect_failure() { # rule-id kind [message text]
    grep -qF "\"rule\": \"$1\", \"file\": \"$T/rules/$1.lua\", \"kind\": \"$2\"" "$T/cwd/out.json" ||
        { grep -F "\"rule\": \"$1\"" "$T/cwd/out.json" >&2; fail "$1 did not fail with kind $2"; }
    [ -z "${3:-}" ] || grep -F "\"rule\": \"$1\", \"file\"" "$T/cwd/out.json" | grep -qF -- "$3" ||
        fail "$1's failure message lacks: $3"
}

case_hostile_sandbox_escapes() {
    local ids="h01-io h02-os h03-require h04-load h13-coroutine h16-rawset-env h17-debug
               h18-collectgarbage h20-gc"
    # shellcheck disable=SC2086
    hostile_run $ids
    expect_rc 2
    for id in $ids; do expect_failure "$id" sandbox; done
    expect_failure h01-io sandbox "h01-io.lua:6: sandbox: 'io' is not available to rules"
    expect_failure h20-gc sandbox "__gc metamethods are not allowed"
}

case_hostile_database_writes() {
    hostile_run h24-delete h24-attach h24-pragma h24-temp-table h24-extension
    expect_rc 2
    for id in h24-delete h24-attach h24-pragma h24-temp-table h24-extension; do
        expect_failure "$id" sandbox "not authorized"
    done
}

case_hostile_timeouts() {
    local ids="h06-loop h07-pcall-loop h08-xpcall-catch h09-xpcall-handler-loop h21-close
               h25-runaway-query"
    # shellcheck disable=SC2086
    hostile_run $ids
    expect_rc 2
    for id in $ids; do expect_failure "$id" timeout "time budget spent"; done
}

case_hostile_pattern_killed_by_parent() {
    hostile_run h12-pattern
    expect_rc 2
    expect_failure h12-pattern timeout "did not finish within 2 s and was stopped"
}

# Under valgrind a rule runs many times slower: the rules that must run out
# of memory or output, not time, get time enough to.
slow_budget() { [ -n "${ASSURE_WRAP:-}" ] && echo 60 || echo 2; }

case_hostile_memory() {
    local HOSTILE_TIMEOUT
    HOSTILE_TIMEOUT=$(slow_budget)
    hostile_run h05-memory h10-recursion
    expect_rc 2
    expect_failure h05-memory memory "memory budget spent"
    expect_failure h10-recursion memory
}

case_hostile_runtime_errors() {
    hostile_run h11-cstack h14-string-metatable h19-error-object h23-flag-metatable h26-blob \
        h27-error-mid-query
    expect_rc 2
    expect_failure h11-cstack runtime "stack overflow"
    expect_failure h14-string-metatable runtime "attempt to index a string value"
    expect_failure h19-error-object runtime "(error object is a table value)"
    expect_failure h23-flag-metatable runtime "flag: subject must be text, not a table"
    expect_failure h26-blob runtime "string or blob too big"
    expect_failure h27-error-mid-query runtime "stop at A-001"
    # the interrupted query left nothing open: the database takes writes at once
    "$ASSURE" import --map "$MAP" --db "$T/db" --busy-timeout 100 actions="$FX/data/bom_crlf.csv" \
        >/dev/null || fail "the database is still held after a rule failed mid-query"
}

case_hostile_output_flood() {
    local HOSTILE_TIMEOUT
    HOSTILE_TIMEOUT=$(slow_budget)
    hostile_run h28-flood h28-pcall-flood
    expect_rc 2
    expect_failure h28-flood output "output budget spent"
    expect_failure h28-pcall-flood output "output budget spent"
}

case_hostile_crashed_worker() {
    export ASSURE_TEST_CRASH_RULE=crash
    hostile_run crash
    unset ASSURE_TEST_CRASH_RULE
    expect_rc 2
    expect_failure crash crash "the worker running the rule" # died with SIGSEGV; under ASan it exits instead
}

# The seccomp filter: a worker that makes a system call outside the list --
# as code escaping the Lua sandbox would -- is stopped, its rule fails with
# kind sandbox naming the call, and the other rules' results stand. Not
# under valgrind, which cannot run the filter (confine.c).
case_hostile_forbidden_system_calls() {
    case "${ASSURE_WRAP:-}" in *valgrind*) echo "skipped: no filter under valgrind"; exit 77 ;; esac
    local call name
    for call in exec:execve socket:socket open:openat kill:kill; do
        name=${call#*:}
        call=${call%%:*}
        rm -rf "$T/rules" "$T/cwd" "$T/db"
        ASSURE_TEST_SYSCALL=h29-syscall:$call hostile_run h29-syscall
        expect_rc 2
        expect_failure h29-syscall sandbox "the rule's worker attempted a forbidden system call ($name) and was stopped"
        grep -qF '"subject": "A-999"' "$T/cwd/out.json" && fail "h29-syscall's finding was listed after $call"
    done
    # without the seam the rule runs and flags
    rm -rf "$T/rules" "$T/cwd" "$T/db"
    hostile_run h29-syscall
    expect_rc 1
}

# ---- signals: no worker outlives the run ----

# The processes of this test's run still alive (a worker has its parent's
# command line); zombies have none.
run_processes() { pgrep -f -- "--rules $T/sig" || true; }
# Starts a check of h12-pattern (stuck in C for minutes) in the background
# and waits until its worker runs.
start_stuck_check() {
    good_db
    mkdir -p "$T/sig"
    cp "$HOSTILE/good.lua" "$HOSTILE/h12-pattern.lua" "$T/sig/"
    # default actions: a shell starts background jobs with SIGINT ignored
    # (and assure leaves an ignored signal ignored)
    env --default-signal ${ASSURE_WRAP:-} "$ASSURE" check --map "$MAP" --db "$T/db" --rules "$T/sig" \
        --as-of 2022-10-03 --timeout 60 --jobs 2 >"$T/out" 2>"$T/err" &
    PID=$!
    local i
    for i in $(seq 1 200); do
        [ "$(pgrep -P "$PID" | wc -l)" -ge 1 ] && break
        sleep 0.05
    done
    sleep 1 # the good rule done, h12-pattern's worker in its pattern match
    [ -n "$(pgrep -P "$PID")" ] || fail "no worker is running"
}
# Waits up to 5 s for every process of the run to be gone.
expect_none_left() { # what
    local i
    for i in $(seq 1 50); do
        [ -z "$(run_processes)" ] && return 0
        sleep 0.1
    done
    ps -eo pid,ppid,stat,etime,args | grep -F -- "$T/sig" | grep -v grep >&2
    fail "processes of the run are still alive after $1"
}

# A running worker, seen from outside: no_new_privs, its seccomp filter and
# its kernel limits (docs/security.md gives the figures).
case_worker_is_confined() {
    start_stuck_check # --timeout 60: the parent kills at 62 s
    local w="" p i
    # a sealed worker: its filter on (under valgrind, which cannot run one,
    # no_new_privs set); the integrity check's reader and a worker still
    # starting are not it, so wait for one (valgrind starts them slowly)
    for i in $(seq 1 100); do
        for p in $(pgrep -P "$PID"); do
            case "${ASSURE_WRAP:-}" in
            *valgrind*) grep -q "^NoNewPrivs:[[:space:]]*1" "/proc/$p/status" 2>/dev/null && w=$p ;;
            *) grep -q "^Seccomp:[[:space:]]*2" "/proc/$p/status" 2>/dev/null && w=$p ;;
            esac
        done
        [ -n "$w" ] && break
        sleep 0.1
    done
    [ -n "$w" ] || { kill -KILL "$PID"; fail "no worker with a seccomp filter"; }
    cp "/proc/$w/status" "$T/status"
    cp "/proc/$w/limits" "$T/limits"
    kill -TERM "$PID"
    wait "$PID"
    grep -q "^NoNewPrivs:[[:space:]]*1" "$T/status" || fail "no_new_privs is not set"
    grep -Eq "^Max cpu time +63 +64 +seconds" "$T/limits" || fail "CPU limit: $(grep cpu "$T/limits")"
    grep -Eq "^Max file size +67108864 +67108864 +bytes" "$T/limits" ||
        fail "file size limit: $(grep 'file size' "$T/limits")"
    grep -Eq "^Max open files +[0-9]+ " "$T/limits" && ! grep -Eq "^Max open files +unlimited" "$T/limits" ||
        fail "open files limit: $(grep 'open files' "$T/limits")"
    # the address space: what it maps at the start + 2 x 256 MiB + 256 MiB
    # (none in sanitizer builds, whose shadow memory is terabytes)
    local as
    as=$(awk '/^Max address space/ {print $4}' "$T/limits")
    if [ "$as" != unlimited ]; then
        [ "$as" -ge $((768 << 20)) ] && [ "$as" -le $((1536 << 20)) ] ||
            fail "address space limit $as is not 768 MiB above a small start"
    fi
    expect_none_left SIGTERM
}

case_signal_term_stops_workers() {
    start_stuck_check
    local started=$SECONDS
    kill -TERM "$PID"
    wait "$PID"
    RC=$?
    [ $((SECONDS - started)) -le 5 ] || fail "the check took $((SECONDS - started)) s to stop"
    expect_rc 143 # died of SIGTERM, as the exit status says
    expect_none_left SIGTERM
    [ ! -s "$T/out" ] || fail "a stopped check printed a list"
}

case_signal_int_and_hup_stop_workers() {
    local sig
    for sig in INT HUP; do
        start_stuck_check
        kill -"$sig" "$PID"
        wait "$PID"
        RC=$?
        [ "$RC" -ge 129 ] || fail "SIG$sig: exit code $RC, expected death by the signal"
        expect_none_left "SIG$sig"
        rm -f "$T/db" "$T/db-wal" "$T/db-shm"
    done
}

case_signal_kill_stops_workers() {
    start_stuck_check
    kill -KILL "$PID"
    wait "$PID" 2>/dev/null
    expect_none_left SIGKILL # the kernel's parent-death signal
}

# assure run told to stop while its rules run: no worker left, no
# temporary file beside its outputs, nothing recorded.
case_run_sigterm_mid_check() {
    night_run 2023-01-31 "$NIGHT/actions-1.csv"
    expect_rc 1
    mkdir -p "$T/sig" "$T/outs"
    cp "$NIGHT"/rules/*.lua "$HOSTILE/h12-pattern.lua" "$T/sig/"
    ${ASSURE_WRAP:-} "$ASSURE" run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$T/sig" \
        --as-of 2023-02-28 --timeout 60 --export audit_actions="$NIGHT/actions-2.csv" \
        --output json:"$T/outs/list.json" --output text:"$T/outs/list.txt" \
        --manifest "$T/outs/manifest.json" 2>"$T/k.err" &
    PID=$!
    local i
    for i in $(seq 1 200); do grep -q 'assure run: check:' "$T/k.err" 2>/dev/null && break; sleep 0.05; done
    sleep 1
    kill -TERM "$PID"
    wait "$PID"
    RC=$?
    expect_rc 143
    expect_none_left "SIGTERM to assure run"
    [ -z "$(ls -A "$T/outs")" ] || fail "files left beside the outputs: $(ls -A "$T/outs")"
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_runs")" = 1 ] || fail "a stopped run was recorded"
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_run_findings WHERE run > 1")" = 0 ] ||
        fail "findings of the stopped run were kept"
    # the next run goes ahead
    night_run 2023-02-28 "$NIGHT/actions-2.csv"
    expect_rc 1
}

case_hostile_string_library_is_per_rule() {
    hostile_run h15-string-upper
    expect_rc 1 # no failure: the rule only spoilt its own string library
    grep -qF '"failures": []' "$T/cwd/out.json" || fail "unexpected failure"
}

case_hostile_rule_files_refused_at_load() {
    mkdir -p "$T/rules"
    cp "$HOSTILE/good.lua" "$T/rules/"
    printf '\033Lua\124\000garbage' >"$T/rules/bytecode.lua"
    { echo 'return { id = "big", title = "t", severity = "low", category = "x",'
      echo '  description = [['; head -c 300000 /dev/zero | tr '\0' 'x'; echo ']], check = function() end }'; } >"$T/rules/big.lua"
    { echo 'return { id = "locals", title = "t", severity = "low", category = "x", description = "d",'
      echo '  check = function()'; for i in $(seq 1 300); do echo "    local v$i = $i"; done; echo '  end }'; } >"$T/rules/locals.lua"
    run validate --map "$MAP" --rules "$T/rules"
    expect_rc 78
    expect_err "bytecode.lua: error: attempt to load a binary chunk"
    expect_err "big.lua: error: rule file is"
    expect_err "locals.lua:203: error: too many local variables"
}

# ---- the nightly run: history, what changed, waivers, gates, the lock ----

NIGHT=$FX/nightly
# The test organisation's run at an as-of date over one of the actions exports.
night_run() { # as_of actions.csv [extra args...]
    run run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$NIGHT/rules" --as-of "$1" \
        --export audit_actions="$2" --output json:"$T/out-$1.json" "${@:3}"
}
# The state of a subject's finding in run N, as recorded.
state_of() { sql "$T/db" "SELECT state || '/' || first_seen || '/' || severity FROM assure_run_findings WHERE run = $1 AND subject = '$2'"; }

case_run_three_runs_history() {
    night_run 2023-01-31 "$NIGHT/actions-1.csv"
    expect_rc 1
    expect_err "assure run: lock: taken"
    expect_err "assure run: record: run 1 as of 2023-01-31: 2 findings (2 new, 0 recurring, 0 reopened), 0 resolved"
    [ "$(state_of 1 A-1)" = "new/2023-01-31/medium" ] || fail "A-1 in run 1: $(state_of 1 A-1)"
    [ "$(state_of 1 A-3)" = "new/2023-01-31/medium" ] || fail "A-3 in run 1"
    [ -z "$(state_of 1 A-2)" ] || fail "A-2 is not due yet"
    # run 2: A-3 closed, A-4 added and late, A-1 still late
    night_run 2023-02-28 "$NIGHT/actions-2.csv"
    expect_rc 1
    [ "$(state_of 2 A-1)" = "recurring/2023-01-31/medium" ] || fail "A-1 in run 2: $(state_of 2 A-1)"
    [ "$(state_of 2 A-3)" = "resolved/2023-01-31/medium" ] || fail "A-3 in run 2: $(state_of 2 A-3)"
    [ "$(state_of 2 A-4)" = "new/2023-02-28/medium" ] || fail "A-4 in run 2: $(state_of 2 A-4)"
    grep -qF '"history": {"run": 2, "new": 1, "recurring": 1, "reopened": 0, "resolved": 1, "waived": 0, "compared_with": 1, "compared_as_of": "2023-01-31"}' \
        "$T/out-2023-02-28.json" || fail "run 2's history counts"
    grep -qF '"subject": "A-1", "message": "Reconcile the bank accounts is late", "business_group": "Corporate Services", "area": "finance", "due": "2022-12-31", "fingerprint": "' \
        "$T/out-2023-02-28.json" || fail "run 2 lacks A-1"
    grep -qF '"state": "recurring", "first_seen": "2023-01-31", "age_days": 28' "$T/out-2023-02-28.json" ||
        fail "A-1's age in run 2"
    # run 3: A-3 open again (reopened), A-1 now high priority (worsened)
    night_run 2023-03-31 "$NIGHT/actions-3.csv"
    expect_rc 1
    [ "$(state_of 3 A-3)" = "reopened/2023-01-31/medium" ] || fail "A-3 in run 3: $(state_of 3 A-3)"
    [ "$(state_of 3 A-1)" = "recurring/2023-01-31/high" ] || fail "A-1 in run 3: $(state_of 3 A-1)"
    [ "$(state_of 3 A-4)" = "recurring/2023-02-28/medium" ] || fail "A-4 in run 3"
    grep -qF '"state": "reopened", "first_seen": "2023-01-31", "age_days": 59' "$T/out-2023-03-31.json" ||
        fail "A-3's age in run 3"
    # what changed: the last two runs, then since the first
    run diff --db "$T/db"
    expect_rc 0
    expect_out "run 2 (as of 2023-02-28) to run 3 (as of 2023-03-31)"
    expect_out "0 new, 1 reopened, 1 worsened, 0 resolved"
    expect_out "late                         A-1                      [medium -> high] Reconcile the bank accounts is late"
    # since 2023-02-01: run 1 against run 3 -- A-3 was there both times
    run diff --db "$T/db" --since 2023-02-01 --format csv
    expect_rc 0
    grep -q '^new,late,medium,,A-4,' "$T/out" || fail "diff --since: A-4 new"
    grep -q '^worsened,late,high,medium,A-1,' "$T/out" || fail "diff --since: A-1 worsened"
    [ "$(grep -c '^[a-z]' "$T/out")" = 3 ] || fail "diff --since: expected the header and 2 changes"
    run diff --db "$T/db" 1 2 --format json
    expect_rc 0
    expect_out '"counts": {"new": 1, "reopened": 0, "worsened": 0, "resolved": 1}'
    run diff --db "$T/db" 7
    expect_rc 64
    expect_err "no run 7 is recorded"
    run history --db "$T/db" --format csv
    expect_rc 0
    [ "$(grep -c '^[0-9]' "$T/out")" = 3 ] || fail "history lists 3 runs"
    grep -q '^3,[^,]*,2023-03-31,3,1,2,0,0,2,1,0,0,1,0,1' "$T/out" || fail "run 3's row: $(grep '^3,' "$T/out")"
}

case_run_job_file_and_manifest() {
    mkdir -p "$T/job/out"
    cp "$NIGHT"/job.yaml "$NIGHT"/map.yaml "$T/job/"
    cp -r "$NIGHT/rules" "$T/job/"
    sed -i 's|include: \[../../../mappings|include: ['"$ROOT"'/mappings|' "$T/job/map.yaml"
    run run "$T/job/job.yaml" --db "$T/db" --as-of 2023-01-31 --export audit_actions="$NIGHT/actions-1.csv" --quiet
    expect_rc 1
    expect_no_err "assure run:" # --quiet: no step lines
    [ -s "$T/job/out/exceptions.json" ] && [ -s "$T/job/out/exceptions.csv" ] || fail "outputs missing"
    grep -q '"findings_sha256": "[0-9a-f]\{64\}"' "$T/job/out/manifest.json" || fail "manifest lacks the findings hash"
    grep -qF '"dataset": "audit_actions", "file": "'"$NIGHT"'/actions-1.csv", "sha256": "'"$(sha256sum "$NIGHT/actions-1.csv" | cut -c1-64)"'"' \
        "$T/job/out/manifest.json" || fail "manifest lacks the data file's hash"
    grep -qF '"file": "'"$T"'/job/rules/late.lua", "id": "late", "sha256": "'"$(sha256sum "$T/job/rules/late.lua" | cut -c1-64)"'"' \
        "$T/job/out/manifest.json" || fail "manifest lacks the rule's hash"
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_runs WHERE manifest LIKE '%findings_sha256%'")" = 1 ] ||
        fail "manifest not stored"
    # a bad job file is refused with its place
    printf 'map: map.yaml\nrulez: rules\n' >"$T/job/bad.yaml"
    run run "$T/job/bad.yaml"
    expect_rc 78
    expect_err "bad.yaml:2:1: error: unknown key 'rulez'; did you mean 'rules'?"
}

case_run_replay() {
    night_run 2023-01-31 "$NIGHT/actions-1.csv"
    expect_rc 1
    night_run 2023-02-28 "$NIGHT/actions-2.csv"
    expect_rc 1
    run check --map "$NIGHT/map.yaml" --db "$T/db" --rules "$NIGHT/rules" --replay 2
    expect_rc 0
    expect_out "replay of run 2: identical"
    # the data has changed since run 1: the replay says so and names the file
    run check --map "$NIGHT/map.yaml" --db "$T/db" --rules "$NIGHT/rules" --replay 1
    expect_rc 1
    expect_out "replay of run 1: the exception list differs"
    expect_err "the data of dataset audit_actions has changed since run 1: it now comes from $NIGHT/actions-2.csv"
}

case_run_header_only_export_stopped() {
    night_run 2023-01-31 "$NIGHT/actions-1.csv"
    expect_rc 1
    before=$(db_state "$T/db")
    night_run 2023-02-28 "$NIGHT/actions-empty.csv" --output json:"$T/second.json"
    expect_rc 65
    expect_err "actions-empty.csv: error: gate empty-export: the export has no rows and would replace the 3 rows of audit_actions"
    [ "$(db_state "$T/db")" = "$before" ] || fail "a stopped run changed stored data"
    [ ! -e "$T/second.json" ] || fail "a stopped run wrote an output"
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_runs")" = 1 ] || fail "a stopped run was recorded"
    night_run 2023-02-28 "$NIGHT/actions-empty.csv" --accept-gate empty-export
    expect_rc 0
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_runs")" = 2 ] || fail "the accepted run was not recorded"
}

case_run_findings_jump_gate() {
    night_run 2023-01-31 "$NIGHT/actions-1.csv"
    expect_rc 1
    sed 's/^assure: 1$/assure: 1\ngates: {findings-jump: {action: stop, factor: 1.2, min: 1}}/' "$NIGHT/map.yaml" |
        sed 's|\.\./\.\./\.\./mappings|'"$ROOT"'/mappings|' >"$T/map.yaml"
    run run --map "$T/map.yaml" --db "$T/db" --rules "$NIGHT/rules" --as-of 2023-03-31 \
        --export audit_actions="$NIGHT/actions-3.csv" --output json:"$T/jump.json"
    expect_rc 65
    expect_err "late: gate findings-jump: 3 findings against 2 in run 1 (more than 1.2 times); the run was not recorded"
    [ ! -e "$T/jump.json" ] || fail "output written"
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_runs")" = 1 ] || fail "recorded anyway"
}

case_run_waivers() {
    mkdir -p "$T/w"
    # active (A-1), expired (A-3 on 2023-01-15), unmatched (A-99)
    night_run 2023-01-31 "$NIGHT/actions-1.csv" --export waivers="$NIGHT/waivers.yaml" --output text:"$T/w/list.txt"
    expect_rc 1
    expect_err "waivers.yaml:15: warning: this waiver matches no finding (rule late, subject A-99)"
    grep -qF '"counts": {"findings": 1, ' "$T/out-2023-01-31.json" || fail "the waived finding was counted"
    grep -qF '"waived": 1, "by_category"' "$T/out-2023-01-31.json" || fail "waived count"
    grep -qF '"waiver": "waived until 2023-06-30, approved 2023-01-15 by Director of Finance: Bank reconciliation moves to the new ledger in April"' \
        "$T/out-2023-01-31.json" || fail "the waiver's approver and expiry"
    grep -qF '"subject": "A-3", ' "$T/out-2023-01-31.json" || fail "the expired waiver's finding is missing"
    grep -qF '"waiver": "waiver expired on 2023-01-15"' "$T/out-2023-01-31.json" || fail "expired waiver not said"
    grep -qF 'WAIVED (1): risks accepted, not counted above' "$T/w/list.txt" || fail "text: no waived section"
    [ "$(sql "$T/db" "SELECT waived FROM assure_run_findings WHERE subject = 'A-1'")" = 1 ] || fail "history: not waived"
    # with only the waived finding left, the run has nothing to report: exit 0
    printf 'Action ID,Engagement ID,Area,Description,Priority,Original due,Current due,Status\nA-1,E-1,finance,Reconcile the bank accounts,medium,2022-12-31,,in progress\n' >"$T/w/only.csv"
    night_run 2023-02-01 "$T/w/only.csv" --accept-gate row-drop
    expect_rc 0
    # malformed waivers are refused at import, with their lines
    night_run 2023-02-02 "$T/w/only.csv" --export waivers="$NIGHT/waivers-bad.yaml"
    expect_rc 65
    expect_err "waivers-bad.yaml:2: error: the waiver names no finding: give its fingerprint, or its rule and subject"
    expect_err "waivers-bad.yaml:7: error: the waiver expires before it was approved"
}

case_run_second_run_waits_its_turn() {
    local first
    "$ASSURE" run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$FX/nightly-slow" --as-of 2023-01-31 \
        --export audit_actions="$NIGHT/actions-1.csv" >/dev/null 2>"$T/first.err" &
    first=$!
    for _ in $(seq 1 1200); do grep -q 'assure run: check:' "$T/first.err" 2>/dev/null && break; sleep 0.05; done
    run run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$FX/nightly-slow" --as-of 2023-01-31
    expect_rc 75
    expect_err "another run holds the lock (pid $first on"
    wait "$first"
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_runs")" = 1 ] || fail "the first run did not complete"
    [ ! -s "$T/db.lock" ] || fail "the lock file was not emptied"
}

case_run_killed_leaves_nothing_half_done() {
    local pid
    night_run 2023-01-31 "$NIGHT/actions-1.csv"
    expect_rc 1
    before=$(db_state "$T/db")
    # killed while the rules run: nothing recorded, no output under its name
    "$ASSURE" run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$FX/nightly-slow" --as-of 2023-02-28 \
        --export audit_actions="$NIGHT/actions-2.csv" --output json:"$T/killed.json" 2>"$T/k.err" &
    pid=$!
    for _ in $(seq 1 1200); do grep -q 'assure run: check:' "$T/k.err" 2>/dev/null && break; sleep 0.05; done
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_runs")" = 1 ] || fail "a killed run was recorded"
    [ ! -e "$T/killed.json" ] || fail "a killed run left an output under its name"
    [ -s "$T/db.lock" ] || fail "the killed run's lock file should say who held it"
    # the next run takes the lock over and proceeds
    night_run 2023-02-28 "$NIGHT/actions-2.csv"
    expect_rc 1
    expect_err "assure run: lock: taken over from a run that did not finish (pid $pid on"
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_runs")" = 2 ] || fail "the next run was not recorded"
    [ "$(state_of 2 A-3)" = "resolved/2023-01-31/medium" ] || fail "the next run compared with the wrong run"
}

case_rules_read_previous_snapshot_and_age() {
    local rules=$FX/nightly-history
    run run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$rules" --as-of 2023-01-31 \
        --export audit_actions="$NIGHT/actions-1.csv" --output json:"$T/1.json"
    expect_rc 1
    grep -qF '"rule": "unchanged"' "$T/1.json" && fail "no previous snapshot yet, yet it flagged"
    # the snapshot is the first import's rows, dated with its as-of date
    run run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$rules" --as-of 2023-02-28 \
        --export audit_actions="$NIGHT/actions-2.csv" --output json:"$T/2.json"
    expect_rc 1
    grep -qF '"rule": "unchanged", "severity": "low", "category": "overdue", "subject": "A-1", "message": "in progress since 2023-01-31"' \
        "$T/2.json" || fail "A-1 unchanged since the snapshot of 2023-01-31"
    grep -qF '"subject": "A-2", "message": "not started since 2023-01-31"' "$T/2.json" || fail "A-2"
    grep -qF '"subject": "A-3"' "$T/2.json" && grep -qF '"rule": "unchanged", "severity": "low", "category": "overdue", "subject": "A-3"' "$T/2.json" &&
        fail "A-3 changed status (closed): not unchanged"
    [ "$(sql "$T/db" "SELECT count(DISTINCT _snapshot) FROM history_audit_actions")" = 1 ] || fail "one snapshot kept"
    # ctx:age: the rule asks how long it has flagged a subject (none of its own yet)
    run run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$rules" --as-of 2023-03-31 \
        --export audit_actions="$NIGHT/actions-3.csv" --output json:"$T/3.json"
    expect_rc 1
    grep -qF '"subject": "A-1", "message": "in progress since 2023-02-28, flagged for 31 days"' "$T/3.json" ||
        fail "ctx:age: A-1 flagged since run 2 (2023-02-28)"
}

# The nightly job over the Met example on three as-of dates: the example's
# exports twice, then with one audit action gone from the tracker.
case_run_met_example_three_dates() {
    local f ex=()
    cd "$ROOT" || fail "no project root"
    mkdir -p "$T/ex"
    cp fixtures/met-2021-22/*.csv "$T/ex/"
    for f in "$T"/ex/*.csv; do ex+=(--export "$(basename "$f" .csv)=$f"); done
    run run --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-10-03 "${ex[@]}" \
        --output json:"$T/r1.json"
    expect_rc 1
    expect_err "record: run 1 as of 2022-10-03: 48 findings (48 new, 0 recurring, 0 reopened), 0 resolved"
    # a month on, the same exports: five findings of the last quarterly update come due
    run run --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-11-03 "${ex[@]}"
    expect_rc 1
    run diff --db "$T/db" --format csv
    expect_rc 0
    [ "$(cut -d, -f1,2,5 "$T/out" | tail -n +2 | tr '\n' ' ')" = "new,inspection-update-stale,CC-COC-1 new,inspection-update-stale,CC-COC-2 new,inspection-update-stale,CC-COC-3 new,inspection-update-stale,CC-R-VET new,inspection-update-stale,CC-R-DDM " ] ||
        fail "run 2's changes: $(cut -d, -f1,2,5 "$T/out" | tr '\n' ' ')"
    # A-DQ-01 leaves the tracker: its two findings are resolved
    sed -i '/^A-DQ-01,/d' "$T/ex/audit_actions.csv"
    run run --map "$EXAMPLE_MAP" --db "$T/db" --rules rules --as-of 2022-12-03 "${ex[@]}"
    expect_rc 1
    run diff --db "$T/db" --format csv
    expect_rc 0
    [ "$(cut -d, -f1,2,5 "$T/out" | tail -n +2 | tr '\n' ' ')" = "resolved,overdue-against-original,A-DQ-01 resolved,repeated-extensions,A-DQ-01 " ] ||
        fail "run 3's changes: $(cut -d, -f1,2,5 "$T/out" | tr '\n' ' ')"
    run history --db "$T/db" --format csv
    grep -q '^3,[^,]*,2022-12-03,51,21,23,7,0,51,0,2,' "$T/out" || fail "run 3 in the history: $(grep '^3,' "$T/out")"
}

case_run_retention() {
    local h
    h=$(mktemp -d "$T/h.XXXX")
    sed 's/^assure: 1$/assure: 1\nhistory: {keep_runs: 2}/' "$NIGHT/map.yaml" |
        sed 's|\.\./\.\./\.\./mappings|'"$ROOT"'/mappings|' >"$h/map.yaml"
    for d in 2023-01-31 2023-02-28 2023-03-31; do
        run run --map "$h/map.yaml" --db "$T/db" --rules "$NIGHT/rules" --as-of "$d" \
            --export audit_actions="$NIGHT/actions-2.csv"
        expect_rc 1
    done
    expect_err "prune: 1 old run removed"
    [ "$(sql "$T/db" "SELECT group_concat(id) FROM assure_runs")" = "2,3" ] || fail "retention kept the wrong runs"
    [ "$(sql "$T/db" "SELECT count(*) FROM assure_run_findings WHERE run = 1")" = 0 ] || fail "run 1's findings stay"
    # the first-seen date of a finding seen in the kept runs survives
    [ "$(state_of 3 A-1)" = "recurring/2023-01-31/medium" ] || fail "first seen lost: $(state_of 3 A-1)"
}

case_run_usage_errors() {
    run run --map "$NIGHT/map.yaml"
    expect_rc 64
    expect_err "the map, the database and the rules are required"
    run run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$NIGHT/rules" --output xml:"$T/x"
    expect_rc 64
    expect_err "--output takes FORMAT:FILE"
    run run --map "$NIGHT/map.yaml" --db "$T/db" --rules "$NIGHT/rules" --accept-gate rowdrop
    expect_rc 64
    expect_err "did you mean 'row-drop'?"
    run history --db "$T/nothing.db"
    expect_rc 66
}

# Further cases, one file per topic (tests/e2e/cases/*.sh), share the
# helpers above.
for f in "$(dirname "$0")"/cases/*.sh; do
    [ -e "$f" ] && . "$f"
done

if [ "${1:-}" = "--all" ]; then
    status=0
    for c in $(declare -F | awk '{print $3}' | grep '^case_'); do
        bash "$0" "${c#case_}" || status=1 # each case in its own process and directory
    done
    exit $status
fi
[ $# -eq 1 ] || { echo "usage: $0 CASE | --all" >&2; exit 2; }
declare -F "case_$1" >/dev/null || { echo "no such case: $1" >&2; exit 2; }
"case_$1"
echo "ok   $1"
