#include "xlsxout.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xlsxwriter.h>

#include "date.h"
#include "diag.h"
#include "outfile.h"

/* Excel's limit on the characters of a cell; kept in bytes, which is safe. */
#define CELL_MAX 32767
#define MAX_ROWS 1048576u

/* ---- values ---- */

int asr_xlsx_value_kind(const char *s)
{
    if (!s || !*s)
        return 0;
    asr_date d;
    if (strlen(s) == 10 && !asr_date_parse(s, 10, NULL, &d))
        return 2;
    const char *p = s + (*s == '-');
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return 0;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    return *p == '\0' && digits <= 15;
}

/* s made safe for a cell: valid UTF-8, no control characters but tab and
 * newline (others become U+FFFD), at most CELL_MAX bytes. Returns s itself
 * when it is already safe, else b's text. */
static const char *cell_text(const char *s, asr_buf *b)
{
    size_t len = strlen(s);
    int safe = len <= CELL_MAX && !asr_utf8_invalid(s, len);
    for (const unsigned char *p = (const unsigned char *)s; safe && *p; p++)
        safe = !((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f);
    if (safe)
        return s;
    asr_buf_clear(b);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = *p < 0x80             ? 1
                   : (*p & 0xE0) == 0xC0 ? 2
                   : (*p & 0xF0) == 0xE0 ? 3
                   : (*p & 0xF8) == 0xF0 ? 4
                                         : 1;
        const char *rep = NULL;
        if (n == 1 && ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f || *p >= 0x80))
            rep = "\xEF\xBF\xBD";
        else if (n > 1 && (strnlen((const char *)p, n) < n || asr_utf8_invalid((const char *)p, n)))
            rep = "\xEF\xBF\xBD", n = 1;
        size_t add = rep ? 3 : n;
        if (b->len + add > CELL_MAX)
            break;
        asr_buf_add(b, rep ? rep : (const char *)p, add);
        p += n;
    }
    return asr_buf_str(b);
}

/* Display width of UTF-8 text: its code points. */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* ---- the workbook ---- */

typedef struct {
    lxw_workbook *wb;
    lxw_format *header, *date, *sev[ASR_N_SEVERITIES], *wrap, *bold, *title;
    asr_buf tmp;
    lxw_error err;
} book;

static void put_string(book *bk, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                       lxw_format *f)
{
    if (!s || bk->err)
        return;
    lxw_error e = worksheet_write_string(ws, r, c, cell_text(s, &bk->tmp), f);
    bk->err = e ? e : bk->err;
}

/* A value from the data: a date, a number or text (asr_xlsx_value_kind). */
static void put_value(book *bk, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s)
{
    if (!s || bk->err)
        return;
    lxw_error e = LXW_NO_ERROR;
    switch (asr_xlsx_value_kind(s)) {
    case 2: {
        lxw_datetime dt = {atoi(s), atoi(s + 5), atoi(s + 8), 0, 0, 0};
        e = worksheet_write_datetime(ws, r, c, &dt, bk->date);
        break;
    }
    case 1:
        e = worksheet_write_number(ws, r, c, strtod(s, NULL), NULL);
        break;
    default:
        put_string(bk, ws, r, c, s, NULL);
        return;
    }
    bk->err = e ? e : bk->err;
}

enum {
    COL_SEVERITY,
    COL_GROUP,
    COL_RULE,
    COL_SUBJECT,
    COL_MESSAGE,
    COL_OWNER,
    COL_DUE,
    COL_AREA,
    COL_UNIT,
    COL_LINE,
    COL_PRINCIPLE,
    COL_CATEGORY,
    COL_STATE,
    COL_FIRST_SEEN,
    COL_AGE,
    COL_FINGERPRINT,
    N_FIXED
};
static const char *const fixed_headers[N_FIXED] = {
    "Severity", "Business group", "Rule",       "Subject",    "Message",   "Owner",
    "Due",      "Area",           "Unit",       "Line",       "Principle", "Category",
    "State",    "First seen",     "Age (days)", "Fingerprint"};

