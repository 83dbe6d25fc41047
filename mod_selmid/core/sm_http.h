/* sm_http.h: the outbound HTTP port (token, userinfo, JWKS and discovery requests). */
#ifndef SM_HTTP_H
#define SM_HTTP_H

#include "sm_core.h"

typedef struct sm_http_req_t {
    const char *method;   /* "GET" or "POST" */
    const char *url;      /* absolute http(s) URL */
    apr_table_t *headers; /* extra request headers, may be NULL */
    const char *body;     /* request body for POST, may be NULL */
    apr_size_t body_len;
    long timeout_ms;     /* whole-transfer timeout */
    apr_size_t max_body; /* responses larger than this fail */
} sm_http_req_t;

typedef struct sm_http_resp_t {
    int status;
    apr_table_t *headers; /* response headers, names as sent */
    const char *body;     /* NUL-terminated, body_len bytes */
    apr_size_t body_len;
} sm_http_resp_t;

typedef struct sm_http_t {
    /* Performs req. On a transport failure returns non-APR_SUCCESS and sets *err to a message
     * that is safe to log (no secrets). Any HTTP status is APR_SUCCESS. */
    apr_status_t (*perform)(void *baton, apr_pool_t *p, const sm_http_req_t *req,
                            sm_http_resp_t **resp, const char **err);
    void *baton;
} sm_http_t;

/* The libcurl adapter (sm_http_curl.c). ca_file may be NULL (system default). */
apr_status_t sm_http_curl_global_init(void);
sm_http_t *sm_http_curl_create(apr_pool_t *p, const char *ca_file, bool verify_tls);

#endif
