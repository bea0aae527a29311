#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Objects with more keys than this find duplicates through a hash table
 * of their keys rather than by comparing each key with the earlier ones. */
#define LINEAR_KEYS 16
/* Keys one object may have: more than any dataset has fields (SQLite allows
 * 2000 columns), and a bound on the memory one object takes (about 100
 * bytes per key: a 1 GiB object of short keys would take 12 GB). */
#define MAX_KEYS ASR_JSON_MAX_KEYS

typedef struct {
    const char *p, *end;
    unsigned line;
    const char *line_start;
    /* The column of col_at, which only moves forward within a line: the
     * column of each value is counted from the last one, so a file on one
     * line costs O(n), not O(n^2). */
    const char *col_at;
    unsigned col;
    asr_json_error *err;
    asr_buf keys;   /* decoded keys of the current object, NUL-separated */
    asr_buf values; /* decoded values of the current object, NUL-separated */
    asr_jfield *fields;
    size_t *key_off, *val_off;
    size_t nf, capf;
    size_t *slots; /* the current object's keys (1 + index; 0 = empty), once it has many */
    size_t n_slots;
} jreader;

static unsigned count_cols(const char *from, const char *to)
{
    unsigned n = 0;
    for (const char *q = from; q < to; q++)
        if (((unsigned char)*q & 0xC0) != 0x80)
            n++;
    return n;
}

static unsigned col_of(jreader *r, const char *at)
{
    if (r->col_at < r->line_start || r->col_at > at) { /* a new line, or an error behind */
        if (at < r->line_start)
            return 1;
        r->col_at = r->line_start;
        r->col = 1;
    }
    r->col += count_cols(r->col_at, at);
    r->col_at = at;
    return r->col;
}