/* The text of fixed column k of a row, for widths; NULL when empty. */
static const char *fixed_text(const asr_xlsx_row *row, int k, char num[24])
{
    const asr_finding *f = row->f;
    switch (k) {
    case COL_SEVERITY:
        return asr_finding_severity(f, row->rule);
    case COL_GROUP:
        return row->group;
    case COL_RULE:
        return row->rule->id;
    case COL_SUBJECT:
        return f->subject;
    case COL_MESSAGE:
        return f->message;
    case COL_OWNER:
        return f->owner;
    case COL_DUE:
        return f->due;
    case COL_AREA:
        return f->area;
    case COL_UNIT:
        return f->unit;
    case COL_LINE:
        return f->line;
    case COL_PRINCIPLE:
        return f->principle;
    case COL_CATEGORY:
        return row->rule->category;
    case COL_STATE:
        return f->state;
    case COL_FIRST_SEEN:
        return f->state ? f->first_seen : NULL;
    case COL_AGE:
        if (!f->state || f->age_days < 0)
            return NULL;
        snprintf(num, 24, "%ld", f->age_days);
        return num;
    case COL_FINGERPRINT:
        return f->fingerprint;
    default:
        return NULL;
    }
}

static const asr_kv *evidence_item(const asr_finding *f, const char *name)
{
    for (size_t i = 0; i < f->n_evidence; i++)
        if (strcmp(f->evidence[i].k, name) == 0)
            return &f->evidence[i];
    return NULL;
}

/* An evidence value as the rule typed it: a number, a date, a boolean or
 * text ("007" flagged as text stays text); untyped (0), as the data looks. */
static void put_evidence(book *bk, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const asr_kv *e)
{
    if (bk->err)
        return;
    lxw_error x = LXW_NO_ERROR;
    switch (e->t) {
    case ASR_EV_INTEGER:
    case ASR_EV_NUMBER:
        x = worksheet_write_number(ws, r, c, strtod(e->v, NULL), NULL);
        break;
    case ASR_EV_BOOLEAN:
        x = worksheet_write_boolean(ws, r, c, strcmp(e->v, "true") == 0, NULL);
        break;
    case ASR_EV_NULL:
        return;
    case ASR_EV_DATE:
        if (asr_xlsx_value_kind(e->v) == 2) {
            put_value(bk, ws, r, c, e->v);
            return;
        }
        put_string(bk, ws, r, c, e->v, NULL);
        return;
    case ASR_EV_STRING:
        put_string(bk, ws, r, c, e->v, NULL);
        return;
    default:
        put_value(bk, ws, r, c, e->v);
        return;
    }
    bk->err = x ? x : bk->err;
}

typedef struct {
    book *bk;
    const asr_xlsx_list *l;
    lxw_worksheet *ws;
    int waived, filter;
    const char *group;
    double *width;
    size_t ev0;
    lxw_row_t r;
} sheet_ctx;

/* One row of a sheet of findings. */
static void sheet_row(void *ctx, const asr_xlsx_row *row)
{
    sheet_ctx *x = ctx;
    book *bk = x->bk;
    lxw_worksheet *ws = x->ws;
    double *width = x->width;
    const asr_xlsx_list *l = x->l;
    if (bk->err)
        return;
    if (x->filter && ((x->group == NULL) != (row->group == NULL) ||
                      (x->group && strcmp(x->group, row->group) != 0)))
        return;
    if (x->r + 1 >= MAX_ROWS) {
        bk->err = LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE;
        return;
    }
    lxw_row_t r = ++x->r;
    char num[24];
    const asr_finding *f = row->f;
    const char *sev = asr_finding_severity(f, row->rule);
    for (int k = 0; k < N_FIXED; k++) {
        const char *t = fixed_text(row, k, num);
        if (!t)
            continue;
        double w = (double)text_width(t) + 1;
        width[k] = w > width[k] ? w : width[k];
        if (k == COL_SEVERITY)
            put_string(bk, ws, r, (lxw_col_t)k, t, bk->sev[asr_severity_index(sev)]);
        else if (k == COL_DUE || k == COL_FIRST_SEEN || k == COL_AGE)
            put_value(bk, ws, r, (lxw_col_t)k, t);
        else
            put_string(bk, ws, r, (lxw_col_t)k, t, NULL);
    }
    if (x->waived && f->waiver) {
        put_string(bk, ws, r, N_FIXED, f->waiver, NULL);
        double w = (double)text_width(f->waiver) + 1;
        width[N_FIXED] = w > width[N_FIXED] ? w : width[N_FIXED];
    }
    for (size_t e = 0; e < l->n_evidence; e++) {
        const asr_kv *item = evidence_item(f, l->evidence[e]);
        if (!item)
            continue;
        const char *v = item->v;
        put_evidence(bk, ws, r, (lxw_col_t)(x->ev0 + e), item);
        double w = (double)text_width(v) + 1;
        width[x->ev0 + e] = w > width[x->ev0 + e] ? w : width[x->ev0 + e];
    }
}

