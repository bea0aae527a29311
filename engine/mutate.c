#include "mutate.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "date.h"
#include "findfmt.h"
#include "outfile.h"
#include "runner.h"
#include "util.h"

const char *asr_mut_kind_name(asr_mut_kind k)
{
    static const char *const names[] = {"relational", "equality", "negate", "logical",
                                        "number",     "flag",     "sql",    "param"};
    return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* ---- a Lua tokenizer ---- */

typedef enum { T_NAME, T_NUMBER, T_STRING, T_OP } tok_kind;

typedef struct {
    tok_kind kind;
    size_t start, len; /* the whole token */
    size_t body, blen; /* strings: the text between the delimiters */
    int long_string;   /* strings: [[...]] or [==[...]==] */
} token;

typedef struct {
    const char *s;
    size_t n;
    token *t;
    size_t nt, cap;
} lexer;

static void push(lexer *lx, tok_kind k, size_t start, size_t end, size_t body, size_t bend,
                 int long_string)
{
    if (lx->nt == lx->cap) {
        lx->cap = lx->cap ? lx->cap * 2 : 256;
        lx->t = asr_xrealloc(lx->t, lx->cap * sizeof *lx->t);
    }
    lx->t[lx->nt++] = (token){k, start, end - start, body, bend - body, long_string};
}

/* At s[i] == '[': the level of a long bracket ("[==[" is 2), or -1. */
static int long_open(const char *s, size_t n, size_t i)
{
    size_t k = i + 1;
    while (k < n && s[k] == '=')
        k++;
    return k < n && s[k] == '[' ? (int)(k - i - 1) : -1;
}

/* From the first byte after an opening long bracket of level lv: the offset
 * of the closing bracket (or n), its length in *close. */
static size_t long_close(const char *s, size_t n, size_t i, int lv, size_t *close)
{
    for (; i < n; i++) {
        if (s[i] != ']')
            continue;
        size_t k = i + 1;
        while (k < n && s[k] == '=')
            k++;
        if ((int)(k - i - 1) == lv && k < n && s[k] == ']') {
            *close = k + 1 - i;
            return i;
        }
    }
    *close = 0;
    return n;
}

static int is_name_start(int c)
{
    return isalpha(c) || c == '_';
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_';
}

static void lex(lexer *lx)
{
    const char *s = lx->s;
    size_t n = lx->n, i = 0;
    if (n >= 1 && s[0] == '#') /* a first line "#!..." is skipped by Lua */
        while (i < n && s[i] != '\n')
            i++;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c)) {
            i++;
        } else if (c == '-' && i + 1 < n && s[i + 1] == '-') { /* a comment */
            i += 2;
            int lv = i < n && s[i] == '[' ? long_open(s, n, i) : -1;
            if (lv >= 0) {
                size_t close;
                i = long_close(s, n, i + (size_t)lv + 2, lv, &close) + close;
            } else {
                while (i < n && s[i] != '\n')
                    i++;
            }
        } else if (c == '[' && long_open(s, n, i) >= 0) {
            int lv = long_open(s, n, i);
            size_t body = i + (size_t)lv + 2, close;
            if (body < n && s[body] == '\n') /* Lua skips a first newline */
                body++;
            else if (body + 1 < n && s[body] == '\r' && s[body + 1] == '\n')
                body += 2;
            size_t bend = long_close(s, n, body, lv, &close);
            push(lx, T_STRING, i, bend + close, body, bend, 1);
            i = bend + close;
        } else if (c == '"' || c == '\'') {
            size_t k = i + 1;
            while (k < n && s[k] != (char)c && s[k] != '\n') {
                if (s[k] == '\\' && k + 1 < n)
                    k++;
                k++;
            }
            push(lx, T_STRING, i, k < n ? k + 1 : n, i + 1, k < n ? k : n, 0);
            i = k < n ? k + 1 : n;
        } else if (isdigit(c) || (c == '.' && i + 1 < n && isdigit((unsigned char)s[i + 1]))) {
            size_t k = i;
            int hex = c == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
            while (k < n) {
                char ch = s[k];
                char e1 = hex ? 'p' : 'e', e2 = hex ? 'P' : 'E';
                if ((ch == e1 || ch == e2) && k + 1 < n && (s[k + 1] == '+' || s[k + 1] == '-'))
                    k += 2;
                else if (isalnum((unsigned char)ch) || ch == '.')
                    k++;
                else
                    break;
            }
            push(lx, T_NUMBER, i, k, i, k, 0);
            i = k;
        } else if (is_name_start(c)) {
            size_t k = i;
            while (k < n && is_name_char((unsigned char)s[k]))
                k++;
            push(lx, T_NAME, i, k, i, k, 0);
            i = k;
        } else {
            static const char *const ops[] = {
                "...", "..", "==", "~=", "<=", ">=", "<<", ">>", "//", "::"};
            size_t len = 1;
            for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
                size_t ol = strlen(ops[o]);
                if (i + ol <= n && memcmp(s + i, ops[o], ol) == 0) {
                    len = ol;
                    break;
                }
            }
            push(lx, T_OP, i, i + len, i, i + len, 0);
            i += len;
        }
    }
}