static int fail(jreader *r, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(jreader *r, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
    va_end(ap);
    r->err->line = r->line;
    r->err->col = col_of(r, at);
    return -1;
}

static void skip_ws(jreader *r)
{
    while (r->p < r->end) {
        char c = *r->p;
        if (c == '\n') {
            r->line++;
            r->line_start = r->p + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return;
        }
        r->p++;
    }
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(asr_buf *b, unsigned cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    asr_buf_add(b, t, n);
}

/* Decodes a string at r->p (which is at the opening quote) into b. */
static int read_string(jreader *r, asr_buf *b)
{
    const char *start = r->p++;
    for (;;) {
        if (r->p >= r->end)
            return fail(r, start, "string is never closed");
        unsigned char c = (unsigned char)*r->p;
        if (c == '"') {
            r->p++;
            break;
        }
        if (c < 0x20)
            return fail(r, r->p, "control character \\x%02x inside a string (escape it)", c);
        if (c == '\\') {
            if (r->p + 1 >= r->end)
                return fail(r, r->p, "string is never closed");
            char e = r->p[1];
            r->p += 2;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                asr_buf_addc(b, e);
                break;
            case 'b':
                asr_buf_addc(b, '\b');
                break;
            case 'f':
                asr_buf_addc(b, '\f');
                break;
            case 'n':
                asr_buf_addc(b, '\n');
                break;
            case 'r':
                asr_buf_addc(b, '\r');
                break;
            case 't':
                asr_buf_addc(b, '\t');
                break;
            case 'u': {
                unsigned cp;
                if (r->end - r->p < 4 || hex4(r->p, &cp))
                    return fail(r, r->p - 2, "\\u must be followed by four hex digits");
                r->p += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return fail(r, r->p - 6, "lone low surrogate \\u%04x", cp);
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
                        hex4(r->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return fail(r, r->p - 6, "lone high surrogate \\u%04x", cp);
                    r->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (cp == 0)
                    return fail(r, r->p - 6, "NUL character (\\u0000) inside a string");
                put_utf8(b, cp);
                break;
            }
            default:
                return fail(r, r->p - 2, "unknown escape \\%c", e);
            }
            continue;
        }
        /* copy a run of ordinary bytes at once */
        const char *run = r->p;
        while (r->p < r->end && *r->p != '"' && *r->p != '\\' && (unsigned char)*r->p >= 0x20)
            r->p++;
        if (asr_utf8_invalid(run, (size_t)(r->p - run)))
            return fail(r, run, "invalid UTF-8 inside a string");
        asr_buf_add(b, run, (size_t)(r->p - run));
    }
    asr_buf_addc(b, '\0');
    return 0;
}

/* A number exactly as JSON's grammar allows; integers must fit in 2^53. */
static int read_number(jreader *r, asr_buf *b)
{
    const char *s = r->p, *q = s;
    if (q < r->end && *q == '-')
        q++;
    if (q >= r->end || *q < '0' || *q > '9')
        return fail(r, s, "not a valid value (strings need double quotes)");
    if (*q == '0' && q + 1 < r->end && q[1] >= '0' && q[1] <= '9')
        return fail(r, s, "numbers may not have leading zeros");
    const char *digits = q;
    while (q < r->end && *q >= '0' && *q <= '9')
        q++;
    int integral = 1;
    size_t ndigits = (size_t)(q - digits);
    if (q < r->end && *q == '.') {
        integral = 0;
        q++;
        if (q >= r->end || *q < '0' || *q > '9')
            return fail(r, s, "a '.' must be followed by digits");
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        integral = 0;
        q++;
        if (q < r->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= r->end || *q < '0' || *q > '9')
            return fail(r, s, "an exponent must have digits");
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    /* Compared as text: a double cannot tell 2^53 + 1 from 2^53. */
    if (integral && (ndigits > 16 || (ndigits == 16 && memcmp(digits, "9007199254740992", 16) > 0)))
        return fail(r, s, "integer beyond 2^53 would lose digits; export it as a string");
    asr_buf_add(b, s, (size_t)(q - s));
    asr_buf_addc(b, '\0');
    r->p = q;
    return 0;
}

static int literal(jreader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) >= n && memcmp(r->p, word, n) == 0) {
        r->p += n;
        return 1;
    }
    return 0;
}

/* Puts key index i (its text at key_off[i]) in the table; 1 if an equal key
 * is there already. */
static int slot_put(jreader *r, size_t i, size_t koff)
{
    const char *k = r->keys.data + koff;
    size_t mask = r->n_slots - 1, s = (size_t)asr_hash64(k, strlen(k)) & mask;
    while (r->slots[s]) {
        if (strcmp(r->keys.data + r->key_off[r->slots[s] - 1], k) == 0)
            return 1;
        s = (s + 1) & mask;
    }
    r->slots[s] = i + 1;
    return 0;
}

/* (Re)builds the table for the object's first n keys, sized for twice as many. */
static void slots_build(jreader *r, size_t n)
{
    free(r->slots);
    r->n_slots = 64;
    while (r->n_slots < 4 * n)
        r->n_slots *= 2;
    r->slots = asr_xcalloc(r->n_slots, sizeof *r->slots);
    for (size_t i = 0; i < n; i++)
        slot_put(r, i, r->key_off[i]);
}

/* Whether the key just read (at koff) is among the object's earlier keys:
 * compared one by one in a small object, through the table in a big one
 * (built when the object reaches LINEAR_KEYS keys, grown as it does), so an
 * object of n keys costs O(n). */
static int key_seen(jreader *r, size_t koff)
{
    const char *k = r->keys.data + koff;
    if (r->nf < LINEAR_KEYS) {
        for (size_t i = 0; i < r->nf; i++)
            if (strcmp(r->keys.data + r->key_off[i], k) == 0)
                return 1;
        return 0;
    }
    if (r->nf == LINEAR_KEYS || 2 * (r->nf + 1) > r->n_slots)
        slots_build(r, r->nf);
    return slot_put(r, r->nf, koff); /* its index once the caller stores koff */
}

static int read_object(jreader *r, asr_json_object_fn fn, void *ctx, int *stop)
{
    unsigned obj_line = r->line;
    r->p++; /* { */
    r->nf = 0;
    asr_buf_clear(&r->keys);
    asr_buf_clear(&r->values);
    skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
    } else {
        for (;;) {
            skip_ws(r);
            if (r->p >= r->end || *r->p != '"')
                return fail(r, r->p, "expected a key in double quotes");
            const char *key_at = r->p;
            if (r->nf == MAX_KEYS)
                return fail(r, key_at, "more than %u keys in one object", MAX_KEYS);
            size_t koff = r->keys.len;
            if (read_string(r, &r->keys))
                return -1;
            if (key_seen(r, koff))
                return fail(r, key_at, "duplicate key \"%s\" in one object", r->keys.data + koff);
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':')
                return fail(r, r->p, "expected ':' after the key");
            r->p++;
            skip_ws(r);
            if (r->nf == r->capf) {
                r->capf = r->capf ? r->capf * 2 : 32;
                r->fields = asr_xrealloc(r->fields, r->capf * sizeof *r->fields);
                r->key_off = asr_xrealloc(r->key_off, r->capf * sizeof *r->key_off);
                r->val_off = asr_xrealloc(r->val_off, r->capf * sizeof *r->val_off);
            }
            asr_jfield *f = &r->fields[r->nf];
            f->line = r->line;
            f->col = col_of(r, r->p);
            r->key_off[r->nf] = koff;
            r->val_off[r->nf] = r->values.len;
            if (r->p >= r->end)
                return fail(r, r->p, "the file ends inside an object");
            char c = *r->p;
            if (c == '"') {
                f->kind = ASR_JSTRING;
                if (read_string(r, &r->values))
                    return -1;
            } else if (c == '{' || c == '[') {
                return fail(r, r->p,
                            "nested %s not allowed: each value must be a string, number, "
                            "true, false or null",
                            c == '{' ? "objects are" : "arrays are");
            } else if (literal(r, "true") || literal(r, "false")) {
                f->kind = ASR_JBOOL;
                asr_buf_adds(&r->values, r->p[-1] == 'e' && r->p[-2] == 'u' ? "true" : "false");
                asr_buf_addc(&r->values, '\0');
            } else if (literal(r, "null")) {
                f->kind = ASR_JNULL;
                asr_buf_addc(&r->values, '\0');
            } else {
                f->kind = ASR_JNUMBER;
                if (read_number(r, &r->values))
                    return -1;
            }
            r->nf++;
            skip_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == '}') {
                r->p++;
                break;
            }
            return fail(r, r->p, "expected ',' or '}'");
        }
    }
    for (size_t i = 0; i < r->nf; i++) {
        r->fields[i].key = r->keys.data + r->key_off[i];
        r->fields[i].text = r->values.data + r->val_off[i];
        r->fields[i].len = strlen(r->fields[i].text);
    }
    *stop = fn(ctx, obj_line, r->fields, r->nf);
    return 0;
}

