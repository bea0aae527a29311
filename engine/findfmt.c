#include "findfmt.h"

#include <string.h>

const char asr_csv_header[] =
    "rule,severity,category,subject,message,business_group,unit,area,line,principle,"
    "owner,due,fingerprint,evidence,state,first_seen,age_days\r\n";

int asr_format_parse(const char *s, asr_format *out)
{
    static const char *const names[] = {"text", "csv", "json", "jsonl", "xlsx"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return *out = (asr_format)i, 0;
    return -1;
}

static const asr_unit *find_unit(const asr_map *m, const char *id)
{
    for (size_t i = 0; id && i < m->n_units; i++)
        if (m->units[i].id && strcmp(m->units[i].id, id) == 0)
            return &m->units[i];
    return NULL;
}

const asr_unit *asr_business_group(const asr_map *m, const asr_finding *f)
{
    const char *unit = f->unit;
    if (!unit && f->area) {
        const asr_area *a = asr_map_area(m, f->area);
        unit = a ? a->unit : NULL;
    }
    const asr_unit *u = find_unit(m, unit);
    for (size_t steps = 0; u && u->parent && steps < m->n_units; steps++) {
        const asr_unit *p = find_unit(m, u->parent);
        if (!p)
            break;
        u = p;
    }
    return u;
}

const char *asr_business_group_name(const asr_map *m, const asr_finding *f, asr_bg_memo *memo)
{
    const char *unit = f->unit ? f->unit : "", *area = f->area ? f->area : "";
    size_t ul = strlen(unit), al = strlen(area);
    int fits = ul < sizeof memo->unit && al < sizeof memo->area;
    if (memo->set && fits && strcmp(unit, memo->unit) == 0 && strcmp(area, memo->area) == 0)
        return memo->name;
    const asr_unit *u = asr_business_group(m, f);
    const char *name = u ? (u->name ? u->name : u->id) : NULL;
    memo->set = fits;
    if (fits) {
        memcpy(memo->unit, unit, ul + 1);
        memcpy(memo->area, area, al + 1);
        memo->name = name;
    }
    return name;
}

/* ---- escaping ---- */

void asr_csv_cell_buf(asr_buf *out, const char *s)
{
    if (!s)
        return;
    int formula =
        s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        asr_buf_adds(out, s);
        return;
    }
    asr_buf_add(out, formula ? "\"'" : "\"", formula ? 2 : 1);
    for (const char *p = s;;) {
        const char *q = strchr(p, '"');
        if (!q) {
            asr_buf_adds(out, p);
            break;
        }
        asr_buf_add(out, p, (size_t)(q - p) + 1);
        asr_buf_addc(out, '"'); /* the quote, doubled */
        p = q + 1;
    }
    asr_buf_addc(out, '"');
}

void asr_json_string_buf(asr_buf *out, const char *s)
{
    asr_buf_addc(out, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p > run)
            asr_buf_add(out, (const char *)run, (size_t)(p - run));
        unsigned c = *p;
        if (!c)
            break;
        if (c == '"' || c == '\\') {
            asr_buf_addc(out, '\\');
            asr_buf_addc(out, (char)c);
            p++;
        } else if (c < 0x20) {
            if (c == '\n')
                asr_buf_add(out, "\\n", 2);
            else if (c == '\r')
                asr_buf_add(out, "\\r", 2);
            else if (c == '\t')
                asr_buf_add(out, "\\t", 2);
            else
                asr_buf_addf(out, "\\u%04x", c);
            p++;
        } else {
            size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            size_t avail = strnlen((const char *)p, n);
            if (n > 1 && avail == n && !asr_utf8_invalid((const char *)p, n)) {
                asr_buf_add(out, (const char *)p, n);
                p += n;
            } else {
                asr_buf_add(out, "\\ufffd", 6);
                p++;
            }
        }
    }
    asr_buf_addc(out, '"');
}

static void to_stream(FILE *out, void (*fn)(asr_buf *, const char *), const char *s)
{
    asr_buf b = {0};
    fn(&b, s);
    fwrite(b.data ? b.data : "", 1, b.len, out);
    asr_buf_free(&b);
}

void asr_csv_cell(FILE *out, const char *s)
{
    to_stream(out, asr_csv_cell_buf, s);
}

void asr_json_string(FILE *out, const char *s)
{
    to_stream(out, asr_json_string_buf, s);
}

void asr_json_value_buf(asr_buf *out, char t, const char *v)
{
    if (t == ASR_EV_NULL)
        asr_buf_adds(out, "null");
    else if (t == ASR_EV_NUMBER || t == ASR_EV_INTEGER || t == ASR_EV_BOOLEAN)
        asr_buf_adds(out, v);
    else
        asr_json_string_buf(out, v);
}

void asr_json_kv_object(asr_buf *out, const asr_kv *kv, size_t n)
{
    asr_buf_addc(out, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            asr_buf_add(out, ", ", 2);
        asr_json_string_buf(out, kv[i].k);
        asr_buf_add(out, ": ", 2);
        asr_json_value_buf(out, kv[i].t, kv[i].v);
    }
    asr_buf_addc(out, '}');
}

void asr_json_rows(asr_buf *out, const asr_kv *rows, size_t n)
{
    asr_buf_addc(out, '[');
    for (size_t i = 0; i < n; i++) {
        asr_buf_adds(out, i ? ", {\"dataset\": " : "{\"dataset\": ");
        asr_json_string_buf(out, rows[i].k);
        asr_buf_adds(out, ", \"key\": ");
        asr_json_string_buf(out, rows[i].v);
        asr_buf_addc(out, '}');
    }
    asr_buf_addc(out, ']');
}