static int is(const lexer *lx, size_t k, tok_kind kind, const char *text)
{
    if (k >= lx->nt || lx->t[k].kind != kind)
        return 0;
    size_t l = strlen(text);
    return lx->t[k].len == l && memcmp(lx->s + lx->t[k].start, text, l) == 0;
}

static int is_op(const lexer *lx, size_t k, const char *text)
{
    return is(lx, k, T_OP, text);
}

static int is_kw(const lexer *lx, size_t k, const char *text)
{
    return is(lx, k, T_NAME, text);
}

/* The token closing the bracket opened at token k ("(", "{", "["), or nt. */
static size_t matching(const lexer *lx, size_t k)
{
    int depth = 0;
    for (size_t i = k; i < lx->nt; i++) {
        if (is_op(lx, i, "(") || is_op(lx, i, "{") || is_op(lx, i, "["))
            depth++;
        else if (is_op(lx, i, ")") || is_op(lx, i, "}") || is_op(lx, i, "]"))
            if (--depth == 0)
                return i;
    }
    return lx->nt;
}

/* ---- making mutants ---- */

typedef struct {
    const char *s;
    size_t n;
    asr_mutant *m;
    size_t nm, cap;
    size_t *lines; /* offset of each line's first byte */
    size_t n_lines;
} mutants;

/* The line and column of offset at: a binary search of the line starts,
 * so a large rule with many mutants costs O(m log n), not O(m n). */
static void place(const mutants *ms, size_t at, unsigned *line, unsigned *col)
{
    size_t lo = 0, hi = ms->n_lines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ms->lines[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    *line = (unsigned)(lo + 1);
    *col = (unsigned)(at - ms->lines[lo] + 1);
}

static asr_mutant *add(mutants *ms, asr_mut_kind kind, size_t at, size_t len, const char *with)
{
    if (ms->nm == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 32;
        ms->m = asr_xrealloc(ms->m, ms->cap * sizeof *ms->m);
    }
    asr_mutant *m = &ms->m[ms->nm++];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    place(ms, at, &m->line, &m->col);
    m->start[0] = at;
    m->len[0] = len;
    m->with[0] = asr_xstrdup(with);
    return m;
}

static void describe(asr_mutant *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void describe(asr_mutant *m, const char *fmt, ...)
{
    asr_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    asr_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    m->change = b.data ? b.data : asr_xstrdup("");
}

/* An operator replaced by another: "`<` -> `<=`" (and a suffix). */
static void swap(mutants *ms, asr_mut_kind kind, size_t at, size_t len, const char *with,
                 const char *suffix)
{
    asr_mutant *m = add(ms, kind, at, len, with);
    describe(m, "`%.*s` -> `%s`%s", (int)len, ms->s + at, with, suffix);
}

/* A number token's value +delta, as Lua source ("(-1)" when negative), or
 * NULL when it is not a number this can change. */
static char *number_plus(const char *text, size_t len, int delta)
{
    char buf[64];
    if (len >= sizeof buf)
        return NULL;
    memcpy(buf, text, len);
    buf[len] = '\0';
    int hex = len > 1 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X');
    int integer = hex ? strpbrk(buf, ".pP") == NULL : strpbrk(buf, ".eE") == NULL;
    char out[80];
    char *end;
    errno = 0;
    if (integer) {
        unsigned long long v = strtoull(buf, &end, hex ? 16 : 10);
        if (*end || errno || v > (unsigned long long)INT64_MAX - 1)
            return NULL;
        long long r = (long long)v + delta;
        snprintf(out, sizeof out, r < 0 ? "(%lld)" : "%lld", r);
    } else {
        double v = strtod(buf, &end);
        if (*end || errno || !isfinite(v))
            return NULL;
        double r = v + delta;
        char num[64];
        snprintf(num, sizeof num, "%.15g", r);
        if (!strpbrk(num, ".eEn")) /* stays a float */
            strcat(num, ".0");
        snprintf(out, sizeof out, r < 0 ? "(%s)" : "%s", num);
    }
    return asr_xstrdup(out);
}

static void number_mutants(mutants *ms, const token *t, const char *param)
{
    for (int delta = 1; delta >= -1; delta -= 2) {
        char *with = number_plus(ms->s + t->start, t->len, delta);
        if (!with)
            continue;
        asr_mutant *m = add(ms, param ? ASR_MUT_PARAM : ASR_MUT_NUMBER, t->start, t->len, with);
        if (param)
            describe(m, "parameter `%s` default `%.*s` -> `%s`", param, (int)t->len,
                     ms->s + t->start, with);
        else
            describe(m, "`%.*s` -> `%s`", (int)t->len, ms->s + t->start, with);
        free(with);
    }
}

/* Whether the text looks like SQL: it has the word SELECT or WHERE. */
static int looks_like_sql(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && is_name_char((unsigned char)s[i - 1]))
            continue;
        for (int w = 0; w < 2; w++) {
            const char *word = w ? "where" : "select";
            size_t l = strlen(word);
            if (i + l <= n && strncasecmp(s + i, word, l) == 0 &&
                (i + l == n || !is_name_char((unsigned char)s[i + l])))
                return 1;
        }
    }
    return 0;
}

