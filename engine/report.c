#include "report.h"

#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findspool.h"
#include "store.h"
#include "util.h"
#include "wire.h"
#include "xlsxout.h"

static const char *const severity_order[] = {"high", "medium", "low"};

static const char *severity_of(const asr_report *r, const asr_finding *f)
{
    return asr_finding_severity(f, &r->rules[f->rule].rule);
}

/* ---- counts ---- */

typedef struct {
    size_t by_severity[3];
    size_t findings, rules_run, rules_failed, waived;
} counts;

/* Counted from the rules' results, so they hold whether the findings came
 * as structs or as formatted bytes. */
static counts count(const asr_report *r)
{
    counts c = {{0}, 0, 0, 0, 0};
    if (r->recorded) {
        c.waived = (size_t)r->recorded->waived;
        /* the run as recorded: its findings (waived ones apart) */
        for (size_t i = 0; i < r->n_rules; i++) {
            c.rules_run += r->ran[i] != 0;
            c.rules_failed += r->ran[i] && r->rules[i].fail != ASR_FAIL_NONE;
        }
        c.findings = (size_t)r->recorded->findings;
        for (int k = 0; k < 3; k++)
            c.by_severity[k] = (size_t)r->recorded->by_severity[k];
        return c;
    }
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!r->ran[i])
            continue;
        c.rules_run++;
        if (r->rules[i].fail != ASR_FAIL_NONE) {
            c.rules_failed++;
            continue;
        }
        c.findings += r->rules[i].n_findings;
        c.waived += r->rules[i].n_waived;
        for (int k = 0; k < 3; k++)
            c.by_severity[k] += r->rules[i].by_severity[k];
    }
    return c;
}

/* ---- findings of a recorded run ---- */

/* The index of the rule with this id in r->rules, or n_rules. */
static size_t rule_index(const asr_report *r, const size_t *by_id, const char *id)
{
    size_t lo = 0, hi = r->n_rules;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *m = r->rules[by_id[mid]].rule.id ? r->rules[by_id[mid]].rule.id : "";
        int c = strcmp(m, id);
        if (c == 0)
            return by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return r->n_rules;
}

/* Calls fn for each finding of the recorded run (which: current or
 * resolved), in the exception list's order, with f->rule set. Findings of
 * rules this run does not know are skipped. Non-zero on a read error. */
static int each_recorded(const asr_report *r, asr_history_which which,
                         void (*fn)(void *ud, const asr_finding *f), void *ud)
{
    asr_diag d;
    asr_diag_init(&d, 1);
    asr_history_iter *it = NULL;
    size_t *by_id = asr_rule_results_by_id(r->rules, r->n_rules);
    int bad = asr_history_findings(r->store, r->recorded->id, which, &d, &it) != ASR_OK;
    asr_finding f;
    const char *rule_id;
    int rc = 0;
    while (!bad && (rc = asr_history_next(it, &f, &rule_id, &d)) == 1) {
        f.rule = rule_index(r, by_id, rule_id);
        if (f.rule < r->n_rules)
            fn(ud, &f);
    }
    asr_history_iter_free(it);
    free(by_id);
    asr_diag_free(&d);
    return bad || rc < 0;
}

/* ---- the list in reading order (text, CSV, Excel) ---- */

/* The findings of the list, in reading order -- severity, business group,
 * then rule and subject -- and, apart, those waivers cover (in rule and
 * subject order), one at a time from a findspool: the run's own (kept as
 * they arrived), or one filled here from the recorded run or from the
 * findings given as structs. */
typedef struct {
    asr_findspool *fs;
    int owned;
} reading_list;

static void spool_recorded(void *ud, const asr_finding *f)
{
    asr_findspool_add(ud, f);
}

static const char *tmp_dir(const asr_report *r)
{
    const char *env = getenv("TMPDIR");
    return r->tmpdir ? r->tmpdir : env && *env ? env : "/tmp";
}

static void reading_list_make(const asr_report *r, reading_list *l)
{
    memset(l, 0, sizeof *l);
    if (r->ordered && !(r->store && r->recorded)) {
        l->fs = r->ordered;
        return;
    }
    l->owned = 1;
    l->fs = asr_findspool_new(r->map, r->rules, r->n_rules, tmp_dir(r), 0);
    if (r->store && r->recorded) {
        each_recorded(r, ASR_HIST_CURRENT, spool_recorded, l->fs);
        each_recorded(r, ASR_HIST_WAIVED, spool_recorded, l->fs);
        return;
    }
    for (size_t i = 0; i < r->n_findings; i++)
        asr_findspool_add(l->fs, &r->findings[i]);
}