int asr_json_each_object(const char *data, size_t len, asr_json_object_fn fn, void *ctx,
                         asr_json_error *err)
{
    jreader r = {0};
    r.p = data;
    r.end = data + len;
    r.line = 1;
    r.line_start = data;
    r.col_at = data;
    r.col = 1;
    r.err = err;
    int rc = -1, stop = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        r.p += 3;
        r.line_start = r.p;
    }
    skip_ws(&r);
    if (r.p >= r.end || *r.p != '[') {
        fail(&r, r.p, "expected an array of objects ('[' first)");
        goto done;
    }
    r.p++;
    skip_ws(&r);
    if (r.p < r.end && *r.p == ']') {
        r.p++;
    } else {
        for (;;) {
            skip_ws(&r);
            if (r.p >= r.end || *r.p != '{') {
                fail(&r, r.p, "expected an object ('{')");
                goto done;
            }
            if (read_object(&r, fn, ctx, &stop))
                goto done;
            if (stop) {
                rc = 1;
                goto done;
            }
            skip_ws(&r);
            if (r.p < r.end && *r.p == ',') {
                r.p++;
                continue;
            }
            if (r.p < r.end && *r.p == ']') {
                r.p++;
                break;
            }
            fail(&r, r.p, "expected ',' or ']'");
            goto done;
        }
    }
    skip_ws(&r);
    if (r.p != r.end) {
        fail(&r, r.p, "unexpected text after the closing ']'");
        goto done;
    }
    rc = 0;
done:
    asr_buf_free(&r.keys);
    asr_buf_free(&r.values);
    free(r.fields);
    free(r.key_off);
    free(r.val_off);
    free(r.slots);
    return rc;
}
