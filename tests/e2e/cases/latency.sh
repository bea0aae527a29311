# Interactive latency (issue 15): what the faster check still guarantees.

# The integrity check a check run reports, from its JSON list.
integrity_of() { # check args...
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule high-actions \
        --as-of 2022-10-03 --format json "$@"
    [ "$RC" -le 1 ] || fail "check failed ($RC): $(cat "$T/err")"
    grep -o '"integrity_check": "[a-z ]*"' "$T/out" | sed 's/.*: "//; s/"$//'
}

# The quick_check of every page runs once; a check of the same, unchanged
# database skips it; an import changes the database and it runs again.
case_integrity_check_skipped_while_unchanged() {
    good_db
    [ "$(integrity_of)" = passed ] || fail "the first check did not run the integrity check"
    sql "$T/db" "SELECT value FROM assure_meta WHERE key = 'verified'" | grep -q '^v1 dev=' ||
        fail "no record of the verified check"
    [ "$(integrity_of)" = skipped ] || fail "an unchanged database was checked again"
    [ "$(integrity_of)" = skipped ] || fail "recording the check changed the database"
    # the same file again changes nothing: still skipped
    "$ASSURE" import --map "$MAP" --db "$T/db" actions="$FX/actions.csv" >/dev/null 2>&1 ||
        fail "could not import again"
    [ "$(integrity_of)" = skipped ] || fail "an import that changed nothing made the check run again"
    sed 's/A-002,data_quality,medium/A-002,data_quality,low/' "$FX/actions.csv" >"$T/actions.csv"
    "$ASSURE" import --map "$MAP" --db "$T/db" actions="$T/actions.csv" >/dev/null 2>&1 ||
        fail "could not import the changed file"
    [ "$(integrity_of)" = passed ] || fail "the check after an import skipped the integrity check"
    [ "$(integrity_of)" = skipped ] || fail "the second check after the import was not skipped"
}

# A page damaged after the last verified check: writing it changed the
# file's identity (its modification time), so the next check reads every
# page again, finds the damage and writes nothing.
case_integrity_check_catches_damage_after_a_verified_check() {
    damaged_db_later() {
        good_db
        sqlite3 "$T/db" "CREATE TABLE filler(x);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<3000)
            INSERT INTO filler SELECT randomblob(200) FROM n;
            PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    }
    damaged_db_later
    [ "$(integrity_of)" = passed ] || fail "the first check did not run the integrity check"
    [ "$(integrity_of)" = skipped ] || fail "an unchanged database was checked again"
    dd if=/dev/urandom of="$T/db" bs=4096 seek=20 count=4 conv=notrunc status=none
    echo "previous list" >"$T/out.json"
    run check --map "$MAP" --db "$T/db" --rules "$FX/rules" --rule high-actions \
        --as-of 2022-10-03 --format json --output "$T/out.json"
    expect_rc 74
    expect_err "the database is damaged"
    [ "$(cat "$T/out.json")" = "previous list" ] || fail "output written from a damaged database"
}

# A database its user may only read cannot hold the record: every check
# verifies it, and nothing is written.
case_integrity_check_read_only_database_verifies_every_time() {
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
        "${as[@]}" "$ASSURE" validate --map "$MAP" >/dev/null 2>&1 || { chmod 755 "$T/ro"; exit 77; }
    fi
    for i in 1 2; do
        "${as[@]}" "$ASSURE" check --map "$MAP" --db "$T/ro/db" --rules "$FX/rules" \
            --rule high-actions --as-of 2022-10-03 --format json >"$T/out" 2>"$T/err"
        RC=$?
        expect_rc 1
        expect_out '"integrity_check": "passed"'
    done
    chmod 755 "$T/ro"
    [ "$(ls -A "$T/ro")" = db ] || fail "files were written beside the database: $(ls -A "$T/ro")"
    [ "$(sha256sum <"$T/ro/db")" = "$before" ] || fail "the database was written"
}

# One worker per rule loads it and then runs it (no second process for the
# metadata); the integrity check is one more process, and only while the
# database is unverified. Counted with strace, where there is one.
case_one_worker_per_rule() {
    command -v strace >/dev/null || { echo "skipped: no strace"; exit 77; }
    [ -z "${ASSURE_WRAP:-}" ] || { echo "skipped: under $ASSURE_WRAP"; exit 77; }
    good_db
    local n forks
    n=$(ls "$FX/rules"/*.lua | wc -l)
    for want in $((n + 1)) "$n"; do
        # LeakSanitizer cannot run under ptrace: no leak check in this one
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
            strace -f -qq -e trace=clone,clone3,fork,vfork -o "$T/trace" "$ASSURE" check --map "$MAP" \
            --db "$T/db" --rules "$FX/rules" --as-of 2022-10-03 >"$T/out" 2>"$T/err"
        RC=$?
        [ "$RC" -le 2 ] || fail "check failed ($RC)"
        # processes, not threads (nor LeakSanitizer's tracer: CLONE_VM)
        forks=$(grep -E '^[0-9]+ +(clone|clone3|fork|vfork)\(' "$T/trace" | grep -cv CLONE_VM)
        [ "$forks" -eq "$want" ] ||
            fail "$forks processes started for $n rules, expected $want"
    done
}

# Workers waiting for their turn (--jobs 1, the first rule stuck in a
# pattern match) die with their parent, as running ones do.
case_waiting_workers_die_with_parent() {
    good_db
    mkdir -p "$T/sig"
    cp "$HOSTILE/good.lua" "$HOSTILE/h12-pattern.lua" "$T/sig/"
    local k
    for k in 1 2 3; do
        sed "s/id = \"good\"/id = \"later-$k\"/" "$HOSTILE/good.lua" >"$T/sig/later-$k.lua"
    done
    env --default-signal ${ASSURE_WRAP:-} "$ASSURE" check --map "$MAP" --db "$T/db" \
        --rules "$T/sig" --as-of 2022-10-03 --timeout 60 --jobs 1 >"$T/out" 2>"$T/err" &
    PID=$!
    local i
    for i in $(seq 1 100); do
        [ "$(pgrep -P "$PID" | wc -l)" -ge 4 ] && break
        sleep 0.05
    done
    sleep 0.5 # good done, h12-pattern running, the later ones waiting
    [ "$(pgrep -P "$PID" | wc -l)" -ge 4 ] || { kill -KILL "$PID"; fail "no workers waiting"; }
    kill -KILL "$PID"
    wait "$PID" 2>/dev/null
    expect_none_left SIGKILL
}

# Each rule-test case still builds a database of its own: a case with no
# rows sees none of the rows the case before it imported.
case_rule_test_cases_stay_apart() {
    mkdir -p "$T/r"
    cp "$FX/rules/high-actions.lua" "$T/r/"
    cat >"$T/r/high-actions.test.yaml" <<YAML
map: $MAP
rule: high-actions
cases:
  - name: with a high action
    as_of: 2022-10-03
    data:
      actions:
        - {Action ID: A-001, Area: vetting, Priority: high, Due: 2022-03-31}
    expect:
      - {subject: A-001}
  - name: then with none
    as_of: 2022-10-03
    data:
      actions: []
    expect: []
YAML
    run test --rules "$T/r"
    expect_rc 0
    expect_out "2 passed, 0 failed"
}