/* One sheet of findings: the rows (all, or with filter those of business
 * group `group`), from the arrays or from l->each. */
static void findings_sheet(book *bk, const asr_xlsx_list *l, const char *name,
                           const asr_xlsx_row *rows, size_t n_rows, int waived, int filter,
                           const char *group)
{
    if (bk->err)
        return;
    lxw_worksheet *ws = workbook_add_worksheet(bk->wb, name);
    if (!ws) {
        bk->err = LXW_ERROR_SHEETNAME_ALREADY_USED;
        return;
    }
    size_t n_cols = N_FIXED + (waived ? 1 : 0) + l->n_evidence;
    size_t ev0 = N_FIXED + (waived ? 1 : 0);
    double *width = asr_xcalloc(n_cols, sizeof *width);
    asr_buf hb = {0};
    for (size_t c = 0; c < n_cols; c++) {
        const char *h;
        if (c < N_FIXED)
            h = fixed_headers[c];
        else if (c < ev0)
            h = "Waiver";
        else {
            asr_buf_clear(&hb);
            asr_buf_addf(&hb, "Evidence: %s", l->evidence[c - ev0]);
            h = asr_buf_str(&hb);
        }
        put_string(bk, ws, 0, (lxw_col_t)c, h, bk->header);
        width[c] = (double)text_width(h) + 3; /* room for the filter button */
    }
    asr_buf_free(&hb);
    sheet_ctx x = {bk, l, ws, waived, filter, group, width, ev0, 0};
    if (l->each) {
        if (l->each(l->each_ud, waived, filter, group, sheet_row, &x) && !bk->err)
            bk->err = LXW_ERROR_CREATING_TMPFILE;
    } else {
        for (size_t i = 0; i < n_rows && !bk->err; i++)
            sheet_row(&x, &rows[i]);
    }
    lxw_row_t r = x.r;
    for (size_t c = 0; c < n_cols; c++) {
        double cap = c == COL_MESSAGE ? 90 : 50;
        if (c == COL_DUE || c == COL_FIRST_SEEN)
            width[c] = width[c] < 12 ? 12 : width[c];
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, width[c] > cap ? cap : width[c], NULL);
    }
    free(width);
    worksheet_freeze_panes(ws, 1, 0);
    worksheet_autofilter(ws, 0, 0, r, (lxw_col_t)(n_cols - 1));
}

