#include "xlsx.h"

#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "date.h"
#include "util.h"

#define CHUNK (64 * 1024)                    /* bytes inflated and parsed at a time */
#define MAX_DEPTH 64u                        /* XML nesting */
#define MAX_COLS 16384u                      /* A..XFD, as in Excel */
#define MAX_ROWS 1048576u                    /* as in Excel */
#define META_MAX (64ull << 20)               /* workbook, relationships, styles: each */
#define ROW_MAX ((size_t)64 << 20)           /* text of one row */
#define XML_MEM_MAX ((size_t)16 << 20)       /* what expat may hold for one part */
#define DEF_MAX_BYTES (4ull << 30)           /* all entries read */
#define DEF_MAX_STRINGS_BYTES (256ull << 20) /* the shared-string table */
#define DEF_MAX_CELL ((size_t)1 << 20)
#define DEF_MAX_STRINGS ((size_t)16 << 20)

static const char EMPTY[] = "";

/* ---- expat's memory, capped per part ----
 * Expat keeps every distinct element and attribute name it meets, and a
 * whole tag in its buffer: without a cap, a part of distinct names or one
 * enormous attribute would take memory in proportion to the input. Each
 * block carries its size and the account it is charged to; the account of
 * the part being parsed is the thread's current one. */

typedef struct {
    size_t used, cap;
    int over; /* an allocation was refused */
} mem_acct;

typedef union {
    max_align_t align;
    struct {
        size_t size;
        mem_acct *acct;
    } h;
} mem_hdr;

static _Thread_local mem_acct *cur_acct;

static void *xml_malloc(size_t n)
{
    mem_acct *a = cur_acct;
    if (a && n > a->cap - a->used) {
        a->over = 1;
        return NULL;
    }
    mem_hdr *h = asr_xmalloc(sizeof *h + n);
    h->h.size = n;
    h->h.acct = a;
    if (a)
        a->used += n;
    return h + 1;
}

static void xml_free(void *p)
{
    if (!p)
        return;
    mem_hdr *h = (mem_hdr *)p - 1;
    if (h->h.acct)
        h->h.acct->used -= h->h.size;
    free(h);
}

static void *xml_realloc(void *p, size_t n)
{
    if (!p)
        return xml_malloc(n);
    mem_hdr *h = (mem_hdr *)p - 1;
    mem_acct *a = h->h.acct;
    size_t old = h->h.size;
    if (a && n > old && n - old > a->cap - a->used) {
        a->over = 1;
        return NULL;
    }
    h = asr_xrealloc(h, sizeof *h + n);
    if (a)
        a->used = a->used - old + n;
    h->h.size = n;
    return h + 1;
}

static const XML_Memory_Handling_Suite xml_mem = {xml_malloc, xml_realloc, xml_free};

/* ---- the reader ---- */

typedef struct {
    char *name; /* first: for asr_did_you_mean_ids */
    char *rid;
} sheet_ref;

typedef struct {
    char *id, *type, *target, *mode;
} rel;

typedef struct {
    unsigned id;
    int is_date;
} numfmt;

enum { T_N, T_S, T_STR, T_INLINE, T_B, T_E, T_D };

typedef struct {
    unsigned col;
    size_t off, len;
    const char *ext; /* a shared string, or NULL: the text is at off in the row text */
} cell;

/* One XML part of the archive being parsed. */
typedef struct {
    asr_xlsx *x;
    asr_diag *d;
    const char *name; /* the entry, for messages */
    zip_file_t *zf;
    XML_Parser p;
    mem_acct mem;
    unsigned long long read, cap; /* bytes read from this entry; its own cap (0: none) */
    unsigned depth;
    int failed;    /* a handler stopped the parser and reported why */
    int suspended; /* a row is ready; the rest of the chunk waits */
    int final;     /* the last chunk went to expat */
    asr_status status;
} part;

struct asr_xlsx {
    char *path;
    char *sheet_name;
    char *sheet_part;
    zip_t *za;
    unsigned long long max_bytes, max_strings_bytes, bytes;
    size_t max_cell, max_strings;

    /* workbook */
    int date1904;
    sheet_ref *sheets;
    size_t n_sheets;
    int in_sheets;
    rel *rels;
    size_t n_rels;

    /* styles: whether each cell format (s=) shows a date */
    numfmt *fmts;
    size_t n_fmts;
    unsigned *xf_fmt;
    size_t n_xf;
    unsigned char *xf_date;
    int in_fmts, in_xfs;

    /* shared strings: NUL-terminated texts and where each starts */
    asr_buf ss;
    size_t *ss_off;
    size_t ss_n, ss_cap;
    size_t si_start;
    int in_si;

    /* the sheet being parsed */
    part sheet;
    int opened, done, dead, ready;
    int in_data, in_row, in_cell, collect;
    unsigned data_depth, row_depth, cell_depth, is_depth, rph_depth;
    unsigned row, last_row, col, next_col;
    int row_has_r;
    int ctype;
    unsigned cstyle;
    size_t cell_off;
    asr_buf text; /* the row's cell texts, each NUL-terminated */
    cell *cells;
    size_t n_cells, cap_cells;

    /* the record handed out */
    const char **fields;
    size_t *lens;
    size_t n_fields, cap_fields;
    unsigned rec_row;
};

static const char *local_name(const char *n)
{
    const char *c = strrchr(n, ':');
    return c ? c + 1 : n;
}

/* The value of the attribute whose local name is name (r:id matches "id"). */
static const char *attr(const char **atts, const char *name)
{
    for (; *atts; atts += 2)
        if (strcmp(local_name(atts[0]), name) == 0)
            return atts[1];
    return NULL;
}

/* Digits only, at most max. */
static int parse_uint(const char *s, size_t len, unsigned long long max, unsigned long long *out)
{
    if (len == 0)
        return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > max)
            return 0;
    }
    *out = v;
    return 1;
}

static int is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void trim(const char **s, size_t *len)
{
    while (*len && is_xml_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_xml_space((*s)[*len - 1]))
        (*len)--;
}

/* Column letters: 0 -> A, 25 -> Z, 26 -> AA. */
static size_t col_letters(size_t col, char out[16])
{
    char tmp[16];
    size_t n = 0;
    unsigned long long c = (unsigned long long)col + 1;
    while (c > 0 && n < sizeof tmp) {
        c--;
        tmp[n++] = (char)('A' + c % 26);
        c /= 26;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

/* "C7" -> column 2, row 7. 0: good; 1: not a reference; 2: beyond column XFD;
 * 3: beyond row 1048576. */
static int parse_ref(const char *s, unsigned *col, unsigned *row)
{
    unsigned c = 0;
    size_t nl = 0;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
        if (nl < 4)
            c = c * 26 + (unsigned)((*s | 0x20) - 'a' + 1);
        nl++;
        s++;
    }
    unsigned long r = 0;
    size_t nd = 0;
    while (*s >= '0' && *s <= '9') {
        if (r <= MAX_ROWS)
            r = r * 10 + (unsigned)(*s - '0');
        nd++;
        s++;
    }
    if (nl == 0 || nd == 0 || *s || r == 0)
        return 1;
    if (nl > 3 || c > MAX_COLS)
        return 2;
    if (r > MAX_ROWS)
        return 3;
    *col = c - 1;
    *row = (unsigned)r;
    return 0;
}

void asr_xlsx_place(const asr_xlsx *x, unsigned row, size_t col, char *buf, size_t size)
{
    if (size == 0)
        return;
    const char *name = x->sheet_name ? x->sheet_name : "";
    int quote = name[0] == '\0' || (name[0] >= '0' && name[0] <= '9');
    for (const char *p = name; *p && !quote; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80 && !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '_' || c == '.'))
            quote = 1;
    }
    asr_buf b = {0};
    asr_buf_adds(&b, x->path);
    asr_buf_addc(&b, ':');
    if (quote) {
        asr_buf_addc(&b, '\'');
        for (const char *p = name; *p; p++) {
            if (*p == '\'')
                asr_buf_addc(&b, '\'');
            asr_buf_addc(&b, *p);
        }
        asr_buf_addc(&b, '\'');
    } else {
        asr_buf_adds(&b, name);
    }
    char letters[16];
    col_letters(col, letters);
    asr_buf_addf(&b, "!%s%u", letters, row);
    snprintf(buf, size, "%s", b.data);
    asr_buf_free(&b);
}

