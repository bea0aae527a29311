# End-to-end cases (sourced by tests/e2e/e2e.sh, which holds the helpers).
# ---- install and the Debian package: assure from the installed files alone ----

BUILD=$(dirname "$ASSURE")

# Runs an installed binary (not under ASSURE_WRAP: what is tested here is
# the layout, not the code) from a directory outside any source tree.
run_installed() { # binary args...
    local bin=$1
    shift
    (cd "$T/elsewhere" && env -u ASSURE_DATADIR "$bin" "$@") >"$T/out" 2>"$T/err"
    RC=$?
}

# The worked example as a user adapting it would hold it: the map and the
# exports copied out of the installed tree, the map including the
# installed standard model by its "assure:" name.
installed_example() { # share/assure dir
    local share=$1
    mkdir -p "$T/org/exports" "$T/elsewhere"
    sed 's|^include: \[\.\./standard/datasets\.yaml\]|include: [assure:mappings/standard/datasets.yaml]|' \
        "$share/mappings/met-2021-22/map.yaml" >"$T/org/map.yaml"
    grep -q '^include: \[assure:mappings/standard/datasets.yaml\]' "$T/org/map.yaml" ||
        fail "the example map's include line was not found to rewrite"
    cp "$share"/fixtures/met-2021-22/*.csv "$T/org/exports/"
}

# The Met example from an installed tree: validate, import, check with the
# installed rule library, the same exception list as the golden one.
check_installed_example() { # root (holding usr/)
    local root=$1 bin=$1/usr/bin/assure share=$1/usr/share/assure
    installed_example "$share"
    run_installed "$bin" --version
    expect_rc 0
    expect_out "data directory: $share (installed)"
    run_installed "$bin" validate --map "$T/org/map.yaml" --rules assure:rules
    expect_rc 0
    expect_out "valid map for Metropolitan Police Service"
    local files=() f
    for f in "$T"/org/exports/*.csv; do files+=("$(basename "$f" .csv)=$f"); done
    run_installed "$bin" import --quiet --map "$T/org/map.yaml" --db "$T/org/met.db" \
        --as-of 2022-10-03 "${files[@]}"
    expect_rc 0
    run_installed "$bin" check --map "$T/org/map.yaml" --db "$T/org/met.db" --rules assure:rules \
        --as-of 2022-10-03 --output "$T/org/exceptions.text"
    expect_rc 1
    cmp -s "$T/org/exceptions.text" "$ROOT/fixtures/met-2021-22/expected/exceptions.text" ||
        fail "the installed check differs from the golden exception list: $(diff "$T/org/exceptions.text" "$ROOT/fixtures/met-2021-22/expected/exceptions.text" | head -5)"
    # every file the installed rule tests and maps name by a relative path
    # is installed too (so 'assure test --rules assure:rules' works there)
    local t p
    for t in "$share"/rules/*.test.yaml "$share"/rules/maps/*.yaml "$share"/fixtures/rules/*.yaml; do
        for p in $(grep -oE '\.\./[A-Za-z0-9_./-]+' "$t"); do
            [ -e "$(dirname "$t")/$p" ] || fail "$t names $p, which is not installed"
        done
    done
    # the rule library's own tests run from the installed tree
    run_installed "$bin" test --rules assure:rules --filter overdue-actions
    expect_rc 0
    expect_out "PASS $share/rules/overdue-actions.test.yaml"
    # the installed man pages render without a warning
    local page
    for page in "$root"/usr/share/man/man1/assure.1.gz "$root"/usr/share/man/man1/assure-check.1.gz; do
        [ -f "$page" ] || fail "no man page $page"
        if command -v groff >/dev/null; then
            gzip -dc "$page" | groff -man -Tutf8 -ww -z 2>"$T/err" && [ ! -s "$T/err" ] ||
                fail "groff warns about $page"
        fi
    done
    if command -v man >/dev/null; then
        MANWIDTH=80 man -l "$root/usr/share/man/man1/assure-check.1.gz" >"$T/out" 2>"$T/err" ||
            fail "man -l of the installed assure-check(1) failed"
        expect_out "--output FILE"
        expect_out "ASSURE-CHECK(1)"
    fi
}

# cmake --install into a scratch root (DESTDIR): everything where
# docs/install.md says, and the example runs from there alone.
case_install_destdir() {
    [ -f "$BUILD/cmake_install.cmake" ] || { echo "skipped: no CMake build beside $ASSURE"; exit 77; }
    DESTDIR="$T/dest" cmake --install "$BUILD" --prefix /usr >"$T/out" 2>"$T/err" ||
        fail "cmake --install failed"
    local f
    for f in usr/bin/assure usr/share/man/man1/assure.1.gz usr/share/man/man1/assure-import.1.gz \
        usr/share/bash-completion/completions/assure usr/share/zsh/vendor-completions/_assure \
        usr/share/assure/rules/overdue-actions.lua usr/share/assure/rules/overdue-actions.test.yaml \
        usr/share/assure/mappings/standard/datasets.yaml usr/share/assure/mappings/met-2021-22/map.yaml \
        usr/share/assure/fixtures/met-2021-22/audit_actions.csv usr/share/doc/assure/install.md; do
        [ -e "$T/dest/$f" ] || fail "cmake --install did not put $f"
    done
    check_installed_example "$T/dest"
    # ASSURE_DATADIR wins over the binary's prefix
    (cd "$T/elsewhere" && ASSURE_DATADIR="$T/nowhere" "$T/dest/usr/bin/assure" validate \
        --map "$T/org/map.yaml") >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 78
    expect_err "cannot include '$T/nowhere/mappings/standard/datasets.yaml'"
}

# The .deb: cpack's package, its name and Depends line, unpacked with
# dpkg -x into a scratch root; the example runs from there alone.
case_install_deb() {
    command -v dpkg-deb >/dev/null && command -v cpack >/dev/null ||
        { echo "skipped: no dpkg-deb or cpack"; exit 77; }
    [ -f "$BUILD/CPackConfig.cmake" ] || { echo "skipped: no CPack config beside $ASSURE"; exit 77; }
    (cpack -G DEB -B "$T/pkg" --config "$BUILD/CPackConfig.cmake") >"$T/out" 2>"$T/err" ||
        fail "cpack -G DEB failed"
    local deb
    deb=$(ls "$T"/pkg/assure_*_*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || fail "cpack made no assure_VERSION_ARCH.deb"
    local depends lib
    depends=$(dpkg-deb -f "$deb" Depends)
    for lib in liblua5.4-0 libsqlite3-0 libyaml-0-2 libzip4 libexpat1 libnettle8 libseccomp2 libxlsxwriter4 libc6; do
        case ", $depends" in *", $lib "* | *", $lib,"* | *", $lib") ;; *) fail "Depends lacks $lib: $depends" ;; esac
    done
    [ "$(dpkg-deb -f "$deb" Package)" = assure ] || fail "the package is not named assure"
    dpkg-deb -x "$deb" "$T/dest" || fail "dpkg-deb -x failed"
    check_installed_example "$T/dest"
}