/* Comparison operators in the SQL text of a string token: outside SQL's own
 * string literals, quoted identifiers and comments. */
static void sql_mutants(mutants *ms, const token *t)
{
    const char *s = ms->s;
    size_t i = t->body, end = t->body + t->blen;
    if (!looks_like_sql(s + i, t->blen))
        return;
    while (i < end) {
        char c = s[i];
        if (!t->long_string && c == '\\') { /* a Lua escape: never an operator */
            i += 2;
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') { /* SQL literal or quoted name */
            i++;
            while (i < end && s[i] != c)
                i += !t->long_string && s[i] == '\\' ? 2 : 1;
            i++;
            continue;
        }
        if (c == '-' && i + 1 < end && s[i + 1] == '-') {
            while (i < end && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '/' && i + 1 < end && s[i + 1] == '*') {
            i += 2;
            while (i + 1 < end && !(s[i] == '*' && s[i + 1] == '/'))
                i++;
            i += 2;
            continue;
        }
        char two[3] = {c, i + 1 < end ? s[i + 1] : '\0', '\0'};
        if (!strcmp(two, "<<") || !strcmp(two, ">>") || !strcmp(two, "||")) {
            i += 2;
            continue;
        }
        const char *with = NULL;
        size_t len = 2;
        if (!strcmp(two, "<="))
            with = "<";
        else if (!strcmp(two, ">="))
            with = ">";
        else if (!strcmp(two, "<>") || !strcmp(two, "!="))
            with = "=";
        else if (!strcmp(two, "=="))
            with = "<>";
        else if ((len = 1), c == '<')
            with = "<=";
        else if (c == '>')
            with = ">=";
        else if (c == '=')
            with = "<>";
        if (with)
            swap(ms, ASR_MUT_SQL, i, len, with, " in SQL");
        i += with ? len : 1;
    }
}

/* A parameter default: a number +-1, a date a day either side, another
 * string emptied, a boolean flipped. */
static void param_mutants(mutants *ms, const lexer *lx, size_t name, size_t v)
{
    const token *nt = &lx->t[name], *t = &lx->t[v];
    char pname[128];
    snprintf(pname, sizeof pname, "%.*s", (int)(nt->len < 100 ? nt->len : 100), ms->s + nt->start);
    if (t->kind == T_NUMBER) {
        number_mutants(ms, t, pname);
    } else if (t->kind == T_STRING) {
        asr_date dt;
        size_t e = v + 1; /* "a" .. "b" .. "c": the whole text is the default */
        while (is_op(lx, e, "..") && e + 1 < lx->nt && lx->t[e + 1].kind == T_STRING)
            e += 2;
        if (e > v + 1) {
            size_t end = lx->t[e - 1].start + lx->t[e - 1].len;
            asr_mutant *m = add(ms, ASR_MUT_PARAM, t->start, end - t->start, "\"\"");
            describe(m, "parameter `%s` default `%.*s...` -> `\"\"`", pname,
                     (int)(t->len < 40 ? t->len : 40), ms->s + t->start);
        } else if (t->blen == 10 && !asr_date_parse(ms->s + t->body, 10, NULL, &dt)) {
            for (int delta = 1; delta >= -1; delta -= 2) {
                char iso[11];
                asr_date_format_iso(asr_date_from_days(asr_date_to_days(dt) + delta), iso);
                asr_mutant *m = add(ms, ASR_MUT_PARAM, t->body, t->blen, iso);
                describe(m, "parameter `%s` default `%.10s` -> `%s`", pname, ms->s + t->body, iso);
            }
        } else if (t->blen > 0) {
            asr_mutant *m = add(ms, ASR_MUT_PARAM, t->start, t->len, "\"\"");
            describe(m, "parameter `%s` default `%.*s` -> `\"\"`", pname,
                     (int)(t->len < 60 ? t->len : 60), ms->s + t->start);
        }
    } else if (t->kind == T_NAME && (is_kw(lx, v, "true") || is_kw(lx, v, "false"))) {
        const char *with = is_kw(lx, v, "true") ? "false" : "true";
        asr_mutant *m = add(ms, ASR_MUT_PARAM, t->start, t->len, with);
        describe(m, "parameter `%s` default `%.*s` -> `%s`", pname, (int)t->len, ms->s + t->start,
                 with);
    }
}

/* `if c then` / `elseif c then`: c negated, when its `then` is found at the
 * same bracket depth. */
static void negate_mutant(mutants *ms, const lexer *lx, size_t k)
{
    int depth = 0;
    size_t i = k + 1;
    for (; i < lx->nt; i++) {
        if (is_op(lx, i, "(") || is_op(lx, i, "{") || is_op(lx, i, "["))
            depth++;
        else if (is_op(lx, i, ")") || is_op(lx, i, "}") || is_op(lx, i, "]"))
            depth--;
        else if (depth == 0 && is_kw(lx, i, "then"))
            break;
        else if (is_kw(lx, i, "function") || is_kw(lx, i, "end") || is_kw(lx, i, "if"))
            return; /* not a plain condition */
    }
    if (i >= lx->nt || i == k + 1)
        return;
    const token *kw = &lx->t[k];
    size_t cstart = lx->t[k + 1].start, cend = lx->t[i - 1].start + lx->t[i - 1].len;
    asr_mutant *m = add(ms, ASR_MUT_NEGATE, cstart, 0, "not (");
    m->start[1] = cend;
    m->len[1] = 0;
    m->with[1] = asr_xstrdup(")");
    describe(m, "`%.*s` condition negated", (int)kw->len, ms->s + kw->start);
}

/* The tokens after which a statement may begin: a removed call leaves
 * valid Lua only there. */
static int statement_boundary(const lexer *lx, size_t k)
{
    if (k == 0)
        return 1;
    const token *p = &lx->t[k - 1];
    if (p->kind == T_NUMBER || p->kind == T_STRING)
        return 1;
    if (p->kind == T_OP)
        return is_op(lx, k - 1, ")") || is_op(lx, k - 1, "]") || is_op(lx, k - 1, "}") ||
               is_op(lx, k - 1, ";");
    static const char *const bad[] = {"and", "or",    "not",   "in",     "local", "function",
                                      "if",  "while", "until", "elseif", "for",   "goto"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (is_kw(lx, k - 1, bad[i]))
            return 0;
    return 1;
}

/* NAME : flag / flag_rows (args) as a statement: removed. */
static void flag_mutant(mutants *ms, const lexer *lx, size_t k)
{
    if (!(is_op(lx, k + 1, ":") && (is_kw(lx, k + 2, "flag") || is_kw(lx, k + 2, "flag_rows"))))
        return;
    if (!statement_boundary(lx, k))
        return;
    size_t a = k + 3, last;
    const char *shape;
    if (is_op(lx, a, "(")) {
        last = matching(lx, a);
        shape = "(...)";
    } else if (is_op(lx, a, "{")) {
        last = matching(lx, a);
        shape = "{...}";
    } else if (a < lx->nt && lx->t[a].kind == T_STRING) {
        last = a;
        shape = " \"...\"";
    } else {
        return;
    }
    if (last >= lx->nt)
        return;
    size_t start = lx->t[k].start, end = lx->t[last].start + lx->t[last].len;
    asr_mutant *m = add(ms, ASR_MUT_FLAG, start, end - start, " ");
    describe(m, "`%.*s:%.*s%s` call removed", (int)lx->t[k].len, ms->s + lx->t[k].start,
             (int)lx->t[k + 2].len, ms->s + lx->t[k + 2].start, shape);
}

/* Whether string token k is the value of a metadata field written in
 * prose (`description = [[...]]`): its "where" is not SQL. */
static int metadata_text(const lexer *lx, size_t k)
{
    static const char *const keys[] = {"id", "title", "severity", "category", "description"};
    if (k < 2 || !is_op(lx, k - 1, "="))
        return 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (is_kw(lx, k - 2, keys[i]))
            return 1;
    return 0;
}

size_t asr_mutate_find(const char *src, size_t len, asr_mutant **out)
{
    lexer lx = {src, len, NULL, 0, 0};
    lex(&lx);
    mutants ms = {src, len, NULL, 0, 0, NULL, 0};
    ms.lines = asr_xmalloc((len + 1) * sizeof *ms.lines);
    ms.lines[ms.n_lines++] = 0;
    for (size_t i = 0; i < len; i++)
        if (src[i] == '\n')
            ms.lines[ms.n_lines++] = i + 1;
    /* The params table of the metadata: its values are defaults. */
    size_t pfrom = lx.nt, pto = lx.nt;
    for (size_t k = 0; k + 2 < lx.nt; k++)
        if (is_kw(&lx, k, "params") && is_op(&lx, k + 1, "=") && is_op(&lx, k + 2, "{") &&
            !(k > 0 && (is_op(&lx, k - 1, ".") || is_op(&lx, k - 1, ":")))) {
            pfrom = k + 2;
            pto = matching(&lx, k + 2);
            break;
        }
    for (size_t k = 0; k < lx.nt; k++) {
        const token *t = &lx.t[k];
        const char *text = src + t->start;
        if (k > pfrom && k < pto) {
            /* name = value at the table's own level */
            if (t->kind == T_NAME && is_op(&lx, k + 1, "=") && k + 2 < pto) {
                size_t v = k + 2;
                if (is_op(&lx, v, "-")) /* a negative number: its digits change */
                    v++;
                param_mutants(&ms, &lx, k, v);
                k = v;
            }
            continue;
        }
        if (t->kind == T_OP) {
            if (is_op(&lx, k, "<"))
                swap(&ms, ASR_MUT_RELATIONAL, t->start, 1, "<=", "");
            else if (is_op(&lx, k, "<="))
                swap(&ms, ASR_MUT_RELATIONAL, t->start, 2, "<", "");
            else if (is_op(&lx, k, ">"))
                swap(&ms, ASR_MUT_RELATIONAL, t->start, 1, ">=", "");
            else if (is_op(&lx, k, ">="))
                swap(&ms, ASR_MUT_RELATIONAL, t->start, 2, ">", "");
            else if (is_op(&lx, k, "=="))
                swap(&ms, ASR_MUT_EQUALITY, t->start, 2, "~=", "");
            else if (is_op(&lx, k, "~="))
                swap(&ms, ASR_MUT_EQUALITY, t->start, 2, "==", "");
        } else if (t->kind == T_NAME) {
            if (t->len == 3 && !memcmp(text, "and", 3))
                swap(&ms, ASR_MUT_LOGICAL, t->start, 3, "or", "");
            else if (t->len == 2 && !memcmp(text, "or", 2))
                swap(&ms, ASR_MUT_LOGICAL, t->start, 2, "and", "");
            else if (is_kw(&lx, k, "if") || is_kw(&lx, k, "elseif"))
                negate_mutant(&ms, &lx, k);
            else
                flag_mutant(&ms, &lx, k);
        } else if (t->kind == T_NUMBER) {
            number_mutants(&ms, t, NULL);
        } else if (t->kind == T_STRING && !metadata_text(&lx, k)) {
            sql_mutants(&ms, t);
        }
    }
    free(lx.t);
    free(ms.lines);
    /* In source order: each mutant was made at the token it changes. */
    *out = ms.m;
    return ms.nm;
}

void asr_mutants_free(asr_mutant *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].with[0]);
        free(m[i].with[1]);
        free(m[i].change);
    }
    free(m);
}

