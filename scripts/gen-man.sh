#!/usr/bin/env bash
# Writes the man pages: assure(1) and assure-VERB(1) for every verb.
#
#   scripts/gen-man.sh ASSURE OUTDIR
#
# The option tables come from the binary itself ('ASSURE __describe': the
# verb table and each verb's usage, description, options, formats and exit
# status -- the same tables --help is written from); the prose around them
# from docs/man/assure.md (assure(1)) and docs/man/assure-VERB.md (extra
# sections of a verb's page, when the file exists). So help, man pages and
# docs/cli.md cannot drift apart unnoticed: tests/e2e/cases/package.sh
# compares them. Needs only bash and awk.
set -euo pipefail
assure=$1
out=$2
src=$(cd "$(dirname "$0")/.." && pwd)/docs/man
mkdir -p "$out"
desc=$(mktemp)
trap 'rm -f "$desc"' EXIT
"$assure" __describe >"$desc"
version=$("$assure" --version | awk 'NR == 1 { print $2 }')

# Markdown (the small part of it docs/man/*.md use) to roff: "## NAME"
# sections, paragraphs, indented examples, "- " lists, `code` in bold.
md2roff='
function esc(s) {
    gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s)
    while (match(s, /`[^`]*`/)) s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
    if (s ~ /^[.'\'']/) s = "\\&" s
    return s
}
/^# / { next }
/^## / { if (ex) { print ".fi\n.RE"; ex = 0 } sub(/^## /, ""); print ".SH " toupper($0); para = 0; next }
/^    / { if (!ex) { print ".PP\n.RS 4\n.nf"; ex = 1 } sub(/^    /, ""); print esc($0); next }
/^$/ { if (ex) { print ".fi\n.RE"; ex = 0 } para = 1; next }
/^- / { if (ex) { print ".fi\n.RE"; ex = 0 } sub(/^- /, ""); print ".IP \\(bu 2"; print esc($0); para = 0; next }
{ if (ex) { print ".fi\n.RE"; ex = 0 } if (para) { print ".PP"; para = 0 } print esc($0) }
END { if (ex) print ".fi\n.RE" }
'

# The options of one verb (or "assure") as a .TP list.
options='
function esc(s) {
    gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s)
    if (s ~ /^[.'\'']/) s = "\\&" s
    return s
}
BEGIN { FS = "\t" }
$1 == "opt" && $2 == verb {
    left = ($4 != "-" ? "\\fB\\-" $4 "\\fR, " : "") "\\fB\\-\\-" esc($3) "\\fR"
    if ($5 != "-") left = left " \\fI" esc($5) "\\fR"
    print ".TP\n" left "\n" esc($6)
}
'

page() { # name section-title
    printf '.TH %s 1 "" "assure %s" "User Commands"\n' "$(echo "$1" | tr a-z A-Z)" "$version"
}

# assure(1)
{
    page assure
    printf '.SH NAME\nassure \\- an assurance-mapping rules engine\n'
    printf '.SH SYNOPSIS\n.B assure\n.I COMMAND\n[\\fIoptions\\fR]\n.br\n'
    printf '.B assure\n\\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR | \\fBhelp\\fR \\fICOMMAND\\fR\n'
    awk '/^## COMMANDS/ { exit } /^## / { on = 1 } on' "$src/assure.md" | awk "$md2roff"
    printf '.SH COMMANDS\n'
    awk -F'\t' '$1 == "verb" { printf ".TP\n\\fBassure\\-%s\\fR(1)\n%s\n", $2, $3 }' "$desc" |
        sed 's/^\([^.\\].*\)-/\1\\-/'
    printf '.SH OPTIONS\n'
    awk -v verb=assure "$options" "$desc"
    awk '/^## COMMANDS/ { on = 1; next } on' "$src/assure.md" | awk "$md2roff"
} >"$out/assure.1"

for verb in $(awk -F'\t' '$1 == "verb" { print $2 }' "$desc"); do
    {
        page "assure-$verb"
        awk -F'\t' -v v="$verb" '$1 == "verb" && $2 == v {
            s = $3; gsub(/-/, "\\-", s); printf ".SH NAME\nassure\\-%s \\- %s\n", v, s }' "$desc"
        awk -F'\t' -v v="$verb" '$1 == "usage" && $2 == v {
            s = $3; gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); printf ".SH SYNOPSIS\n%s\n", s }' "$desc"
        printf '.SH DESCRIPTION\n'
        awk -F'\t' -v v="$verb" '$1 == "desc" && $2 == v { print $3 }' "$desc" | awk "$md2roff"
        printf '.SH OPTIONS\n'
        awk -v verb="$verb" "$options" "$desc"
        if [ -f "$src/assure-$verb.md" ]; then awk "$md2roff" "$src/assure-$verb.md"; fi
        awk -F'\t' -v v="$verb" '$1 == "exit" && $2 == v {
            s = $3; gsub(/-/, "\\-", s); printf ".SH EXIT STATUS\n%s\n", s }' "$desc"
        printf '.SH SEE ALSO\n\\fBassure\\fR(1); the full guide is docs/cli.md, installed under /usr/share/doc/assure.\n'
    } >"$out/assure-$verb.1"
done
