/* ctl_util.c: selmidctl's input checks, time and number formats, the invoking user, and its
 * stderr: every line starts with "selmidctl: ", stays on one line, and never shows the password
 * of the directory's connection string. */
#include "ctl.h"
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- stderr ----------------------------------------------------------------------------- */

static void put_line(const ctl_t *c, const char *msg)
{
    apr_pool_t *tmp = NULL;

    apr_pool_create(&tmp, c->pool);
    fprintf(stderr, "selmidctl: %s\n", ctl_redact(tmp, c->secrets, msg));
    fflush(stderr);
    apr_pool_destroy(tmp);
}

void ctl_err(const ctl_t *c, const char *fmt, ...)
{
    apr_pool_t *tmp = NULL;
    va_list ap;

    apr_pool_create(&tmp, c->pool);
    va_start(ap, fmt);
    put_line(c, apr_pvsprintf(tmp, fmt, ap));
    va_end(ap);
    apr_pool_destroy(tmp);
}

void ctl_log_emit(void *baton, sm_log_level_e level, const char *msg)
{
    ctl_t *c = baton;

    if (level == SM_LOG_ERROR)
        c->errors_logged++;
    put_line(c, msg);
}

/* ---- redaction -------------------------------------------------------------------------- */

static void add_secret(apr_array_header_t *a, apr_pool_t *p, const char *s, apr_size_t n)
{
    if (n > 0)
        APR_ARRAY_PUSH(a, const char *) = apr_pstrndup(p, s, n);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The password of a URI's user information (postgresql://user:secret@host/db), raw and
 * percent-decoded. */
static void uri_secret(apr_array_header_t *a, apr_pool_t *p, const char *spec)
{
    const char *s = strstr(spec, "://"), *end, *colon;
    char *dec;
    apr_size_t i, n = 0;

    if (!s)
        return;
    s += 3;
    end = s + strcspn(s, "@/?# \t");
    if (*end != '@')
        return;
    colon = memchr(s, ':', (apr_size_t)(end - s));
    if (!colon)
        return;
    colon++;
    add_secret(a, p, colon, (apr_size_t)(end - colon));
    dec = apr_palloc(p, (apr_size_t)(end - colon) + 1);
    for (i = 0; colon + i < end; i++) {
        if (colon[i] == '%' && colon + i + 2 < end && hexval(colon[i + 1]) >= 0 &&
            hexval(colon[i + 2]) >= 0) {
            dec[n++] = (char)(hexval(colon[i + 1]) * 16 + hexval(colon[i + 2]));
            i += 2;
        } else
            dec[n++] = colon[i];
    }
    add_secret(a, p, dec, n);
}

/* The first "password" in s, in any case. */
static const char *find_password(const char *s)
{
    for (; *s; s++)
        if (strncasecmp(s, "password", 8) == 0)
            return s;
    return NULL;
}

apr_array_header_t *ctl_secrets(apr_pool_t *p, const char *spec)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    const char *s = spec;

    if (!spec)
        return a;
    uri_secret(a, p, spec);
    /* Every "password = value" (any case, any place: also a query parameter of a URI). */
    while ((s = find_password(s)) != NULL) {
        const char *v = s + 8, *start;
        char *unq;
        apr_size_t n = 0;

        s = v;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v != '=')
            continue;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        unq = apr_palloc(p, strlen(v) + 1);
        if (*v == '\'') {
            start = ++v;
            while (*v && *v != '\'') {
                if (*v == '\\' && v[1])
                    v++;
                unq[n++] = *v++;
            }
        } else {
            start = v;
            while (*v && *v != ' ' && *v != '\t' && *v != '\n') {
                if (*v == '\\' && v[1])
                    v++;
                unq[n++] = *v++;
            }
            /* In a URI query the value ends at '&'. */
            add_secret(a, p, start, strcspn(start, "& \t\n"));
        }
        add_secret(a, p, start, (apr_size_t)(v - start));
        add_secret(a, p, unq, n);
        s = v;
    }
    return a;
}