const char *asr_xlsx_sheet(const asr_xlsx *x)
{
    return x->sheet_name;
}

unsigned long long asr_xlsx_bytes(const asr_xlsx *x)
{
    return x->bytes;
}

/* ---- problems ---- */

static void add_problem(asr_diag *d, const char *file, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void add_problem(asr_diag *d, const char *file, const char *fmt, va_list ap)
{
    asr_buf msg = {0};
    asr_buf_vaddf(&msg, fmt, ap);
    asr_loc l = {file, 0, 0};
    asr_error(d, &l, NULL, "%s", asr_buf_str(&msg));
    asr_buf_free(&msg);
}

static asr_status fail(asr_xlsx *x, asr_diag *d, asr_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static asr_status fail(asr_xlsx *x, asr_diag *d, asr_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_problem(d, x->path, fmt, ap);
    va_end(ap);
    return st;
}

/* From a handler: reports the problem (at the workbook, or at the current
 * cell when at_cell) and stops the parser for good. */
static void part_fail(part *pt, int at_cell, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void part_fail(part *pt, int at_cell, const char *fmt, ...)
{
    if (pt->failed)
        return;
    pt->failed = 1;
    pt->status = ASR_E_DATA;
    char place[512];
    const char *file = pt->x->path;
    if (at_cell) {
        asr_xlsx_place(pt->x, pt->x->row, pt->x->col, place, sizeof place);
        file = place;
    }
    va_list ap;
    va_start(ap, fmt);
    add_problem(pt->d, file, fmt, ap);
    va_end(ap);
    XML_StopParser(pt->p, XML_FALSE);
}

/* ---- one XML part ---- */

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    part *pt = ud;
    part_fail(pt, 0, "%s line %lu: DOCTYPE not allowed (no part of a workbook has one)", pt->name,
              (unsigned long)XML_GetCurrentLineNumber(pt->p));
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param,
                                   const XML_Char *value, int value_len, const XML_Char *base,
                                   const XML_Char *sysid, const XML_Char *pubid,
                                   const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    part *pt = ud;
    part_fail(pt, 0, "%s line %lu: entity declarations not allowed", pt->name,
              (unsigned long)XML_GetCurrentLineNumber(pt->p));
}

static int XMLCALL on_external_entity(XML_Parser p, const XML_Char *context, const XML_Char *base,
                                      const XML_Char *sysid, const XML_Char *pubid)
{
    (void)p, (void)context, (void)base, (void)sysid, (void)pubid;
    return XML_STATUS_ERROR; /* never fetched */
}

/* Finds an entry by its part name (part names compare without case). */
static zip_int64_t locate(asr_xlsx *x, const char *name)
{
    return zip_name_locate(x->za, name, ZIP_FL_NOCASE);
}

/* Opens entry idx for parsing with the given handlers. cap is the part's own
 * limit on uncompressed bytes (0: only the workbook's). */
static asr_status part_open(asr_xlsx *x, part *pt, const char *name, zip_int64_t idx,
                            unsigned long long cap, XML_StartElementHandler start,
                            XML_EndElementHandler end, XML_CharacterDataHandler text, asr_diag *d)
{
    memset(pt, 0, sizeof *pt);
    pt->x = x;
    pt->d = d;
    pt->name = name;
    pt->cap = cap;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(x->za, (zip_uint64_t)idx, 0, &st) != 0)
        return fail(x, d, ASR_E_DATA, "%s: %s", name, zip_strerror(x->za));
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
        return fail(x, d, ASR_E_DATA,
                    "%s is encrypted: assure reads only workbooks saved without a password", name);
    unsigned long long left = x->max_bytes - x->bytes;
    if (cap && cap < left)
        left = cap;
    if ((st.valid & ZIP_STAT_SIZE) && st.size > left)
        return fail(x, d, ASR_E_DATA,
                    "%s declares %llu bytes uncompressed, more than the %llu the limit allows: "
                    "refused as a possible zip bomb",
                    name, (unsigned long long)st.size, left);
    pt->zf = zip_fopen_index(x->za, (zip_uint64_t)idx, 0);
    if (!pt->zf)
        return fail(x, d, ASR_E_DATA, "%s: cannot read: %s", name, zip_strerror(x->za));
    pt->mem.cap = XML_MEM_MAX;
    cur_acct = &pt->mem;
    pt->p = XML_ParserCreate_MM(NULL, &xml_mem, NULL);
    cur_acct = NULL;
    if (!pt->p) {
        fputs("assure: out of memory\n", stderr);
        abort();
    }
    XML_SetUserData(pt->p, pt);
    XML_SetElementHandler(pt->p, start, end);
    XML_SetCharacterDataHandler(pt->p, text);
    XML_SetStartDoctypeDeclHandler(pt->p, on_doctype);
    XML_SetEntityDeclHandler(pt->p, on_entity_decl);
    XML_SetExternalEntityRefHandler(pt->p, on_external_entity);
    /* Parameter entities stay off (XML_PARAM_ENTITY_PARSING_NEVER, the default). */
    return ASR_OK;
}

static void part_close(part *pt)
{
    if (pt->p)
        XML_ParserFree(pt->p);
    if (pt->zf)
        zip_fclose(pt->zf);
    pt->p = NULL;
    pt->zf = NULL;
}

static void report_xml_error(part *pt)
{
    asr_xlsx *x = pt->x;
    if (pt->failed)
        return; /* a handler has said why */
    pt->failed = 1;
    pt->status = ASR_E_DATA;
    if (pt->mem.over) {
        fail(x, pt->d, ASR_E_DATA,
             "%s line %lu: parsing would take more than %zu MiB (a tag that long, or too "
             "many distinct names): refused",
             pt->name, (unsigned long)XML_GetCurrentLineNumber(pt->p), XML_MEM_MAX >> 20);
        return;
    }
    fail(x, pt->d, ASR_E_DATA, "%s line %lu column %lu: %s", pt->name,
         (unsigned long)XML_GetCurrentLineNumber(pt->p),
         (unsigned long)XML_GetCurrentColumnNumber(pt->p) + 1,
         XML_ErrorString(XML_GetErrorCode(pt->p)));
}

/* Inflates the next chunk of the part and parses it, or resumes a suspended
 * parse. 1: more to come (or a row is ready); 0: the part is parsed to its end
 * (and its CRC checked); -1: a problem, reported. */
static int part_feed(part *pt)
{
    asr_xlsx *x = pt->x;
    enum XML_Status st;
    cur_acct = &pt->mem;
    if (pt->suspended) {
        pt->suspended = 0;
        st = XML_ResumeParser(pt->p);
    } else {
        void *buf = XML_GetBuffer(pt->p, CHUNK);
        if (!buf) {
            cur_acct = NULL;
            report_xml_error(pt);
            return -1;
        }
        zip_int64_t got = zip_fread(pt->zf, buf, CHUNK);
        if (got < 0) {
            cur_acct = NULL;
            zip_error_t *ze = zip_file_get_error(pt->zf);
            int code = zip_error_code_zip(ze);
            pt->failed = 1;
            pt->status = code == ZIP_ER_READ || code == ZIP_ER_SEEK ? ASR_E_IO : ASR_E_DATA;
            fail(x, pt->d, pt->status, "%s: cannot read: %s", pt->name, zip_file_strerror(pt->zf));
            return -1;
        }
        x->bytes += (unsigned long long)got;
        pt->read += (unsigned long long)got;
        if (x->bytes > x->max_bytes) {
            cur_acct = NULL;
            pt->failed = 1;
            pt->status = ASR_E_DATA;
            fail(x, pt->d, ASR_E_DATA,
                 "%s: the workbook holds more than %llu bytes uncompressed (the limit): refused "
                 "as a possible zip bomb",
                 pt->name, x->max_bytes);
            return -1;
        }
        if (pt->cap && pt->read > pt->cap) {
            cur_acct = NULL;
            pt->failed = 1;
            pt->status = ASR_E_DATA;
            fail(x, pt->d, ASR_E_DATA, "%s is larger than %llu bytes uncompressed (the limit)",
                 pt->name, pt->cap);
            return -1;
        }
        pt->final = got == 0;
        st = XML_ParseBuffer(pt->p, (int)got, pt->final);
    }
    cur_acct = NULL;
    if (st == XML_STATUS_ERROR) {
        report_xml_error(pt);
        return -1;
    }
    if (st == XML_STATUS_SUSPENDED) {
        pt->suspended = 1;
        return 1;
    }
    return pt->final ? 0 : 1;
}

/* Parses a whole part (workbook, relationships, styles, shared strings). */
static asr_status part_parse(asr_xlsx *x, const char *name, zip_int64_t idx, unsigned long long cap,
                             XML_StartElementHandler start, XML_EndElementHandler end,
                             XML_CharacterDataHandler text, asr_diag *d)
{
    part pt;
    asr_status st = part_open(x, &pt, name, idx, cap, start, end, text, d);
    if (st == ASR_OK) {
        int r;
        while ((r = part_feed(&pt)) > 0)
            ;
        if (r < 0)
            st = pt.status;
    }
    part_close(&pt);
    return st;
}

static int depth_in(part *pt)
{
    if (++pt->depth > MAX_DEPTH) {
        part_fail(pt, 0, "%s line %lu: XML nested deeper than %u elements", pt->name,
                  (unsigned long)XML_GetCurrentLineNumber(pt->p), MAX_DEPTH);
        return 0;
    }
    return 1;
}

static void wrong_root(part *pt, const char *want, const char *got)
{
    part_fail(pt, 0, "%s is not what it should be: its root element is <%s>, not <%s>", pt->name,
              got, want);
}

/* ---- workbook.xml and its relationships ---- */

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    part *pt = ud;
    asr_xlsx *x = pt->x;
    if (pt->failed || !depth_in(pt))
        return;
    const char *ln = local_name(name);
    if (pt->depth == 1) {
        if (strcmp(ln, "workbook") != 0)
            wrong_root(pt, "workbook", ln);
        return;
    }
    if (pt->depth == 2 && strcmp(ln, "workbookPr") == 0) {
        const char *v = attr(atts, "date1904");
        if (!v)
            return;
        if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
            x->date1904 = 1;
        else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
            x->date1904 = 0;
        else
            part_fail(pt, 0, "%s: date1904=\"%s\" is neither true nor false", pt->name, v);
        return;
    }
    if (pt->depth == 2 && strcmp(ln, "sheets") == 0) {
        x->in_sheets = 1;
        return;
    }
    if (pt->depth == 3 && x->in_sheets && strcmp(ln, "sheet") == 0) {
        const char *sn = attr(atts, "name"), *rid = attr(atts, "id");
        if (!sn || !rid) {
            part_fail(pt, 0, "%s line %lu: a <sheet> without its name or r:id", pt->name,
                      (unsigned long)XML_GetCurrentLineNumber(pt->p));
            return;
        }
        x->sheets = asr_xrealloc(x->sheets, (x->n_sheets + 1) * sizeof *x->sheets);
        x->sheets[x->n_sheets].name = asr_xstrdup(sn);
        x->sheets[x->n_sheets].rid = asr_xstrdup(rid);
        x->n_sheets++;
    }
}

