/* sm_config_parse.c: parsers for directive arguments. Each returns NULL on success or a message
 * that names the problem and the offending value (the glue prefixes the directive name). */
#include "sm_config.h"
#include "sm_crypto.h"
#include "sm_jwt.h"
#include "sm_apple.h"
#include <apr_file_io.h>
#include <apr_lib.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

const char *sm_cfg_parse_url(apr_pool_t *p, const char *arg, const char **url)
{
    const char *q = strchr(arg, '?'), *e, *issuer;

    /* the part before a query must be a valid issuer-like URL; the query must be printable */
    if ((e = sm_cfg_parse_issuer(p, q ? apr_pstrmemdup(p, arg, (apr_size_t)(q - arg)) : arg,
                                 &issuer)))
        return e;
    for (; q && *q; q++)
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f || strchr("#\\\"<>", *q))
            return apr_psprintf(p, "'%s' must not contain a fragment or spaces", arg);
    *url = arg;
    return NULL;
}

const char *sm_cfg_parse_login_url(apr_pool_t *p, const char *arg, const char **url)
{
    const char *s;

    if (arg[0] != '/')
        return sm_cfg_parse_url(p, arg, url);
    if (arg[1] == '/' || arg[1] == '\\')
        return apr_psprintf(p,
                            "'%s' must be a local path like /Shibboleth.sso/Login or an "
                            "https URL",
                            arg);
    for (s = arg; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr("#\\\"<>", *s))
            return apr_psprintf(p, "'%s' must not contain a fragment, backslash or spaces", arg);
    *url = arg;
    return NULL;
}

/* scheme ":" rest (RFC 3986 scheme); http and https need "//" and a host. */
static bool absolute_uri(const char *s)
{
    const char *c = s;

    if (!apr_isalpha(*c))
        return false;
    for (c++; apr_isalnum(*c) || *c == '+' || *c == '-' || *c == '.'; c++)
        ;
    if (*c != ':' || !c[1])
        return false;
    if ((c - s == 4 && strncasecmp(s, "http", 4) == 0) ||
        (c - s == 5 && strncasecmp(s, "https", 5) == 0))
        return c[1] == '/' && c[2] == '/' && c[3] && c[3] != '/';
    return true;
}

