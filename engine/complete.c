#include "complete.h"

#include <stdlib.h>
#include <string.h>

#include "datadir.h"
#include "map.h"
#include "runner.h"
#include "util.h"

/* ---- __describe ---- */

/* A field: tabs and newlines as spaces (the help's "\n" is a line break). */
static void field(FILE *out, const char *s)
{
    fputc('\t', out);
    for (; s && *s; s++)
        fputc(*s == '\t' || *s == '\n' ? ' ' : *s, out);
}

static void opt_line(FILE *out, const char *verb, const asr_opt *o)
{
    char sh[2] = {o->short_name ? o->short_name : '-', 0};
    fputs("opt", out);
    field(out, verb);
    field(out, o->name);
    field(out, sh);
    field(out, o->arg ? o->arg : "-");
    field(out, o->help);
    fputc('\n', out);
}

void asr_describe(const asr_verb *const *verbs, size_t n, FILE *out)
{
    static const asr_opt top[] = {
        {ASR_OPT_HELP, "help", 'h', NULL, "show this help"},
        {0, "version", 'V', NULL,
         "show the version of assure, its libraries, the database schema and the features "
         "built in"},
    };
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        opt_line(out, "assure", &top[i]);
    for (size_t i = 0; i < n; i++) {
        const asr_verb *v = verbs[i];
        fprintf(out, "verb\t%s", v->name);
        field(out, v->summary);
        fprintf(out, "\nusage\t%s", v->name);
        field(out, v->usage);
        fputc('\n', out);
        const char *d = v->description;
        while (d && *d) {
            size_t len = strcspn(d, "\n");
            fprintf(out, "desc\t%s\t%.*s\n", v->name, (int)len, d);
            d += len;
            if (*d == '\n')
                d++;
        }
        for (size_t k = 0; k < v->n_options; k++)
            opt_line(out, v->name, &v->options[k]);
        static const asr_opt help = {ASR_OPT_HELP, "help", 'h', NULL, "show this help"};
        opt_line(out, v->name, &help);
        if (v->formats) {
            fprintf(out, "formats\t%s", v->name);
            for (int f = 0; f < ASR_OUT_COUNT; f++)
                if (v->formats & ASR_OUT(f))
                    field(out, asr_cli_format_name((asr_out_format)f));
            fputc('\n', out);
        }
        fprintf(out, "exit\t%s", v->name);
        field(out, v->exit_status);
        fputc('\n', out);
    }
}

/* ---- __complete ---- */

typedef struct {
    const char *cur; /* the word being completed */
    size_t cur_len;
    FILE *out;
} cands;

static void offer(cands *c, const char *prefix, const char *word, const char *suffix)
{
    size_t pl = strlen(prefix), wl = strlen(word);
    /* prefix + word must begin with the current word */
    if (pl >= c->cur_len) {
        if (strncmp(prefix, c->cur, c->cur_len) != 0)
            return;
    } else if (strncmp(prefix, c->cur, pl) != 0 || wl < c->cur_len - pl ||
               strncmp(word, c->cur + pl, c->cur_len - pl) != 0) {
        return;
    }
    fprintf(c->out, "%s%s%s\n", prefix, word, suffix);
}

static const asr_opt *find_opt(const asr_verb *v, const char *word, int *inline_value)
{
    *inline_value = 0;
    if (word[0] != '-' || word[1] == '\0')
        return NULL;
    if (word[1] == '-') {
        const char *name = word + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        *inline_value = eq != NULL;
        for (size_t i = 0; i < v->n_options; i++)
            if (strlen(v->options[i].name) == len && strncmp(v->options[i].name, name, len) == 0)
                return &v->options[i];
        return NULL;
    }
    for (size_t i = 0; i < v->n_options; i++)
        if (v->options[i].short_name == word[1]) {
            *inline_value = word[2] != '\0';
            return &v->options[i];
        }
    return NULL;
}

/* The value of the last --map (or the rules directories, joined) given. */
static char *given(const asr_verb *v, int argc, char **argv, int id)
{
    asr_buf b = {0};
    for (int i = 0; i + 1 < argc; i++) {
        int inl;
        const asr_opt *o = find_opt(v, argv[i], &inl);
        if (!o || o->id != id || !o->arg)
            continue;
        const char *val =
            inl ? (argv[i][1] == '-' ? strchr(argv[i], '=') + 1 : argv[i] + 2) : argv[i + 1];
        if (!inl)
            i++;
        if (!*val)
            continue;
        char *res = asr_datadir_name(val) ? asr_datadir_resolve(val) : NULL;
        if (id == ASR_OPT_RULES && b.len)
            asr_buf_adds(&b, ASR_RULES_SEP);
        else if (b.len)
            b.len = 0, b.data[0] = '\0';
        asr_buf_adds(&b, res ? res : val);
        free(res);
    }
    return b.len ? b.data : (asr_buf_free(&b), NULL);
}

static void datasets(cands *c, const char *map_path, const char *prefix, const char *suffix)
{
    if (!map_path)
        return;
    asr_diag d;
    asr_diag_init(&d, 1);
    asr_map *m = NULL;
    if (asr_map_load(map_path, &d, &m) == ASR_OK)
        for (size_t i = 0; i < m->n_datasets; i++)
            offer(c, prefix, m->datasets[i].id, suffix);
    asr_map_free(m);
    asr_diag_free(&d);
}

