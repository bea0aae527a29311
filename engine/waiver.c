#include "waiver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int cmp_waiver(const void *a, const void *b)
{
    return strcmp(((const asr_waiver *)a)->fingerprint, ((const asr_waiver *)b)->fingerprint);
}

static char *opt_dup(asr_stmt *st, int col)
{
    return asr_stmt_is_null(st, col) ? NULL : asr_xstrdup(asr_stmt_text(st, col));
}

asr_status asr_waivers_read(asr_store *s, asr_waivers *out, asr_diag *d)
{
    memset(out, 0, sizeof *out);
    if (!asr_store_has_table(s, "waivers"))
        return ASR_OK;
    asr_stmt *f = asr_stmt_new(s, "SELECT file FROM assure_datasets WHERE id = 'waivers'", d);
    if (f && asr_stmt_step(f, d, "reading the waivers") == 1)
        out->file = asr_xstrdup(asr_stmt_text(f, 0));
    asr_stmt_free(f);
    if (!out->file)
        out->file = asr_xstrdup("waivers");
    asr_stmt *st = asr_stmt_new(s,
                                "SELECT fingerprint, rule, subject, justification, approver, "
                                "approved_on, expires, _line FROM waivers ORDER BY _line",
                                d);
    if (!st)
        return ASR_E_DATA; /* the waivers table lacks the standard columns */
    asr_status status = ASR_OK;
    size_t cap = 0;
    int rc;
    while ((rc = asr_stmt_step(st, d, "reading the waivers")) == 1) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            out->items = asr_xrealloc(out->items, cap * sizeof *out->items);
        }
        asr_waiver *w = &out->items[out->n];
        memset(w, 0, sizeof *w);
        w->rule = opt_dup(st, 1);
        w->subject = opt_dup(st, 2);
        w->justification = opt_dup(st, 3);
        w->approver = opt_dup(st, 4);
        w->approved_on = opt_dup(st, 5);
        w->expires = opt_dup(st, 6);
        w->line = (unsigned)asr_stmt_int(st, 7);
        char made[17] = "";
        if (w->rule && w->subject)
            asr_finding_fingerprint(w->rule, w->subject, strlen(w->subject), made);
        const char *given = asr_stmt_is_null(st, 0) ? NULL : asr_stmt_text(st, 0);
        asr_loc l = {out->file, w->line, 0};
        if (given && made[0] && strcmp(given, made) != 0) {
            asr_error(d, &l, "Fingerprint",
                      "'%s' is not the fingerprint of rule %s and subject %s (%s); give one or "
                      "the other, or correct it",
                      given, w->rule, w->subject, made);
            status = ASR_E_DATA;
        }
        snprintf(w->fingerprint, sizeof w->fingerprint, "%s", given ? given : made);
        if (!w->fingerprint[0]) {
            asr_error(d, &l, NULL,
                      "the waiver names no finding: give its fingerprint, or its rule and subject");
            status = ASR_E_DATA;
        }
        out->n++;
    }
    if (rc < 0)
        status = asr_stmt_status(st);
    asr_stmt_free(st);
    if (out->n)
        qsort(out->items, out->n, sizeof *out->items, cmp_waiver);
    return status;
}

void asr_waivers_free(asr_waivers *w)
{
    for (size_t i = 0; i < w->n; i++) {
        asr_waiver *x = &w->items[i];
        free(x->rule);
        free(x->subject);
        free(x->justification);
        free(x->approver);
        free(x->approved_on);
        free(x->expires);
    }
    free(w->items);
    free(w->file);
    memset(w, 0, sizeof *w);
}

/* ---- the classifier ---- */

struct asr_waiver_classifier {
    asr_finding_classifier base;
    const asr_waivers *w;
    char as_of[11];
    asr_finding_classifier *next;
    unsigned char *hit; /* per waiver, in this worker */
    char note[600];
};

static const asr_waiver *find(const asr_waivers *w, const char *fingerprint, size_t *index)
{
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(w->items[mid].fingerprint, fingerprint);
        if (c == 0) {
            *index = mid;
            return &w->items[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void classify(asr_finding_classifier *self, const asr_rule *rule, asr_finding *f)
{
    asr_waiver_classifier *c = (asr_waiver_classifier *)self;
    if (c->next)
        c->next->classify(c->next, rule, f);
    size_t i;
    const asr_waiver *w = find(c->w, f->fingerprint, &i);
    if (!w || !w->expires || !w->approved_on || strcmp(w->approved_on, c->as_of) > 0)
        return; /* none, or not yet approved as at this date */
    c->hit[i] = 1;
    if (strcmp(w->expires, c->as_of) >= 0) {
        snprintf(c->note, sizeof c->note, "waived until %s, approved %s by %s: %s", w->expires,
                 w->approved_on, w->approver ? w->approver : "(no approver named)",
                 w->justification ? w->justification : "");
        f->waived = 1;
    } else {
        snprintf(c->note, sizeof c->note, "waiver expired on %s", w->expires);
        f->waived = 0;
    }
    f->waiver = c->note;
}

static void open_next(asr_finding_classifier *self)
{
    asr_waiver_classifier *c = (asr_waiver_classifier *)self;
    if (c->next && c->next->open)
        c->next->open(c->next);
}

/* The waivers this worker matched, as "i,j,..." */
static void finish(asr_finding_classifier *self, asr_buf *note)
{
    asr_waiver_classifier *c = (asr_waiver_classifier *)self;
    if (c->next && c->next->finish)
        c->next->finish(c->next, note);
    for (size_t i = 0; i < c->w->n; i++)
        if (c->hit[i])
            asr_buf_addf(note, "%zu,", i);
}

asr_waiver_classifier *asr_waiver_classifier_new(const asr_waivers *w, const char *as_of,
                                                 asr_finding_classifier *next)
{
    asr_waiver_classifier *c = asr_xcalloc(1, sizeof *c);
    c->base.open = open_next;
    c->base.classify = classify;
    c->base.finish = finish;
    c->w = w;
    c->next = next;
    c->hit = asr_xcalloc(w->n + 1, 1);
    snprintf(c->as_of, sizeof c->as_of, "%s", as_of);
    return c;
}

asr_finding_classifier *asr_waiver_classifier_base(asr_waiver_classifier *c)
{
    return &c->base;
}

void asr_waiver_classifier_free(asr_waiver_classifier *c)
{
    if (!c)
        return;
    free(c->hit);
    free(c);
}

void asr_waivers_take_note(asr_waivers *w, const char *note, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t k = 0, j = i;
        while (j < len && note[j] >= '0' && note[j] <= '9')
            k = k * 10 + (size_t)(note[j++] - '0');
        if (j > i && k < w->n)
            w->items[k].matched = 1;
        i = j + 1;
    }
}

void asr_waivers_report_unmatched(const asr_waivers *w, asr_diag *d)
{
    for (size_t i = 0; i < w->n; i++) {
        const asr_waiver *x = &w->items[i];
        if (x->matched)
            continue;
        asr_loc l = {w->file, x->line, 0};
        if (x->rule && x->subject)
            asr_warn(d, &l, NULL, "this waiver matches no finding (rule %s, subject %s)", x->rule,
                     x->subject);
        else
            asr_warn(d, &l, NULL, "this waiver matches no finding (fingerprint %s)",
                     x->fingerprint);
    }
}
