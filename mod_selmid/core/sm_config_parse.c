/* sm_config_parse.c: parsers for directive arguments. Each returns NULL on success or a message
 * that names the problem and the offending value (the glue prefixes the directive name). */
#include "sm_config.h"
#include "sm_crypto.h"
#include "sm_jwt.h"
#include <apr_file_io.h>
#include <apr_lib.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_FILE_MAX 4096

/* Reads a secret file; surrounding whitespace (a trailing newline) is not part of the secret. */
static const char *read_secret_file(apr_pool_t *p, const char *path, const char **out,
                                    apr_size_t *len)
{
    apr_file_t *f = NULL;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;
    apr_status_t rv;
    const char *err = NULL;

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p);
    if (rv != APR_SUCCESS) {
        char msg[120];
        err = apr_psprintf(p, "cannot read secret file '%s': %s", path,
                           apr_strerror(rv, msg, sizeof(msg)));
        goto leave;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_PROT, f) != APR_SUCCESS ||
        fi.size > SECRET_FILE_MAX) {
        err = apr_psprintf(p, "secret file '%s' is not a regular file of at most %d bytes", path,
                           SECRET_FILE_MAX);
        goto leave;
    }
    if (fi.protection & APR_FPROT_WREAD) {
        err = apr_psprintf(p, "secret file '%s' is readable by everyone: chmod 0600 or 0640 it",
                           path);
        goto leave;
    }
    buf = apr_palloc(p, (apr_size_t)fi.size + 1);
    n = (apr_size_t)fi.size;
    rv = apr_file_read_full(f, buf, n, &n);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        err = apr_psprintf(p, "cannot read secret file '%s'", path);
        goto leave;
    }
    while (n > 0 && apr_isspace(buf[n - 1]))
        n--;
    buf[n] = '\0';
    while (*buf && apr_isspace(*buf)) {
        buf++;
        n--;
    }
    *out = buf;
    *len = n;
leave:
    if (f)
        apr_file_close(f);
    return err;
}

const char *sm_cfg_parse_secret(apr_pool_t *p, const char *arg, apr_size_t min_len,
                                const unsigned char **secret, apr_size_t *len, const char **origin)
{
    const char *val = arg;
    apr_size_t n = strlen(arg);
    const char *err;

    *origin = "value";
    if (strncmp(arg, "file:", 5) == 0) {
        *origin = apr_pstrdup(p, arg + 5);
        if ((err = read_secret_file(p, arg + 5, &val, &n)))
            return err;
    }
    if (n < min_len)
        return apr_psprintf(p, "secret from %s is too short: %lu bytes, at least %lu needed",
                            *origin, (unsigned long)n, (unsigned long)min_len);
    *secret = (const unsigned char *)val;
    *len = n;
    return NULL;
}

const char *sm_cfg_parse_path(apr_pool_t *p, const char *arg, const char **path)
{
    apr_size_t n = strlen(arg);
    const char *s;

    if (n < 2 || arg[0] != '/' || arg[n - 1] == '/' || n > 128)
        return apr_psprintf(p, "'%s' must be a URL path like /selmid (no trailing slash)", arg);
    for (s = arg; *s; s++) {
        if (!apr_isalnum(*s) && !strchr("/-_.~", *s))
            return apr_psprintf(p, "'%s' may contain only letters, digits and / - _ . ~", arg);
        if (s[0] == '/' && s[1] == '/')
            return apr_psprintf(p, "'%s' must not contain '//'", arg);
        if (s[0] == '/' && s[1] == '.')
            return apr_psprintf(p, "'%s' must not contain dot segments", arg);
    }
    *path = arg;
    return NULL;
}

const char *sm_cfg_parse_seconds(const char *arg, long min, long max, apr_interval_time_t *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || !apr_isdigit(*arg) || v < min || v > max)
        return "must be a whole number of seconds in range";
    *out = apr_time_from_sec(v);
    return NULL;
}

/* The authority starts with a loopback host, followed by a port, a path or nothing. */
static bool is_loopback_host(const char *authority)
{
    static const char *const hosts[] = {"127.0.0.1", "localhost", "[::1]"};
    size_t i, n;

    for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        n = strlen(hosts[i]);
        if (strncmp(authority, hosts[i], n) == 0 &&
            (authority[n] == '\0' || authority[n] == ':' || authority[n] == '/'))
            return true;
    }
    return false;
}

/* http(s)://host[:port][/path], no query, fragment, userinfo or whitespace. http only for a
 * loopback host (tests, a demo). */
const char *sm_cfg_parse_issuer(apr_pool_t *p, const char *arg, const char **issuer)
{
    const char *rest, *s;
    bool loopback;

    if (strncmp(arg, "https://", 8) == 0)
        rest = arg + 8;
    else if (strncmp(arg, "http://", 7) == 0)
        rest = arg + 7;
    else
        return apr_psprintf(p, "'%s' is not an https URL", arg);
    loopback = is_loopback_host(rest);
    if (arg[4] == ':' && !loopback)
        return apr_psprintf(p, "'%s' must use https (http is allowed for loopback hosts only)",
                            arg);
    if (!*rest || *rest == '/')
        return apr_psprintf(p, "'%s' has no host", arg);
    for (s = rest; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr("?#@\\\"<>", *s))
            return apr_psprintf(p, "'%s' must not contain a query, fragment, userinfo or spaces",
                                arg);
    *issuer = arg;
    return NULL;
}

const char *sm_cfg_parse_scope(apr_pool_t *p, const char *arg, const char **scope)
{
    const char *s;
    bool has_openid = false;
    char *copy, *tok, *last;

    for (s = arg; *s; s++)
        if (*s != ' ' &&
            ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\'))
            return apr_psprintf(p, "'%s' contains a character not allowed in a scope", arg);
    copy = apr_pstrdup(p, arg);
    for (tok = apr_strtok(copy, " ", &last); tok; tok = apr_strtok(NULL, " ", &last))
        if (strcmp(tok, "openid") == 0)
            has_openid = true;
    if (!has_openid)
        return apr_psprintf(p, "'%s' must include the scope 'openid'", arg);
    *scope = arg;
    return NULL;
}

const char *sm_cfg_parse_prefix(apr_pool_t *p, const char *arg, const char **prefix)
{
    const char *s;

    if (!*arg || strlen(arg) > 64)
        return apr_psprintf(p, "'%s' must be 1 to 64 characters", arg);
    for (s = arg; *s; s++)
        if (!apr_isalnum(*s) && *s != '_' && *s != '-')
            return apr_psprintf(p, "'%s' may contain only letters, digits, '_' and '-'", arg);
    *prefix = arg;
    return NULL;
}

const char *sm_cfg_parse_claim_name(const char *arg)
{
    const char *s;

    if (!*arg || strlen(arg) > 128)
        return "must be 1 to 128 characters";
    for (s = arg; *s; s++)
        if (!apr_isalnum(*s) && !strchr("_-.:", *s))
            return "may contain only letters, digits and _ - . :";
    return NULL;
}

const char *sm_cfg_parse_algs(apr_pool_t *p, const char *arg, unsigned *algs)
{
    unsigned bit = sm_jwt_alg_bit(arg);

    if (!bit)
        return apr_psprintf(p,
                            "'%s' is not a supported signature algorithm (RS256 RS384 RS512 "
                            "PS256 PS384 PS512 ES256 ES384 ES512 HS256)",
                            arg);
    *algs |= bit;
    return NULL;
}