char *asr_mutate_apply(const char *src, size_t len, const asr_mutant *m, size_t *out_len)
{
    asr_buf b = {0};
    size_t at = 0;
    for (int e = 0; e < 2 && m->with[e]; e++) {
        asr_buf_add(&b, src + at, m->start[e] - at);
        asr_buf_adds(&b, m->with[e]);
        at = m->start[e] + m->len[e];
    }
    asr_buf_add(&b, src + at, len - at);
    asr_buf_addc(&b, '\0');
    if (out_len)
        *out_len = b.len - 1;
    return b.data;
}

/* ---- the mutation run ---- */

typedef enum { M_SURVIVED, M_KILLED } mstate;

typedef struct {
    size_t k; /* the rule's index in the rule set */
    const asr_rule *rule;
    asr_mutant *m;
    size_t nm;
    mstate *state;
    asr_fail_kind *how; /* killed by a failure of this kind; NONE: the findings */
    size_t *by;         /* killed by this case */
    size_t n_cases;     /* selected cases that run the rule */
    int broken;         /* a case fails without a mutant: not scored */
    size_t broken_case;
} mrule;

typedef struct {
    size_t mutants, killed, survived, timeouts, errors;
    size_t rules_broken;
    double score; /* percent; 100 with no mutants */
} totals;