static void summary_sheet(book *bk, const asr_xlsx_list *l)
{
    lxw_worksheet *ws = workbook_add_worksheet(bk->wb, "Summary");
    if (!ws) {
        bk->err = LXW_ERROR_SHEETNAME_ALREADY_USED;
        return;
    }
    double w0 = 12, w1 = 16;
    lxw_row_t r = 0;
    for (size_t i = 0; i < l->n_facts && !bk->err; i++, r++) {
        const asr_xlsx_fact *x = &l->facts[i];
        if (x->kind == ASR_XFACT_HEADING) {
            r += i > 0;
            put_string(bk, ws, r, 0, x->label, i ? bk->bold : bk->title);
            continue;
        }
        put_string(bk, ws, r, 0, x->label, NULL);
        w0 = (double)text_width(x->label) + 2 > w0 ? (double)text_width(x->label) + 2 : w0;
        if (x->kind == ASR_XFACT_NUMBER) {
            lxw_error e = worksheet_write_number(ws, r, 1, x->number, NULL);
            bk->err = e ? e : bk->err;
        } else if (x->kind == ASR_XFACT_DATE) {
            put_value(bk, ws, r, 1, x->text);
        } else {
            put_string(bk, ws, r, 1, x->text, NULL);
            double w = (double)text_width(x->text) + 2;
            w1 = w > w1 ? w : w1;
        }
    }
    if (l->n_failures) {
        r++;
        put_string(bk, ws, r++, 0, "Rules that failed (they produced no findings)", bk->bold);
        put_string(bk, ws, r, 0, "Rule", bk->header);
        put_string(bk, ws, r, 1, "Failure", bk->header);
        put_string(bk, ws, r++, 2, "Message", bk->header);
        for (size_t i = 0; i < l->n_failures; i++, r++) {
            put_string(bk, ws, r, 0, l->failures[i].rule, NULL);
            put_string(bk, ws, r, 1, l->failures[i].kind, NULL);
            put_string(bk, ws, r, 2, l->failures[i].message, NULL);
        }
    }
    worksheet_set_column(ws, 0, 0, w0 > 50 ? 50 : w0, NULL);
    worksheet_set_column(ws, 1, 1, w1 > 70 ? 70 : w1, NULL);
    worksheet_set_column(ws, 2, 2, 60, NULL);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void asr_xlsx_sheet_name(const char *s, char out[128])
{
    size_t o = 0, chars = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p == '\'')
        p++;
    while (*p && chars < 31 && o + 4 < 128) {
        size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
        if (strnlen((const char *)p, n) < n || (n > 1 && asr_utf8_invalid((const char *)p, n))) {
            p++;
            continue;
        }
        if (n == 1 && (strchr("[]:*?/\\", *p) || *p < 0x20))
            out[o++] = '-';
        else
            memcpy(out + o, p, n), o += n;
        p += n;
        /* Excel counts UTF-16 units: a character beyond U+FFFF takes two */
        chars += n == 4 ? 2 : 1;
    }
    while (o && out[o - 1] == '\'')
        o--;
    if (!o)
        out[o++] = '-';
    out[o] = '\0';
}

/* The sheet names taken so far, to keep them apart (Excel compares them
 * without regard to case; ASCII case is what is folded here). */
static int name_taken(char (*names)[128], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(names[i], name) == 0)
            return 1;
    return 0;
}