static void rule_ids(cands *c, const char *dirs, const char *prefix)
{
    if (!dirs)
        return;
    asr_diag d;
    asr_diag_init(&d, 1);
    asr_runner_opts ro;
    asr_runner_default_opts(&ro);
    asr_rule_result *r = NULL;
    size_t n = 0;
    asr_runner_load_dir(dirs, NULL, &ro, &d, &r, &n);
    for (size_t i = 0; i < n; i++)
        if (r[i].rule.id)
            offer(c, prefix, r[i].rule.id, "");
    asr_rule_results_free(r, n);
    asr_diag_free(&d);
}

/* Values of option o; prefix is what precedes the value in the word. */
static void values(cands *c, const asr_verb *v, const asr_opt *o, int argc, char **argv,
                   const char *prefix)
{
    const char *arg = o->arg ? o->arg : "";
    if (o->id == ASR_OPT_FORMAT) {
        for (int f = 0; f < ASR_OUT_COUNT; f++)
            if (v->formats & ASR_OUT(f))
                offer(c, prefix, asr_cli_format_name((asr_out_format)f), "");
    } else if (strcmp(o->name, "accept-gate") == 0) {
        for (size_t i = 0; asr_gate_names[i]; i++)
            if (strcmp(v->name, "run") == 0 || strcmp(asr_gate_names[i], "findings-jump") != 0)
                offer(c, prefix, asr_gate_names[i], "");
    } else if (strcmp(o->name, "rule") == 0) {
        char *dirs = given(v, argc, argv, ASR_OPT_RULES);
        rule_ids(c, dirs, prefix);
        free(dirs);
    } else if (strcmp(arg, "DATASET=FILE") == 0) {
        const char *eq = strchr(c->cur + strlen(prefix), '=');
        if (eq) {
            fprintf(c->out, ":files\t%.*s\n", (int)(eq + 1 - c->cur), c->cur);
        } else {
            char *map = given(v, argc, argv, ASR_OPT_MAP);
            datasets(c, map, prefix, "=");
            free(map);
        }
    } else if (strcmp(arg, "FORMAT:FILE") == 0) {
        const char *colon = strchr(c->cur + strlen(prefix), ':');
        if (colon) {
            fprintf(c->out, ":files\t%.*s\n", (int)(colon + 1 - c->cur), c->cur);
        } else {
            for (int f = ASR_OUT_TEXT; f <= ASR_OUT_JSONL; f++) /* the exception lists */
                offer(c, prefix, asr_cli_format_name((asr_out_format)f), ":");
        }
    } else if (strcmp(arg, "DIR") == 0) {
        fprintf(c->out, ":dirs\t%s\n", prefix);
    } else if (strcmp(arg, "FILE") == 0 || strcmp(arg, "F") == 0) {
        fprintf(c->out, ":files\t%s\n", prefix);
    }
}

int asr_complete(const asr_verb *const *verbs, size_t n, int argc, char **argv, FILE *out)
{
    cands c = {argc ? argv[argc - 1] : "", 0, out};
    c.cur_len = strlen(c.cur);
    if (argc <= 1) { /* the verb */
        for (size_t i = 0; i < n; i++)
            offer(&c, "", verbs[i]->name, "");
        offer(&c, "", "help", "");
        if (c.cur[0] == '-') {
            offer(&c, "", "--help", "");
            offer(&c, "", "--version", "");
        }
        return 0;
    }
    const asr_verb *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(verbs[i]->name, argv[0]) == 0)
            v = verbs[i];
    if (strcmp(argv[0], "help") == 0) {
        if (argc == 2)
            for (size_t i = 0; i < n; i++)
                offer(&c, "", verbs[i]->name, "");
        return 0;
    }
    if (!v)
        return 0;
    /* after "--" everything is an argument */
    int dashdash = 0;
    for (int i = 1; i < argc - 1; i++)
        dashdash |= strcmp(argv[i], "--") == 0;
    int inl;
    const asr_opt *prev = argc >= 3 && !dashdash ? find_opt(v, argv[argc - 2], &inl) : NULL;
    if (prev && prev->arg && !inl) {
        values(&c, v, prev, argc, argv, "");
        return 0;
    }
    if (!dashdash && c.cur[0] == '-') {
        const asr_opt *o = find_opt(v, c.cur, &inl);
        if (o && inl && o->arg && c.cur[1] == '-') { /* --format=js */
            char prefix[128];
            snprintf(prefix, sizeof prefix, "--%s=", o->name);
            values(&c, v, o, argc, argv, prefix);
            return 0;
        }
        for (size_t i = 0; i < v->n_options; i++)
            offer(&c, "--", v->options[i].name, "");
        offer(&c, "--", "help", "");
        return 0;
    }
    /* arguments that are not options */
    if (strcmp(v->name, "import") == 0) {
        const char *eq = strchr(c.cur, '=');
        if (eq) {
            fprintf(out, ":files\t%.*s\n", (int)(eq + 1 - c.cur), c.cur);
        } else {
            char *map = given(v, argc, argv, ASR_OPT_MAP);
            datasets(&c, map, "", "=");
            free(map);
        }
    } else if (strcmp(v->name, "run") == 0) {
        fprintf(out, ":files\t\n");
    }
    return 0;
}