static void XMLCALL wb_end(void *ud, const XML_Char *name)
{
    part *pt = ud;
    (void)name;
    if (pt->failed)
        return;
    if (pt->depth == 2)
        pt->x->in_sheets = 0;
    pt->depth--;
}

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    part *pt = ud;
    asr_xlsx *x = pt->x;
    if (pt->failed || !depth_in(pt))
        return;
    const char *ln = local_name(name);
    if (pt->depth == 1) {
        if (strcmp(ln, "Relationships") != 0)
            wrong_root(pt, "Relationships", ln);
        return;
    }
    if (pt->depth != 2 || strcmp(ln, "Relationship") != 0)
        return;
    const char *id = attr(atts, "Id"), *type = attr(atts, "Type"), *target = attr(atts, "Target"),
               *mode = attr(atts, "TargetMode");
    if (!id || !type || !target)
        return; /* not one we could use */
    x->rels = asr_xrealloc(x->rels, (x->n_rels + 1) * sizeof *x->rels);
    rel *r = &x->rels[x->n_rels++];
    r->id = asr_xstrdup(id);
    r->type = asr_xstrdup(type);
    r->target = asr_xstrdup(target);
    r->mode = mode ? asr_xstrdup(mode) : NULL;
}

static void XMLCALL plain_end(void *ud, const XML_Char *name)
{
    part *pt = ud;
    (void)name;
    if (!pt->failed)
        pt->depth--;
}

static const rel *rel_by_id(const asr_xlsx *x, const char *id)
{
    for (size_t i = 0; i < x->n_rels; i++)
        if (strcmp(x->rels[i].id, id) == 0)
            return &x->rels[i];
    return NULL;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static const rel *rel_by_type(const asr_xlsx *x, const char *tail)
{
    for (size_t i = 0; i < x->n_rels; i++)
        if (ends_with(x->rels[i].type, tail) &&
            !(x->rels[i].mode && strcmp(x->rels[i].mode, "External") == 0))
            return &x->rels[i];
    return NULL;
}

/* A relationship target as a part name: relative to xl/ or absolute, with "."
 * and ".." resolved. NULL if it climbs out of the archive. */
static char *resolve_target(const char *target)
{
    asr_buf in = {0};
    if (target[0] == '/')
        asr_buf_adds(&in, target + 1);
    else {
        asr_buf_adds(&in, "xl/");
        asr_buf_adds(&in, target);
    }
    asr_buf out = {0};
    const char *s = asr_buf_str(&in);
    int bad = 0;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.')) {
            /* nothing */
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (out.len == 0) {
                bad = 1;
                break;
            }
            char *slash = strrchr(out.data, '/');
            out.len = slash ? (size_t)(slash - out.data) : 0;
            out.data[out.len] = '\0';
        } else {
            if (out.len)
                asr_buf_addc(&out, '/');
            asr_buf_add(&out, s, n);
        }
        s += n;
        if (*s == '/')
            s++;
    }
    asr_buf_free(&in);
    if (bad || out.len == 0) {
        asr_buf_free(&out);
        return NULL;
    }
    return out.data;
}