static double pct(size_t a, size_t b)
{
    return b ? 100.0 * (double)a / (double)b : 100.0;
}

static size_t killed_of(const mrule *r)
{
    size_t n = 0;
    for (size_t j = 0; j < r->nm; j++)
        n += r->state[j] == M_KILLED;
    return n;
}

/* Writes the mutants of r beside each other in dir and runs every case of
 * the rule against those still alive. */
static asr_status mutate_rule(asr_ruletest *t, mrule *r, const char *dir, asr_diag *d)
{
    char err[1024];
    size_t len;
    char *src = asr_rule_read(r->rule->file, &len, err, sizeof err);
    if (!src) {
        asr_loc l = {r->rule->file, 0, 0};
        asr_error(d, &l, NULL, "%s", err);
        return ASR_E_NOINPUT;
    }
    r->nm = asr_mutate_find(src, len, &r->m);
    r->state = asr_xcalloc(r->nm + 1, sizeof *r->state);
    r->how = asr_xcalloc(r->nm + 1, sizeof *r->how);
    r->by = asr_xcalloc(r->nm + 1, sizeof *r->by);
    char **paths = asr_xcalloc(r->nm + 1, sizeof *paths);
    asr_status st = ASR_OK;
    for (size_t j = 0; j < r->nm && st == ASR_OK; j++) {
        asr_buf p = {0};
        asr_buf_addf(&p, "%s/%zu-%zu.lua", dir, r->k, j);
        paths[j] = p.data;
        size_t ml;
        char *text = asr_mutate_apply(src, len, &r->m[j], &ml);
        FILE *f = fopen(paths[j], "w");
        int bad = !f || fwrite(text, 1, ml, f) != ml;
        if ((f && fclose(f) != 0) || bad) {
            asr_loc l = {paths[j], 0, 0};
            asr_error(d, &l, NULL, "cannot write a mutant: %s", strerror(errno));
            st = ASR_E_IO;
        }
        free(text);
    }
    free(src);
    const char **alive = asr_xcalloc(r->nm + 1, sizeof *alive);
    size_t *which = asr_xcalloc(r->nm + 1, sizeof *which);
    asr_alt_outcome *out = asr_xcalloc(r->nm + 1, sizeof *out);
    size_t ncases = asr_ruletest_n_cases(t);
    for (size_t i = 0; i < ncases && st == ASR_OK && !r->broken; i++) {
        const char *file, *name;
        unsigned line;
        if (!asr_ruletest_case(t, i, r->k, &file, &line, &name))
            continue;
        r->n_cases++;
        size_t na = 0;
        for (size_t j = 0; j < r->nm; j++)
            if (r->state[j] == M_SURVIVED) {
                which[na] = j;
                alive[na++] = paths[j];
            }
        if (na == 0)
            continue; /* every mutant killed: the rest of the cases count */
        int passed;
        st = asr_ruletest_try(t, i, r->k, alive, na, &passed, out, d);
        if (st != ASR_OK)
            break;
        if (!passed) {
            r->broken = 1;
            r->broken_case = i;
            break;
        }
        for (size_t a = 0; a < na; a++)
            if (out[a].passed == 0) {
                r->state[which[a]] = M_KILLED;
                r->how[which[a]] = out[a].fail;
                r->by[which[a]] = i;
            }
    }
    for (size_t j = 0; j < r->nm; j++) {
        if (paths[j])
            unlink(paths[j]);
        free(paths[j]);
    }
    free(paths);
    free(alive);
    free(which);
    free(out);
    return st;
}

