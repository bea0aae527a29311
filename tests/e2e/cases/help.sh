# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- help, man pages, docs/cli.md and the shell completions agree ----

# The verbs, from the binary's own table.
verbs() { "$ASSURE" __describe | awk -F'\t' '$1 == "verb" { print $2 }'; }

# A verb's long options (without --help), one a line, sorted: from the
# table (__describe), its --help, its man page, its section of docs/cli.md.
opts_table() { "$ASSURE" __describe | awk -F'\t' -v v="$1" '$1 == "opt" && $2 == v && $3 != "help" { print $3 }' | sort -u; }
opts_help() {
    "$ASSURE" "$1" --help | grep -oE '^  (-[[:alnum:]], )?--[a-z][a-z-]*|^      --[a-z][a-z-]*' |
        grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//' | grep -vx help | sort -u
}
opts_man() { # page
    grep -A1 '^\.TP' "$1" | grep -oE '\\fB\\-\\-[a-z][a-z\\-]*\\fR' |
        sed 's/\\fB//; s/\\fR//; s/\\-/-/g; s/^--//' | grep -vx help | sort -u
}
opts_doc() {
    awk -v h="## assure $1" '$0 == h { on = 1; next } /^## / { on = 0 } on' "$ROOT/docs/cli.md" |
        grep -oE -- '--[a-z][a-z-]*' | sed 's/^--//' | sort -u
}

# Every help fits 80 columns; 'assure help VERB' is 'assure VERB --help'.
case_help_fits_80_columns() {
    local v n=0
    run --help
    expect_rc 0
    LC_ALL=C.UTF-8 awk 'length > 80 { print "assure --help: " length ": " $0; bad = 1 } END { exit bad }' "$T/out" ||
        fail "a line of 'assure --help' is over 80 columns"
    for v in $(verbs); do
        n=$((n + 1))
        run "$v" --help
        expect_rc 0
        expect_out "Usage: assure $v"
        LC_ALL=C.UTF-8 awk -v v="$v" 'length > 80 { print v ": " length ": " $0; bad = 1 } END { exit bad }' "$T/out" >"$T/wide" ||
            fail "a line of 'assure $v --help' is over 80 columns: $(cat "$T/wide")"
        # (not under ASSURE_WRAP: the same code printed the same help)
        "$ASSURE" help "$v" >"$T/verb-help" || fail "'assure help $v' failed"
        cmp -s "$T/out" "$T/verb-help" || fail "'assure help $v' differs from 'assure $v --help'"
        # every verb is listed in the general help with its summary
        "$ASSURE" --help | grep -qE "^  $v +[a-z]" || fail "'assure --help' does not list $v"
    done
    [ "$n" -ge 8 ] || fail "only $n verbs described"
}

