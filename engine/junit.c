#include "junit.h"

#include <string.h>

#include "finding.h"
#include "findspool.h"
#include "util.h"

static void escape_ascii(FILE *out, unsigned char ch, int attr)
{
    switch (ch) {
    case '&':
        fputs("&amp;", out);
        return;
    case '<':
        fputs("&lt;", out);
        return;
    case '>':
        fputs("&gt;", out);
        return;
    case '"':
        fputs("&quot;", out);
        return;
    case '\'':
        fputs("&apos;", out);
        return;
    case '\n':
        fputs(attr ? "&#10;" : "\n", out);
        return;
    case '\t':
        fputs(attr ? "&#9;" : "\t", out);
        return;
    case '\r':
        fputs("&#13;", out);
        return;
    default:
        break;
    }
    if (ch < 0x20 || ch == 0x7f)
        fprintf(out, "\\x%02x", ch); /* not allowed in XML 1.0, even as &#1; */
    else
        fputc(ch, out);
}

void asr_junit_escape(FILE *out, const char *s, int attr)
{
    size_t len = strlen(s);
    while (len) {
        const char *bad = asr_utf8_invalid(s, len);
        size_t good = bad ? (size_t)(bad - s) : len;
        for (size_t i = 0; i < good; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (ch < 0x80)
                escape_ascii(out, ch, attr);
            else
                fputc(ch, out);
        }
        if (!bad)
            break;
        fprintf(out, "\\x%02x", (unsigned char)*bad);
        len -= good + 1;
        s = bad + 1;
    }
}

static void attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    asr_junit_escape(out, value ? value : "", 1);
    fputc('"', out);
}

/* One finding as a failure of its rule's testcase. */
typedef struct {
    FILE *out;
    const asr_rule_result *r;
    int open;
} case_ctx;

static int failure(void *ud, const asr_finding *fi, const char *group)
{
    case_ctx *x = ud;
    FILE *out = x->out;
    const asr_rule_result *r = x->r;
    (void)group;
    if (fi->waived)
        return 0;
    if (!x->open)
        fputs(">\n", out);
    x->open = 1;
    const char *sev = asr_finding_severity(fi, &r->rule);
    fputs("      <failure", out);
    attr(out, "type", sev);
    asr_buf m = {0};
    asr_buf_addf(&m, "%s: %s", fi->subject, fi->message);
    attr(out, "message", m.data);
    asr_buf_free(&m);
    fputs(">", out);
    const char *const label[] = {"rule", "severity",  "subject", "message", "unit",  "area",
                                 "line", "principle", "owner",   "due",     "state", "fingerprint"};
    const char *const value[] = {r->rule.id, sev,      fi->subject, fi->message,
                                 fi->unit,   fi->area, fi->line,    fi->principle,
                                 fi->owner,  fi->due,  fi->state,   fi->fingerprint};
    for (size_t k = 0; k < sizeof label / sizeof label[0]; k++) {
        if (!value[k] || !*value[k])
            continue;
        fprintf(out, "%s: ", label[k]);
        asr_junit_escape(out, value[k], 0);
        fputc('\n', out);
    }
    fputs("</failure>\n", out);
    return 0;
}

/* The findings come as structs sorted by rule, or -- c->ordered, kept on
 * disk by rule (check's spool_findings 2) -- one at a time. */
int asr_junit_check(FILE *out, const asr_check *c)
{
    size_t tests = 0, failures = 0, errors = 0;
    int rc = 0;
    for (size_t i = 0; i < c->n_rules; i++) {
        if (!c->run[i])
            continue;
        tests++;
        if (c->rules[i].fail != ASR_FAIL_NONE)
            errors++;
    }
    for (size_t i = 0; i < c->n_findings; i++)
        failures += !c->findings[i].waived;
    if (c->ordered)
        failures = asr_findspool_count(c->ordered, 0);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
    attr(out, "name", "assure check");
    fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n  <testsuite", tests, failures,
            errors);
    char name[64];
    snprintf(name, sizeof name, "assure check as of %s", c->as_of);
    attr(out, "name", name);
    fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\">\n", tests, failures,
            errors);
    size_t f = 0; /* findings come sorted by rule */
    for (size_t i = 0; i < c->n_rules; i++) {
        const asr_rule_result *r = &c->rules[i];
        while (f < c->n_findings && c->findings[f].rule < i)
            f++;
        if (!c->run[i])
            continue;
        fputs("    <testcase", out);
        attr(out, "classname", r->rule.category ? r->rule.category : "rules");
        attr(out, "name", r->rule.id);
        attr(out, "file", r->rule.file);
        fprintf(out, " time=\"%.3f\"", r->elapsed_ms / 1000.0);
        case_ctx x = {out, r, 0};
        if (r->fail != ASR_FAIL_NONE) {
            fputs(">\n      <error", out);
            attr(out, "type", asr_fail_kind_name(r->fail));
            attr(out, "message", r->fail_message ? r->fail_message : asr_fail_kind_name(r->fail));
            fputs("/>\n", out);
            x.open = 1;
        }
        for (; f < c->n_findings && c->findings[f].rule == i; f++)
            failure(&x, &c->findings[f], NULL);
        if (c->ordered && asr_findspool_each_rule(c->ordered, i, failure, &x))
            rc = -1;
        fputs(x.open ? "    </testcase>\n" : "/>\n", out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
    return rc;
}
