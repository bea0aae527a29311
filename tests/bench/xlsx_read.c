/* Reads every row of one sheet of an .xlsx workbook and reports the rate:
 * the measurement behind the reader's figures (engine/xlsx.c).
 *
 *   python3 tests/unit/make_xlsx.py --big 200000 /tmp/big.xlsx
 *   cc -O2 -flto -D_POSIX_C_SOURCE=200809L -Iengine -o /tmp/xlsx_read tests/bench/xlsx_read.c \
 *      engine/xlsx.c engine/util.c engine/diag.c engine/date.c engine/sha256.c \
 *      $(pkg-config --cflags --libs libzip expat) -lm
 *   /usr/bin/time -f "%e s, %M KiB peak" /tmp/xlsx_read /tmp/big.xlsx [SHEET]
 */
#include <stdio.h>
#include <time.h>

#include "xlsx.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: xlsx_read FILE.xlsx [SHEET]\n");
        return 64;
    }
    asr_diag d;
    asr_diag_init(&d, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    asr_xlsx *x;
    asr_status st = asr_xlsx_open(argv[1], argc > 2 ? argv[2] : NULL, NULL, NULL, &d, &x);
    if (st) {
        asr_diag_print(&d, stderr);
        return (int)st;
    }
    asr_xlsx_record r;
    unsigned long long rows = 0, cells = 0, bytes = 0;
    int got;
    while ((got = asr_xlsx_next(x, &r, &d)) == 1) {
        rows++;
        cells += r.n;
        for (size_t i = 0; i < r.n; i++)
            bytes += r.lens[i];
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (got < 0)
        asr_diag_print(&d, stderr);
    printf("%llu rows, %llu cells, %llu bytes of text, %llu bytes inflated: %.3f s, %.0f rows/s\n",
           rows, cells, bytes, asr_xlsx_bytes(x), s, (double)rows / s);
    asr_xlsx_close(x);
    asr_diag_free(&d);
    return got < 0 ? 65 : 0;
}