static char last_error[400];

/* A list whose findings could not be read back: why, for asr_report_error. */
static int list_failed(const reading_list *l)
{
    const char *why = asr_findspool_error(l->fs);
    if (why)
        snprintf(last_error, sizeof last_error, "%s", why);
    return 1;
}

static void reading_list_free(reading_list *l)
{
    if (l->owned)
        asr_findspool_free(l->fs);
}

/* The evidence names the listed findings carry, in the order they first
 * appear, at most ASR_EVIDENCE_COLUMNS (the rest stay in the joined cell). */
#define ASR_EVIDENCE_COLUMNS 100
static size_t evidence_names(const reading_list *l, const char **names)
{
    return asr_findspool_evidence_names(l->fs, names, ASR_EVIDENCE_COLUMNS);
}

/* ---- text ---- */

static size_t utf8_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Text from the data, the map or a rule, with anything that would steer a
 * terminal shown as an escape (util). */
static void put(FILE *out, const char *s)
{
    asr_fputs_term(s, out);
}

static void pad(FILE *out, const char *s, size_t width)
{
    char *safe = asr_term_dup(s);
    fputs(safe, out);
    for (size_t w = utf8_width(safe); w < width; w++)
        fputc(' ', out);
    free(safe);
}

/* The width s takes once escaped. */
static size_t term_width(const char *s)
{
    char *safe = asr_term_dup(s);
    size_t w = utf8_width(safe);
    free(safe);
    return w;
}

static void spaces(FILE *out, size_t n)
{
    while (n--)
        fputc(' ', out);
}

/* s (escaped) from column `indent` on, broken between words so no line
 * passes `width`; a word longer than a line is cut. With keep, a label's
 * colon stays with its value ("due: 2022-09-30" is not broken). The first
 * line's indent is already written. Ends with a newline. */
static void wrap(FILE *out, const char *s, size_t indent, size_t width, int keep)
{
    char *safe = asr_term_dup(s);
    size_t room = width > indent + 10 ? width - indent : 10, col = 0;
    const char *p = safe;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && (*end != ' ' || (keep && end > p && end[-1] == ':')))
            end++;
        size_t len = (size_t)(end - p), w = 0;
        for (size_t i = 0; i < len; i++)
            w += ((unsigned char)p[i] & 0xC0) != 0x80;
        if (col && col + 1 + w > room) {
            fputc('\n', out);
            spaces(out, indent);
            col = 0;
        } else if (col) {
            fputc(' ', out);
            col++;
        }
        /* a word wider than the line: as much as fits, then the rest */
        while (w > room - col) {
            size_t take = room - col, i = 0;
            for (size_t chars = 0; i < len; i++) {
                if (((unsigned char)p[i] & 0xC0) != 0x80 && chars++ == take)
                    break;
            }
            fwrite(p, 1, i, out);
            fputc('\n', out);
            spaces(out, indent);
            p += i, len -= i, w -= take, col = 0;
        }
        fwrite(p, 1, len, out);
        col += w;
        p += len;
    }
    fputc('\n', out);
    free(safe);
}

#define MSG_INDENT 6 /* where a message on its own line starts */

/* A finding: rule and subject in columns, then the message beside them if
 * the line stays within the width, else on lines of its own below; then the
 * details (area, owner, due, state), or the waiver's note. */
static void text_finding(const asr_report *r, FILE *out, const asr_finding *f, size_t rule_w,
                         size_t subj_w, size_t width, int waived)
{
    const char *rule = r->rules[f->rule].rule.id;
    size_t msg_col = 4 + rule_w + 2 + subj_w + 2;
    int inline_msg = term_width(rule) <= rule_w && term_width(f->subject) <= subj_w &&
                     msg_col + term_width(f->message) <= width;
    fputs("    ", out);
    if (inline_msg) {
        pad(out, rule, rule_w);
        fputs("  ", out);
        pad(out, f->subject, subj_w);
        fputs("  ", out);
        put(out, f->message);
        fputs("\n", out);
    } else {
        /* rule and subject in their columns if they fit; else side by side;
         * else the subject on a line of its own */
        size_t subj = term_width(f->subject);
        if (4 + rule_w + 2 + subj <= width) {
            pad(out, rule, rule_w);
            fputs("  ", out);
        } else if (4 + term_width(rule) + 2 + subj <= width) {
            put(out, rule);
            fputs("  ", out);
        } else {
            put(out, rule);
            fputs("\n", out);
            spaces(out, MSG_INDENT);
        }
        put(out, f->subject);
        fputs("\n", out);
        spaces(out, MSG_INDENT);
        wrap(out, f->message, MSG_INDENT, width, 0);
    }
    asr_buf d = {0};
    if (waived) {
        asr_buf_adds(&d, f->waiver ? f->waiver : "waived");
    } else {
        const char *sep = "";
        if (f->area)
            asr_buf_addf(&d, "area: %s", f->area), sep = "; ";
        if (f->owner)
            asr_buf_addf(&d, "%sowner: %s", sep, f->owner), sep = "; ";
        if (f->due)
            asr_buf_addf(&d, "%sdue: %s", sep, f->due), sep = "; ";
        if (f->state && strcmp(f->state, "new") == 0)
            asr_buf_addf(&d, "%snew", sep);
        else if (f->state)
            asr_buf_addf(&d, "%s%s, first seen %s (%ld day%s)", sep, f->state,
                         f->first_seen ? f->first_seen : "?", f->age_days,
                         f->age_days == 1 ? "" : "s");
    }
    if (d.len) {
        const char *details = asr_buf_str(&d);
        if (inline_msg && msg_col + term_width(details) <= width) {
            spaces(out, msg_col);
            put(out, details);
            fputs("\n", out);
        } else {
            spaces(out, MSG_INDENT);
            wrap(out, details, MSG_INDENT, width, 1);
        }
    }
    asr_buf_free(&d);
}

