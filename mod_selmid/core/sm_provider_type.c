/* sm_provider_type.c: the built-in profiles of each provider type. Endpoints and issuers are the
 * providers' documented production values (see docs/providers.md); every endpoint can be
 * overridden per provider with SelmidEndpoint. */
#include "sm_provider_type.h"
#include "sm_config.h"
#include "sm_jwt.h"
#include <string.h>

static const sm_provider_profile_t profiles[] = {
    {
        .type = SM_PT_OIDC,
        .name = "oidc",
        .discovery = true,
        .scope = "openid",
        .algs = SM_ALG_DEFAULT,
        .token_auth = SM_TOKEN_AUTH_BASIC,
        .userinfo = true,
        .pkce = true,
    },
    {
        .type = SM_PT_LINE,
        .name = "line",
        .issuer = "https://access.line.me",
        .endpoints =
            {
                [SM_EP_AUTHORIZATION] = "https://access.line.me/oauth2/v2.1/authorize",
                [SM_EP_TOKEN] = "https://api.line.me/oauth2/v2.1/token",
                [SM_EP_USERINFO] = "https://api.line.me/oauth2/v2.1/userinfo",
                [SM_EP_JWKS] = "https://api.line.me/oauth2/v2.1/certs",
            },
        .scope = "openid profile",
        /* web login ID tokens are HS256 keyed with the channel secret; ES256 via the JWKS */
        .algs = SM_ALG_HS256 | SM_ALG_ES256,
        .token_auth = SM_TOKEN_AUTH_POST,
        .userinfo = false, /* the ID token carries name and picture */
        .pkce = true,
        .label_en = "Log in with LINE",
        .label_ja = "LINEでログイン",
    },
    {
        .type = SM_PT_FACEBOOK,
        .name = "facebook",
        .issuer = "https://www.facebook.com",
        .endpoints =
            {
                /* bases: "/<SelmidGraphVersion>/dialog/oauth", "/<version>/oauth/access_token"
                 * and "/<version>/me" are appended */
                [SM_EP_AUTHORIZATION] = "https://www.facebook.com",
                [SM_EP_GRAPH] = "https://graph.facebook.com",
            },
        .scope = "public_profile email",
        .token_auth = SM_TOKEN_AUTH_POST,
        .userinfo = true, /* Graph API /me */
        .pkce = true,
        .label_en = "Log in with Facebook",
        .label_ja = "Facebookでログイン",
    },
    {
        .type = SM_PT_GOOGLE,
        .name = "google",
        .issuer = "https://accounts.google.com",
        .issuer_alt = "accounts.google.com",
        .endpoints =
            {
                [SM_EP_AUTHORIZATION] = "https://accounts.google.com/o/oauth2/v2/auth",
                [SM_EP_TOKEN] = "https://oauth2.googleapis.com/token",
                [SM_EP_USERINFO] = "https://openidconnect.googleapis.com/v1/userinfo",
                [SM_EP_JWKS] = "https://www.googleapis.com/oauth2/v3/certs",
            },
        .scope = "openid email profile",
        .algs = SM_ALG_RS256,
        .token_auth = SM_TOKEN_AUTH_BASIC,
        .userinfo = false, /* the ID token carries email, hd, name */
        .pkce = true,
        .label_en = "Sign in with Google",
        .label_ja = "Googleでログイン",
    },
    {
        .type = SM_PT_YAHOOJP,
        .name = "yahoojp",
        .issuer = "https://auth.login.yahoo.co.jp/yconnect/v2",
        .endpoints =
            {
                [SM_EP_AUTHORIZATION] = "https://auth.login.yahoo.co.jp/yconnect/v2/authorization",
                [SM_EP_TOKEN] = "https://auth.login.yahoo.co.jp/yconnect/v2/token",
                [SM_EP_USERINFO] = "https://userinfo.yahooapis.jp/yconnect/v2/attribute",
                [SM_EP_JWKS] = "https://auth.login.yahoo.co.jp/yconnect/v2/jwks",
            },
        .scope = "openid profile email",
        .algs = SM_ALG_RS256,
        .token_auth = SM_TOKEN_AUTH_BASIC,
        .userinfo = true,
        .pkce = true,
        .label_en = "Log in with Yahoo! JAPAN ID",
        .label_ja = "Yahoo! JAPAN IDでログイン",
    },
    {
        .type = SM_PT_APPLE,
        .name = "apple",
        .issuer = "https://appleid.apple.com",
        .endpoints =
            {
                [SM_EP_AUTHORIZATION] = "https://appleid.apple.com/auth/authorize",
                [SM_EP_TOKEN] = "https://appleid.apple.com/auth/token",
                [SM_EP_JWKS] = "https://appleid.apple.com/auth/keys",
            },
        .scope = "openid name email",
        .algs = SM_ALG_RS256,
        .token_auth = SM_TOKEN_AUTH_POST,
        .form_post = true,
        .userinfo = false,
        .pkce = true,
        .label_en = "Sign in with Apple",
        .label_ja = "Appleでサインイン",
    },
    {
        .type = SM_PT_SHIBBOLETH,
        .name = "shibboleth",
    },
};

static const char *const endpoint_names[SM_EP_COUNT] = {
    [SM_EP_DISCOVERY] = "discovery", [SM_EP_AUTHORIZATION] = "authorization",
    [SM_EP_TOKEN] = "token",         [SM_EP_USERINFO] = "userinfo",
    [SM_EP_JWKS] = "jwks",           [SM_EP_GRAPH] = "graph",
};

const sm_provider_profile_t *sm_provider_profile(int type)
{
    size_t i;

    for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
        if (profiles[i].type == type)
            return &profiles[i];
    return &profiles[0];
}

int sm_provider_type_parse(const char *name)
{
    size_t i;

    for (i = 0; name && i < sizeof(profiles) / sizeof(profiles[0]); i++)
        if (strcmp(profiles[i].name, name) == 0)
            return profiles[i].type;
    return 0;
}

const char *sm_provider_type_name(int type)
{
    return sm_provider_profile(type)->name;
}

int sm_endpoint_parse(const char *name)
{
    int i;

    for (i = 0; name && i < SM_EP_COUNT; i++)
        if (strcmp(endpoint_names[i], name) == 0)
            return i;
    return -1;
}

const char *sm_endpoint_name(int kind)
{
    return kind >= 0 && kind < SM_EP_COUNT ? endpoint_names[kind] : "?";
}
