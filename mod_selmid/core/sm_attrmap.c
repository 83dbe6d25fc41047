/* sm_attrmap.c: a session's outputs for an application (selmid and shibboleth modes), REMOTE_USER,
 * the Shib-* variables, and the matching scrub rule. */
#include "sm_attrmap.h"
#include "sm_attrs.h"
#include "sm_crypto.h"
#include <string.h>

const char *sm_shib_default_ids[SM_SHIB_DEFAULT_IDS] = {
    "eppn",
    "affiliation",
    "unscoped-affiliation",
    "entitlement",
    "persistent-id",
    "subject-id",
    "pairwise-id",
    "mail",
    "displayName",
    "givenName",
    "sn",
    "uid",
};

/* The built-in map of shibboleth mode: the default ids as themselves, and the OIDC standard
 * claims that mean the same thing. Of several entries of one name the first present wins. */
static const sm_attr_map_t builtin[] = {
    {"eppn", "eppn"},
    {"affiliation", "affiliation"},
    {"unscoped-affiliation", "unscoped-affiliation"},
    {"entitlement", "entitlement"},
    {"persistent-id", "persistent-id"},
    {"subject-id", "subject-id"},
    {"pairwise-id", "pairwise-id"},
    {"mail", "mail"},
    {"email", "mail"},
    {"displayName", "displayName"},
    {"name", "displayName"},
    {"givenName", "givenName"},
    {"given_name", "givenName"},
    {"sn", "sn"},
    {"family_name", "sn"},
    {"uid", "uid"},
};
#define N_BUILTIN ((int)(sizeof(builtin) / sizeof(builtin[0])))

/* Names mod_selmid always sets itself (never a SelmidAttribute NAME). */
static const char *const fixed_names[] = {"REMOTE_USER", "AUTH_TYPE", "SELMID_PROVIDER",
                                          "SELMID_PROVIDER_TYPE", "SELMID_ORG_PROVIDER"};
#define N_FIXED              ((int)(sizeof(fixed_names) / sizeof(fixed_names[0])))
#define SHIB_PREFIX          "Shib-"
#define SM_MAX_EPOCH_SECONDS 253402300799LL /* 9999-12-31T23:59:59Z */

const json_t *sm_attrmap_lookup(const json_t *claims, const char *path)
{
    const json_t *v = NULL;
    const char *seg, *dot;

    if (!json_is_object(claims) || !path || !*path)
        goto leave;
    if ((v = json_object_get(claims, path)) || !strchr(path, '.'))
        goto leave;
    v = claims;
    for (seg = path; v && seg; seg = dot ? dot + 1 : NULL) {
        dot = strchr(seg, '.');
        if (!json_is_object(v) || (dot && dot == seg)) {
            v = NULL;
            break;
        }
        v = dot ? json_object_getn(v, seg, (size_t)(dot - seg)) : json_object_get(v, seg);
    }
leave:
    return v;
}

/* A value counts as present unless it is null or an empty array. */
static bool present(const json_t *v)
{
    return v && !json_is_null(v) && !(json_is_array(v) && json_array_size(v) == 0);
}

static void put(apr_array_header_t *outs, const char *name, const char *value, const json_t *src)
{
    sm_attr_out_t *o = apr_array_push(outs);

    o->name = name;
    o->value = value;
    o->src = src;
}

/* A plain string rendered like a claim (control characters removed, encoding applied). */
static const char *render_str(apr_pool_t *p, const char *s, sm_enc_e enc)
{
    json_t *j = json_stringn_nocheck(s ? s : "", s ? strlen(s) : 0);
    const char *out = sm_attr_render(p, j, enc);

    json_decref(j);
    return out;
}

/* Whether the claims' email address was verified by the provider: email_verified true (JSON
 * true, or the string "true" as Apple sends it). Without email_verified only LINE and Facebook
 * count as verified: they return only addresses they have confirmed. An unverified address must
 * not become mail or eppn: anyone can register an account with someone else's address. */
bool sm_attrmap_email_verified(const json_t *claims, const char *provider_type)
{
    const json_t *v = json_object_get(claims, "email_verified");

    if (v)
        return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "true") == 0);
    return provider_type &&
           (strcmp(provider_type, "line") == 0 || strcmp(provider_type, "facebook") == 0);
}