typedef struct {
    const asr_report *r;
    FILE *out;
    int color, sev;
    const char *bg;
    size_t rule_w, subj_w, width;
    int waived;
    const counts *c;
} text_ctx;

static const char *const sev_colour[3] = {"\033[1;31m", "\033[1;33m", "\033[1;36m"};

/* One finding of the list, under its severity's and business group's
 * headings when it starts them. */
static int text_row(void *ud, const asr_finding *f, const char *bg)
{
    text_ctx *x = ud;
    FILE *out = x->out;
    const char *reset = x->color ? "\033[0m" : "";
    if (!x->waived) {
        int sev = asr_severity_index(severity_of(x->r, f));
        if (sev != x->sev) {
            x->sev = sev;
            x->bg = (const char *)-1;
            char upper[8];
            for (size_t k = 0; k <= strlen(severity_order[sev]); k++)
                upper[k] = (char)(severity_order[sev][k] >= 'a' ? severity_order[sev][k] - 32
                                                                : severity_order[sev][k]);
            fprintf(out, "\n%s%s (%zu)%s\n", x->color ? sev_colour[sev] : "", upper,
                    x->c->by_severity[sev], reset);
        }
        if (x->bg == (const char *)-1 || (x->bg == NULL) != (bg == NULL) ||
            (x->bg && strcmp(x->bg, bg) != 0)) {
            x->bg = bg;
            fprintf(out, "  %s", x->color ? "\033[1m" : "");
            put(out, bg ? bg : "(no business group)");
            fprintf(out, "%s\n", reset);
        }
    }
    text_finding(x->r, out, f, x->rule_w, x->subj_w, x->width, x->waived);
    return 0;
}

