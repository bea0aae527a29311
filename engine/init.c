/* realpath() is XSI */
#define _XOPEN_SOURCE 700

#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datadir.h"
#include "map.h"
#include "outfile.h"
#include "util.h"

#define MODEL_IN_TREE "mappings/standard/datasets.yaml"
#define RULES_IN_TREE "rules"

/* ---- where the standard model and rules are ---- */

/* root/MODEL_IN_TREE and root/RULES_IN_TREE, resolved, if both are there. */
static int standard_in(const char *root, char **model, char **rules)
{
    char path[PATH_MAX + 64], real_model[PATH_MAX], real_rules[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", root, MODEL_IN_TREE);
    if (!realpath(path, real_model) || stat(real_model, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    snprintf(path, sizeof path, "%s/%s", root, RULES_IN_TREE);
    if (!realpath(path, real_rules) || stat(real_rules, &st) != 0 || !S_ISDIR(st.st_mode))
        return -1;
    *model = asr_xstrdup(real_model);
    *rules = asr_xstrdup(real_rules);
    return 0;
}

asr_status asr_init_find_standard(char **model, char **rules, asr_diag *d)
{
    *model = *rules = NULL;
    /* The data directory (installed, $ASSURE_DATADIR or the source tree):
     * the skeleton names it by "assure:" names, so that it keeps working
     * when assure is upgraded or the checkout moves, and holds no path of
     * this machine. */
    const char *dd = asr_datadir();
    if (dd && standard_in(dd, model, rules) == 0) {
        free(*model);
        free(*rules);
        *model = asr_xstrdup(ASR_DATADIR_PREFIX MODEL_IN_TREE);
        *rules = asr_xstrdup(ASR_DATADIR_PREFIX RULES_IN_TREE);
        return ASR_OK;
    }
    asr_error(d, NULL, NULL,
              "cannot find the standard model (%s) and rules (%s/) in assure's data directory "
              "(%s; set ASSURE_DATADIR to the directory that holds them)",
              MODEL_IN_TREE, RULES_IN_TREE, dd ? dd : "none found");
    return ASR_E_NOINPUT;
}

/* ---- the files ---- */

/* s as a YAML double-quoted scalar. */
static void add_yaml_string(asr_buf *b, const char *s)
{
    asr_buf_add(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            asr_buf_add(b, "\\", 1);
        if ((unsigned char)*s < 0x20)
            asr_buf_addf(b, "\\x%02x", (unsigned char)*s);
        else
            asr_buf_add(b, s, 1);
    }
    asr_buf_add(b, "\"", 1);
}

static void map_text(asr_buf *b, const char *name, const char *model, const char *rules)
{
    asr_buf_adds(b, "# The assurance map, made by 'assure init'. Edit it: replace the example\n"
                    "# unit, area and source below with your own, and check it with\n"
                    "#   assure validate --map map.yaml --rules ");
    asr_buf_adds(b, rules);
    asr_buf_adds(b, "\n"
                    "# The format is described in docs/map-format.md; README.md says what to do "
                    "next.\n"
                    "assure: 1\n"
                    "\n"
                    "# The standard model: the tracker exports (datasets) the standard rules\n"
                    "# read, the headings each column is known by, and the rating scales\n"
                    "# (docs/standard-model.md). Change a dataset to fit your tracker with an\n"
                    "# overlay in this file, not by editing the model.\n"
                    "include: [");
    add_yaml_string(b, model);
    asr_buf_adds(b, "]\n\norganisation:\n  name: ");
    add_yaml_string(b, name ? name : "Your organisation (change this)");
    asr_buf_adds(
        b, "\n"
           "  fiscal_year_start: 4 # the month the financial year starts: 4, April\n"
           "\n"
           "# The lines of assurance, from management outwards; independence: higher\n"
           "# is more independent of the management being assured. These are the\n"
           "# four lines of UK practice, the defaults if the section is left out.\n"
           "lines:\n"
           "  - {id: L1, name: Management (first line), independence: 1}\n"
           "  - {id: L2, name: Oversight (second line), independence: 2}\n"
           "  - {id: L3, name: Internal audit (third line), independence: 3}\n"
           "  - {id: EXT, name: External assurance, independence: 4}\n"
           "\n"
           "# The principles areas are grouped by: CIPFA/SOLACE Delivering Good\n"
           "# Governance (2016), A to G, the defaults if the section is left out.\n"
           "principles:\n"
           "  - {id: A, title: \"Behaving with integrity, demonstrating strong commitment to "
           "ethical values, and respecting the rule of law\"}\n"
           "  - {id: B, title: Ensuring openness and comprehensive stakeholder engagement}\n"
           "  - {id: C, title: \"Defining outcomes in terms of sustainable economic, social and "
           "environmental benefits\"}\n"
           "  - {id: D, title: Determining the interventions necessary to optimise the "
           "achievement of the intended outcomes}\n"
           "  - {id: E, title: \"Developing the entity's capacity, including the capability of "
           "its leadership and the individuals within it\"}\n"
           "  - {id: F, title: Managing risks and performance through robust internal control "
           "and strong public financial management}\n"
           "  - {id: G, title: \"Implementing good practices in transparency, reporting and "
           "audit to deliver effective accountability\"}\n"
           "\n"
           "# Your structure, as a tree: business groups, then the commands or\n"
           "# departments under them (parent: the unit above).\n"
           "units:\n"
           "  - {id: CORP, name: Corporate Services, kind: business_group}\n"
           "\n"
           "# The rows of the map: the risks, processes or governance areas that\n"
           "# need assurance. An example -- replace it with yours.\n"
           "areas:\n"
           "  - id: example-area\n"
           "    title: Example area (replace with one of yours)\n"
           "    principle: F # which principle it falls under\n"
           "    unit: CORP\n"
           "    owner: Director of Corporate Services # the role accountable\n"
           "    risk: {inherent: 16, residual: 12, target: 8} # scores 1-25\n"
           "    # the lines that must give assurance over it, and how old (in days)\n"
           "    # each line's assurance may be before it counts as stale\n"
           "    required_lines: [L1, L2, L3]\n"
           "    max_age_days: {L1: 120, L2: 365, L3: 1095}\n"
           "\n"
           "# Sources of assurance: what fills the map's cells -- an inspection\n"
           "# regime, a board, an audit programme. An example -- replace it too.\n"
           "# status: planned or suspended gives no assurance today.\n"
           "sources:\n"
           "  - id: example-monthly-checks\n"
           "    title: Monthly management checks (example)\n"
           "    line: L1\n"
           "    kind: level1_inspection\n"
           "    owner: Head of Corporate Services\n"
           "    frequency: monthly\n"
           "    areas: [example-area]\n");
}

/* A CSV heading, quoted when it must be (RFC 4180). */
static void add_csv_cell(asr_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        asr_buf_adds(b, s);
        return;
    }
    asr_buf_add(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            asr_buf_add(b, "\"", 1);
        asr_buf_add(b, s, 1);
    }
    asr_buf_add(b, "\"", 1);
}

/* The heading row an export of ds starts with: every field the export
 * gives (not one a value fills in, not one this organisation does not
 * keep), by its first heading, each heading once. */
static void header_row(const asr_dataset *ds, asr_buf *b)
{
    size_t n = 0;
    for (size_t k = 0; k < ds->n_fields; k++) {
        const asr_field *f = &ds->fields[k];
        if (!f->captured || f->value || !f->header)
            continue;
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++)
            seen = ds->fields[j].header && strcasecmp(ds->fields[j].header, f->header) == 0;
        if (seen)
            continue;
        if (n++)
            asr_buf_add(b, ",", 1);
        add_csv_cell(b, f->header);
    }
    asr_buf_adds(b, "\r\n");
}

static void readme_text(asr_buf *b, const char *name, const asr_map *m, const char *rules)
{
    asr_buf_adds(b, "# ");
    for (const char *s = name ? name : "Your organisation"; *s; s++)
        asr_buf_add(b, (unsigned char)*s < 0x20 ? " " : s, 1); /* one line */
    asr_buf_adds(b, ": the assurance map\n\n");
    asr_buf_adds(b, "Made by `assure init`. What is here:\n"
                    "\n"
                    "- `map.yaml` -- the assurance map: the lines, the principles, your units,\n"
                    "  areas and sources (one example of each, to replace), and the standard\n"
                    "  model it includes, which declares the tracker exports the standard rules\n"
                    "  read.\n"
                    "- `exports/` -- one CSV per export, holding only its headings: the\n"
                    "  columns assure reads. Export your trackers over them (the headings\n"
                    "  are matched ignoring case, spaces and punctuation, and each column has\n"
                    "  other names it is known by: docs/standard-model.md).\n"
                    "\n"
                    "## The next three commands\n"
                    "\n"
                    "Run them in this directory.\n"
                    "\n"
                    "1. Check the map and the rules:\n"
                    "\n"
                    "       assure validate --map map.yaml --rules ");
    asr_buf_adds(b, rules);
    asr_buf_adds(b, "\n"
                    "\n"
                    "2. Import the exports into a database (all or nothing: one bad row and\n"
                    "   nothing changes, with every problem listed by file, line and "
                    "column):\n"
                    "\n"
                    "       assure import --map map.yaml --db assure.db");
    for (size_t i = 0; i < m->n_datasets; i++)
        asr_buf_addf(b, " \\\n           %s=exports/%s.csv", m->datasets[i].id, m->datasets[i].id);
    asr_buf_adds(b, "\n"
                    "\n"
                    "   With the headings alone, each dataset is imported with 0 rows. Once a\n"
                    "   dataset holds rows, an export with none is stopped by the empty-export\n"
                    "   gate rather than emptying it (docs/nightly.md). Leave out any dataset\n"
                    "   you do not keep.\n"
                    "\n"
                    "3. Run the rules and read the exception list:\n"
                    "\n"
                    "       assure check --map map.yaml --db assure.db --rules ");
    asr_buf_adds(b, rules);
    asr_buf_adds(b, "\n"
                    "\n"
                    "   On the empty exports it lists what the map itself lacks: the example\n"
                    "   area requires three lines of assurance and has only the first.\n"
                    "   Exit code 1 means exceptions were found: the check doing its job.\n"
                    "\n"
                    "The first hour in assure's documentation (docs/first-hour.md) goes on\n"
                    "from here.\n");
}

/* ---- writing ---- */

static void add_name(char ***list, size_t *n, const char *name)
{
    *list = asr_xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = asr_xstrdup(name);
}

/* dir/rel holding text, only if the name is free. 1 written, 0 kept (with
 * force), or -status. */
static int write_new(const char *dir, const char *rel, const asr_buf *text, int force, asr_diag *d,
                     asr_init_result *r)
{
    asr_buf path = {0};
    asr_buf_addf(&path, "%s/%s", dir, rel);
    struct stat st;
    if (lstat(path.data, &st) == 0) {
        int ok = force;
        if (!force) {
            asr_loc l = {path.data, 0, 0};
            asr_error(d, &l, NULL, "already exists; it was left as it was");
        } else {
            add_name(&r->kept, &r->n_kept, rel);
        }
        asr_buf_free(&path);
        return ok ? 0 : -ASR_E_CANTCREATE;
    }
    asr_outfile of;
    asr_status s = asr_outfile_open(&of, path.data, "the new file", NULL, d);
    if (s == ASR_OK) {
        if (fwrite(text->data, 1, text->len, of.f) != text->len)
            s = asr_outfile_fail(&of, d);
        else
            s = asr_outfile_commit_new(&of, "the new file", d);
    }
    asr_buf_free(&path);
    if (s != ASR_OK)
        return -(int)s;
    add_name(&r->created, &r->n_created, rel);
    return 1;
}

/* The directory: made, or there and empty (or forced). */
static asr_status prepare_dir(const char *dir, int force, asr_diag *d)
{
    asr_loc l = {dir, 0, 0};
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT && mkdir(dir, 0777) == 0)
            return ASR_OK;
        asr_error(d, &l, NULL, "cannot create the directory: %s", strerror(errno));
        return ASR_E_CANTCREATE;
    }
    if (!S_ISDIR(st.st_mode)) {
        asr_error(d, &l, NULL, "is not a directory");
        return ASR_E_CANTCREATE;
    }
    DIR *dh = opendir(dir);
    if (!dh) {
        asr_error(d, &l, NULL, "cannot read the directory: %s", strerror(errno));
        return ASR_E_CANTCREATE;
    }
    size_t entries = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            entries++;
    closedir(dh);
    if (entries && !force) {
        asr_error(d, &l, NULL,
                  "is not empty (it holds %zu entr%s); give an empty or new directory, or "
                  "--force to add only the files that are missing",
                  entries, entries == 1 ? "y" : "ies");
        return ASR_E_CANTCREATE;
    }
    return ASR_OK;
}

