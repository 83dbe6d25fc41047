/* sm_http_curl.c: the outbound HTTP port on libcurl.
 *
 * One CURL easy handle per call (nothing is shared between threads), no redirects, http/https
 * only, TLS 1.2+ with verification on unless the admin turned it off, bounded time and body size.
 * Error messages name the libcurl error and the URL without userinfo, query or fragment; never a
 * request/response body or header. */
#include "sm_http.h"
#include <apr_lib.h>
#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#define SM_HTTP_DEFAULT_MAX_BODY   (1024 * 1024)
#define SM_HTTP_DEFAULT_TIMEOUT_MS 10000L
#define SM_HTTP_CONNECT_TIMEOUT_MS 5000L
#define SM_HTTP_MAX_HEADER_BYTES   (64 * 1024)
#define SM_HTTP_USER_AGENT         "mod_selmid/0.1"

typedef struct curl_port_t {
    const char *ca_file;
    bool verify_tls;
} curl_port_t;

/* What the callbacks collect for one transfer. */
typedef struct transfer_t {
    apr_pool_t *pool;
    char *buf;
    apr_size_t len, cap, max;
    bool too_big;
    apr_table_t *headers;
    apr_size_t header_bytes;
    bool headers_too_big;
} transfer_t;

static bool curl_initialised;

apr_status_t sm_http_curl_global_init(void)
{
    /* Called from httpd's single-threaded post_config/child_init; curl_global_init itself is
     * reference counted, the flag keeps us to one reference per process. */
    if (!curl_initialised) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return APR_EGENERAL;
        curl_initialised = true;
    }
    return APR_SUCCESS;
}

/* The URL as it may appear in a log line: no userinfo, no query, no fragment. */
static const char *loggable_url(apr_pool_t *p, const char *url)
{
    const char *end = url + strcspn(url, "?#");
    const char *scheme_end = strstr(url, "://");
    const char *auth, *at;

    if (scheme_end && scheme_end < end) {
        auth = scheme_end + 3;
        at = auth + strcspn(auth, "@/");
        if (at < end && *at == '@')
            return apr_pstrcat(p, apr_pstrmemdup(p, url, (apr_size_t)(auth - url)),
                               apr_pstrmemdup(p, at + 1, (apr_size_t)(end - at - 1)), NULL);
    }
    return apr_pstrmemdup(p, url, (apr_size_t)(end - url));
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    transfer_t *t = userdata;
    apr_size_t n = size * nmemb;
    apr_size_t cap;
    char *nbuf;

    if (n > t->max - t->len) {
        t->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (t->len + n + 1 > t->cap) {
        cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        if (cap > t->max + 1)
            cap = t->max + 1;
        nbuf = apr_palloc(t->pool, cap);
        if (t->len)
            memcpy(nbuf, t->buf, t->len);
        t->buf = nbuf;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, n);
    t->len += n;
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    transfer_t *t = userdata;
    apr_size_t n = size * nmemb;
    const char *colon, *end = data + n;
    const char *v;

    t->header_bytes += n;
    if (t->header_bytes > SM_HTTP_MAX_HEADER_BYTES) {
        t->headers_too_big = true;
        return 0;
    }
    while (end > data && (end[-1] == '\r' || end[-1] == '\n'))
        end--;
    if (end - data >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* a new response (e.g. after 100 Continue): keep only the last one's headers */
        apr_table_clear(t->headers);
        return n;
    }
    if (end == data || data[0] == ' ' || data[0] == '\t')
        return n; /* the blank line ending the headers, or an obsolete folded line */
    colon = memchr(data, ':', (apr_size_t)(end - data));
    if (!colon || colon == data)
        return n;
    for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
        ;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    apr_table_addn(t->headers, apr_pstrmemdup(t->pool, data, (apr_size_t)(colon - data)),
                   apr_pstrmemdup(t->pool, v, (apr_size_t)(end - v)));
    return n;
}

static bool header_text_ok(const char *s)
{
    for (; *s; s++)
        if (*s == '\r' || *s == '\n')
            return false;
    return true;
}

/* Builds the request header list; false when a header would smuggle a line break. */
static bool build_headers(const apr_table_t *headers, struct curl_slist **list, apr_pool_t *p)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    struct curl_slist *l;
    int i;

    /* no "Expect: 100-continue" round trip for POST bodies */
    l = curl_slist_append(*list, "Expect:");
    if (!l)
        return false;
    *list = l;
    if (!headers)
        return true;
    arr = apr_table_elts(headers);
    e = (const apr_table_entry_t *)arr->elts;
    for (i = 0; i < arr->nelts; i++) {
        if (!e[i].key || !*e[i].key || !e[i].val || !header_text_ok(e[i].key) ||
            !header_text_ok(e[i].val) || strchr(e[i].key, ':'))
            return false;
        /* "Name;" is curl's way of sending a header with an empty value */
        l = curl_slist_append(*list, *e[i].val ? apr_pstrcat(p, e[i].key, ": ", e[i].val, NULL)
                                               : apr_pstrcat(p, e[i].key, ";", NULL));
        if (!l)
            return false;
        *list = l;
    }
    return true;
}

static bool url_scheme_ok(const char *url)
{
    return strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0;
}