static void write_text(const asr_report *r, FILE *out, int color, int *rc)
{
    const char *reset = color ? "\033[0m" : "";
    size_t width = r->width >= 40 ? (size_t)r->width : r->width > 0 ? 40 : 80;
    counts c = count(r);
    reading_list l;
    reading_list_make(r, &l);
    asr_buf head = {0};
    asr_buf_addf(&head, "Exception list for %s, as of %s", r->map->org_name ? r->map->org_name : "",
                 r->as_of);
    wrap(out, asr_buf_str(&head), 0, width, 0);
    asr_buf_clear(&head);
    asr_buf_addf(&head, "%zu finding%s from %zu rule%s: %zu high, %zu medium, %zu low", c.findings,
                 c.findings == 1 ? "" : "s", c.rules_run, c.rules_run == 1 ? "" : "s",
                 c.by_severity[0], c.by_severity[1], c.by_severity[2]);
    if (c.rules_failed)
        asr_buf_addf(&head, "; %zu rule%s FAILED (see the end)", c.rules_failed,
                     c.rules_failed == 1 ? "" : "s");
    wrap(out, asr_buf_str(&head), 0, width, 0);
    asr_buf_free(&head);
    if (r->recorded && !r->check_form)
        fprintf(out,
                "Run %lld: %lld new, %lld recurring, %lld reopened, %lld resolved since the "
                "previous run\n",
                (long long)r->recorded->id, r->recorded->new_, r->recorded->recurring,
                r->recorded->reopened, r->recorded->resolved);
    else if (r->previous && r->previous->id)
        fprintf(out, "Compared with run %lld, as of %s\n", (long long)r->previous->id,
                r->previous->as_of);

    /* column widths from the data, within bounds that leave the message room */
    size_t rule_w = 4, subj_w = 7;
    for (size_t i = 0; i < r->n_rules; i++) {
        int listed = asr_findspool_rule_count(l.fs, i) > 0;
        size_t w = listed || (r->ran[i] && r->rules[i].fail) ? term_width(r->rules[i].rule.id) : 0;
        rule_w = w > rule_w ? w : rule_w;
    }
    size_t w = asr_findspool_subject_width(l.fs);
    subj_w = w > subj_w ? w : subj_w;
    rule_w = rule_w > 34 ? 34 : rule_w;
    subj_w = subj_w > 24 ? 24 : subj_w;

    text_ctx x = {r, out, color, -1, (const char *)-1, rule_w, subj_w, width, 0, &c};
    if (asr_findspool_each(l.fs, 0, 0, NULL, text_row, &x))
        *rc = list_failed(&l);
    size_t n_waived = asr_findspool_count(l.fs, 1);
    if (n_waived) {
        fprintf(out, "\nWAIVED (%zu): risks accepted, not counted above\n", n_waived);
        x.waived = 1;
        if (asr_findspool_each(l.fs, 1, 0, NULL, text_row, &x))
            *rc = list_failed(&l);
    }

    if (c.rules_failed) {
        fprintf(out, "\n%sRULE FAILURES (%zu)%s: these rules produced no results\n",
                color ? "\033[1;35m" : "", c.rules_failed, reset);
        for (size_t i = 0; i < r->n_rules; i++) {
            const asr_rule_result *res = &r->rules[i];
            if (!r->ran[i] || res->fail == ASR_FAIL_NONE)
                continue;
            const char *msg = res->fail_message ? res->fail_message : "";
            fputs("    ", out);
            pad(out, res->rule.id, rule_w);
            fputs("  ", out);
            if (4 + rule_w + 2 + 8 + 2 + term_width(msg) <= width) {
                pad(out, asr_fail_kind_name(res->fail), 8);
                fputs("  ", out);
                put(out, msg);
                fputs("\n", out);
            } else {
                put(out, asr_fail_kind_name(res->fail));
                fputs("\n", out);
                spaces(out, MSG_INDENT);
                wrap(out, msg, MSG_INDENT, width, 0);
            }
        }
    }
    if (c.findings == 0 && !c.rules_failed)
        fputs("\nNo exceptions.\n", out);
    reading_list_free(&l);
}

/* ---- the findings, as CSV or JSON ---- */

/* Writes every finding in findfmt's form, in rule-id order: the blocks the
 * workers formatted, copied from the spool, or the findings held here,
 * formatted now -- the same bytes either way. JSON drops the comma before
 * the first finding. Non-zero if the spool could not be read. */
typedef struct {
    const asr_report *r;
    asr_format fmt;
    FILE *out;
    asr_buf b;
    asr_bg_memo memo;
    size_t skip;
} stream_ctx;

static void stream_one(void *ud, const asr_finding *f)
{
    stream_ctx *x = ud;
    asr_findfmt_write(&x->b, x->fmt, x->r->map, &x->r->rules[f->rule].rule, f, &x->memo);
    if (x->b.len >= (64u << 10)) {
        fwrite(x->b.data + x->skip, 1, x->b.len - x->skip, x->out);
        asr_buf_clear(&x->b);
        x->skip = 0;
    }
}

/* The findings of a recorded run (current or resolved), streamed. */
static int stream_recorded(const asr_report *r, asr_history_which which, asr_format fmt, FILE *out)
{
    stream_ctx x = {r, fmt, out, {0}, {0}, fmt == ASR_FMT_JSON ? 1 : 0};
    int rc = each_recorded(r, which, stream_one, &x);
    if (x.b.len > x.skip)
        fwrite(x.b.data + x.skip, 1, x.b.len - x.skip, out);
    asr_buf_free(&x.b);
    return rc;
}

