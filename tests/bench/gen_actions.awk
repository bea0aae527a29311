# Deterministic synthetic audit actions for benchmarks, shaped like the test
# map's 'actions' dataset (fixtures/test/map.yaml).
#   awk -v rows=1000000 -f tests/bench/gen_actions.awk > actions.csv
# The same rows value always gives the same file (a fixed linear congruential
# generator, no clock, no rand()).
BEGIN {
    if (rows == "") rows = 10000
    print "Action ID,Area,Priority,Due,Revised,Extensions,Cost,Verified,Note"
    split("vetting data_quality", areas, " ")
    split("high medium low", prio, " ")
    split("yes no", yn, " ")
    seed = 12345
    for (i = 1; i <= rows; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648
        r = int(seed / 65536)   # the low bits of this generator cycle quickly
        y = 2019 + r % 6; m = 1 + int(r / 7) % 12; d = 1 + int(r / 91) % 28
        rev = (r % 3 == 0) ? sprintf("%02d/%02d/%04d", 1 + int(r / 13) % 28, 1 + int(r / 17) % 12, y + 1) : ""
        note = (r % 5 == 0) ? sprintf("\"Follow-up, see report %d\"", r % 1000) : "routine check"
        printf "A-%07d,%s,%s,%04d-%02d-%02d,%s,%d,%d.%02d,%s,%s\n", i, areas[1 + r % 2], prio[1 + int(r / 3) % 3], y, m, d, rev, r % 4, r % 5000, r % 100, yn[1 + r % 2], note
    }
}