# The options of every verb are the same in its table, its --help, its man
# page and its section of docs/cli.md (both ways): none can drift.
case_help_man_docs_agree() {
    local v man=$(dirname "$ASSURE")/man
    [ -f "$man/assure.1" ] || fail "no man pages in $man (the build's 'man' target)"
    # the committed generator, run again, gives the build's pages
    bash "$ROOT/scripts/gen-man.sh" "$ASSURE" "$T/man" || fail "scripts/gen-man.sh failed"
    for v in $(verbs); do
        [ -f "$T/man/assure-$v.1" ] || fail "no man page assure-$v.1"
        cmp -s "$T/man/assure-$v.1" "$man/assure-$v.1" || fail "$man/assure-$v.1 is stale"
        opts_table "$v" >"$T/table"
        [ -s "$T/table" ] || fail "$v has no options in __describe"
        opts_help "$v" >"$T/help"
        diff "$T/table" "$T/help" >"$T/d" || fail "$v: --help and the option table differ: $(cat "$T/d")"
        opts_man "$T/man/assure-$v.1" >"$T/man.opts"
        diff "$T/table" "$T/man.opts" >"$T/d" || fail "$v: the man page and the table differ: $(cat "$T/d")"
        grep -qx "## assure $v" "$ROOT/docs/cli.md" || fail "docs/cli.md has no section '## assure $v'"
        opts_doc "$v" >"$T/doc"
        comm -23 "$T/table" "$T/doc" >"$T/d"
        [ ! -s "$T/d" ] || fail "docs/cli.md's assure $v does not mention: $(tr '\n' ' ' <"$T/d")"
        comm -13 "$T/table" "$T/doc" >"$T/d"
        [ ! -s "$T/d" ] || fail "docs/cli.md's assure $v names options $v lacks: $(tr '\n' ' ' <"$T/d")"
        # the man page's summary is the verb table's
        grep -qF "$("$ASSURE" __describe | awk -F'\t' -v v="$v" '$1 == "verb" && $2 == v { print $3 }' | sed 's/-/\\-/g')" \
            "$T/man/assure-$v.1" || fail "assure-$v.1 lacks the verb's summary"
    done
    # --format's help names exactly the formats the verb accepts
    local all="text csv json jsonl junit markdown xlsx" f said took
    for v in $(verbs); do
        took=$("$ASSURE" __describe | awk -F'\t' -v v="$v" '$1 == "formats" && $2 == v { $1 = $2 = ""; print }' | xargs -n1 | sort | xargs)
        [ -n "$took" ] || continue
        said=$("$ASSURE" __describe | awk -F'\t' -v v="$v" '$1 == "opt" && $2 == v && $3 == "format" { print $6 }' |
            tr -c 'a-z\n' ' ' | xargs -n1 | grep -xE "$(echo "$all" | tr ' ' '|')" | sort -u | xargs)
        [ "$said" = "$took" ] || fail "$v: --format's help says '$said', the verb takes '$took'"
        for f in $took; do
            "$ASSURE" "$v" --format "$f" --help >/dev/null || fail "$v does not take --format $f"
        done
    done
    # assure(1) lists every verb
    for v in $(verbs); do
        grep -qF "\\fBassure\\-$v\\fR(1)" "$T/man/assure.1" || fail "assure(1) does not list $v"
    done
    # roff renders without a warning
    if command -v groff >/dev/null; then
        local page
        for page in "$T"/man/*.1; do
            groff -man -Tutf8 -ww -z "$page" 2>"$T/err"
            [ ! -s "$T/err" ] || fail "groff warns about $(basename "$page"): $(head -3 "$T/err")"
        done
    fi
}

# --version: the schema version, the libraries, the features built in and
# the data directory.
case_version_features() {
    run --version
    expect_rc 0
    expect_out "assure "
    expect_out "database schema: "
    expect_out "libraries: libyaml "
    expect_out "features: xlsx-import xlsx-export seccomp-filter"
    expect_out "data directory: "
    run -V
    expect_rc 0
    expect_out "database schema: "
    # a binary built in a checkout finds the checkout's rules and model
    local root
    root=$(cd "$ROOT" && pwd -P)
    if [ "$(cd "$(dirname "$ASSURE")/.." && pwd -P)" = "$root" ]; then
        env -u ASSURE_DATADIR "$ASSURE" --version | grep -qxF "data directory: $root (source tree)" ||
            fail "the build's binary does not find its checkout: $("$ASSURE" --version | tail -1)"
    fi
    ASSURE_DATADIR=$T/elsewhere run --version
    expect_out "data directory: $T/elsewhere (ASSURE_DATADIR)"
}

# "assure:NAME" reaches the data directory (ASSURE_DATADIR here): in
# --rules and in a map's include; without one, the message names the place.
case_datadir_names() {
    printf 'assure: 1\ninclude: [assure:mappings/standard/datasets.yaml]\norganisation: {name: Test}\n' >"$T/map.yaml"
    ASSURE_DATADIR=$ROOT run validate --map "$T/map.yaml" --rules assure:rules
    expect_rc 0
    expect_out "valid map for Test"
    expect_out "rules: "
    ASSURE_DATADIR=$T/none run validate --map "$T/map.yaml"
    expect_rc 78
    expect_err "$T/map.yaml:2:11: error: cannot include '$T/none/mappings/standard/datasets.yaml'"
    ASSURE_DATADIR=$T/none run rules --rules assure:rules
    expect_rc 66
    expect_err "$T/none/rules"
}

# assure test --output FILE: the report in FILE, atomically, nothing on
# standard output; never over an input.
case_test_output() {
    # one rule and its test file, so that the case stays quick under valgrind
    mkdir -p "$T/rules"
    cp "$ROOT/rules/high-priority-overdue.lua" "$ROOT/rules/high-priority-overdue.test.yaml" "$T/rules/"
    sed -i 's|^map: \.\./|map: '"$ROOT"'/|' "$T/rules/high-priority-overdue.test.yaml"
    cp "$T/rules/high-priority-overdue.lua" "$T/before.lua"
    run test --rules "$T/rules" --format junit --output "$T/report.xml"
    expect_rc 0
    [ ! -s "$T/out" ] || fail "test --output still wrote to standard output"
    grep -q "<testsuites" "$T/report.xml" || fail "the JUnit report is not in the file"
    grep -q '<testcase .*fires for a high-priority action the day after it is due' "$T/report.xml" ||
        fail "the report lacks the cases"
    run test --rules "$T/rules" --output "$T/rules/high-priority-overdue.lua"
    expect_rc 73
    expect_err "high-priority-overdue.lua: error: --output is a rule file; refusing to write over an input"
    cmp -s "$T/rules/high-priority-overdue.lua" "$T/before.lua" || fail "test --output wrote over a rule file"
    run test --rules "$T/rules" --output "$T/no/such/dir/r.txt"
    expect_rc 73
    [ ! -s "$T/out" ] || fail "a refused --output still wrote the report to standard output"
}

# assure rules --output FILE: the list in FILE, atomically; never over a rule.
case_rules_output() {
    run rules --rules "$ROOT/rules" --format markdown --output "$T/rules.md"
    expect_rc 0
    [ ! -s "$T/out" ] || fail "rules --output still wrote to standard output"
    grep -q '^| `overdue-actions` |' "$T/rules.md" || fail "the list is not in the file"
    mkdir -p "$T/rules"
    cp "$ROOT/rules/overdue-actions.lua" "$T/rules/"
    cp "$T/rules/overdue-actions.lua" "$T/before.lua"
    run rules --rules "$T/rules" --output "$T/rules/overdue-actions.lua"
    expect_rc 73
    expect_err "error: --output is a rule file; refusing to write over an input"
    cmp -s "$T/rules/overdue-actions.lua" "$T/before.lua" || fail "rules --output wrote over a rule file"
    run rules --rules "$T/rules" --map "$ROOT/mappings/met-2021-22/map.yaml" \
        --output "$ROOT/mappings/met-2021-22/map.yaml"
    expect_rc 73
    expect_err "--output is the map"
}

# The bash completion, as bash calls it: COMP_WORDS and COMP_CWORD set, the
# function called, COMPREPLY checked.
case_completion_bash() {
    local met=$ROOT/mappings/met-2021-22/map.yaml
    mkdir -p "$T/cwd/exports"
    touch "$T/cwd/exports/actions.csv" "$T/cwd/exports/ratings.csv"
    cat >"$T/comp.sh" <<EOS
source "$ROOT/completions/assure.bash"
cd "$T/cwd"
c() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _assure
      printf '%s|' "\${COMPREPLY[@]}"; echo; }
c "$ASSURE" ch
c "$ASSURE" he
c "$ASSURE" check --fo
c "$ASSURE" check --format j
c "$ASSURE" test --format ''
c "$ASSURE" import --map "$met" audit_ac
c "$ASSURE" import --map "$met" audit_actions = exports/a
c "$ASSURE" check --rules "$ROOT/rules" --rule overdue-a
c "$ASSURE" check --map exp
c "$ASSURE" import --accept-gate r
c "$ASSURE" run --accept-gate f
c "$ASSURE" help hi
EOS
    bash "$T/comp.sh" >"$T/out" 2>"$T/err" || fail "the completion script failed"
    local want=(
        "check|"
        "help|"
        "--format|"
        "json|jsonl|junit|"
        "text|json|junit|"
        "audit_actions=|"
        "exports/actions.csv|"
        "overdue-actions|overdue-against-original|"
        "exports/|"
        "row-drop|"
        "findings-jump|"
        "history|"
    )
    local i=0 line
    while IFS= read -r line; do
        [ "$line" = "${want[$i]}" ] || fail "completion $((i + 1)): got '$line', want '${want[$i]}'"
        i=$((i + 1))
    done <"$T/out"
    [ "$i" -eq "${#want[@]}" ] || fail "$i completions answered, ${#want[@]} asked"
    [ ! -s "$T/err" ] || fail "the completion wrote to standard error"
}

# The zsh completion, called as zsh's completion system would (words and
# CURRENT set), with compadd, compset and _files replaced by stand-ins that
# print what they were asked to offer.
case_completion_zsh() {
    command -v zsh >/dev/null || { echo "skipped: no zsh (scripts/setup.sh installs it)"; exit 77; }
    local met=$ROOT/mappings/met-2021-22/map.yaml
    cat >"$T/comp.zsh" <<EOS
compadd() { print -r -- "compadd \$*" }
_files() { print -r -- "_files \$*" }
compset() { print -r -- "compset \$*"; return 0 }
words=("$ASSURE" ch); CURRENT=2
source "$ROOT/completions/_assure"
words=("$ASSURE" check --fo); CURRENT=3; _assure
words=("$ASSURE" check --format j); CURRENT=4; _assure
words=("$ASSURE" import --map "$met" audit_ac); CURRENT=5; _assure
words=("$ASSURE" import --map "$met" audit_actions=exp); CURRENT=5; _assure
words=("$ASSURE" check --rules "$ROOT/rules" --rule overdue-a); CURRENT=6; _assure
words=("$ASSURE" check --rules ''); CURRENT=4; _assure
EOS
    zsh -f "$T/comp.zsh" >"$T/out" 2>"$T/err" || fail "the zsh completion failed"
    local want=(
        "compadd -Q -- check"
        "compadd -Q -- --format"
        "compadd -Q -- json jsonl junit"
        "compadd -Q -S  -- audit_actions="
        "compset -P *[=:]"
        "_files "
        "compadd -Q -- overdue-actions overdue-against-original"
        "_files -/"
    )
    local i=0 line
    while IFS= read -r line; do
        [ "$line" = "${want[$i]}" ] || fail "zsh completion line $((i + 1)): got '$line', want '${want[$i]}'"
        i=$((i + 1))
    done <"$T/out"
    [ "$i" -eq "${#want[@]}" ] || fail "$i lines from the zsh completion, ${#want[@]} expected"
    [ ! -s "$T/err" ] || fail "the zsh completion wrote to standard error: $(cat "$T/err")"
}

# The mistakes of issue 14, for every verb: each usage error is one message
# naming the option (with the nearest one when it is close), then "Try
# 'assure VERB --help'." -- two lines, exit code 64, nothing on stdout.
case_usage_errors_one_message() {
    local v first
    for v in $(verbs); do
        # the verb's first option with an argument, and a typo of it
        first=$("$ASSURE" __describe | awk -F'\t' -v v="$v" '$1 == "opt" && $2 == v && $5 != "-" { print $3; exit }')
        [ -n "$first" ] || fail "$v has no option taking an argument"
        run "$v" "--${first}x" value
        expect_rc 64
        expect_err "assure $v: unknown option '--${first}x'; did you mean '--$first'?"
        expect_err "Try 'assure $v --help'."
        [ "$(wc -l <"$T/err")" -eq 2 ] || fail "$v: more than one message for an unknown option"
        [ ! -s "$T/out" ] || fail "$v: a usage error wrote to standard output"
        # the same parser: not under ASSURE_WRAP, to keep the case quick
        "$ASSURE" "$v" "--$first" >"$T/out" 2>"$T/err"
        RC=$?
        expect_rc 64
        expect_err "assure $v: option '--$first' needs an argument"
        [ "$(wc -l <"$T/err")" -eq 2 ] || fail "$v: more than one message for a missing argument"
    done
    run chek
    expect_rc 64
    expect_err "unknown command 'chek'; did you mean 'check'?"
    run check --format xml
    expect_rc 64
    expect_err "assure check: --format takes text, csv, json, jsonl, junit or xlsx, not 'xml'"
    [ "$(wc -l <"$T/err")" -eq 2 ] || fail "more than one message for a bad --format"
}