const char *ctl_redact(apr_pool_t *p, const apr_array_header_t *secrets, const char *msg)
{
    char *out = apr_pstrdup(p, msg ? msg : "");
    int i, j;

    /* Longest first, so that no part of a longer secret is left behind. */
    for (i = 0; secrets && i < secrets->nelts; i++) {
        const char *best = NULL;
        for (j = 0; j < secrets->nelts; j++) {
            const char *s = APR_ARRAY_IDX(secrets, j, const char *);
            if (strstr(out, s) && (!best || strlen(s) > strlen(best)))
                best = s;
        }
        if (!best)
            break;
        {
            const char *hit;
            const char *acc = "";
            const char *rest = out;
            while ((hit = strstr(rest, best)) != NULL) {
                acc = apr_pstrcat(p, acc, apr_pstrndup(p, rest, (apr_size_t)(hit - rest)), "***",
                                  NULL);
                rest = hit + strlen(best);
            }
            out = apr_pstrcat(p, acc, rest, NULL);
        }
    }
    /* One line: a run of control characters and spaces becomes one space, none at the end. */
    for (i = 0, j = 0; out[i]; i++) {
        bool space = (unsigned char)out[i] <= 0x20 || out[i] == 0x7f;
        if (!space)
            out[j++] = out[i];
        else if (j > 0 && out[j - 1] != ' ')
            out[j++] = ' ';
    }
    while (j > 0 && out[j - 1] == ' ')
        j--;
    out[j] = '\0';
    return out;
}

/* ---- input ------------------------------------------------------------------------------ */

/* Length of the UTF-8 sequence at s (strict: no overlong forms, surrogates or C1 controls, at
 * most U+10FFFF), or 0 when it is invalid or a control character. */
static apr_size_t utf8_char(const unsigned char *s)
{
    unsigned int cp;
    apr_size_t n, i;

    if (s[0] < 0x20 || s[0] == 0x7f)
        return 0;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        cp = s[0] & 0x07;
    } else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
        return 0;
    return n;
}

const char *ctl_check_value(apr_pool_t *p, const char *what, const char *v)
{
    apr_size_t len, i, n;

    if (!v || !*v)
        return apr_psprintf(p, "%s is empty", what);
    len = strlen(v);
    if (len > CTL_VALUE_MAX)
        return apr_psprintf(p, "%s is longer than %d bytes", what, CTL_VALUE_MAX);
    for (i = 0; i < len; i += n) {
        n = utf8_char((const unsigned char *)v + i);
        if (n == 0)
            return apr_psprintf(p, "%s contains a control character or is not valid UTF-8", what);
    }
    return NULL;
}

bool ctl_parse_int(const char *s, apr_int64_t min, apr_int64_t max, apr_int64_t *out)
{
    char *end = NULL;
    apr_int64_t v;
    const char *d;

    if (!s || !*s)
        return false;
    for (d = (*s == '-') ? s + 1 : s; *d; d++)
        if (*d < '0' || *d > '9')
            return false;
    errno = 0;
    v = apr_strtoi64(s, &end, 10);
    if (errno != 0 || !end || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* ---- formats and the user --------------------------------------------------------------- */

const char *ctl_iso(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t tm;

    if (apr_time_exp_gmt(&tm, t) != APR_SUCCESS)
        return "1970-01-01T00:00:00Z";
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char *ctl_user(apr_pool_t *p)
{
    char buf[256];
    struct passwd pw, *res = NULL;
    char pwbuf[4096];

    /* The login name of the session (the administrator also under sudo -u www-data), else the
     * name of the real user id. */
    if (getlogin_r(buf, sizeof(buf)) == 0 && buf[0])
        return apr_pstrdup(p, buf);
    if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res && res->pw_name &&
        res->pw_name[0])
        return apr_pstrdup(p, res->pw_name);
    return apr_psprintf(p, "uid %lu", (unsigned long)getuid());
}