/* waived: the findings waivers cover, instead of the others. */
static int write_findings(const asr_report *r, asr_format fmt, FILE *out, int waived)
{
    size_t skip = fmt == ASR_FMT_JSON ? 1 : 0;
    if (r->store && r->recorded)
        return stream_recorded(r, waived ? ASR_HIST_WAIVED : ASR_HIST_CURRENT, fmt, out);
    if (!r->spool) {
        asr_buf b = {0};
        asr_bg_memo memo = {0};
        for (size_t i = 0; i < r->n_findings; i++) {
            const asr_finding *f = &r->findings[i];
            if (f->waived != waived)
                continue;
            asr_findfmt_write(&b, fmt, r->map, &r->rules[f->rule].rule, f, &memo);
            if (b.len >= (64u << 10)) {
                fwrite(b.data + skip, 1, b.len - skip, out);
                asr_buf_clear(&b);
                skip = 0;
            }
        }
        if (b.len > skip)
            fwrite(b.data + skip, 1, b.len - skip, out);
        asr_buf_free(&b);
        return 0;
    }
    size_t *order = asr_rule_results_by_id(r->rules, r->n_rules);
    int rc = 0;
    for (size_t k = 0; k < r->n_rules && rc == 0; k++) {
        const asr_rule_result *res = &r->rules[order[k]];
        if (!r->ran[order[k]] || res->fail != ASR_FAIL_NONE)
            continue;
        const asr_extent *blocks = waived ? res->waived_blocks : res->blocks;
        size_t n = waived ? res->n_waived_blocks : res->n_blocks;
        for (size_t b = 0; b < n && rc == 0; b++) {
            rc = asr_spool_copy(r->spool, blocks[b], skip, out);
            skip = blocks[b].len ? 0 : skip;
        }
    }
    free(order);
    return rc;
}

typedef struct {
    const asr_report *r;
    FILE *out;
    asr_buf *b;
    const asr_buf *tail;
    const char *const *names;
    size_t n_names;
    asr_bg_memo memo;
} csv_ctx;

/* One row: findfmt's, then the organisation, the as-of date and the
 * evidence columns. */
static int csv_row(void *ud, const asr_finding *f, const char *group)
{
    csv_ctx *x = ud;
    asr_buf *b = x->b;
    (void)group;
    asr_findfmt_write(b, ASR_FMT_CSV, x->r->map, &x->r->rules[f->rule].rule, f, &x->memo);
    b->len -= 2; /* the row's CRLF: the added columns come first */
    asr_buf_add(b, x->tail->data, x->tail->len);
    for (size_t k = 0; k < x->n_names; k++) {
        asr_buf_addc(b, ',');
        for (size_t e = 0; e < f->n_evidence; e++)
            if (strcmp(f->evidence[e].k, x->names[k]) == 0) {
                /* a number the rule gave as a number is a number, not
                 * a formula: written as it is (-545, not '-545) */
                char t = f->evidence[e].t;
                const char *v = f->evidence[e].v;
                const char *d = v + (*v == '-');
                if ((t == ASR_EV_INTEGER || t == ASR_EV_NUMBER) && *d >= '0' && *d <= '9' &&
                    !strpbrk(v, ",\"\r\n"))
                    asr_buf_adds(b, f->evidence[e].v);
                else
                    asr_csv_cell_buf(b, f->evidence[e].v);
                break;
            }
    }
    asr_buf_add(b, "\r\n", 2);
    if (b->len >= (64u << 10)) {
        fwrite(b->data, 1, b->len, x->out);
        asr_buf_clear(b);
    }
    return 0;
}

/* CSV: a byte-order mark (unless no_bom), so a double-click opens it in
 * Excel and LibreOffice as UTF-8; the header; the findings in reading
 * order, each findfmt's row with the organisation, the as-of date and one
 * column per evidence name added. */
static void write_csv(const asr_report *r, FILE *out, int *rc)
{
    reading_list l;
    reading_list_make(r, &l);
    const char *names[ASR_EVIDENCE_COLUMNS];
    size_t n_names = evidence_names(&l, names);
    if (!r->no_bom)
        fputs("\xEF\xBB\xBF", out);
    asr_buf b = {0};
    asr_buf_add(&b, asr_csv_header, strlen(asr_csv_header) - 2);
    asr_buf_adds(&b, ",organisation,as_of");
    asr_buf tail = {0};
    asr_buf_addc(&tail, ',');
    asr_csv_cell_buf(&tail, r->map->org_name);
    asr_buf_addc(&tail, ',');
    asr_csv_cell_buf(&tail, r->as_of);
    for (size_t k = 0; k < n_names; k++) {
        asr_buf_adds(&b, ",evidence.");
        asr_buf cell = {0};
        asr_csv_cell_buf(&cell, names[k]);
        asr_buf_add(&b, cell.data, cell.len);
        asr_buf_free(&cell);
    }
    asr_buf_add(&b, "\r\n", 2);
    csv_ctx x = {r, out, &b, &tail, names, n_names, {0}};
    if (asr_findspool_each(l.fs, 0, 0, NULL, csv_row, &x))
        *rc = list_failed(&l);
    if (b.len)
        fwrite(b.data, 1, b.len, out);
    asr_buf_free(&b);
    asr_buf_free(&tail);
    reading_list_free(&l);
}

/* ---- Excel ---- */

