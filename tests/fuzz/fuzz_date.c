/* Fuzz target: the date parser with every layout it accepts. The first
 * byte picks the layout: below 0x20, one of the 24 built from the orders of
 * YYYY, MM and DD and the four separators, or the default (NULL, ISO, which
 * has a fast path of its own); otherwise the layout is the text up to the
 * first '|' (used when asr_date_format_check accepts it, as the map loader
 * does). The rest is the date. What parses must round-trip. The same
 * bytes also go through the layout reader (asr_date_read) with the UK
 * layouts and layouts without a year: every date it gives is a real one,
 * with a precision, and no more are reported than were asked for. */
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "fuzz.h"

static const char *const orders[6][3] = {{"YYYY", "MM", "DD"}, {"YYYY", "DD", "MM"},
                                         {"MM", "DD", "YYYY"}, {"DD", "MM", "YYYY"},
                                         {"MM", "YYYY", "DD"}, {"DD", "YYYY", "MM"}};
static const char seps[4] = {'-', '/', '.', ' '};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char layout[32];
    const char *format = NULL;
    const uint8_t *s = data + 1;
    size_t len = size - 1;
    if (data[0] < 24) {
        const char *const *o = orders[data[0] % 6];
        char sep = seps[data[0] / 6];
        snprintf(layout, sizeof layout, "%s%c%s%c%s", o[0], sep, o[1], sep, o[2]);
        format = layout;
    } else if (data[0] >= 0x20) {
        const uint8_t *bar = memchr(data, '|', size < sizeof layout ? size : sizeof layout - 1);
        if (bar) {
            memcpy(layout, data, (size_t)(bar - data));
            layout[bar - data] = '\0';
            if (!memchr(layout, '\0', (size_t)(bar - data)) && !asr_date_format_check(layout))
                format = layout;
            s = bar + 1;
            len = size - (size_t)(bar - data) - 1;
        }
    }
    FUZZ_CHECK(!format || !asr_date_format_check(format));
    {
        static const char *const noyear[] = {"D MON", "MON", "D M", NULL};
        size_t nuk = 0;
        while (asr_date_uk_layouts[nuk])
            nuk++;
        asr_date_rules rules[2] = {{asr_date_uk_layouts, nuk, 1 + (int)(size % 12), 0, NULL},
                                   {noyear, 3, 4, 2012, NULL}};
        for (int r = 0; r < 2; r++) {
            asr_date got[4];
            asr_date_precision prec[4];
            size_t n = 99;
            const char *w = asr_date_read((const char *)data, size, &rules[r], got, prec, 4, &n);
            FUZZ_CHECK(!w || *w);
            for (size_t i = 0; !w && i < n && i < 4; i++) {
                FUZZ_CHECK(got[i].year >= ASR_DATE_MIN_YEAR && got[i].year <= ASR_DATE_MAX_YEAR);
                FUZZ_CHECK(got[i].month >= 1 && got[i].month <= 12);
                FUZZ_CHECK(got[i].day >= 1 &&
                           got[i].day <= asr_days_in_month(got[i].year, got[i].month));
                FUZZ_CHECK(asr_date_precision_name(prec[i]) != NULL);
            }
            FUZZ_CHECK(w || (n >= 1 && n <= 4));
            /* the layouts compiled once (as an import reads them) read the same */
            char why[256];
            snprintf(why, sizeof why, "%s", w ? w : "");
            asr_date_rules c = rules[r];
            asr_date_rules_compile(&c);
            asr_date got2[4];
            asr_date_precision prec2[4];
            size_t n2 = 99;
            const char *w2 = asr_date_read((const char *)data, size, &c, got2, prec2, 4, &n2);
            asr_date_rules_release(&c);
            FUZZ_CHECK(!w == !w2 && (!w || strcmp(why, w2) == 0));
            FUZZ_CHECK(w || n2 == n);
            for (size_t i = 0; !w && i < n && i < 4; i++)
                FUZZ_CHECK(got2[i].year == got[i].year && got2[i].month == got[i].month &&
                           got2[i].day == got[i].day && prec2[i] == prec[i]);
        }
    }
    asr_date d;
    const char *why = asr_date_parse((const char *)s, len, format, &d);
    if (why) {
        FUZZ_CHECK(*why);
        return 0;
    }
    FUZZ_CHECK(d.year >= ASR_DATE_MIN_YEAR && d.year <= ASR_DATE_MAX_YEAR);
    FUZZ_CHECK(d.month >= 1 && d.month <= 12);
    FUZZ_CHECK(d.day >= 1 && d.day <= asr_days_in_month(d.year, d.month));
    char iso[11];
    asr_date_format_iso(d, iso);
    asr_date back;
    FUZZ_CHECK(asr_date_parse(iso, 10, NULL, &back) == NULL);
    FUZZ_CHECK(back.year == d.year && back.month == d.month && back.day == d.day);
    FUZZ_CHECK(asr_date_parse(iso, 10, "YYYY-MM-DD", &back) == NULL);
    asr_date again = asr_date_from_days(asr_date_to_days(d));
    FUZZ_CHECK(again.year == d.year && again.month == d.month && again.day == d.day);
    asr_date next = asr_date_from_days(asr_date_to_days(d) + 1);
    FUZZ_CHECK(asr_date_to_days(next) == asr_date_to_days(d) + 1);
    asr_date later = asr_date_add_months(d, (int)(len % 25) - 12);
    FUZZ_CHECK(later.month >= 1 && later.month <= 12 && later.day >= 1 &&
               later.day <= asr_days_in_month(later.year, later.month));
    char label[16];
    int start = 1 + (int)(len % 12);
    asr_fiscal_quarter_label(d, start, label, sizeof label);
    FUZZ_CHECK(asr_fiscal_quarter(d, start) >= 1 && asr_fiscal_quarter(d, start) <= 4);
    return 0;
}