static totals count(const mrule *rs, size_t n)
{
    totals t = {0};
    for (size_t i = 0; i < n; i++) {
        const mrule *r = &rs[i];
        if (r->broken) {
            t.rules_broken++;
            continue;
        }
        t.mutants += r->nm;
        for (size_t j = 0; j < r->nm; j++) {
            if (r->state[j] != M_KILLED)
                continue;
            t.killed++;
            t.timeouts += r->how[j] == ASR_FAIL_TIMEOUT;
            t.errors += r->how[j] != ASR_FAIL_NONE && r->how[j] != ASR_FAIL_TIMEOUT;
        }
    }
    t.survived = t.mutants - t.killed;
    t.score = pct(t.killed, t.mutants);
    return t;
}

/* How a mutant was killed, in words. */
static const char *how_name(asr_fail_kind k)
{
    return k == ASR_FAIL_NONE ? "findings" : asr_fail_kind_name(k);
}

static void case_place(asr_ruletest *t, size_t i, asr_buf *b)
{
    const char *file, *name;
    unsigned line;
    asr_ruletest_case(t, i, (size_t)-1, &file, &line, &name);
    asr_buf_addf(b, "%s:%u", file, line);
}

static void write_text(asr_ruletest *t, const mrule *rs, size_t n, const totals *tot,
                       const asr_mutate_opts *o, FILE *out)
{
    asr_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        const mrule *r = &rs[i];
        asr_buf_clear(&b);
        asr_buf_add_term(&b, r->rule->id, strlen(r->rule->id));
        asr_buf_adds(&b, " (");
        asr_buf_add_term(&b, r->rule->file, strlen(r->rule->file));
        asr_buf_adds(&b, "): ");
        if (r->broken) {
            asr_buf_adds(&b, "not scored: the case at ");
            case_place(t, r->broken_case, &b);
            asr_buf_adds(&b, " fails without any mutant (run assure test)\n");
            fputs(asr_buf_str(&b), out);
            continue;
        }
        size_t k = killed_of(r);
        asr_buf_addf(&b, "%zu mutant%s, %zu killed, %zu survived", r->nm, r->nm == 1 ? "" : "s", k,
                     r->nm - k);
        if (r->nm)
            asr_buf_addf(&b, ": %.1f%%", pct(k, r->nm));
        if (!r->n_cases)
            asr_buf_adds(&b, " (no test case runs this rule)");
        asr_buf_addc(&b, '\n');
        for (size_t j = 0; j < r->nm; j++) {
            if (r->state[j] == M_KILLED)
                continue;
            asr_buf_adds(&b, "    survived ");
            asr_buf_add_term(&b, r->rule->file, strlen(r->rule->file));
            asr_buf_addf(&b, ":%u:%u: ", r->m[j].line, r->m[j].col);
            asr_buf_add_term(&b, r->m[j].change, strlen(r->m[j].change));
            asr_buf_addc(&b, '\n');
        }
        fputs(asr_buf_str(&b), out);
    }
    fprintf(out, "\n%zu mutant%s, %zu killed", tot->mutants, tot->mutants == 1 ? "" : "s",
            tot->killed);
    if (tot->timeouts || tot->errors)
        fprintf(out, " (%zu by a timeout, %zu by another rule failure)", tot->timeouts,
                tot->errors);
    fprintf(out, ", %zu survived: mutation score %.1f%%\n", tot->survived, tot->score);
    if (tot->rules_broken)
        fprintf(out, "%zu rule%s not scored: their cases fail without a mutant\n",
                tot->rules_broken, tot->rules_broken == 1 ? "" : "s");
    if (o->min_score >= 0 && tot->score < o->min_score)
        fprintf(out, "mutation score below --min-mutation %.0f%%: %.1f%%\n", o->min_score,
                tot->score);
    asr_buf_free(&b);
}