const char *asr_report_error(void)
{
    return last_error[0] ? last_error : NULL;
}

/* The rows of the workbook, one at a time from the findspool. */
typedef struct {
    const asr_report *r;
    asr_findspool *fs;
    void (*fn)(void *ctx, const asr_xlsx_row *row);
    void *ctx;
} xlsx_src;

static int xlsx_row(void *ud, const asr_finding *f, const char *group)
{
    xlsx_src *x = ud;
    asr_xlsx_row row = {f, &x->r->rules[f->rule].rule, group};
    x->fn(x->ctx, &row);
    return 0;
}

static int xlsx_each(void *ud, int waived, int filter, const char *group,
                     void (*fn)(void *ctx, const asr_xlsx_row *row), void *ctx)
{
    xlsx_src *x = ud;
    x->fn = fn;
    x->ctx = ctx;
    return asr_findspool_each(x->fs, waived, filter, group, xlsx_row, x);
}

/* The workbook (xlsxout) goes to a temporary file, which is then copied to
 * out: the library writes only to a named file. */
static void write_xlsx(const asr_report *r, FILE *out, int *rc)
{
    counts c = count(r);
    reading_list l;
    reading_list_make(r, &l);
    const char *names[ASR_EVIDENCE_COLUMNS];
    size_t n_names = evidence_names(&l, names);
    asr_xlsx_failure *fails = asr_xcalloc(r->n_rules + 1, sizeof *fails);
    size_t n_fails = 0;
    for (size_t i = 0; i < r->n_rules; i++)
        if (r->ran[i] && r->rules[i].fail != ASR_FAIL_NONE)
            fails[n_fails++] =
                (asr_xlsx_failure){r->rules[i].rule.id, asr_fail_kind_name(r->rules[i].fail),
                                   r->rules[i].fail_message};
    char run[32] = "", compared[64] = "";
    asr_xlsx_fact facts[24];
    size_t nf = 0;
#define FACT(label, kind, text, num) facts[nf++] = (asr_xlsx_fact){label, kind, text, num}
    FACT("Exception list", ASR_XFACT_HEADING, NULL, 0);
    FACT("Organisation", ASR_XFACT_TEXT, r->map->org_name, 0);
    FACT("As of", ASR_XFACT_DATE, r->as_of, 0);
    FACT("Findings", ASR_XFACT_NUMBER, NULL, (double)c.findings);
    FACT("High", ASR_XFACT_NUMBER, NULL, (double)c.by_severity[0]);
    FACT("Medium", ASR_XFACT_NUMBER, NULL, (double)c.by_severity[1]);
    FACT("Low", ASR_XFACT_NUMBER, NULL, (double)c.by_severity[2]);
    FACT("Waived (not counted)", ASR_XFACT_NUMBER, NULL, (double)c.waived);
    FACT("Rules run", ASR_XFACT_NUMBER, NULL, (double)c.rules_run);
    FACT("Rules failed", ASR_XFACT_NUMBER, NULL, (double)c.rules_failed);
    FACT("Identity", ASR_XFACT_HEADING, NULL, 0);
    if (r->recorded && !r->check_form) {
        snprintf(run, sizeof run, "%lld", (long long)r->recorded->id);
        FACT("Run", ASR_XFACT_TEXT, run, 0);
        FACT("New", ASR_XFACT_NUMBER, NULL, (double)r->recorded->new_);
        FACT("Recurring", ASR_XFACT_NUMBER, NULL, (double)r->recorded->recurring);
        FACT("Reopened", ASR_XFACT_NUMBER, NULL, (double)r->recorded->reopened);
        FACT("Resolved", ASR_XFACT_NUMBER, NULL, (double)r->recorded->resolved);
    }
    if (r->previous && r->previous->id) {
        snprintf(compared, sizeof compared, "run %lld, as of %s", (long long)r->previous->id,
                 r->previous->as_of);
        FACT("Compared with", ASR_XFACT_TEXT, compared, 0);
    }
    FACT("Map hash", ASR_XFACT_TEXT, r->map->hash, 0);
    FACT("Rules hash", ASR_XFACT_TEXT, r->rules_hash, 0);
    FACT("assure", ASR_XFACT_TEXT, ASSURE_VERSION, 0);
#undef FACT
    xlsx_src src = {r, l.fs, NULL, NULL};
    asr_xlsx_list x = {.facts = facts,
                       .n_facts = nf,
                       .failures = fails,
                       .n_failures = n_fails,
                       .n_rows = asr_findspool_count(l.fs, 0),
                       .n_waived = asr_findspool_count(l.fs, 1),
                       .evidence = names,
                       .n_evidence = n_names,
                       .by_group = r->xlsx_by_group,
                       .each = xlsx_each,
                       .each_ud = &src};
    x.n_groups = asr_findspool_groups(l.fs, &x.groups, &x.no_group);
    x.tmpdir = r->tmpdir;
    char err[256];
    *rc = asr_xlsx_write_stream(&x, out, err, sizeof err) != 0;
    if (*rc) {
        const char *why = asr_findspool_error(l.fs);
        /* the rows that could not be read back say more than the library */
        if (why)
            snprintf(last_error, sizeof last_error, "cannot write the workbook: %s", why);
        else
            snprintf(last_error, sizeof last_error, "%s", err);
    }
    free(fails);
    reading_list_free(&l);
}