/* ---- styles: which cell formats show dates ---- */

/* Built-in formats that show a date (the time-only ones among 14-58 --
 * 18-21, 32-33, 45-47 -- are not: their values stay numbers). 27-36 and
 * 50-58 are the East Asian locales' dates. */
static int builtin_is_date(unsigned id)
{
    return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 31) || (id >= 34 && id <= 36) ||
           (id >= 50 && id <= 58);
}

/* A custom format code shows a date if, outside quoted text, [...] sections
 * and escaped characters, it has a day or year, or a month (m with no hour or
 * second beside it: m among h and s is minutes). */
static int format_is_date(const char *code)
{
    int date = 0, m = 0, time = 0;
    for (const char *p = code; *p; p++) {
        char c = *p;
        if (c == '"') {
            p++;
            while (*p && *p != '"')
                p++;
            if (!*p)
                break;
            continue;
        }
        if (c == '[') {
            while (*p && *p != ']')
                p++;
            if (!*p)
                break;
            continue;
        }
        if (c == '\\' || c == '_' || c == '*') {
            if (p[1])
                p++;
            continue;
        }
        c = (char)(c | 0x20);
        if (c == 'd' || c == 'y')
            date = 1;
        else if (c == 'm')
            m = 1;
        else if (c == 'h' || c == 's')
            time = 1;
    }
    return date || (m && !time);
}

static void XMLCALL styles_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    part *pt = ud;
    asr_xlsx *x = pt->x;
    if (pt->failed || !depth_in(pt))
        return;
    const char *ln = local_name(name);
    if (pt->depth == 1) {
        if (strcmp(ln, "styleSheet") != 0)
            wrong_root(pt, "styleSheet", ln);
        return;
    }
    if (pt->depth == 2) {
        x->in_fmts = strcmp(ln, "numFmts") == 0;
        x->in_xfs = strcmp(ln, "cellXfs") == 0;
        return;
    }
    if (pt->depth != 3)
        return;
    const char *id = attr(atts, "numFmtId");
    unsigned long long v = 0;
    if (id && !parse_uint(id, strlen(id), UINT32_MAX, &v)) {
        part_fail(pt, 0, "%s line %lu: numFmtId=\"%s\" is not a number", pt->name,
                  (unsigned long)XML_GetCurrentLineNumber(pt->p), id);
        return;
    }
    if (x->in_fmts && strcmp(ln, "numFmt") == 0) {
        const char *code = attr(atts, "formatCode");
        if (!id || !code)
            return;
        x->fmts = asr_xrealloc(x->fmts, (x->n_fmts + 1) * sizeof *x->fmts);
        x->fmts[x->n_fmts].id = (unsigned)v;
        x->fmts[x->n_fmts].is_date = format_is_date(code);
        x->n_fmts++;
    } else if (x->in_xfs && strcmp(ln, "xf") == 0) {
        if (x->n_xf % 256 == 0)
            x->xf_fmt = asr_xrealloc(x->xf_fmt, (x->n_xf + 256) * sizeof *x->xf_fmt);
        x->xf_fmt[x->n_xf++] = (unsigned)v; /* no numFmtId: 0, General */
    }
}

static void XMLCALL styles_end(void *ud, const XML_Char *name)
{
    part *pt = ud;
    (void)name;
    if (pt->failed)
        return;
    if (pt->depth == 2)
        pt->x->in_fmts = pt->x->in_xfs = 0;
    pt->depth--;
}

static int cmp_fmt(const void *a, const void *b)
{
    const numfmt *p = a, *q = b;
    return p->id < q->id ? -1 : p->id > q->id;
}

static void resolve_styles(asr_xlsx *x)
{
    if (x->n_fmts)
        qsort(x->fmts, x->n_fmts, sizeof *x->fmts, cmp_fmt);
    x->xf_date = asr_xcalloc(x->n_xf ? x->n_xf : 1, 1);
    for (size_t i = 0; i < x->n_xf; i++) {
        numfmt key = {x->xf_fmt[i], 0};
        const numfmt *f =
            x->n_fmts ? bsearch(&key, x->fmts, x->n_fmts, sizeof *x->fmts, cmp_fmt) : NULL;
        x->xf_date[i] = (unsigned char)(f ? f->is_date : builtin_is_date(x->xf_fmt[i]));
    }
}

/* ---- text escapes ---- */

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        unsigned h;
        if (c >= '0' && c <= '9')
            h = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            h = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            h = (unsigned)(c - 'A' + 10);
        else
            return 0;
        v = v * 16 + h;
    }
    *out = v;
    return 1;
}

/* _xHHHH_ at s[i..]: the code unit, or -1. */
static long escape_at(const char *s, size_t len, size_t i)
{
    unsigned v;
    if (i + 7 <= len && s[i] == '_' && s[i + 1] == 'x' && s[i + 6] == '_' && hex4(s + i + 2, &v))
        return (long)v;
    return -1;
}

static size_t put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes OOXML's _xHHHH_ escapes (ECMA-376 ST_Xstring: how Excel writes
 * characters XML cannot hold, such as a carriage return _x000D_, and a literal
 * "_x" as _x005F_x) in place. _x0000_ and unpaired surrogates stay as written.
 * Returns the new length. */
static size_t decode_escapes(char *s, size_t len)
{
    if (len < 7 || !memchr(s, '_', len))
        return len;
    size_t o = 0, i = 0;
    while (i < len) {
        long v = s[i] == '_' ? escape_at(s, len, i) : -1;
        if (v > 0 && (v < 0xD800 || v > 0xDFFF)) {
            o += put_utf8(s + o, (unsigned long)v);
            i += 7;
            continue;
        }
        if (v >= 0xD800 && v <= 0xDBFF) {
            long lo = escape_at(s, len, i + 7);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                unsigned long cp =
                    0x10000 + (((unsigned long)v - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
                o += put_utf8(s + o, cp);
                i += 14;
                continue;
            }
        }
        s[o++] = s[i++];
    }
    return o;
}

/* ---- numbers and dates ---- */

typedef struct {
    char dig[24]; /* significant digits, no leading or trailing zeros */
    int nd;       /* how many (may exceed what dig holds) */
    long point;   /* the value is 0.dig x 10^point */
    int neg;
} decimal;

/* Reads [-+]digits[.digits][(e|E)[-+]digits]. 0 if s is not such a number. */
static int parse_decimal(const char *s, size_t len, decimal *out)
{
    size_t i = 0;
    memset(out, 0, sizeof *out);
    if (i < len && (s[i] == '-' || s[i] == '+'))
        out->neg = s[i++] == '-';
    long k = 0, intdigits = -1, first = -1, last = -1;
    size_t start = i;
    for (; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (s[i] != '0') {
                if (first < 0)
                    first = k;
                last = k;
            }
            k++;
        } else if (s[i] == '.' && intdigits < 0) {
            intdigits = k;
        } else {
            break;
        }
    }
    if (k == 0)
        return 0;
    if (intdigits < 0)
        intdigits = k;
    long exp = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        size_t e0 = i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (exp < 100000)
                exp = exp * 10 + (s[i] - '0');
        if (i == e0)
            return 0;
        if (eneg)
            exp = -exp;
    }
    if (i != len)
        return 0;
    if (first < 0) { /* zero */
        out->neg = 0;
        return 1;
    }
    out->nd = (int)(last - first + 1);
    out->point = intdigits - first + exp;
    if (out->nd <= (int)sizeof out->dig - 1) {
        long pos = 0;
        int n = 0;
        for (size_t j = start; j < len && n < out->nd; j++) {
            if (s[j] < '0' || s[j] > '9')
                continue;
            if (pos >= first)
                out->dig[n++] = s[j];
            pos++;
        }
    }
    return 1;
}