asr_status asr_init_scaffold(const asr_init_opts *o, asr_diag *d, asr_init_result *r)
{
    memset(r, 0, sizeof *r);
    asr_status st = asr_init_find_standard(&r->model, &r->rules, d);
    if (st != ASR_OK)
        return st;
    if ((st = prepare_dir(o->dir, o->force, d)) != ASR_OK)
        return st;
    asr_buf text = {0};
    map_text(&text, o->name, r->model, r->rules);
    int got = write_new(o->dir, "map.yaml", &text, o->force, d, r);
    asr_buf_free(&text);
    if (got < 0)
        return (asr_status)-got;

    /* The exports are made from the map as it now is in dir. */
    asr_buf map_path = {0};
    asr_buf_addf(&map_path, "%s/map.yaml", o->dir);
    asr_map *m = NULL;
    st = asr_map_load(map_path.data, d, &m);
    asr_buf_free(&map_path);
    if (st != ASR_OK) {
        asr_map_free(m);
        return st;
    }
    asr_buf exports = {0};
    asr_buf_addf(&exports, "%s/exports", o->dir);
    if (mkdir(exports.data, 0777) != 0 && errno != EEXIST) {
        asr_loc l = {exports.data, 0, 0};
        asr_error(d, &l, NULL, "cannot create the directory: %s", strerror(errno));
        st = ASR_E_CANTCREATE;
    }
    asr_buf_free(&exports);
    for (size_t i = 0; st == ASR_OK && i < m->n_datasets; i++) {
        asr_buf rel = {0}, row = {0};
        asr_buf_addf(&rel, "exports/%s.csv", m->datasets[i].id);
        header_row(&m->datasets[i], &row);
        got = write_new(o->dir, rel.data, &row, o->force, d, r);
        if (got < 0)
            st = (asr_status)-got;
        r->n_exports += got == 1;
        asr_buf_free(&rel);
        asr_buf_free(&row);
    }
    if (st == ASR_OK) {
        readme_text(&text, o->name, m, r->rules);
        got = write_new(o->dir, "README.md", &text, o->force, d, r);
        asr_buf_free(&text);
        if (got < 0)
            st = (asr_status)-got;
    }
    asr_map_free(m);
    return st;
}

void asr_init_result_free(asr_init_result *r)
{
    free(r->model);
    free(r->rules);
    for (size_t i = 0; i < r->n_created; i++)
        free(r->created[i]);
    free(r->created);
    for (size_t i = 0; i < r->n_kept; i++)
        free(r->kept[i]);
    free(r->kept);
    memset(r, 0, sizeof *r);
}