/* ---- JSON ---- */

static void json_field(FILE *out, const char *key, const char *value, int *first)
{
    if (!value)
        return;
    fputs(*first ? "" : ", ", out);
    *first = 0;
    asr_json_string(out, key);
    fputs(": ", out);
    asr_json_string(out, value);
}

static void json_failure(const asr_rule_result *res, FILE *out, int typed)
{
    int first = 1;
    fputs("{", out);
    if (typed)
        json_field(out, "type", "failure", &first);
    json_field(out, "rule", res->rule.id, &first);
    json_field(out, "file", res->rule.file, &first);
    json_field(out, "kind", asr_fail_kind_name(res->fail), &first);
    json_field(out, "message", res->fail_message ? res->fail_message : "", &first);
    fputs("}", out);
}

/* Categories in name order, with their counts. */
static void json_categories(const asr_report *r, FILE *out)
{
    const char **cats = asr_xcalloc(r->n_rules + 1, sizeof *cats);
    size_t nc = 0;
    for (size_t i = 0; i < r->n_rules; i++) {
        const char *c = r->rules[i].rule.category;
        if (!r->ran[i] || !c)
            continue;
        size_t k = 0;
        while (k < nc && strcmp(cats[k], c) != 0)
            k++;
        if (k == nc)
            cats[nc++] = c;
    }
    for (size_t i = 1; i < nc; i++)
        for (size_t k = i; k > 0 && strcmp(cats[k - 1], cats[k]) > 0; k--) {
            const char *t = cats[k];
            cats[k] = cats[k - 1];
            cats[k - 1] = t;
        }
    fputs("{", out);
    for (size_t k = 0; k < nc; k++) {
        size_t n = 0;
        for (size_t i = 0; i < r->n_rules; i++)
            if (r->ran[i] && r->rules[i].fail == ASR_FAIL_NONE && r->rules[i].rule.category &&
                strcmp(r->rules[i].rule.category, cats[k]) == 0)
                n += r->rules[i].n_findings;
        fprintf(out, "%s", k ? ", " : "");
        asr_json_string(out, cats[k]);
        fprintf(out, ": %zu", n);
    }
    fputs("}", out);
    free(cats);
}

static void json_header(const asr_report *r, FILE *out, const char *indent, const char *nl)
{
    counts c = count(r);
    fprintf(out, "%s\"assure\": \"%s\",%s", indent, ASSURE_VERSION, nl);
    fprintf(out, "%s\"lua\": \"%s\",%s", indent, LUA_RELEASE, nl);
    fprintf(out, "%s\"sqlite\": \"%s\",%s", indent, asr_store_sqlite_version(), nl);
    fprintf(out, "%s\"organisation\": ", indent);
    asr_json_string(out, r->map->org_name);
    fprintf(out, ",%s%s\"as_of\": \"%s\",%s", nl, indent, r->as_of, nl);
    fprintf(out, "%s\"map_hash\": \"%s\",%s", indent, r->map->hash, nl);
    fprintf(out, "%s\"rules_hash\": \"%s\",%s", indent, r->rules_hash, nl);
    if ((r->recorded && !r->check_form) || (r->previous && r->previous->id)) {
        fprintf(out, "%s\"history\": {", indent);
        const char *sep = "";
        if (r->recorded && !r->check_form) {
            fprintf(out,
                    "\"run\": %lld, \"new\": %lld, \"recurring\": %lld, \"reopened\": %lld, "
                    "\"resolved\": %lld, \"waived\": %lld",
                    (long long)r->recorded->id, r->recorded->new_, r->recorded->recurring,
                    r->recorded->reopened, r->recorded->resolved, r->recorded->waived);
            sep = ", ";
        }
        if (r->previous && r->previous->id)
            fprintf(out, "%s\"compared_with\": %lld, \"compared_as_of\": \"%s\"", sep,
                    (long long)r->previous->id, r->previous->as_of);
        fprintf(out, "},%s", nl);
    }
    fprintf(out,
            "%s\"counts\": {\"findings\": %zu, \"rules_run\": %zu, \"rules_failed\": %zu, "
            "\"by_severity\": {\"high\": %zu, \"medium\": %zu, \"low\": %zu}, \"waived\": %zu, "
            "\"by_category\": ",
            indent, c.findings, c.rules_run, c.rules_failed, c.by_severity[0], c.by_severity[1],
            c.by_severity[2], c.waived);
    json_categories(r, out);
    fputs("}", out);
}