static void write_json(asr_ruletest *t, const mrule *rs, size_t n, const totals *tot,
                       const asr_mutate_opts *o, FILE *out)
{
    fprintf(out,
            "{\n  \"mutants\": %zu, \"killed\": %zu, \"survived\": %zu, \"timeouts\": %zu, "
            "\"score\": %.1f,\n  \"min_mutation\": ",
            tot->mutants, tot->killed, tot->survived, tot->timeouts, tot->score);
    if (o->min_score >= 0)
        fprintf(out, "%.0f", o->min_score);
    else
        fputs("null", out);
    fputs(",\n  \"rules\": [", out);
    asr_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        const mrule *r = &rs[i];
        size_t k = killed_of(r);
        fprintf(out, "%s\n    {\"rule\": ", i ? "," : "");
        asr_json_string(out, r->rule->id);
        fputs(", \"file\": ", out);
        asr_json_string(out, r->rule->file);
        fprintf(out, ", \"cases\": %zu, \"scored\": %s", r->n_cases, r->broken ? "false" : "true");
        if (r->broken) {
            asr_buf_clear(&b);
            case_place(t, r->broken_case, &b);
            fputs(", \"failing_case\": ", out);
            asr_json_string(out, asr_buf_str(&b));
            fputs("}", out);
            continue;
        }
        fprintf(out, ", \"mutants\": %zu, \"killed\": %zu, \"survived\": %zu, \"score\": ", r->nm,
                k, r->nm - k);
        if (r->nm)
            fprintf(out, "%.1f", pct(k, r->nm));
        else
            fputs("null", out);
        fputs(",\n     \"mutations\": [", out);
        for (size_t j = 0; j < r->nm; j++) {
            const asr_mutant *m = &r->m[j];
            fprintf(out, "%s\n       {\"line\": %u, \"column\": %u, \"kind\": \"%s\", \"change\": ",
                    j ? "," : "", m->line, m->col, asr_mut_kind_name(m->kind));
            asr_json_string(out, m->change);
            if (r->state[j] == M_KILLED) {
                asr_buf_clear(&b);
                case_place(t, r->by[j], &b);
                fprintf(out, ", \"status\": \"killed\", \"how\": \"%s\", \"killed_by\": ",
                        how_name(r->how[j]));
                asr_json_string(out, asr_buf_str(&b));
            } else {
                fputs(", \"status\": \"survived\"", out);
            }
            fputs("}", out);
        }
        fputs(r->nm ? "\n     ]}" : "]}", out);
    }
    fputs("\n  ]\n}\n", out);
    asr_buf_free(&b);
}

static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&')
            fputs("&amp;", out);
        else if (c == '<')
            fputs("&lt;", out);
        else if (c == '>')
            fputs("&gt;", out);
        else if (c == '"')
            fputs("&quot;", out);
        else if (c < 0x20 && c != '\n' && c != '\t')
            fputc('?', out); /* not allowed in XML 1.0 */
        else
            fputc(c, out);
    }
}