int asr_xlsx_write(const asr_xlsx_list *l, const char *path, char *err, size_t errsize)
{
    lxw_workbook_options opts = {.constant_memory = LXW_TRUE,
                                 .tmpdir = (char *)(uintptr_t)l->tmpdir,
                                 .use_zip64 = LXW_FALSE};
    book bk = {0};
    bk.wb = workbook_new_opt(path, &opts);
    if (!bk.wb) {
        snprintf(err, errsize, "cannot start the workbook");
        return -1;
    }
    bk.header = workbook_add_format(bk.wb);
    format_set_bold(bk.header);
    format_set_bottom(bk.header, LXW_BORDER_THIN);
    format_set_bg_color(bk.header, 0xD9D9D9);
    bk.bold = workbook_add_format(bk.wb);
    format_set_bold(bk.bold);
    bk.title = workbook_add_format(bk.wb);
    format_set_bold(bk.title);
    format_set_font_size(bk.title, 14);
    bk.date = workbook_add_format(bk.wb);
    format_set_num_format(bk.date, "yyyy-mm-dd");
    /* Excel's own "bad", "neutral" and a blue: fill and text together, and
     * the word in the cell, so colour is never the only signal */
    static const lxw_color_t fill[ASR_N_SEVERITIES] = {0xFFC7CE, 0xFFEB9C, 0xDDEBF7};
    static const lxw_color_t ink[ASR_N_SEVERITIES] = {0x9C0006, 0x9C5700, 0x1F4E78};
    for (int k = 0; k < ASR_N_SEVERITIES; k++) {
        bk.sev[k] = workbook_add_format(bk.wb);
        format_set_bg_color(bk.sev[k], fill[k]);
        format_set_font_color(bk.sev[k], ink[k]);
        if (k == 0)
            format_set_bold(bk.sev[k]);
    }

    summary_sheet(&bk, l);
    findings_sheet(&bk, l, "Findings", l->rows, l->n_rows, 0, 0, NULL);
    if (l->n_waived)
        findings_sheet(&bk, l, "Waived", l->waived, l->n_waived, 1, 0, NULL);
    if (l->by_group && !bk.err) {
        /* the business groups, by name; findings with none last */
        const char **groups = asr_xcalloc(l->n_rows + l->n_groups + 1, sizeof *groups);
        size_t ng = 0;
        int none = l->each ? l->no_group : 0;
        for (size_t i = 0; l->each && i < l->n_groups; i++)
            groups[ng++] = l->groups[i];
        for (size_t i = 0; !l->each && i < l->n_rows; i++) {
            if (!l->rows[i].group)
                none = 1;
            else
                groups[ng++] = l->rows[i].group;
        }
        qsort(groups, ng, sizeof *groups, cmp_str);
        size_t u = 0;
        for (size_t i = 0; i < ng; i++)
            if (!u || strcmp(groups[u - 1], groups[i]) != 0)
                groups[u++] = groups[i];
        char(*names)[128] = asr_xcalloc(u + 4, sizeof *names);
        size_t nn = 0;
        snprintf(names[nn++], 128, "Summary");
        snprintf(names[nn++], 128, "Findings");
        snprintf(names[nn++], 128, "Waived");
        for (size_t i = 0; i <= u && !bk.err; i++) {
            if (i == u && !none)
                break;
            char base[128], name[128];
            asr_xlsx_sheet_name(i < u ? groups[i] : "No business group", base);
            snprintf(name, sizeof name, "%s", base);
            for (int k = 2; name_taken(names, nn, name); k++) {
                char suffix[16];
                int sl = snprintf(suffix, sizeof suffix, " (%d)", k);
                size_t keep = strlen(base), chars = 0, cut = 0;
                /* shorten the base so the suffix fits in 31 characters */
                for (size_t b = 0; b < keep; b++)
                    if (((unsigned char)base[b] & 0xC0) != 0x80 && chars++ < (size_t)(31 - sl))
                        cut = b + 1;
                while (cut < keep && ((unsigned char)base[cut] & 0xC0) == 0x80)
                    cut++;
                snprintf(name, sizeof name, "%.*s%s", (int)cut, base, suffix);
            }
            snprintf(names[nn++], 128, "%s", name);
            findings_sheet(&bk, l, name, l->rows, l->n_rows, 0, 1, i < u ? groups[i] : NULL);
        }
        free(names);
        free(groups);
    }
    lxw_error e = workbook_close(bk.wb);
    asr_buf_free(&bk.tmp);
    if (bk.err || e) {
        if (bk.err == LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE)
            snprintf(err, errsize, "more findings than an Excel sheet holds (%u rows)",
                     MAX_ROWS - 1);
        else
            snprintf(err, errsize, "%s", lxw_strerror(bk.err ? bk.err : e));
        return -1;
    }
    return 0;
}

const char *asr_xlsxout_version(void)
{
    return lxw_version();
}

int asr_xlsx_write_stream(const asr_xlsx_list *l, FILE *out, char *err, size_t errsize)
{
    const char *dir = l->tmpdir;
    if (!dir || !*dir) {
        dir = getenv("TMPDIR");
        if (!dir || !*dir)
            dir = "/tmp";
    }
    asr_xlsx_list copy = *l;
    copy.tmpdir = dir;
    char *name = asr_xmalloc(strlen(dir) + 32);
    sprintf(name, "%s/assure-workbook.xlsx", dir);
    asr_outfile tmp;
    asr_diag d;
    asr_diag_init(&d, 1);
    int rc = -1;
    if (asr_outfile_open(&tmp, name, "the workbook's temporary file", NULL, &d) != ASR_OK) {
        snprintf(err, errsize, "cannot create a temporary file in %s", dir);
    } else {
        char why[256];
        if (asr_xlsx_write(&copy, tmp.tmp, why, sizeof why) != 0) {
            snprintf(err, errsize, "cannot write the workbook: %s", why);
        } else {
            FILE *in = fopen(tmp.tmp, "rb");
            char buf[1 << 16];
            size_t n;
            while (in && (n = fread(buf, 1, sizeof buf, in)) > 0)
                fwrite(buf, 1, n, out);
            rc = !in || ferror(in) ? -1 : 0;
            if (rc)
                snprintf(err, errsize, "cannot read the workbook back from %s", dir);
            if (in)
                fclose(in);
        }
        asr_outfile_abort(&tmp);
    }
    asr_diag_free(&d);
    free(name);
    return rc;
}