/* ---- one finding ---- */

static void csv_row(asr_buf *out, const asr_map *m, const asr_rule *rule, const asr_finding *f,
                    asr_bg_memo *memo)
{
    const char *cells[13] = {rule->id,       asr_finding_severity(f, rule),
                             rule->category, f->subject,
                             f->message,     asr_business_group_name(m, f, memo),
                             f->unit,        f->area,
                             f->line,        f->principle,
                             f->owner,       f->due,
                             f->fingerprint};
    for (int k = 0; k < 13; k++) {
        asr_csv_cell_buf(out, cells[k]);
        asr_buf_addc(out, ',');
    }
    /* evidence: "name=value; ..." in one cell, built aside only when it
     * needs quoting */
    const char *first = f->n_evidence ? f->evidence[0].k : "";
    int plain = !strchr("=+-@\t\r", first[0]) || !first[0];
    for (size_t i = 0; plain && i < f->n_evidence; i++)
        plain = !strpbrk(f->evidence[i].k, ",\"\r\n") && !strpbrk(f->evidence[i].v, ",\"\r\n");
    asr_buf ev = {0};
    asr_buf *to = plain ? out : &ev;
    for (size_t i = 0; i < f->n_evidence; i++) {
        if (i)
            asr_buf_add(to, "; ", 2);
        asr_buf_adds(to, f->evidence[i].k);
        asr_buf_addc(to, '=');
        asr_buf_adds(to, f->evidence[i].v);
    }
    if (!plain)
        asr_csv_cell_buf(out, asr_buf_str(&ev));
    asr_buf_free(&ev);
    asr_buf_addc(out, ',');
    asr_csv_cell_buf(out, f->state);
    asr_buf_addc(out, ',');
    asr_csv_cell_buf(out, f->first_seen);
    asr_buf_addc(out, ',');
    if (f->state && f->age_days >= 0)
        asr_buf_addf(out, "%ld", f->age_days);
    asr_buf_add(out, "\r\n", 2);
}

static void json_field(asr_buf *out, const char *key, const char *value, int *first)
{
    if (!value)
        return;
    if (!*first)
        asr_buf_add(out, ", ", 2);
    *first = 0;
    asr_json_string_buf(out, key);
    asr_buf_add(out, ": ", 2);
    asr_json_string_buf(out, value);
}

static void json_object(asr_buf *out, const asr_map *m, const asr_rule *rule, const asr_finding *f,
                        asr_bg_memo *memo, int typed)
{
    int first = 1;
    asr_buf_addc(out, '{');
    if (typed)
        json_field(out, "type",
                   f->waived                                       ? "waived"
                   : f->state && strcmp(f->state, "resolved") == 0 ? "resolved"
                                                                   : "finding",
                   &first);
    json_field(out, "rule", rule->id, &first);
    json_field(out, "severity", asr_finding_severity(f, rule), &first);
    json_field(out, "category", rule->category, &first);
    json_field(out, "subject", f->subject, &first);
    json_field(out, "message", f->message, &first);
    json_field(out, "business_group", asr_business_group_name(m, f, memo), &first);
    json_field(out, "unit", f->unit, &first);
    json_field(out, "area", f->area, &first);
    json_field(out, "line", f->line, &first);
    json_field(out, "principle", f->principle, &first);
    json_field(out, "owner", f->owner, &first);
    json_field(out, "due", f->due, &first);
    json_field(out, "fingerprint", f->fingerprint, &first);
    json_field(out, "state", f->state, &first);
    json_field(out, "first_seen", f->state ? f->first_seen : NULL, &first);
    if (f->state && f->age_days >= 0)
        asr_buf_addf(out, ", \"age_days\": %ld", f->age_days);
    json_field(out, "waiver", f->waiver, &first);
    asr_buf_adds(out, ", \"evidence\": ");
    asr_json_kv_object(out, f->evidence, f->n_evidence);
    json_field(out, "as_of", f->as_of, &first);
    if (f->as_of || f->n_params) {
        asr_buf_adds(out, ", \"params\": ");
        asr_json_kv_object(out, f->params, f->n_params);
    }
    if (f->as_of || f->n_rows) {
        asr_buf_adds(out, ", \"rows\": ");
        asr_json_rows(out, f->rows, f->n_rows);
        asr_buf_addf(out, ", \"rows_total\": %ld", f->rows_total);
    }
    asr_buf_addc(out, '}');
}

void asr_findfmt_write(asr_buf *out, asr_format fmt, const asr_map *m, const asr_rule *rule,
                       const asr_finding *f, asr_bg_memo *memo)
{
    switch (fmt) {
    case ASR_FMT_CSV:
        csv_row(out, m, rule, f, memo);
        break;
    case ASR_FMT_JSON:
        asr_buf_add(out, ",\n    ", 6);
        json_object(out, m, rule, f, memo, 0);
        break;
    case ASR_FMT_JSONL:
        json_object(out, m, rule, f, memo, 1);
        asr_buf_addc(out, '\n');
        break;
    case ASR_FMT_TEXT:
    case ASR_FMT_XLSX:
        break;
    }
}

static void sink_write(asr_finding_sink *self, asr_buf *out, const asr_rule *rule,
                       const asr_finding *f)
{
    asr_findfmt_sink *s = (asr_findfmt_sink *)self;
    asr_findfmt_write(out, s->fmt, s->map, rule, f, &s->memo);
}

void asr_findfmt_sink_init(asr_findfmt_sink *s, asr_format fmt, const asr_map *m)
{
    memset(s, 0, sizeof *s);
    s->sink.write = sink_write;
    s->fmt = fmt;
    s->map = m;
}
