/* pages.c: the small pages mod_selmid shows itself (errors, logged out; the chooser is in
 * chooser.c). No external resources, no scripts; every dynamic text is HTML-escaped. */
#include "glue.h"
#include "sm_url.h"

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>%s</title><style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em "
    "auto;padding:0 1em;color:#1a1a1a;line-height:1.5}h1{font-size:1.4em}a:focus{outline:3px solid "
    "#1a5fb4}"
    "</style>"
    "</head><body><main>\n";
static const char page_tail[] = "</main></body></html>\n";

bool sm_is_https(request_rec *r)
{
    return strcmp(ap_http_scheme(r), "https") == 0;
}

int sm_redirect(request_rec *r, const char *location)
{
    sm_no_cache(r);
    apr_table_setn(r->err_headers_out, "Location", location);
    return HTTP_MOVED_TEMPORARILY;
}

void sm_no_cache(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->err_headers_out, "Pragma", "no-cache");
}

void sm_page_headers(request_rec *r)
{
    sm_no_cache(r);
    apr_table_setn(r->err_headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                   "form-action 'self'");
    apr_table_setn(r->err_headers_out, "X-Frame-Options", "DENY");
    apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
}

/* The page as a string, with the headers every page of ours carries. */
static char *render_page(request_rec *r, const char *title, const char *body_html)
{
    sm_page_headers(r);
    return apr_pstrcat(r->pool, apr_psprintf(r->pool, page_head, sm_html_escape(r->pool, title)),
                       body_html, page_tail, NULL);
}

static int send_page(request_rec *r, int status, const char *title, const char *body_html)
{
    const char *page = render_page(r, title, body_html);

    r->status = status;
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rputs(page, r);
    return DONE;
}

static const char *error_body(request_rec *r, const char *title, const char *message)
{
    return apr_psprintf(r->pool, "<h1>%s</h1>\n<p>%s</p>\n<p>%s</p>\n",
                        sm_html_escape(r->pool, title), sm_html_escape(r->pool, message),
                        "<a href=\"/\">Home</a>");
}

int sm_page_error(request_rec *r, int status, const char *title, const char *message)
{
    return send_page(r, status, title, error_body(r, title, message));
}

int sm_page_store_down(request_rec *r)
{
    return sm_page_error(r, HTTP_SERVICE_UNAVAILABLE, "Service unavailable",
                         "The login service is temporarily unavailable. Please try again later.");
}

char *sm_page_error_html(request_rec *r, const char *title, const char *message)
{
    return render_page(r, title, error_body(r, title, message));
}

int sm_page_logged_out(request_rec *r)
{
    return send_page(r, HTTP_OK, "Logged out",
                     "<h1>Logged out</h1>\n<p>You have been logged out of this site.</p>\n");
}