static void write_junit(asr_ruletest *t, const mrule *rs, size_t n, const totals *tot, FILE *out)
{
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"assure mutation tests\" tests=\"%zu\" failures=\"%zu\" "
            "errors=\"%zu\">\n",
            tot->mutants, tot->survived, tot->rules_broken);
    asr_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        const mrule *r = &rs[i];
        size_t k = killed_of(r);
        fputs("  <testsuite name=\"", out);
        xml_text(out, r->rule->id);
        if (r->broken) {
            asr_buf_clear(&b);
            case_place(t, r->broken_case, &b);
            fputs("\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"", out);
            xml_text(out, r->rule->id);
            fputs("\" name=\"cases pass without a mutant\">\n      <error message=\"", out);
            xml_text(out, asr_buf_str(&b));
            fputs(" fails without any mutant: not scored\"/>\n    </testcase>\n  </testsuite>\n",
                  out);
            continue;
        }
        fprintf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", r->nm, r->nm - k);
        for (size_t j = 0; j < r->nm; j++) {
            const asr_mutant *m = &r->m[j];
            asr_buf_clear(&b);
            asr_buf_addf(&b, "%s:%u:%u: %s", r->rule->file, m->line, m->col, m->change);
            fputs("    <testcase classname=\"", out);
            xml_text(out, r->rule->id);
            fputs("\" name=\"", out);
            xml_text(out, asr_buf_str(&b));
            if (r->state[j] == M_KILLED) {
                fputs("\"/>\n", out);
                continue;
            }
            fputs("\">\n      <failure message=\"survived: no test case noticed this change\">",
                  out);
            xml_text(out, asr_buf_str(&b));
            fputs("</failure>\n    </testcase>\n", out);
        }
        fputs("  </testsuite>\n", out);
    }
    fputs("</testsuites>\n", out);
    asr_buf_free(&b);
}

static void write_report(asr_ruletest *t, const mrule *rs, size_t n, const totals *tot,
                         const asr_mutate_opts *o, FILE *out)
{
    if (o->test.format == ASR_TEST_JSON)
        write_json(t, rs, n, tot, o, out);
    else if (o->test.format == ASR_TEST_JUNIT)
        write_junit(t, rs, n, tot, out);
    else
        write_text(t, rs, n, tot, o, out);
}

asr_status asr_mutate_run(const asr_mutate_opts *o, FILE *out, asr_diag *d)
{
    asr_ruletest *t = NULL;
    asr_inputs inputs = {0};
    mrule *rs = NULL;
    size_t n = 0;
    asr_buf dir = {0};
    /* --filter picks rules here, not cases: a score from some of a rule's
     * cases would say the tests are weaker than they are. */
    asr_test_opts topts = o->test;
    topts.filter = NULL;
    asr_status st = asr_ruletest_open(&topts, d, &t);
    if (st != ASR_OK)
        goto done;
    asr_ruletest_inputs(t, &inputs);
    if (o->output && (st = asr_outfile_check(o->output, "--output", &inputs, d)) != ASR_OK)
        goto done;
    const char *tmp = getenv("TMPDIR");
    asr_buf_addf(&dir, "%s/assure-mutants-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir.data)) {
        asr_loc l = {dir.data, 0, 0};
        asr_error(d, &l, NULL, "cannot make a temporary directory: %s", strerror(errno));
        st = ASR_E_CANTCREATE;
        goto done;
    }
    size_t nrules;
    const asr_rule_result *rules = asr_ruletest_rules(t, &nrules);
    rs = asr_xcalloc(nrules + 1, sizeof *rs);
    for (size_t k = 0; k < nrules && st == ASR_OK; k++) {
        if (!rules[k].loaded)
            continue;
        if (o->test.filter && !strstr(rules[k].rule.id, o->test.filter))
            continue;
        mrule *r = &rs[n++];
        r->k = k;
        r->rule = &rules[k].rule;
        st = mutate_rule(t, r, dir.data, d);
    }
    rmdir(dir.data);
    if (st != ASR_OK)
        goto done;
    totals tot = count(rs, n);
    if (o->output) {
        asr_outfile f;
        if ((st = asr_outfile_open(&f, o->output, "--output", &inputs, d)) != ASR_OK)
            goto done;
        write_report(t, rs, n, &tot, o, f.f);
        st = ferror(f.f) ? asr_outfile_fail(&f, d) : asr_outfile_commit(&f, "--output", &inputs, d);
        if (st != ASR_OK)
            goto done;
    } else {
        write_report(t, rs, n, &tot, o, out);
    }
    st =
        tot.rules_broken || (o->min_score >= 0 && tot.score < o->min_score) ? ASR_FINDINGS : ASR_OK;
done:
    for (size_t i = 0; i < n; i++) {
        asr_mutants_free(rs[i].m, rs[i].nm);
        free(rs[i].state);
        free(rs[i].how);
        free(rs[i].by);
    }
    free(rs);
    asr_buf_free(&dir);
    asr_inputs_free(&inputs);
    asr_ruletest_close(t);
    return st;
}
