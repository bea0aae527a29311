# Deterministic synthetic audit actions in the standard model's shape
# (mappings/standard/datasets.yaml, dataset audit_actions), for the
# benchmarks. The same rows value always gives the same file.
#   awk -v rows=1000000 -f tests/bench/gen_standard_actions.awk > audit_actions.csv
function day(n,   y, m) {          # n days after 2019-01-01, roughly, as YYYY-MM-DD
    y = 2019 + int(n / 360); m = 1 + int((n % 360) / 30)
    return sprintf("%04d-%02d-%02d", y, m, 1 + n % 28)
}
BEGIN {
    if (rows == "") rows = 10000
    print "Action ID,Engagement ID,Area,Description,Owner,Priority,Agreed on,Original due,Current due,Extensions,Status,Implemented on,Verified on,Risk accepted by"
    split("a1 a2 a3 a4", areas, " ")
    split("high medium medium low low", prio, " ")
    n = split("not started|in progress|in progress|implemented awaiting verification|verified closed|verified closed|superseded|risk accepted", status, "|")
    seed = 4242
    for (i = 1; i <= rows; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        r = int(seed / 65536)
        agreed = r % 1200
        orig = agreed + 60 + r % 300
        ext = (r % 7 == 0) ? 2 : (r % 5 == 0) ? 1 : 0
        cur = ext ? day(orig + 90 * ext) : ""
        st = status[1 + int(r / 11) % n]
        impl = (st ~ /implemented|verified/) ? day(orig - 10) : ""
        ver = (st ~ /verified/) ? day(orig + 20) : ""
        owner = (r % 13 == 0) ? "" : "Owner " (r % 50)
        printf "ACT-%08d,ENG-%05d,%s,\"Action %d, from audit %d\",%s,%s,%s,%s,%s,%d,%s,%s,%s,%s\n", i, r % 5000, areas[1 + r % 4], i, r % 5000, owner, prio[1 + int(r / 3) % 5], day(agreed), day(orig), cur, ext, st, impl, ver, (st == "risk accepted") ? "Board" : ""
    }
}