/* Writes the decimal positionally between 1e-7 and 1e21, else as d.ddde+N. */
static size_t render_decimal(const decimal *v, char *out)
{
    char *o = out;
    int nd = v->nd;
    long point = v->point;
    if (nd == 0) {
        out[0] = '0';
        out[1] = '\0';
        return 1;
    }
    if (v->neg)
        *o++ = '-';
    if (point > 21 || point < -6) {
        *o++ = v->dig[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, v->dig + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        o += sprintf(o, "e%+ld", point - 1);
    } else if (point <= 0) {
        *o++ = '0';
        *o++ = '.';
        memset(o, '0', (size_t)-point);
        o += -point;
        memcpy(o, v->dig, (size_t)nd);
        o += nd;
    } else if (point >= nd) {
        memcpy(o, v->dig, (size_t)nd);
        o += nd;
        memset(o, '0', (size_t)(point - nd));
        o += point - nd;
    } else {
        memcpy(o, v->dig, (size_t)point);
        o += point;
        *o++ = '.';
        memcpy(o, v->dig + point, (size_t)(nd - point));
        o += nd - point;
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* The number in s (NUL-terminated at s[len]) as the shortest text that reads
 * back as the same double, into out (48 bytes). 0 if not a finite number. */
static size_t number_text(const char *s, size_t len, char *out)
{
    decimal v;
    if (!parse_decimal(s, len, &v))
        return 0;
    if (v.nd == 0) {
        strcpy(out, "0");
        return 1;
    }
    /* Up to 15 significant digits a decimal reads as a double and back
     * unchanged (DBL_DIG), so it is already the shortest form. */
    if (v.nd <= 15 && v.point > -300 && v.point < 300)
        return render_decimal(&v, out);
    double d = strtod(s, NULL);
    if (!isfinite(d))
        return 0;
    if (d == 0) {
        strcpy(out, "0");
        return 1;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    parse_decimal(buf, strlen(buf), &v);
    return render_decimal(&v, out);
}

static char *put2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
    return o + 2;
}

/* A date serial as YYYY-MM-DD[THH:MM:SS] (out: 32 bytes), or 0 if Excel could
 * not show it (negative, or after 9999-12-31). */
static size_t date_text(double serial, int date1904, char *out)
{
    if (!(serial >= 0) || serial >= 2958466.0)
        return 0;
    double whole = floor(serial);
    long long days = (long long)whole;
    long long secs = llround((serial - whole) * 86400.0);
    if (secs >= 86400) {
        days++;
        secs -= 86400;
    }
    asr_date dt;
    if (!date1904 && (days == 0 || days == 60)) {
        /* as Excel shows them: 1900-01-00 (a time with no day) and its
         * phantom leap day 1900-02-29; neither is a day */
        dt.year = 1900;
        dt.month = days ? 2 : 1;
        dt.day = days ? 29 : 0;
    } else {
        /* 1900: serial 1 is 1900-01-01, and past the phantom day one less;
         * 1904: serial 0 is 1904-01-01. Offsets from 1970-01-01. */
        long long from_epoch = date1904 ? days - 24107 : days - (days < 60 ? 25568 : 25569);
        dt = asr_date_from_days(from_epoch);
        if (dt.year > 9999)
            return 0;
    }
    char *o = put2(put2(out, dt.year / 100), dt.year % 100);
    *o++ = '-';
    o = put2(o, dt.month);
    *o++ = '-';
    o = put2(o, dt.day);
    if (secs) {
        *o++ = 'T';
        o = put2(o, (int)(secs / 3600));
        *o++ = ':';
        o = put2(o, (int)(secs / 60 % 60));
        *o++ = ':';
        o = put2(o, (int)(secs % 60));
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* ---- shared strings ---- */

static int ss_room(part *pt, size_t more)
{
    asr_xlsx *x = pt->x;
    /* the texts with their NULs so far, what is coming, and an offset each */
    unsigned long long used =
        (unsigned long long)x->ss.len + more + (unsigned long long)(x->ss_n + 1) * sizeof(size_t);
    if (used > x->max_strings_bytes) {
        part_fail(pt, 0, "%s: the shared-string table takes more than %llu bytes (the limit)",
                  pt->name, x->max_strings_bytes);
        return 0;
    }
    return 1;
}

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    part *pt = ud;
    asr_xlsx *x = pt->x;
    (void)atts;
    if (pt->failed || !depth_in(pt))
        return;
    const char *ln = local_name(name);
    if (pt->depth == 1) {
        if (strcmp(ln, "sst") != 0)
            wrong_root(pt, "sst", ln);
        return;
    }
    if (pt->depth == 2) {
        if (strcmp(ln, "si") == 0) {
            if (x->ss_n >= x->max_strings) {
                part_fail(pt, 0, "%s: more than %zu shared strings (the limit)", pt->name,
                          x->max_strings);
                return;
            }
            x->in_si = 1;
            x->si_start = x->ss.len;
        }
        return;
    }
    if (!x->in_si || x->rph_depth)
        return;
    if (strcmp(ln, "rPh") == 0)
        x->rph_depth = pt->depth; /* phonetic reading: not part of the text */
    else if (strcmp(ln, "t") == 0)
        x->collect = 1;
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
    part *pt = ud;
    asr_xlsx *x = pt->x;
    (void)name;
    if (pt->failed)
        return;
    x->collect = 0;
    if (pt->depth == x->rph_depth)
        x->rph_depth = 0;
    if (pt->depth == 2 && x->in_si) {
        x->in_si = 0;
        size_t len = x->ss.len - x->si_start;
        if (len)
            len = decode_escapes(x->ss.data + x->si_start, len);
        x->ss.len = x->si_start + len;
        if (!ss_room(pt, 1))
            return;
        asr_buf_addc(&x->ss, '\0');
        if (x->ss_n == x->ss_cap) {
            x->ss_cap = x->ss_cap ? x->ss_cap * 2 : 1024;
            x->ss_off = asr_xrealloc(x->ss_off, x->ss_cap * sizeof *x->ss_off);
        }
        x->ss_off[x->ss_n++] = x->si_start;
    }
    pt->depth--;
}

static void XMLCALL sst_text(void *ud, const XML_Char *s, int len)
{
    part *pt = ud;
    asr_xlsx *x = pt->x;
    if (!x->collect || pt->failed)
        return;
    size_t n = (size_t)len;
    if (x->ss.len - x->si_start + n > x->max_cell) {
        part_fail(pt, 0, "%s: shared string %zu is longer than %zu bytes (the limit for a cell)",
                  pt->name, x->ss_n, x->max_cell);
        return;
    }
    if (!ss_room(pt, n))
        return;
    asr_buf_add(&x->ss, s, n);
}

/* ---- the sheet ---- */

static void row_start(part *pt, const char **atts)
{
    asr_xlsx *x = pt->x;
    const char *r = NULL;
    for (const char **a = atts; *a; a += 2)
        if (a[0][0] == 'r' && a[0][1] == '\0')
            r = a[1];
    unsigned long long v;
    unsigned row;
    if (r) {
        if (!parse_uint(r, strlen(r), MAX_ROWS, &v) || v == 0) {
            part_fail(pt, 0, "sheet '%s': row number '%s' is not one of 1 to %u", x->sheet_name, r,
                      MAX_ROWS);
            return;
        }
        row = (unsigned)v;
    } else {
        row = x->last_row + 1;
        if (row > MAX_ROWS) {
            part_fail(pt, 0, "sheet '%s' has more than %u rows", x->sheet_name, MAX_ROWS);
            return;
        }
    }
    if (row <= x->last_row) {
        part_fail(pt, 0, "sheet '%s': row %u comes after row %u (rows out of order or repeated)",
                  x->sheet_name, row, x->last_row);
        return;
    }
    x->row = row;
    x->row_has_r = r != NULL;
    x->in_row = 1;
    x->row_depth = pt->depth;
    x->n_cells = 0;
    x->next_col = 0;
    asr_buf_clear(&x->text);
}

static void cell_start(part *pt, const char **atts)
{
    asr_xlsx *x = pt->x;
    const char *r = NULL, *t = NULL, *s = NULL;
    for (const char **a = atts; *a; a += 2) {
        const char *n = a[0];
        if (n[0] && !n[1]) {
            if (n[0] == 'r')
                r = a[1];
            else if (n[0] == 't')
                t = a[1];
            else if (n[0] == 's')
                s = a[1];
        }
    }
    unsigned col;
    if (r) {
        unsigned refrow;
        int bad = parse_ref(r, &col, &refrow);
        if (bad == 1) {
            part_fail(pt, 0, "sheet '%s' row %u: '%s' is not a cell reference", x->sheet_name,
                      x->row, r);
            return;
        }
        if (bad) {
            part_fail(pt, 0,
                      "sheet '%s': cell %s is beyond %s (a sheet has at most %u columns and "
                      "%u rows)",
                      x->sheet_name, r, bad == 2 ? "column XFD" : "row 1048576", MAX_COLS,
                      MAX_ROWS);
            return;
        }
        if (refrow != x->row) {
            if (!x->row_has_r && x->n_cells == 0 && x->next_col == 0 && refrow > x->last_row) {
                x->row = refrow; /* a row without r= takes its cells' */
            } else {
                part_fail(pt, 0, "sheet '%s': cell %s is not in row %u", x->sheet_name, r, x->row);
                return;
            }
        }
    } else {
        col = x->next_col;
        if (col >= MAX_COLS) {
            part_fail(pt, 0, "sheet '%s': row %u has more than %u columns", x->sheet_name, x->row,
                      MAX_COLS);
            return;
        }
    }
    x->col = col;
    if (col < x->next_col) {
        char prev[16];
        col_letters(x->next_col - 1, prev);
        part_fail(pt, 1,
                  "this cell comes after column %s in its row (cells out of order or "
                  "repeated)",
                  prev);
        return;
    }
    x->ctype = T_N;
    if (t) {
        static const char *const types[] = {"n", "s", "str", "inlineStr", "b", "e", "d"};
        size_t i = 0;
        while (i < sizeof types / sizeof *types && strcmp(types[i], t) != 0)
            i++;
        if (i == sizeof types / sizeof *types) {
            part_fail(pt, 1, "unknown cell type t=\"%s\"", t);
            return;
        }
        x->ctype = (int)i;
    }
    x->cstyle = 0;
    if (s) {
        unsigned long long v;
        if (!parse_uint(s, strlen(s), UINT32_MAX, &v)) {
            part_fail(pt, 1, "style s=\"%s\" is not a number", s);
            return;
        }
        x->cstyle = (unsigned)v;
    }
    x->in_cell = 1;
    x->cell_depth = pt->depth;
    x->is_depth = x->rph_depth = 0;
    x->cell_off = x->text.len;
}

static void replace_text(asr_xlsx *x, const char *s, size_t n)
{
    x->text.len = x->cell_off;
    asr_buf_add(&x->text, s, n);
}

static void cell_end(part *pt)
{
    asr_xlsx *x = pt->x;
    x->in_cell = 0;
    size_t len = x->text.len - x->cell_off;
    char *s = len ? x->text.data + x->cell_off : NULL;
    const char *ext = NULL;
    char q[64], out[64];
    switch (x->ctype) {
    case T_S: {
        const char *v = s;
        size_t vl = len;
        trim(&v, &vl);
        if (vl == 0) {
            len = 0; /* no index: an empty cell */
            break;
        }
        unsigned long long i;
        if (!parse_uint(v, vl, SIZE_MAX, &i)) {
            part_fail(pt, 1, "shared-string index %s is not a number",
                      asr_quote_value(v, vl, q, sizeof q));
            return;
        }
        if (i >= x->ss_n) {
            part_fail(pt, 1, "refers to shared string %llu, but the workbook has %zu", i, x->ss_n);
            return;
        }
        ext = x->ss.data + x->ss_off[i];
        size_t end = i + 1 < x->ss_n ? x->ss_off[i + 1] : x->ss.len;
        len = end - x->ss_off[i] - 1;
        x->text.len = x->cell_off;
        break;
    }
    case T_STR:
    case T_INLINE:
        if (len)
            len = decode_escapes(s, len);
        x->text.len = x->cell_off + len;
        break;
    case T_E:
        break;
    case T_B: {
        const char *v = s;
        size_t vl = len;
        trim(&v, &vl);
        if (vl == 0) {
            len = 0;
            break;
        }
        if (vl == 1 && (v[0] == '0' || v[0] == '1')) {
            int truth = v[0] == '1';
            replace_text(x, truth ? "true" : "false", truth ? 4 : 5);
            len = truth ? 4 : 5;
            break;
        }
        part_fail(pt, 1, "a boolean cell holds %s, not 0 or 1",
                  asr_quote_value(v, vl, q, sizeof q));
        return;
    }
    case T_D: { /* ISO 8601 as written; a midnight time left out */
        const char *v = s;
        size_t vl = len;
        trim(&v, &vl);
        static const char *const midnights[] = {"T00:00:00.000Z", "T00:00:00Z", "T00:00:00.000",
                                                "T00:00:00"};
        for (size_t i = 0; i < sizeof midnights / sizeof *midnights; i++) {
            size_t ml = strlen(midnights[i]);
            if (vl == 10 + ml && memcmp(v + 10, midnights[i], ml) == 0) {
                vl = 10;
                break;
            }
        }
        if (vl)
            memmove(x->text.data + x->cell_off, v, vl);
        x->text.len = x->cell_off + vl;
        len = vl;
        break;
    }
    default: { /* a number */
        const char *v = s;
        size_t vl = len;
        trim(&v, &vl);
        if (vl == 0) {
            len = 0;
            break;
        }
        ((char *)v)[vl] = '\0'; /* within the row text: it ended at or after here */
        size_t n = number_text(v, vl, out);
        if (n == 0) {
            part_fail(pt, 1, "%s is not a number", asr_quote_value(v, vl, q, sizeof q));
            return;
        }
        if (x->cstyle < x->n_xf && x->xf_date[x->cstyle]) {
            char date[32];
            size_t dn = date_text(strtod(v, NULL), x->date1904, date);
            if (dn) {
                replace_text(x, date, dn);
                len = dn;
                break;
            }
        }
        replace_text(x, out, n);
        len = n;
        break;
    }
    }
    if (len == 0) {
        x->text.len = x->cell_off; /* empty: the row leaves a gap */
        x->next_col = x->col + 1;
        return;
    }
    if (!ext)
        asr_buf_addc(&x->text, '\0');
    if (x->text.len > ROW_MAX) {
        part_fail(pt, 1, "its row holds more than %zu MiB of text (the limit)", ROW_MAX >> 20);
        return;
    }
    if (x->n_cells == x->cap_cells) {
        x->cap_cells = x->cap_cells ? x->cap_cells * 2 : 64;
        x->cells = asr_xrealloc(x->cells, x->cap_cells * sizeof *x->cells);
    }
    x->cells[x->n_cells++] = (cell){x->col, x->cell_off, len, ext};
    x->next_col = x->col + 1;
}

static void row_end(part *pt)
{
    asr_xlsx *x = pt->x;
    x->in_row = 0;
    x->last_row = x->row;
    if (x->n_cells == 0)
        return; /* nothing in it: skipped, like a missing row */
    size_t n = (size_t)x->cells[x->n_cells - 1].col + 1;
    if (n > x->cap_fields) {
        x->cap_fields = n;
        x->fields = asr_xrealloc(x->fields, n * sizeof *x->fields);
        x->lens = asr_xrealloc(x->lens, n * sizeof *x->lens);
    }
    for (size_t i = 0; i < n; i++) {
        x->fields[i] = EMPTY;
        x->lens[i] = 0;
    }
    for (size_t i = 0; i < x->n_cells; i++) {
        const cell *c = &x->cells[i];
        x->fields[c->col] = c->ext ? c->ext : x->text.data + c->off;
        x->lens[c->col] = c->len;
    }
    x->n_fields = n;
    x->rec_row = x->row;
    x->ready = 1;
    XML_StopParser(pt->p, XML_TRUE); /* hand this row out; the rest of the chunk waits */
}

static void XMLCALL sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    part *pt = ud;
    asr_xlsx *x = pt->x;
    if (pt->failed || !depth_in(pt))
        return;
    unsigned dep = pt->depth;
    const char *ln = local_name(name);
    if (x->in_cell) {
        if (dep == x->cell_depth + 1) {
            if (strcmp(ln, "v") == 0)
                x->collect = x->ctype != T_INLINE;
            else if (strcmp(ln, "is") == 0 && x->ctype == T_INLINE)
                x->is_depth = dep;
        } else if (x->is_depth && !x->rph_depth) {
            if (strcmp(ln, "rPh") == 0)
                x->rph_depth = dep; /* phonetic reading: not part of the text */
            else if (strcmp(ln, "t") == 0)
                x->collect = 1; /* <is><t> or a rich-text run's <is><r><t> */
        }
        return;
    }
    if (x->in_row) {
        if (dep == x->row_depth + 1 && strcmp(ln, "c") == 0)
            cell_start(pt, atts);
        return;
    }
    if (x->in_data) {
        if (dep == x->data_depth + 1 && strcmp(ln, "row") == 0)
            row_start(pt, atts);
        return;
    }
    if (dep == 1) {
        if (strcmp(ln, "worksheet") != 0)
            wrong_root(pt, "worksheet", ln);
    } else if (dep == 2 && strcmp(ln, "sheetData") == 0) {
        x->in_data = 1;
        x->data_depth = dep;
    }
}

static void XMLCALL sheet_end(void *ud, const XML_Char *name)
{
    part *pt = ud;
    asr_xlsx *x = pt->x;
    (void)name;
    if (pt->failed)
        return;
    unsigned dep = pt->depth--;
    x->collect = 0;
    if (x->in_cell) {
        if (dep == x->cell_depth)
            cell_end(pt);
        else if (dep == x->rph_depth)
            x->rph_depth = 0;
        else if (dep == x->is_depth)
            x->is_depth = 0;
    } else if (x->in_row) {
        if (dep == x->row_depth)
            row_end(pt);
    } else if (x->in_data && dep == x->data_depth) {
        x->in_data = 0;
    }
}

static void XMLCALL sheet_text(void *ud, const XML_Char *s, int len)
{
    part *pt = ud;
    asr_xlsx *x = pt->x;
    if (!x->collect || pt->failed)
        return;
    size_t n = (size_t)len;
    if (x->text.len - x->cell_off + n > x->max_cell) {
        part_fail(pt, 1, "the cell holds more than %zu bytes (the limit)", x->max_cell);
        return;
    }
    if (x->text.len + n > ROW_MAX) {
        part_fail(pt, 1, "its row holds more than %zu MiB of text (the limit)", ROW_MAX >> 20);
        return;
    }
    asr_buf_add(&x->text, s, n);
}

int asr_xlsx_next(asr_xlsx *x, asr_xlsx_record *rec, asr_diag *d)
{
    if (x->dead)
        return -1;
    if (x->done)
        return 0;
    x->sheet.d = d;
    x->ready = 0;
    for (;;) {
        int r = part_feed(&x->sheet);
        if (r < 0) {
            x->dead = 1;
            return -1;
        }
        if (x->ready) {
            rec->n = x->n_fields;
            rec->fields = x->fields;
            rec->lens = x->lens;
            rec->row = x->rec_row;
            return 1;
        }
        if (r == 0) {
            x->done = 1;
            part_close(&x->sheet);
            return 0;
        }
    }
}

/* ---- open and close ---- */

void asr_xlsx_close(asr_xlsx *x)
{
    if (!x)
        return;
    part_close(&x->sheet);
    if (x->za)
        zip_discard(x->za);
    for (size_t i = 0; i < x->n_sheets; i++) {
        free(x->sheets[i].name);
        free(x->sheets[i].rid);
    }
    free(x->sheets);
    for (size_t i = 0; i < x->n_rels; i++) {
        free(x->rels[i].id);
        free(x->rels[i].type);
        free(x->rels[i].target);
        free(x->rels[i].mode);
    }
    free(x->rels);
    free(x->fmts);
    free(x->xf_fmt);
    free(x->xf_date);
    asr_buf_free(&x->ss);
    free(x->ss_off);
    asr_buf_free(&x->text);
    free(x->cells);
    free(x->fields);
    free(x->lens);
    free(x->path);
    free(x->sheet_name);
    free(x->sheet_part);
    free(x);
}

static asr_status hash_fd(asr_xlsx *x, int fd, asr_sha256 *hash, asr_diag *d)
{
    char *buf = asr_xmalloc(CHUNK);
    asr_status st = ASR_OK;
    for (;;) {
        ssize_t got = read(fd, buf, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = fail(x, d, ASR_E_IO, "read error: %s", strerror(errno));
            break;
        }
        if (got == 0)
            break;
        asr_sha256_update(hash, buf, (size_t)got);
    }
    free(buf);
    if (st == ASR_OK && lseek(fd, 0, SEEK_SET) != 0)
        st = fail(x, d, ASR_E_IO, "cannot seek: %s", strerror(errno));
    return st;
}

/* Opens the archive on the file's descriptor (so what is hashed is what is
 * read), after the checks that give a clearer message than libzip would. */
static asr_status open_archive(asr_xlsx *x, asr_sha256 *hash, asr_diag *d)
{
    int fd = open(x->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(x, d, ASR_E_NOINPUT, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fail(x, d, ASR_E_NOINPUT, "not a regular file");
    }
    if (sb.st_size == 0) {
        close(fd);
        return fail(x, d, ASR_E_DATA, "the file is empty, so not an .xlsx workbook");
    }
    unsigned char magic[8];
    ssize_t m = pread(fd, magic, sizeof magic, 0);
    static const unsigned char cfb[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    if (m == (ssize_t)sizeof magic && memcmp(magic, cfb, sizeof cfb) == 0) {
        close(fd);
        return fail(x, d, ASR_E_DATA,
                    "not an .xlsx workbook but an OLE compound file: a password-protected "
                    "(encrypted) workbook, or an old .xls; save it as .xlsx without a password");
    }
    if (hash) {
        asr_status st = hash_fd(x, fd, hash, d);
        if (st) {
            close(fd);
            return st;
        }
    }
    int zerr = 0;
    x->za = zip_fdopen(fd, 0, &zerr);
    if (!x->za) {
        close(fd); /* still ours when zip_fdopen fails */
        if (zerr == ZIP_ER_NOZIP)
            return fail(x, d, ASR_E_DATA, "not a zip archive, so not an .xlsx workbook");
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        asr_status st = zerr == ZIP_ER_READ || zerr == ZIP_ER_SEEK || zerr == ZIP_ER_OPEN
                            ? ASR_E_IO
                            : ASR_E_DATA;
        fail(x, d, st, "cannot read the zip archive: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    return ASR_OK;
}

/* Chooses the sheet: by name (exactly, else ignoring case as Excel does), or
 * the first. */
static asr_status choose_sheet(asr_xlsx *x, const char *want, const sheet_ref **out, asr_diag *d)
{
    if (x->n_sheets == 0)
        return fail(x, d, ASR_E_DATA, "xl/workbook.xml lists no sheets");
    if (!want) {
        *out = &x->sheets[0];
        return ASR_OK;
    }
    for (size_t i = 0; i < x->n_sheets; i++)
        if (strcmp(x->sheets[i].name, want) == 0) {
            *out = &x->sheets[i];
            return ASR_OK;
        }
    for (size_t i = 0; i < x->n_sheets; i++)
        if (strcasecmp(x->sheets[i].name, want) == 0) {
            *out = &x->sheets[i];
            return ASR_OK;
        }
    asr_buf list = {0};
    for (size_t i = 0; i < x->n_sheets; i++)
        asr_buf_addf(&list, "%s'%s'", i ? ", " : "", x->sheets[i].name);
    const char *hint = asr_did_you_mean_ids(want, x->sheets, x->n_sheets, sizeof *x->sheets);
    fail(x, d, ASR_E_DATA, "no sheet named '%s'%s%s%s; the workbook has %zu: %s", want,
         hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "", x->n_sheets,
         list.data);
    asr_buf_free(&list);
    return ASR_E_DATA;
}

/* An optional part (styles, shared strings): the relationship of that type,
 * else its usual name. NULL (and *idx -1) if the workbook has none. */
static char *optional_part(asr_xlsx *x, const char *type_tail, const char *usual, zip_int64_t *idx)
{
    const rel *r = rel_by_type(x, type_tail);
    char *name = r ? resolve_target(r->target) : NULL;
    *idx = name ? locate(x, name) : -1;
    if (*idx < 0) {
        free(name);
        name = asr_xstrdup(usual);
        *idx = locate(x, name);
    }
    if (*idx < 0) {
        free(name);
        return NULL;
    }
    return name;
}

static asr_status load(asr_xlsx *x, const char *want, asr_sha256 *hash, asr_diag *d)
{
    asr_status st = open_archive(x, hash, d);
    if (st)
        return st;

    static const char wb_name[] = "xl/workbook.xml", rels_name[] = "xl/_rels/workbook.xml.rels";
    zip_int64_t idx = locate(x, wb_name);
    if (idx < 0)
        return fail(x, d, ASR_E_DATA,
                    "not an .xlsx workbook: the zip archive has no xl/workbook.xml");
    if ((st = part_parse(x, wb_name, idx, META_MAX, wb_start, wb_end, NULL, d)))
        return st;
    if ((idx = locate(x, rels_name)) < 0)
        return fail(x, d, ASR_E_DATA, "not a complete workbook: the archive has no %s", rels_name);
    if ((st = part_parse(x, rels_name, idx, META_MAX, rels_start, plain_end, NULL, d)))
        return st;

    const sheet_ref *sh;
    if ((st = choose_sheet(x, want, &sh, d)))
        return st;
    x->sheet_name = asr_xstrdup(sh->name);
    const rel *r = rel_by_id(x, sh->rid);
    if (!r)
        return fail(x, d, ASR_E_DATA, "sheet '%s' (r:id %s) has no relationship in %s", sh->name,
                    sh->rid, rels_name);
    if (r->mode && strcmp(r->mode, "External") == 0)
        return fail(x, d, ASR_E_DATA, "sheet '%s' is in another file (%s): not read", sh->name,
                    r->target);
    if (!ends_with(r->type, "/worksheet"))
        return fail(x, d, ASR_E_DATA, "sheet '%s' is a %s, not a worksheet", sh->name,
                    ends_with(r->type, "/chartsheet") ? "chart sheet" : "sheet of another kind");
    x->sheet_part = resolve_target(r->target);
    if (!x->sheet_part)
        return fail(x, d, ASR_E_DATA, "sheet '%s': target '%s' is outside the archive", sh->name,
                    r->target);
    zip_int64_t sheet_idx = locate(x, x->sheet_part);
    if (sheet_idx < 0)
        return fail(x, d, ASR_E_DATA, "sheet '%s' is %s, which the archive does not have", sh->name,
                    x->sheet_part);

    char *styles = optional_part(x, "/styles", "xl/styles.xml", &idx);
    if (styles) {
        st = part_parse(x, styles, idx, META_MAX, styles_start, styles_end, NULL, d);
        free(styles);
        if (st)
            return st;
    }
    resolve_styles(x);

    char *strings = optional_part(x, "/sharedStrings", "xl/sharedStrings.xml", &idx);
    if (strings) {
        st = part_parse(x, strings, idx, 0, sst_start, sst_end, sst_text, d);
        free(strings);
        x->collect = 0;
        if (st)
            return st;
        /* held until close: give back what growing by doubling left over */
        if (x->ss.data)
            x->ss.data = asr_xrealloc(x->ss.data, x->ss.cap = x->ss.len + 1);
        if (x->ss_n)
            x->ss_off = asr_xrealloc(x->ss_off, (x->ss_cap = x->ss_n) * sizeof *x->ss_off);
    }

    return part_open(x, &x->sheet, x->sheet_part, sheet_idx, 0, sheet_start, sheet_end, sheet_text,
                     d);
}

asr_status asr_xlsx_open(const char *path, const char *sheet, const asr_xlsx_limits *limits,
                         asr_sha256 *hash, asr_diag *d, asr_xlsx **out)
{
    *out = NULL;
    asr_xlsx *x = asr_xcalloc(1, sizeof *x);
    x->path = asr_xstrdup(path);
    asr_xlsx_limits lim = {0};
    if (limits)
        lim = *limits;
    x->max_bytes = lim.max_bytes ? lim.max_bytes : DEF_MAX_BYTES;
    x->max_strings_bytes = lim.max_strings_bytes ? lim.max_strings_bytes : DEF_MAX_STRINGS_BYTES;
    x->max_cell = lim.max_cell ? lim.max_cell : DEF_MAX_CELL;
    x->max_strings = lim.max_strings ? lim.max_strings : DEF_MAX_STRINGS;
    asr_status st = load(x, sheet, hash, d);
    if (st) {
        asr_xlsx_close(x);
        return st;
    }
    *out = x;
    return ASR_OK;
}

const char *asr_xlsx_libzip_version(void)
{
    return zip_libzip_version();
}

const char *asr_xlsx_expat_version(void)
{
    /* "expat_2.5.0" */
    const char *v = XML_ExpatVersion();
    return strncmp(v, "expat_", 6) == 0 ? v + 6 : v;
}
