# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- assure init: a new organisation's skeleton ----

# The skeleton works as its README says: the map validates with the
# standard rules, the README's import loads every header-only export (0
# rows each), and check runs the rules and finds what the example lacks.
case_init_skeleton_validates_imports_and_checks() {
    run init --name "Example Borough Council" "$T/org"
    expect_rc 0
    expect_out "$T/org: 20 files written (18 of them header-only exports in exports/)"
    expect_out "assure validate --map map.yaml --rules assure:rules"
    [ -f "$T/org/map.yaml" ] && [ -f "$T/org/README.md" ] || fail "map.yaml or README.md missing"
    # the skeleton names the standard files by assure: names, never by a
    # path of this machine, so it survives an upgrade or a moved checkout
    grep -qF 'include: ["assure:mappings/standard/datasets.yaml"]' "$T/org/map.yaml" ||
        fail "the map does not include the standard model by its assure: name"
    ! grep -rqF "$ROOT" "$T/org" || fail "the skeleton holds a path of this machine"
    cd "$T/org" || fail "no directory"
    run validate --map map.yaml --rules assure:rules
    expect_rc 0
    expect_out "valid map for Example Borough Council: 4 lines, 7 principles, 1 units, 1 areas, 1 sources"
    # one export per dataset the map declares, each named in the README's import
    local datasets
    datasets=$(sed -n 's/.* \([0-9]*\) datasets (from 2 files)$/\1/p' "$T/out")
    [ -n "$datasets" ] || fail "validate did not count the datasets"
    [ "$(find exports -name '*.csv' | wc -l)" -eq "$datasets" ] ||
        fail "$(find exports -name '*.csv' | wc -l) exports for $datasets datasets"
    mapfile -t specs < <(grep -o '[a-z_]*=exports/[a-z_]*\.csv' README.md)
    [ "${#specs[@]}" -eq "$datasets" ] || fail "the README imports ${#specs[@]} of $datasets datasets"
    # every heading row is one the standard model reads: the import takes them all
    head -1 exports/audit_actions.csv | grep -q '^Action ID,Engagement ID,Area,Description,Owner,Priority,' ||
        fail "audit_actions headings: $(head -1 exports/audit_actions.csv)"
    [ "$(wc -l <exports/audit_actions.csv)" -eq 1 ] || fail "an export holds more than its headings"
    run import --map map.yaml --db assure.db --as-of 2022-10-03 "${specs[@]}"
    expect_rc 0
    expect_out "audit_actions            0 rows from exports/audit_actions.csv"
    expect_out "waivers                  0 rows from exports/waivers.csv"
    expect_no_err "error"
    [ "$(sql assure.db "SELECT count(*) FROM assure_datasets")" -eq "$datasets" ] ||
        fail "not every dataset was recorded"
    # JSON: the text list wraps its lines to the terminal's width
    run check --map map.yaml --db assure.db --rules assure:rules --as-of 2022-10-03 --format json
    expect_rc 1
    expect_out '"rule": "required-line-missing"'
    expect_out '"subject": "example-area/L2"'
    expect_out '"message": "Example area (replace with one of yours): no active Oversight (second line) assurance"'
    expect_no_err "error"
}

# A directory holding anything is refused, naming it, and nothing is
# written there; a file is not a directory; a missing parent is said.
case_init_refuses_a_directory_in_use() {
    mkdir "$T/used"
    echo "notes" >"$T/used/notes.txt"
    run init "$T/used"
    expect_rc 73
    expect_err "$T/used: error: is not empty (it holds 1 entry); give an empty or new directory, or --force"
    [ "$(ls -A "$T/used")" = "notes.txt" ] || fail "init wrote into a directory in use: $(ls -A "$T/used")"
    run init "$T/used/notes.txt"
    expect_rc 73
    expect_err "notes.txt: error: is not a directory"
    [ "$(cat "$T/used/notes.txt")" = notes ] || fail "the file was changed"
    run init "$T/nowhere/org"
    expect_rc 73
    expect_err "$T/nowhere/org: error: cannot create the directory: No such file or directory"
    run init
    expect_rc 64
    expect_err "give the directory to make"
    run init "$T/a" "$T/b"
    expect_rc 64
    [ ! -e "$T/a" ] && [ ! -e "$T/b" ] || fail "a usage error made a directory"
    # an empty directory is fine
    mkdir "$T/empty"
    run init --quiet "$T/empty"
    expect_rc 0
    [ ! -s "$T/out" ] || fail "--quiet printed: $(cat "$T/out")"
    [ -f "$T/empty/map.yaml" ] || fail "no map in the empty directory"
}

# --force adds what is missing and never replaces a file: an edited map
# stays as edited, and the exports are made from it.
case_init_force_adds_only_what_is_missing() {
    run init "$T/org"
    expect_rc 0
    printf '# our own note\n' >>"$T/org/map.yaml"
    echo "Ref,Title" >"$T/org/exports/risks.csv"
    rm "$T/org/exports/waivers.csv" "$T/org/README.md"
    local before
    before=$(sha256sum "$T/org/map.yaml" "$T/org/exports/risks.csv")
    run init --force "$T/org"
    expect_rc 0
    expect_out "$T/org: 2 files written (1 of them header-only exports in exports/)"
    expect_out "kept as it was: map.yaml"
    expect_out "kept as it was: exports/risks.csv"
    [ "$(sha256sum "$T/org/map.yaml" "$T/org/exports/risks.csv")" = "$before" ] ||
        fail "--force replaced a file"
    [ -f "$T/org/exports/waivers.csv" ] && [ -f "$T/org/README.md" ] || fail "missing files not added"
    # a map that no longer loads stops it, with the map's own message
    printf 'areas: [\n' >>"$T/org/map.yaml"
    rm "$T/org/exports/waivers.csv"
    run init --force "$T/org"
    expect_rc 78
    expect_err "$T/org/map.yaml:"
    [ ! -e "$T/org/exports/waivers.csv" ] || fail "exports made from a map that does not load"
    # no temporary file is left behind
    [ -z "$(find "$T/org" -name '*.tmp.*')" ] || fail "temporary files left: $(find "$T/org" -name '*.tmp.*')"
}