const char *sm_cfg_parse_saml_idp(apr_pool_t *p, const char *arg, sm_provider_cfg_t *pc)
{
    const char *s;
    apr_size_t n = strlen(arg);

    if (strcmp(arg, "any") == 0) {
        if (pc->saml_idps)
            return "'any' must be the only value (it accepts every IdP the SAML module trusts)";
        pc->saml_idp_any = 1;
        return NULL;
    }
    if (n == 0 || n > SM_SAML_ENTITY_ID_MAX)
        return apr_psprintf(p, "an entityID must be 1 to %d characters (%lu given)",
                            SM_SAML_ENTITY_ID_MAX, (unsigned long)n);
    for (s = arg; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return apr_psprintf(p, "'%s' is not an entityID (printable ASCII without spaces only)",
                                arg);
    if (!absolute_uri(arg))
        return apr_psprintf(p,
                            "'%s' is not an entityID: an absolute URI like "
                            "https://idp.example.ac.jp/idp/shibboleth or a URN, or the word any",
                            arg);
    if (pc->saml_idp_any)
        return apr_psprintf(p, "'%s' given with 'any', which must be the only value", arg);
    if (!pc->saml_idps)
        pc->saml_idps = apr_array_make(p, 2, sizeof(const char *));
    APR_ARRAY_PUSH(pc->saml_idps, const char *) = apr_pstrdup(p, arg);
    return NULL;
}

const char *sm_cfg_parse_domain(apr_pool_t *p, const char *arg, const char **domain)
{
    const char *s;
    char *low;

    if (!*arg || strlen(arg) > 253 || arg[0] == '.' || arg[0] == '-' ||
        arg[strlen(arg) - 1] == '.' || !strchr(arg, '.'))
        return apr_psprintf(p, "'%s' is not a domain name like example.ac.jp", arg);
    for (s = arg; *s; s++)
        if (!apr_isalnum(*s) && *s != '-' && *s != '.')
            return apr_psprintf(p, "'%s' is not a domain name (letters, digits, '-', '.')", arg);
    if (strstr(arg, ".."))
        return apr_psprintf(p, "'%s' is not a domain name (empty label)", arg);
    low = apr_pstrdup(p, arg);
    for (s = low; *s; s++)
        low[s - low] = (char)apr_tolower(*s);
    *domain = low;
    return NULL;
}

const char *sm_cfg_parse_graph_version(apr_pool_t *p, const char *arg, const char **version)
{
    const char *s = arg + 1;
    int digits = 0, dot = 0;

    if (arg[0] != 'v')
        goto bad;
    for (; *s; s++) {
        if (apr_isdigit(*s))
            digits++;
        else if (*s == '.' && digits && !dot)
            dot = 1;
        else
            goto bad;
    }
    if (!dot || s[-1] == '.' || strlen(arg) > 8)
        goto bad;
    *version = arg;
    return NULL;
bad:
    return apr_psprintf(p, "'%s' is not a Graph API version like %s", arg,
                        SM_FACEBOOK_GRAPH_VERSION);
}

/* Length of the valid UTF-8 sequence at s (not a control character), 0 when invalid. */
static apr_size_t utf8_char(const unsigned char *s)
{
    apr_size_t n, i;
    unsigned long cp;

    if (s[0] < 0x80)
        return (s[0] >= 0x20 && s[0] != 0x7f) ? 1 : 0;
    if ((s[0] & 0xe0) == 0xc0)
        n = 2, cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3, cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
        return 0;
    return n;
}

const char *sm_cfg_parse_label(apr_pool_t *p, const char *arg, const char **label)
{
    const unsigned char *s = (const unsigned char *)arg;
    apr_size_t n, chars = 0;

    while (*s) {
        if (!(n = utf8_char(s)))
            return apr_psprintf(p, "'%s' is not valid UTF-8 text without control characters", arg);
        s += n;
        chars++;
    }
    if (chars == 0 || chars > 100)
        return apr_psprintf(p, "'%s' must be 1 to 100 characters", arg);
    *label = arg;
    return NULL;
}

const char *sm_cfg_parse_dir(apr_pool_t *p, const char *arg, const char **dir)
{
    apr_finfo_t fi;

    if (arg[0] != '/')
        return apr_psprintf(p, "'%s' must be an absolute path", arg);
    if (apr_stat(&fi, arg, APR_FINFO_TYPE, p) != APR_SUCCESS || fi.filetype != APR_DIR)
        return apr_psprintf(p, "'%s' is not an existing directory", arg);
    *dir = arg;
    return NULL;
}

static bool apple_id(const char *s)
{
    int n = 0;

    for (; *s; s++, n++)
        if (!apr_isdigit(*s) && !apr_isupper(*s))
            return false;
    return n == 10;
}

const char *sm_cfg_parse_apple_key(apr_pool_t *p, const char *team, const char *kid,
                                   const char *file, sm_provider_cfg_t *pc)
{
    const char *pem = NULL, *e;
    apr_size_t n = 0;

    if (!apple_id(team))
        return apr_psprintf(p, "team id '%s' must be 10 upper-case letters or digits", team);
    if (!apple_id(kid))
        return apr_psprintf(p, "key id '%s' must be 10 upper-case letters or digits", kid);
    if ((e = read_secret_file(p, file, &pem, &n)))
        return e;
    if (!sm_ec_p256_pem_ok(pem, n))
        return apr_psprintf(p, "'%s' is not a PEM PKCS#8 EC P-256 private key (AuthKey_%s.p8)",
                            file, kid);
    pc->apple_team_id = team;
    pc->apple_key_id = kid;
    pc->apple_key_pem = pem;
    pc->apple_key_file = file;
    return NULL;
}
