/* sm_lang.c: Accept-Language negotiation between the two languages of mod_selmid's pages. */
#include "sm_lang.h"
#include <apr_lib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADER 4096 /* longer values are looked at up to here */

/* A q value (RFC 9110 12.4.2): 0, 0.ddd, 1, 1.000 -> thousandths; -1 when malformed. */
static int parse_q(const char *s, size_t n)
{
    int q, i, scale = 100;

    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    q = (s[0] - '0') * 1000;
    if (n == 1)
        return q;
    if (s[1] != '.' || n > 5)
        return -1;
    for (i = 2; i < (int)n; i++, scale /= 10) {
        if (!apr_isdigit(s[i]))
            return -1;
        q += (s[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

static bool range_is(const char *r, size_t n, const char *lang)
{
    size_t l = strlen(lang);
    return n >= l && strncasecmp(r, lang, l) == 0 && (n == l || r[l] == '-');
}

/* One entry "range[;q=x][;other]" of length n: its language (-1: not offered, -2: malformed)
 * and q. */
static int entry_lang(const char *e, size_t n, int *q)
{
    size_t i = 0, rlen;
    const char *r = e;
    int lang;

    while (i < n && (apr_isalnum(e[i]) || e[i] == '-' || e[i] == '*'))
        i++;
    rlen = i;
    if (rlen == 0)
        return -2;
    if (rlen == 1 && r[0] == '*')
        lang = SM_LANG_EN;
    else if (range_is(r, rlen, "ja"))
        lang = SM_LANG_JA;
    else if (range_is(r, rlen, "en"))
        lang = SM_LANG_EN;
    else
        lang = -1;
    *q = 1000;
    while (i < n) { /* parameters */
        size_t s, vs, nlen;
        while (i < n && (e[i] == ' ' || e[i] == '\t'))
            i++;
        if (i == n)
            break;
        if (e[i] != ';')
            return -2;
        i++;
        while (i < n && (e[i] == ' ' || e[i] == '\t'))
            i++;
        s = i;
        while (i < n && e[i] != '=' && e[i] != ';' && e[i] != ' ' && e[i] != '\t')
            i++;
        if (i == n || e[i] != '=')
            return -2;
        nlen = i - s;
        vs = ++i;
        while (i < n && e[i] != ';' && e[i] != ' ' && e[i] != '\t')
            i++;
        if (nlen == 1 && (e[s] == 'q' || e[s] == 'Q')) {
            if ((*q = parse_q(e + vs, i - vs)) < 0)
                return -2;
        }
    }
    return lang;
}

sm_lang_e sm_lang_negotiate(const char *al)
{
    size_t len, pos = 0;
    int best = SM_LANG_EN, best_q = 0;

    if (!al)
        return SM_LANG_EN;
    len = strnlen(al, MAX_HEADER);
    while (pos < len) {
        size_t start, end;
        int q = 0, lang;
        while (pos < len && (al[pos] == ' ' || al[pos] == '\t' || al[pos] == ','))
            pos++;
        start = pos;
        while (pos < len && al[pos] != ',')
            pos++;
        end = pos;
        while (end > start && (al[end - 1] == ' ' || al[end - 1] == '\t'))
            end--;
        if (end == start)
            continue;
        lang = entry_lang(al + start, end - start, &q);
        if (lang >= 0 && q > best_q) {
            best = lang;
            best_q = q;
        }
    }
    return (sm_lang_e)best;
}

int sm_lang_parse(const char *s)
{
    if (!s)
        return -1;
    if (strcasecmp(s, "ja") == 0)
        return SM_LANG_JA;
    if (strcasecmp(s, "en") == 0)
        return SM_LANG_EN;
    return -1;
}

const char *sm_lang_tag(sm_lang_e lang)
{
    return lang == SM_LANG_JA ? "ja" : "en";
}
