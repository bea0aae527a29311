/* htmlreport: the board pack -- one self-contained HTML file (inline CSS
 * and SVG, no scripts, nothing fetched) for the Risk and Assurance Board:
 * a summary (organisation, as-of date, run, findings by severity, what
 * changed since the comparison run, waivers), the assurance map (mapstate)
 * as a picture, findings by business group and by principle, the
 * high-severity exceptions, ageing (age bands, overdue actions by days
 * overdue, open findings over the last runs) and an appendix (every
 * finding, the rules that ran, the method). Also the map alone (HTML) and
 * its matrix as CSV or JSON, and the appendix's findings as an Excel
 * workbook (xlsxout: a summary sheet, every finding in reading order, the
 * waived ones apart). The findings come from a recorded run (the
 * latest, or one named), or, when the database holds none, from a check run
 * on the spot. Every piece of data is HTML-escaped (control characters and
 * bytes that are not UTF-8 shown as U+FFFD); a file is written through
 * outfile. Uses map, store, mapstate, history, check, runner (the rules'
 * titles), findfmt (business group, CSV and JSON escaping), waiver, xlsxout,
 * date, outfile, diag, util. */
#ifndef ASSURE_HTMLREPORT_H
#define ASSURE_HTMLREPORT_H

#include <stdio.h>

#include "diag.h"
#include "runner.h"

typedef enum { ASR_BOARD_HTML, ASR_BOARD_CSV, ASR_BOARD_JSON, ASR_BOARD_XLSX } asr_board_format;

typedef struct {
    const char *map_path;
    const char *db_path;
    const char *rules_dir; /* for a check on the spot, and the rules' titles; may be NULL */
    const char *run;       /* a recorded run's number as given; NULL: the latest */
    const char *since;     /* the comparison: a run number or a date; NULL: the run before */
    const char *as_of;     /* a check on the spot: YYYY-MM-DD */
    int map_only;          /* --section map */
    asr_board_format format;
    const char *output; /* NULL: stream */
    size_t trend_runs;  /* runs in the line chart (0: 12) */
    int busy_ms;
    asr_runner_opts runner;
} asr_board_opts;

/* The report as one call. ASR_OK once written; ASR_E_USAGE (no such run, no
 * run and no --rules, CSV or JSON of the whole report), ASR_E_DATA (the
 * database holds another map), ASR_E_NOINPUT, ASR_E_CONFIG, 73/74 as the
 * output demands; the problems in d. */
asr_status asr_board_report(const asr_board_opts *o, FILE *stream, asr_diag *d);

#endif
