/* Fuzz target: the .xlsx reader -- asr_xlsx_open on the input written to a
 * file (libzip opens workbooks by path), then asr_xlsx_next to the end and
 * a cell place for every cell -- under small limits, so the caps on
 * uncompressed bytes, shared strings and cell size are reached too. Every
 * record's cells are NUL-terminated within the cell cap, rows come in
 * increasing order, and a failure leaves a problem in the diagnostics.
 * The seeds are the workbooks of fixtures/test/xlsx/, whose zip structure
 * the fuzzer then mutates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fuzz.h"
#include "xlsx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/assure-fuzz-xlsx-%ld.xlsx", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int bad = fwrite(data, 1, size, f) != size;
    bad |= fclose(f) != 0;
    if (bad)
        return 0;
    asr_xlsx_limits lim = {1u << 22, 1u << 20, 1u << 12, 1u << 12};
    asr_diag d;
    asr_diag_init(&d, 20);
    asr_xlsx *x = NULL;
    asr_status st = asr_xlsx_open(path, NULL, &lim, NULL, &d, &x);
    if (st != ASR_OK) {
        FUZZ_CHECK(x == NULL && d.errors > 0);
    } else {
        FUZZ_CHECK(asr_xlsx_sheet(x) != NULL);
        unsigned last = 0;
        asr_xlsx_record r;
        int got;
        while ((got = asr_xlsx_next(x, &r, &d)) == 1) {
            FUZZ_CHECK(r.row > last);
            last = r.row;
            for (size_t i = 0; i < r.n; i++) {
                FUZZ_CHECK(r.lens[i] <= lim.max_cell && r.fields[i][r.lens[i]] == '\0');
                char place[200];
                asr_xlsx_place(x, r.row, i, place, sizeof place);
                FUZZ_CHECK(strlen(place) < sizeof place);
            }
        }
        FUZZ_CHECK(got == 0 || d.errors > 0);
        /* a sheet read to its end stayed within the cap (one that passed it
         * stops with an error, having read a chunk past it) */
        FUZZ_CHECK(got != 0 || asr_xlsx_bytes(x) <= lim.max_bytes);
        asr_xlsx_close(x);
    }
    asr_diag_free(&d);
    return 0;
}