static void write_json(const asr_report *r, FILE *out, int *rc)
{
    counts c = count(r);
    fputs("{\n", out);
    json_header(r, out, "  ", "\n");
    fputs(",\n  \"rules\": [", out);
    int any = 0;
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!r->ran[i])
            continue;
        const asr_rule_result *res = &r->rules[i];
        int first = 1;
        fputs(any ? ",\n    {" : "\n    {", out);
        any = 1;
        json_field(out, "id", res->rule.id, &first);
        json_field(out, "title", res->rule.title, &first);
        json_field(out, "severity", res->rule.severity, &first);
        json_field(out, "category", res->rule.category, &first);
        json_field(out, "file", res->rule.file, &first);
        json_field(out, "status", res->fail == ASR_FAIL_NONE ? "ok" : "failed", &first);
        fprintf(out, ", \"findings\": %zu}", res->n_findings);
    }
    fputs(any ? "\n  ],\n  \"findings\": [" : "],\n  \"findings\": [", out);
    *rc = write_findings(r, ASR_FMT_JSON, out, 0);
    fputs(c.findings ? "\n  ],\n  \"failures\": [" : "],\n  \"failures\": [", out);
    any = 0;
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!r->ran[i] || r->rules[i].fail == ASR_FAIL_NONE)
            continue;
        fputs(any ? ",\n    " : "\n    ", out);
        any = 1;
        json_failure(&r->rules[i], out, 0);
    }
    fputs(any ? "\n  ],\n" : "],\n", out);
    /* findings that waivers in force cover: listed, not counted */
    fputs("  \"waived\": [", out);
    if (write_findings(r, ASR_FMT_JSON, out, 1))
        *rc = 1;
    fputs(c.waived ? "\n  ],\n" : "],\n", out);
    if (r->store && r->recorded && !r->check_form) {
        /* what this run no longer finds: resolved since the run before */
        fputs("  \"resolved\": [", out);
        if (stream_recorded(r, ASR_HIST_RESOLVED, ASR_FMT_JSON, out))
            *rc = 1;
        fputs(r->recorded->resolved ? "\n  ],\n" : "],\n", out);
    }
    fprintf(out, "  \"timing\": {\"elapsed_ms\": %.1f", r->elapsed_ms);
    if (r->integrity) /* on the timing line: it varies from run to run too */
        fprintf(out, ", \"integrity_check\": \"%s\"", r->integrity);
    fprintf(out, "}\n}\n");
}

static void write_jsonl(const asr_report *r, FILE *out, int *rc)
{
    fputs("{\"type\": \"run\", ", out);
    json_header(r, out, "", " ");
    fputs("}\n", out);
    *rc = write_findings(r, ASR_FMT_JSONL, out, 0) | write_findings(r, ASR_FMT_JSONL, out, 1);
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!r->ran[i] || r->rules[i].fail == ASR_FAIL_NONE)
            continue;
        json_failure(&r->rules[i], out, 1);
        fputs("\n", out);
    }
    if (r->store && r->recorded && !r->check_form &&
        stream_recorded(r, ASR_HIST_RESOLVED, ASR_FMT_JSONL, out))
        *rc = 1;
    fprintf(out, "{\"type\": \"timing\", \"elapsed_ms\": %.1f", r->elapsed_ms);
    if (r->integrity)
        fprintf(out, ", \"integrity_check\": \"%s\"", r->integrity);
    fprintf(out, "}\n");
}

int asr_report_write(const asr_report *r, asr_format fmt, FILE *out, int color)
{
    int rc = 0;
    last_error[0] = '\0';
    switch (fmt) {
    case ASR_FMT_TEXT:
        write_text(r, out, color, &rc);
        break;
    case ASR_FMT_CSV:
        write_csv(r, out, &rc);
        break;
    case ASR_FMT_JSON:
        write_json(r, out, &rc);
        break;
    case ASR_FMT_JSONL:
        write_jsonl(r, out, &rc);
        break;
    case ASR_FMT_XLSX:
        write_xlsx(r, out, &rc);
        break;
    }
    return rc || ferror(out);
}