static CURLcode set_options(CURL *c, const curl_port_t *cp, const sm_http_req_t *req, transfer_t *t,
                            struct curl_slist *hdrs, char *errbuf)
{
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : SM_HTTP_DEFAULT_TIMEOUT_MS;
    long connect_timeout =
        timeout < SM_HTTP_CONNECT_TIMEOUT_MS ? timeout : SM_HTTP_CONNECT_TIMEOUT_MS;
    CURLcode rc = CURLE_OK;

#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    SETOPT(CURLOPT_URL, req->url);
    SETOPT(CURLOPT_ERRORBUFFER, errbuf);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_NOPROGRESS, 1L);
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_MAXREDIRS, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SETOPT(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(CURLOPT_TIMEOUT_MS, timeout);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_timeout);
    SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SETOPT(CURLOPT_SSL_VERIFYPEER, cp->verify_tls ? 1L : 0L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, cp->verify_tls ? 2L : 0L);
    if (cp->ca_file)
        SETOPT(CURLOPT_CAINFO, cp->ca_file);
    SETOPT(CURLOPT_USERAGENT, SM_HTTP_USER_AGENT);
    SETOPT(CURLOPT_HTTPHEADER, hdrs);
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, t);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, t);
    if (strcmp(req->method, "POST") == 0) {
        SETOPT(CURLOPT_POST, 1L);
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
        SETOPT(CURLOPT_POSTFIELDS, req->body ? req->body : "");
    } else {
        SETOPT(CURLOPT_HTTPGET, 1L);
    }
#undef SETOPT
    return rc;
}

static apr_status_t curl_perform(void *baton, apr_pool_t *p, const sm_http_req_t *req,
                                 sm_http_resp_t **resp, const char **err)
{
    const curl_port_t *cp = baton;
    CURL *c = NULL;
    struct curl_slist *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE];
    transfer_t t;
    sm_http_resp_t *r;
    const char *url;
    long status = 0;
    CURLcode cc;
    apr_status_t rv = APR_EGENERAL;

    *resp = NULL;
    *err = NULL;
    if (!req || !req->url || !req->method) {
        *err = "HTTP request without method or URL";
        rv = APR_EINVAL;
        goto leave;
    }
    url = loggable_url(p, req->url);
    if (!url_scheme_ok(req->url)) {
        *err = apr_psprintf(p, "refusing a non-http(s) URL: %s", url);
        rv = APR_EINVAL;
        goto leave;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
        *err = apr_psprintf(p, "unsupported HTTP method for %s", url);
        rv = APR_EINVAL;
        goto leave;
    }
    memset(&t, 0, sizeof(t));
    t.pool = p;
    t.max = req->max_body ? req->max_body : SM_HTTP_DEFAULT_MAX_BODY;
    t.headers = apr_table_make(p, 16);
    errbuf[0] = '\0';

    if (!build_headers(req->headers, &hdrs, p)) {
        *err = apr_psprintf(p, "invalid request header for %s", url);
        rv = APR_EINVAL;
        goto leave;
    }
    c = curl_easy_init();
    if (!c) {
        *err = "curl_easy_init failed";
        goto leave;
    }
    cc = set_options(c, cp, req, &t, hdrs, errbuf);
    if (cc != CURLE_OK) {
        *err = apr_psprintf(p, "curl setup failed for %s: %s", url, curl_easy_strerror(cc));
        goto leave;
    }
    cc = curl_easy_perform(c);
    if (t.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        *err = apr_psprintf(p, "response from %s exceeds %" APR_SIZE_T_FMT " bytes", url, t.max);
        rv = APR_ENOSPC;
        goto leave;
    }
    if (t.headers_too_big) {
        *err = apr_psprintf(p, "response headers from %s exceed %d bytes", url,
                            SM_HTTP_MAX_HEADER_BYTES);
        rv = APR_ENOSPC;
        goto leave;
    }
    if (cc != CURLE_OK) {
        /* the error buffer explains TLS failures (e.g. an expired certificate); it names the
         * peer's certificate problem, never request data */
        bool tls = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
                   cc == CURLE_SSL_CACERT_BADFILE;
        *err =
            apr_psprintf(p, "HTTP %s %s failed: %s%s%s", req->method, url, curl_easy_strerror(cc),
                         tls && errbuf[0] ? ": " : "", tls ? errbuf : "");
        rv = cc == CURLE_OPERATION_TIMEDOUT ? APR_TIMEUP : APR_EGENERAL;
        goto leave;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    r = apr_pcalloc(p, sizeof(*r));
    r->status = (int)status;
    r->headers = t.headers;
    if (!t.buf)
        t.buf = apr_pcalloc(p, 1);
    t.buf[t.len] = '\0';
    r->body = t.buf;
    r->body_len = t.len;
    *resp = r;
    rv = APR_SUCCESS;

leave:
    if (c)
        curl_easy_cleanup(c);
    if (hdrs)
        curl_slist_free_all(hdrs);
    return rv;
}

sm_http_t *sm_http_curl_create(apr_pool_t *p, const char *ca_file, bool verify_tls)
{
    curl_port_t *cp = apr_pcalloc(p, sizeof(*cp));
    sm_http_t *http = apr_pcalloc(p, sizeof(*http));

    cp->ca_file = ca_file && *ca_file ? apr_pstrdup(p, ca_file) : NULL;
    cp->verify_tls = verify_tls;
    http->perform = curl_perform;
    http->baton = cp;
    return http;
}