/* The value of a mapped claim, or NULL when absent (or an unverified email). */
static const json_t *mapped_value(const sm_attrmap_input_t *in, const char *claim)
{
    const json_t *v = sm_attrmap_lookup(in->claims, claim);

    if (!present(v))
        return NULL;
    if (strcmp(claim, "email") == 0 &&
        !sm_attrmap_email_verified(in->claims,
                                   in->claims_type ? in->claims_type : in->provider_type))
        return NULL;
    return v;
}

/* Whether maps[0..i) has an entry of the same name. */
static bool seen_before(const sm_attr_map_t *maps, int i)
{
    int k;

    for (k = 0; k < i; k++)
        if (strcmp(maps[k].name, maps[i].name) == 0)
            return true;
    return false;
}

static bool configured_name(const sm_dir_cfg_t *d, const char *name)
{
    int i;

    for (i = 0; d->attr_map && i < d->attr_map->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(d->attr_map, i, sm_attr_map_t).name, name) == 0)
            return true;
    return false;
}

/* One output per distinct name of maps[0..n): its first present source. With skip_configured,
 * names that a SelmidAttribute line of d gives are left out (those lines win). */
static void add_mapped(apr_pool_t *p, const sm_dir_cfg_t *d, const sm_attrmap_input_t *in,
                       const sm_attr_map_t *maps, int n, bool skip_configured,
                       apr_array_header_t *outs)
{
    sm_enc_e enc = sm_cfg_encoding(d);
    bool shib = sm_cfg_attr_mode(d) == SM_ATTR_MODE_SHIBBOLETH;
    int i, k;

    for (i = 0; i < n; i++) {
        const json_t *v = NULL;
        if (seen_before(maps, i) || (skip_configured && configured_name(d, maps[i].name)))
            continue;
        for (k = i; k < n && !v; k++)
            if (strcmp(maps[k].name, maps[i].name) == 0)
                v = mapped_value(in, maps[k].claim);
        if (v)
            put(outs, maps[i].name,
                shib ? sm_attr_render_shib(p, v, enc) : sm_attr_render(p, v, enc), v);
    }
}

/* REMOTE_USER's text for a value: the first element of an array, else the value. */
static const char *user_text(apr_pool_t *p, const json_t *v)
{
    if (json_is_array(v))
        v = json_array_get(v, 0);
    return present(v) ? sm_attr_render(p, v, SM_ENC_UTF8) : "";
}

char *sm_attrmap_shib_session_id(apr_pool_t *p, const unsigned char *key, const char *session_id)
{
    unsigned char mac[SM_SHA256_LEN];
    const char *msg = apr_pstrcat(p, "shib-session-id", session_id ? session_id : "", NULL);

    sm_hmac_sha256(key, SM_KEY_LEN, msg, strlen(msg), mac);
    return apr_pstrcat(p, "_", sm_hex_encode(p, mac, 16), NULL);
}

char *sm_attrmap_iso8601(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t x;

    if (t < 0)
        t = 0;
    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", x.tm_year + 1900, x.tm_mon + 1,
                        x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec, x.tm_usec / 1000);
}

static void add_shib_session(apr_pool_t *p, const sm_dir_cfg_t *d, const sm_attrmap_input_t *in,
                             apr_array_header_t *outs)
{
    sm_enc_e enc = sm_cfg_encoding(d);
    const json_t *at = json_object_get(in->claims, "auth_time");
    const json_t *acr = json_object_get(in->claims, "acr");
    apr_time_t instant = in->login_time;
    const char *cls = SM_SHIB_ACR_UNSPECIFIED;

    /* year 9999 at most: a provider's nonsense must not overflow the microsecond clock */
    if (json_is_integer(at) && json_integer_value(at) > 0 &&
        json_integer_value(at) <= SM_MAX_EPOCH_SECONDS)
        instant = apr_time_from_sec((apr_time_t)json_integer_value(at));
    if (json_is_string(acr) && json_string_length(acr) > 0)
        cls = render_str(p, json_string_value(acr), enc);
    if (in->index_key && in->session_id)
        put(outs, "Shib-Session-ID", sm_attrmap_shib_session_id(p, in->index_key, in->session_id),
            NULL);
    put(outs, "Shib-Identity-Provider", render_str(p, in->issuer, enc), NULL);
    put(outs, "Shib-Authentication-Instant", sm_attrmap_iso8601(p, instant), NULL);
    put(outs, "Shib-AuthnContext-Class", cls, NULL);
    put(outs, "Shib-Authentication-Method", cls, NULL);
    put(outs, "Shib-Application-ID", "default", NULL);
}

