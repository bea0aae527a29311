#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void asr_diag_init(asr_diag *d, size_t limit)
{
    memset(d, 0, sizeof *d);
    d->limit = limit;
}

void asr_diag_free(asr_diag *d)
{
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].file);
        free(d->items[i].path);
        free(d->items[i].message);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}

int asr_diag_full(const asr_diag *d)
{
    return d->limit && d->count >= d->limit;
}

void asr_diag_count_dropped(asr_diag *d, size_t n)
{
    d->errors += n;
    d->dropped += n;
}

void asr_diag_add(asr_diag *d, asr_severity sev, const asr_loc *loc, const char *path,
                  const char *fmt, ...)
{
    if (sev == ASR_SEV_ERROR)
        d->errors++;
    else
        d->warnings++;
    if (asr_diag_full(d)) {
        d->dropped++;
        return;
    }
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->items = asr_xrealloc(d->items, d->cap * sizeof *d->items);
    }
    asr_problem *p = &d->items[d->count];
    memset(p, 0, sizeof *p);
    p->severity = sev;
    p->seq = d->count;
    if (loc) {
        p->file = loc->file ? asr_xstrdup(loc->file) : NULL;
        p->line = loc->line;
        p->col = loc->col;
    }
    p->path = path && *path ? asr_xstrdup(path) : NULL;
    asr_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    asr_buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    p->message = msg.data ? msg.data : asr_xstrdup("");
    d->count++;
}

/* File order: files sort by the arrival of their first problem, so an
 * included file's problems stay together and follow the order of loading. */
static int cmp_problem(const void *a, const void *b)
{
    const asr_problem *x = a, *y = b;
    if (x->file_rank != y->file_rank)
        return x->file_rank < y->file_rank ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

void asr_diag_sort(asr_diag *d)
{
    if (d->count < 2)
        return;
    const char **files = asr_xcalloc(d->count + 1, sizeof *files);
    size_t nfiles = 0, last = 0;
    for (size_t i = 0; i < d->count; i++) {
        const char *f = d->items[i].file ? d->items[i].file : "";
        size_t r = 0;
        /* problems of one file mostly arrive together: try the last first */
        if (nfiles && strcmp(files[last], f) == 0)
            r = last;
        else
            while (r < nfiles && strcmp(files[r], f) != 0)
                r++;
        last = r;
        if (r == nfiles)
            files[nfiles++] = f;
        d->items[i].file_rank = r;
        d->items[i].seq = i;
    }
    free(files);
    qsort(d->items, d->count, sizeof *d->items, cmp_problem);
}

void asr_diag_print(const asr_diag *d, FILE *out)
{
    for (size_t i = 0; i < d->count; i++) {
        const asr_problem *p = &d->items[i];
        /* Messages quote values from the input: none may steer the terminal. */
        if (p->file) {
            asr_fputs_term(p->file, out);
            if (p->line) {
                fprintf(out, ":%u", p->line);
                if (p->col)
                    fprintf(out, ":%u", p->col);
            }
            fputs(": ", out);
        }
        fputs(p->severity == ASR_SEV_ERROR ? "error: " : "warning: ", out);
        if (p->path) {
            asr_fputs_term(p->path, out);
            fputs(": ", out);
        }
        asr_fputs_term(p->message, out);
        fputc('\n', out);
    }
    if (d->dropped) {
        /* 40213 as "40,213" */
        char digits[32], grouped[48];
        int n = snprintf(digits, sizeof digits, "%zu", d->dropped), o = 0;
        for (int i = 0; i < n; i++) {
            if (i && (n - i) % 3 == 0)
                grouped[o++] = ',';
            grouped[o++] = digits[i];
        }
        grouped[o] = '\0';
        fprintf(out, "... and %s more problem%s not shown\n", grouped, d->dropped == 1 ? "" : "s");
    }
}

const char *asr_quote_value(const char *value, size_t len, char *buf, size_t bufsize)
{
    size_t o = 0;
    const size_t shown_max = 40;
    size_t shown = 0;
    if (bufsize < 16) {
        buf[0] = '\0';
        return buf;
    }
    buf[o++] = '\'';
    for (size_t i = 0; i < len && o + 8 < bufsize; i++) {
        unsigned char c = (unsigned char)value[i];
        if (shown >= shown_max) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(buf + o, bufsize - o, "\\x%02x", c);
        } else {
            buf[o++] = (char)c;
        }
        if ((c & 0xC0) != 0x80)
            shown++;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}