void sm_attrmap_compute(apr_pool_t *p, const sm_dir_cfg_t *d, const sm_attrmap_input_t *in,
                        sm_attrmap_result_t *out)
{
    bool shib = sm_cfg_attr_mode(d) == SM_ATTR_MODE_SHIBBOLETH;
    const apr_array_header_t *ru = sm_cfg_remote_user(d);
    const sm_attr_map_t *lines = d->attr_map ? (const sm_attr_map_t *)d->attr_map->elts : NULL;
    int nlines = d->attr_map ? d->attr_map->nelts : 0, i, k;
    apr_array_header_t *outs = apr_array_make(p, 24, sizeof(sm_attr_out_t));

    out->outputs = outs;
    out->remote_user = NULL;
    if (!shib) {
        const char *prefix = sm_cfg_prefix(d), *key;
        sm_enc_e enc = sm_cfg_encoding(d);
        json_t *v;
        json_object_foreach(in->claims, key, v)
        {
            put(outs, sm_attr_name(p, prefix, key), sm_attr_render(p, v, enc), v);
        }
    }
    add_mapped(p, d, in, lines, nlines, false, outs);
    if (shib) {
        add_mapped(p, d, in, builtin, N_BUILTIN, true, outs);
        add_shib_session(p, d, in, outs);
    }
    put(outs, "SELMID_PROVIDER", render_str(p, in->provider, SM_ENC_UTF8), NULL);
    put(outs, "SELMID_PROVIDER_TYPE", render_str(p, in->provider_type, SM_ENC_UTF8), NULL);
    if (in->org_provider)
        put(outs, "SELMID_ORG_PROVIDER", render_str(p, in->org_provider, SM_ENC_UTF8), NULL);

    for (i = 0; i < ru->nelts && !out->remote_user; i++) {
        const char *cand = APR_ARRAY_IDX(ru, i, const char *), *text = "";
        if (!shib) {
            text = user_text(p, sm_attrmap_lookup(in->claims, cand));
        } else {
            for (k = 0; k < outs->nelts; k++) {
                const sm_attr_out_t *o = &APR_ARRAY_IDX(outs, k, sm_attr_out_t);
                if (o->src && strcmp(o->name, cand) == 0)
                    text = user_text(p, o->src);
            }
        }
        if (*text)
            out->remote_user = text;
    }
}

/* Whether one form of an incoming name collides with this location's outputs. */
static bool collides(const sm_dir_cfg_t *d, const char *name)
{
    int i;

    if (sm_attr_norm_match(name, SHIB_PREFIX, false))
        return true;
    for (i = 0; i < N_FIXED; i++)
        if (sm_attr_norm_match(name, fixed_names[i], true))
            return true;
    for (i = 0; d->attr_map && i < d->attr_map->nelts; i++)
        if (sm_attr_norm_match(name, APR_ARRAY_IDX(d->attr_map, i, sm_attr_map_t).name, true))
            return true;
    if (sm_cfg_attr_mode(d) == SM_ATTR_MODE_SHIBBOLETH)
        for (i = 0; i < N_BUILTIN; i++)
            if ((i == 0 || strcmp(builtin[i].name, builtin[i - 1].name) != 0) &&
                sm_attr_norm_match(name, builtin[i].name, true))
                return true;
    return false;
}

bool sm_attrmap_scrub(const sm_dir_cfg_t *d, const char *cgi_prefix, const char *name)
{
    if (!name || !*name)
        return false;
    if (sm_attr_is_reserved(name, cgi_prefix) || collides(d, name))
        return true;
    return sm_attr_norm_match(name, "HTTP_", false) && collides(d, name + 5);
}

const char *sm_attrmap_check_name(const char *name)
{
    int i;

    if (sm_attr_norm_match(name, SHIB_PREFIX, false))
        return "starts with Shib-, which mod_selmid sets itself in shibboleth mode";
    for (i = 0; i < N_FIXED; i++)
        if (sm_attr_norm_match(name, fixed_names[i], true))
            return "is a name that mod_selmid sets itself";
    return NULL;
}
