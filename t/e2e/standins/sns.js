'use strict';
/*
 * Local stand-ins for the SNS login providers mod_selmid supports: LINE Login v2.1, Facebook Login
 * (manual flow + Graph API /me), Google OpenID Connect, Yahoo! JAPAN YConnect v2 and Sign in with
 * Apple. One HTTP server on a loopback port, each provider under a path prefix:
 *
 *   /line/oauth2/v2.1/{authorize,token,certs,userinfo}
 *   /facebook/<ver>/dialog/oauth          (www.facebook.com)
 *   /graph/<ver>/oauth/access_token, /graph/<ver>/me   (graph.facebook.com)
 *   /google/o/oauth2/v2/auth, /google/token, /google/oauth2/v3/certs, /google/v1/userinfo
 *   /yahoojp/yconnect/v2/{authorization,token,jwks,attribute}
 *   /apple/auth/{authorize,token,keys}
 *
 * Usage: node sns.js CONFIG.json [--port N]   (port 0 or absent: any free port)
 * Prints "ready <port>" once listening. POST /_control (JSON) sets the current user and scenarios
 * per provider; GET /_log returns what the endpoints received (parameter names, never values of
 * secrets, codes or tokens). Node 18 builtins only.
 */
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const { URL, URLSearchParams } = require('url');

const PROVIDERS = ['line', 'facebook', 'google', 'yahoojp', 'apple'];
const ISSUERS = {
  line: 'https://access.line.me',
  google: 'https://accounts.google.com',
  yahoojp: 'https://auth.login.yahoo.co.jp/yconnect/v2',
  apple: 'https://appleid.apple.com',
};
// parameter values that are safe to record in the log (never secrets, codes, tokens, verifiers)
const SAFE_VALUES = new Set(['response_type', 'response_mode', 'scope', 'bot_prompt', 'code_challenge_method',
  'prompt', 'fields', 'hd', 'grant_type', 'redirect_uri', 'client_id', 'ui_locales', 'display', 'max_age',
  'access_type', 'auth_type', 'login_hint']);

// ---------------------------------------------------------------------------------------------
// configuration and state
const args = process.argv.slice(2);
if (!args[0]) {
  process.stderr.write('usage: node sns.js CONFIG.json [--port N]\n');
  process.exit(2);
}
const config = JSON.parse(fs.readFileSync(args[0], 'utf8'));
const portArg = args.indexOf('--port') >= 0 ? Number(args[args.indexOf('--port') + 1]) : 0;

function b64u(buf) {
  return Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}
function b64uDecode(s) {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
function randomToken(n) {
  return b64u(crypto.randomBytes(n || 32));
}
function sha256(s) {
  return crypto.createHash('sha256').update(s).digest();
}
function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// signing keys: RS256 for google/yahoojp/apple, ES256 for LINE's JWKS; a second "rogue" key per
// provider that is never published (scenario wrong_key)
function rsaKey(kidPrefix) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: kidPrefix + '-' + randomToken(6), alg: 'RS256', privateKey, publicKey };
}
function ecKey(kidPrefix) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: kidPrefix + '-' + randomToken(6), alg: 'ES256', privateKey, publicKey };
}
const KEYS = {
  line: ecKey('line'), google: rsaKey('google'), yahoojp: rsaKey('yahoojp'), apple: rsaKey('apple'),
};
const ROGUE = {
  line: ecKey('line'), google: rsaKey('google'), yahoojp: rsaKey('yahoojp'), apple: rsaKey('apple'),
};
function jwk(k) {
  const j = k.publicKey.export({ format: 'jwk' });
  return Object.assign({ kid: k.kid, use: 'sig', alg: k.alg }, j);
}

// Apple: the public key of the configured .p8 verifies client secrets
let applePublicKey = null;
if (config.apple && config.apple.key_file) {
  applePublicKey = crypto.createPublicKey(fs.readFileSync(config.apple.key_file, 'utf8'));
}

function freshState() {
  const s = { current: {}, scenario: {} };
  for (const p of PROVIDERS) {
    const users = (config[p] && config[p].users) || [];
    s.current[p] = users.length ? users[0].id : null;
    s.scenario[p] = {};
  }
  return s;
}
let state = freshState();
const codes = new Map(); // code -> grant
const tokens = new Map(); // access token -> {provider, client_id, user, scope}
const appleSeen = new Set(); // apple users who have logged in before (the `user` field only once)
let log = [];
const LOG_MAX = 500;

function provConf(p) {
  return config[p] || { clients: [], users: [] };
}
function findClient(p, id) {
  return (provConf(p).clients || []).find((c) => c.id === id) || null;
}
function findUser(p, id) {
  return (provConf(p).users || []).find((u) => u.id === id) || null;
}
function scen(p) {
  return state.scenario[p] || {};
}

// ---------------------------------------------------------------------------------------------
// JWT
function signJwt(header, payload, key, hsSecret) {
  const input = b64u(JSON.stringify(header)) + '.' + b64u(JSON.stringify(payload));
  let sig;
  if (header.alg === 'HS256') sig = crypto.createHmac('sha256', Buffer.from(hsSecret, 'utf8')).update(input).digest();
  else if (header.alg === 'ES256') sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  else sig = crypto.sign('sha256', Buffer.from(input), key);
  return input + '.' + b64u(sig);
}

// half of the hash of a token, as at_hash (OIDC Core 3.1.3.6)
function halfHash(tok) {
  return b64u(sha256(tok).subarray(0, 16));
}

function idToken(p, grant, accessToken) {
  const sc = scen(p);
  const now = Math.floor(Date.now() / 1000);
  const user = findUser(p, grant.user);
  let iss = ISSUERS[p];
  if (sc.iss !== undefined) iss = sc.iss;
  const claims = {
    iss,
    sub: user.sub || user.id,
    aud: sc.aud !== undefined ? sc.aud : (p === 'yahoojp' ? [grant.client_id] : grant.client_id),
    exp: now + (sc.exp_offset !== undefined ? sc.exp_offset : 3600),
    iat: now + (sc.iat_offset || 0),
  };
  if (grant.nonce !== undefined && !sc.omit_nonce) claims.nonce = sc.wrong_nonce ? 'n-' + randomToken(8) : grant.nonce;
  const scopes = grant.scope.split(' ');
  if (p === 'line') {
    claims.amr = ['linesso'];
    if (scopes.includes('profile')) {
      if (user.name) claims.name = user.name;
      if (user.picture) claims.picture = user.picture;
    }
    if (scopes.includes('email') && user.email) claims.email = user.email;
  } else if (p === 'google') {
    claims.azp = grant.client_id;
    claims.at_hash = halfHash(accessToken);
    if (scopes.includes('email') && user.email) {
      claims.email = user.email;
      claims.email_verified = user.email_verified !== false;
    }
    if (user.hd) claims.hd = user.hd;
    if (scopes.includes('profile')) {
      for (const k of ['name', 'given_name', 'family_name', 'picture', 'locale']) if (user[k]) claims[k] = user[k];
    }
  } else if (p === 'yahoojp') {
    claims.auth_time = grant.auth_time;
    claims.amr = ['pwd'];
    claims.at_hash = halfHash(accessToken);
  } else if (p === 'apple') {
    claims.auth_time = grant.auth_time;
    claims.at_hash = halfHash(accessToken);
    claims.nonce_supported = true;
    if (scopes.includes('email') && user.email) {
      claims.email = user.email;
      claims.email_verified = 'true';
      claims.is_private_email = user.is_private_email ? 'true' : 'false';
    }
    claims.real_user_status = 2;
  }
  if (sc.extra_claims) Object.assign(claims, sc.extra_claims);
  const alg = p === 'line' ? (sc.alg || 'HS256') : 'RS256';
  const header = { alg, typ: 'JWT' };
  // wrong_key: signed by a key that is not published, under the published kid
  const key = sc.wrong_key ? ROGUE[p] : KEYS[p];
  if (alg !== 'HS256') header.kid = sc.kid !== undefined ? sc.kid : KEYS[p].kid;
  let hsSecret = findClient(p, grant.client_id).secret;
  if (alg === 'HS256' && sc.wrong_key) hsSecret = 'not-the-channel-secret-' + randomToken(8);
  return signJwt(header, claims, key.privateKey, hsSecret);
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers
function send(res, status, body, headers) {
  const h = Object.assign({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }, headers || {});
  if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body)) {
    body = JSON.stringify(body);
    h['Content-Type'] = h['Content-Type'] || 'application/json;charset=UTF-8';
  }
  res.writeHead(status, h);
  res.end(body === undefined ? '' : body);
}
function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
function errorPage(res, title, text) {
  send(res, 400, `<!DOCTYPE html><html><head><title>${escapeHtml(title)}</title></head><body>` +
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>\n`,
  { 'Content-Type': 'text/html; charset=utf-8' });
}
function redirect(res, url) {
  send(res, 302, '', { Location: url });
}
function addQuery(uri, params) {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) u.searchParams.append(k, v);
  return u.toString();
}
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 1 << 20) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
function basicAuth(req) {
  const h = req.headers.authorization || '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h);
  if (!m) return null;
  const dec = Buffer.from(m[1], 'base64').toString('utf8');
  const i = dec.indexOf(':');
  if (i < 0) return null;
  // RFC 6749 2.3.1: both parts are form-urlencoded before base64
  try {
    return { id: decodeURIComponent(dec.slice(0, i).replace(/\+/g, ' ')),
      secret: decodeURIComponent(dec.slice(i + 1).replace(/\+/g, ' ')) };
  } catch (e) {
    return null;
  }
}
function bearer(req) {
  const m = /^(Bearer|OAuth)\s+(\S+)$/i.exec(req.headers.authorization || '');
  return m ? { scheme: m[1], token: m[2] } : null;
}

// ---------------------------------------------------------------------------------------------
// authorization endpoints (shared checks)
function checkPkce(q) {
  if (!q.has('code_challenge')) return q.has('code_challenge_method') ? 'code_challenge is missing' : null;
  const method = q.get('code_challenge_method') || 'plain';
  if (method !== 'S256') return 'code_challenge_method must be S256';
  if (!/^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge'))) return 'code_challenge is malformed';
  return null;
}

function authorize(p, req, res, q, entry, opts) {
  const client = findClient(p, q.get('client_id') || '');
  const redirectUri = q.get('redirect_uri') || '';
  if (!client) return errorPage(res, 'invalid_client', 'The client_id is not registered.');
  entry.client_ok = true;
  if (!client.redirect_uris.includes(redirectUri)) {
    return errorPage(res, 'redirect_uri_mismatch', 'The redirect_uri is not registered for this client.');
  }
  entry.redirect_ok = true;
  const st = q.get('state');
  const fail = (error, description, extra) => opts.respondError(client, redirectUri, st,
    Object.assign({ error, error_description: description }, extra || {}));
  if (opts.stateRequired && !st) return fail('invalid_request', 'state is required');
  if (q.get('response_type') !== 'code') {
    return fail('unsupported_response_type', 'response_type must be code');
  }
  const scopes = (q.get('scope') || '').split(opts.scopeSep || ' ').filter((s) => s);
  const bad = opts.checkScope ? opts.checkScope(scopes) : null;
  if (bad) return fail('invalid_scope', bad);
  if (opts.nonceRequired && !q.get('nonce')) return fail('invalid_request', 'nonce is required');
  const pk = checkPkce(q);
  if (pk) return fail('invalid_request', pk);
  if (opts.extraCheck) {
    const e = opts.extraCheck(q);
    if (e) return fail('invalid_request', e);
  }
  const sc = scen(p);
  if (sc.deny) return fail('access_denied', 'The resource owner denied the request.', opts.denyExtra);
  const userId = state.current[p];
  if (!userId || !findUser(p, userId)) return errorPage(res, 'no user', 'No current user is configured.');
  const code = randomToken(24);
  codes.set(code, {
    provider: p, client_id: client.id, redirect_uri: redirectUri, user: userId,
    scope: scopes.join(' '), nonce: q.has('nonce') ? q.get('nonce') : undefined,
    code_challenge: q.get('code_challenge') || null, expires: Date.now() + 10 * 60 * 1000,
    auth_time: Math.floor(Date.now() / 1000),
  });
  entry.issued_code = true;
  return opts.respondCode(client, redirectUri, st, code, userId);
}

function queryError(res, redirectUri, st, params) {
  return redirect(res, addQuery(redirectUri, Object.assign({}, params, { state: st })));
}

// ---------------------------------------------------------------------------------------------
// token endpoints (shared code redemption)
function redeem(p, form, clientId, entry) {
  // returns {grant} or {error, description}
  const code = form.get('code');
  if (form.has('grant_type') && form.get('grant_type') !== 'authorization_code') {
    return { error: 'unsupported_grant_type', description: 'grant_type must be authorization_code' };
  }
  if (!code) return { error: 'invalid_request', description: 'code is missing' };
  const grant = codes.get(code);
  if (!grant || grant.provider !== p) return { error: 'invalid_grant', description: 'invalid authorization code' };
  if (grant.used) {
    // a reused code: refused, and the tokens it gave are revoked (RFC 6749 4.1.2)
    for (const t of grant.tokens || []) tokens.delete(t);
    entry.code_reused = true;
    return { error: 'invalid_grant', description: 'authorization code already used' };
  }
  if (grant.expires < Date.now()) return { error: 'invalid_grant', description: 'authorization code expired' };
  if (grant.client_id !== clientId) return { error: 'invalid_grant', description: 'code was issued to another client' };
  if (grant.redirect_uri !== (form.get('redirect_uri') || '')) {
    return { error: 'invalid_grant', description: 'redirect_uri does not match' };
  }
  if (grant.code_challenge) {
    const v = form.get('code_verifier');
    if (!v) return { error: 'invalid_grant', description: 'code_verifier is required' };
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(v) || !safeEqual(b64u(sha256(v)), grant.code_challenge)) {
      return { error: 'invalid_grant', description: 'code_verifier does not match' };
    }
  } else if (form.has('code_verifier')) {
    return { error: 'invalid_grant', description: 'code_verifier sent without a code_challenge' };
  }
  grant.used = true;
  return { grant };
}

function issueAccess(p, grant) {
  const at = randomToken(32);
  tokens.set(at, { provider: p, client_id: grant.client_id, user: grant.user, scope: grant.scope,
    expires: Date.now() + 3600 * 1000 });
  grant.tokens = (grant.tokens || []).concat([at]);
  return at;
}

function tokenFailure(p, res, sc) {
  if (sc.token_status) {
    send(res, sc.token_status, { error: 'server_error', error_description: 'scenario token_status' });
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Apple client secret: an ES256 JWT signed with the .p8 key
function verifyAppleClientSecret(jwt, clientId) {
  const a = config.apple || {};
  const parts = String(jwt || '').split('.');
  if (parts.length !== 3) return 'client_secret is not a JWT';
  let header;
  let payload;
  try {
    header = JSON.parse(b64uDecode(parts[0]).toString('utf8'));
    payload = JSON.parse(b64uDecode(parts[1]).toString('utf8'));
  } catch (e) {
    return 'client_secret is not a JWT';
  }
  if (header.alg !== 'ES256') return 'alg must be ES256';
  if (header.kid !== a.key_id) return 'unknown kid';
  const sig = b64uDecode(parts[2]);
  if (sig.length !== 64) return 'bad signature encoding';
  const ok = applePublicKey && crypto.verify('sha256', Buffer.from(parts[0] + '.' + parts[1]),
    { key: applePublicKey, dsaEncoding: 'ieee-p1363' }, sig);
  if (!ok) return 'bad signature';
  const now = Math.floor(Date.now() / 1000);
  if (payload.iss !== a.team_id) return 'iss is not the team id';
  if (payload.sub !== clientId) return 'sub is not the client id';
  if (payload.aud !== 'https://appleid.apple.com') return 'aud must be https://appleid.apple.com';
  if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number') return 'iat and exp are required';
  if (payload.iat > now + 60) return 'iat is in the future';
  if (payload.exp <= now) return 'client secret expired';
  if (payload.exp - payload.iat > 15777000) return 'exp is more than 15777000 seconds after iat';
  return null;
}

// ---------------------------------------------------------------------------------------------
// routes
function record(entry) {
  log.push(entry);
  if (log.length > LOG_MAX) log = log.slice(-LOG_MAX);
}

function paramsOf(sp) {
  const names = [];
  const values = {};
  for (const [k, v] of sp) {
    names.push(k);
    if (SAFE_VALUES.has(k)) values[k] = v;
  }
  return { names, values };
}

async function handle(req, res) {
  const u = new URL(req.url, 'http://127.0.0.1');
  const path = u.pathname;
  const ctype = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  const raw = req.method === 'POST' ? await readBody(req) : '';

  if (path === '/_control' && req.method === 'POST') return control(res, raw);
  if (path === '/_log' && req.method === 'GET') return send(res, 200, { entries: log });

  const form = ctype === 'application/x-www-form-urlencoded' ? new URLSearchParams(raw) : new URLSearchParams();
  const q = u.searchParams;
  const entry = { time: Date.now(), method: req.method, path, provider: path.split('/')[1] || '',
    query: paramsOf(q).names, query_values: paramsOf(q).values,
    form: paramsOf(form).names, form_values: paramsOf(form).values, content_type: ctype || null };
  record(entry);
  const out = route(req, res, u, q, form, entry);
  return out;
}

function route(req, res, u, q, form, entry) {
  const path = u.pathname;
  let m;
  // ---------------- LINE
  if (path === '/line/oauth2/v2.1/authorize' && req.method === 'GET') {
    entry.endpoint = 'authorize';
    return authorize('line', req, res, q, entry, {
      stateRequired: true,
      checkScope: (s) => (s.length === 0 ? 'scope is required' :
        s.find((x) => !['openid', 'profile', 'email'].includes(x)) ? 'unknown scope' :
          s.includes('email') && !s.includes('openid') ? 'email requires openid' : null),
      extraCheck: (qq) => (qq.has('bot_prompt') && !['normal', 'aggressive'].includes(qq.get('bot_prompt')) ?
        'bot_prompt must be normal or aggressive' : null),
      respondError: (c, ru, st, params) => queryError(res, ru, st, params),
      respondCode: (c, ru, st, code) => {
        const params = { code, state: st };
        if (q.has('bot_prompt')) params.friendship_status_changed = scen('line').friendship_status_changed ? 'true' : 'false';
        return redirect(res, addQuery(ru, params));
      },
    });
  }
  if (path === '/line/oauth2/v2.1/token' && req.method === 'POST') {
    entry.endpoint = 'token';
    entry.auth = form.has('client_secret') ? 'client_secret_post' : (req.headers.authorization ? 'header' : 'none');
    if (tokenFailure('line', res, scen('line'))) return;
    const client = findClient('line', form.get('client_id') || '');
    if (!client || !form.has('client_secret') || !safeEqual(form.get('client_secret'), client.secret)) {
      entry.auth_ok = false;
      return send(res, 400, { error: 'invalid_client', error_description: 'invalid client_id or client_secret' });
    }
    entry.auth_ok = true;
    const r = redeem('line', form, client.id, entry);
    if (r.error) return send(res, 400, { error: r.error, error_description: r.description });
    const at = issueAccess('line', r.grant);
    const body = { access_token: at, token_type: 'Bearer', expires_in: 2592000, refresh_token: randomToken(20),
      scope: r.grant.scope };
    if (r.grant.scope.split(' ').includes('openid')) body.id_token = idToken('line', r.grant, at);
    return send(res, 200, body);
  }
  if (path === '/line/oauth2/v2.1/certs' && req.method === 'GET') {
    entry.endpoint = 'jwks';
    return send(res, 200, { keys: [jwk(KEYS.line)] }, { 'Cache-Control': 'max-age=300' });
  }
  if (path === '/line/oauth2/v2.1/userinfo' && (req.method === 'GET' || req.method === 'POST')) {
    entry.endpoint = 'userinfo';
    return userinfo('line', req, res, entry, (user, t) => {
      const out = { sub: user.sub || user.id };
      if (t.scope.split(' ').includes('profile')) {
        if (user.name) out.name = user.name;
        if (user.picture) out.picture = user.picture;
      }
      return out;
    });
  }
  // ---------------- Facebook (www.facebook.com)
  if ((m = /^\/facebook\/(v\d+\.\d+)\/dialog\/oauth$/.exec(path)) && req.method === 'GET') {
    entry.endpoint = 'authorize';
    entry.graph_version = m[1];
    if (!q.has('response_type')) q.set('response_type', 'code'); // Facebook's default
    return authorize('facebook', req, res, q, entry, {
      stateRequired: false,
      scopeSep: /[ ,]+/,
      checkScope: (s) => (s.find((x) => !['public_profile', 'email', 'openid'].includes(x)) ? 'Invalid Scopes' : null),
      denyExtra: { error_reason: 'user_denied', error_description: 'Permissions error' },
      respondError: (c, ru, st, params) => redirect(res, addQuery(ru, Object.assign({}, params, { state: st })) + '#_=_'),
      respondCode: (c, ru, st, code) => redirect(res, addQuery(ru, { code, state: st }) + '#_=_'),
    });
  }
  // ---------------- Facebook (graph.facebook.com)
  if ((m = /^\/graph\/(v\d+\.\d+)\/oauth\/access_token$/.exec(path)) && (req.method === 'GET' || req.method === 'POST')) {
    entry.endpoint = 'token';
    entry.graph_version = m[1];
    const params = req.method === 'GET' ? q : form;
    entry.auth = params.has('client_secret') ? (req.method === 'GET' ? 'query' : 'client_secret_post') : 'none';
    if (tokenFailure('facebook', res, scen('facebook'))) return;
    const client = findClient('facebook', params.get('client_id') || '');
    const fbErr = (status, message, code, type, sub) => send(res, status, { error: Object.assign(
      { message, type: type || 'OAuthException', code }, sub ? { error_subcode: sub } : {},
      { fbtrace_id: randomToken(8) }) });
    if (!client) return fbErr(400, 'Error validating application. Invalid application ID.', 101);
    if (!params.has('client_secret') || !safeEqual(params.get('client_secret'), client.secret)) {
      entry.auth_ok = false;
      return fbErr(400, 'Error validating client secret.', 1);
    }
    entry.auth_ok = true;
    const r = redeem('facebook', params, client.id, entry);
    if (r.error) {
      if (r.description.includes('already used')) return fbErr(400, 'This authorization code has been used.', 100, null, 36009);
      if (r.description.includes('redirect_uri')) {
        return fbErr(400, 'Error validating verification code. Please make sure your redirect_uri is identical ' +
          'to the one you used in the OAuth dialog request', 100, null, 36008);
      }
      if (r.description.includes('verifier')) return fbErr(400, 'Invalid code verifier.', 100);
      return fbErr(400, 'Invalid verification code format.', 100);
    }
    const at = issueAccess('facebook', r.grant);
    return send(res, 200, { access_token: at, token_type: 'bearer', expires_in: 5183944 });
  }
  if ((m = /^\/graph\/(v\d+\.\d+)\/me$/.exec(path)) && req.method === 'GET') {
    entry.endpoint = 'me';
    entry.graph_version = m[1];
    return graphMe(req, res, q, entry);
  }
  // ---------------- Google
  if (path === '/google/o/oauth2/v2/auth' && req.method === 'GET') {
    entry.endpoint = 'authorize';
    return authorize('google', req, res, q, entry, {
      stateRequired: false,
      checkScope: (s) => (s.length === 0 ? 'Missing required parameter: scope' :
        s.find((x) => !['openid', 'email', 'profile'].includes(x)) ? 'Some requested scopes were invalid' : null),
      respondError: (c, ru, st, params) => queryError(res, ru, st, { error: params.error }),
      respondCode: (c, ru, st, code) => {
        // Google echoes the granted scopes (email/profile as their userinfo URLs), authuser, hd
        // for a Workspace account, and prompt
        const user = findUser('google', state.current.google);
        const granted = (q.get('scope') || '').split(' ').filter((x) => x).map((x) => (x === 'openid' ? x :
          'https://www.googleapis.com/auth/userinfo.' + x));
        const p = { state: st, code, scope: granted.join(' '), authuser: '0' };
        if (user.hd) p.hd = user.hd;
        p.prompt = 'consent';
        return redirect(res, addQuery(ru, p));
      },
    });
  }
  if (path === '/google/token' && req.method === 'POST') {
    entry.endpoint = 'token';
    return tokenStd('google', req, res, form, entry, ['client_secret_basic', 'client_secret_post'], (grant, at) => ({
      access_token: at, expires_in: 3599, scope: grant.scope, token_type: 'Bearer',
      id_token: idToken('google', grant, at),
    }));
  }
  if (path === '/google/oauth2/v3/certs' && req.method === 'GET') {
    entry.endpoint = 'jwks';
    return send(res, 200, { keys: [jwk(KEYS.google)] }, { 'Cache-Control': 'public, max-age=300' });
  }
  if (path === '/google/v1/userinfo' && (req.method === 'GET' || req.method === 'POST')) {
    entry.endpoint = 'userinfo';
    return userinfo('google', req, res, entry, (user, t) => {
      const out = { sub: user.sub || user.id };
      const s = t.scope.split(' ');
      if (s.includes('profile')) for (const k of ['name', 'given_name', 'family_name', 'picture']) if (user[k]) out[k] = user[k];
      if (s.includes('email') && user.email) {
        out.email = user.email;
        out.email_verified = user.email_verified !== false;
      }
      if (user.hd) out.hd = user.hd;
      return out;
    });
  }
  // ---------------- Yahoo! JAPAN
  if (path === '/yahoojp/yconnect/v2/authorization' && req.method === 'GET') {
    entry.endpoint = 'authorize';
    return authorize('yahoojp', req, res, q, entry, {
      stateRequired: true,
      nonceRequired: true,
      checkScope: (s) => (!s.includes('openid') ? 'openid is required' :
        s.find((x) => !['openid', 'profile', 'email', 'address'].includes(x)) ? 'unknown scope' : null),
      respondError: (c, ru, st, params) => queryError(res, ru, st, params),
      respondCode: (c, ru, st, code) => redirect(res, addQuery(ru, { code, state: st })),
    });
  }
  if (path === '/yahoojp/yconnect/v2/token' && req.method === 'POST') {
    entry.endpoint = 'token';
    return tokenStd('yahoojp', req, res, form, entry, ['client_secret_basic'], (grant, at) => ({
      access_token: at, token_type: 'Bearer', expires_in: 3600, refresh_token: randomToken(20),
      id_token: idToken('yahoojp', grant, at),
    }));
  }
  if (path === '/yahoojp/yconnect/v2/jwks' && req.method === 'GET') {
    entry.endpoint = 'jwks';
    return send(res, 200, { keys: [jwk(KEYS.yahoojp)] });
  }
  if (path === '/yahoojp/yconnect/v2/attribute' && (req.method === 'GET' || req.method === 'POST')) {
    entry.endpoint = 'userinfo';
    return userinfo('yahoojp', req, res, entry, (user, t) => {
      const out = { sub: user.sub || user.id };
      const s = t.scope.split(' ');
      if (s.includes('profile')) for (const k of ['name', 'given_name', 'family_name', 'nickname', 'picture']) if (user[k]) out[k] = user[k];
      if (s.includes('email') && user.email) {
        out.email = user.email;
        out.email_verified = user.email_verified !== false;
      }
      return out;
    });
  }
  // ---------------- Apple
  if (path === '/apple/auth/authorize' && req.method === 'GET') {
    entry.endpoint = 'authorize';
    const mode = q.get('response_mode') || 'query';
    return authorize('apple', req, res, q, entry, {
      stateRequired: false,
      checkScope: (s) => (s.find((x) => !['openid', 'name', 'email'].includes(x)) ? 'invalid scope' : null),
      extraCheck: (qq) => {
        const s = (qq.get('scope') || '').split(' ').filter((x) => x && x !== 'openid');
        if (!['query', 'fragment', 'form_post'].includes(mode)) return 'invalid response_mode';
        if (s.length && mode !== 'form_post') return 'response_mode must be form_post when name or email scope is requested';
        return null;
      },
      respondError: (c, ru, st, params) => (mode === 'form_post' ?
        applePost(res, ru, { error: params.error === 'access_denied' ? 'user_cancelled_authorize' : params.error, state: st }) :
        queryError(res, ru, st, { error: params.error })),
      respondCode: (c, ru, st, code, userId) => {
        const fields = { state: st, code };
        const user = findUser('apple', userId);
        const s = (q.get('scope') || '').split(' ');
        if (!appleSeen.has(userId) && (s.includes('name') || s.includes('email'))) {
          const u = {};
          if (s.includes('name') && user.name) u.name = { firstName: user.name.firstName, lastName: user.name.lastName };
          if (s.includes('email') && user.email) u.email = user.email;
          fields.user = JSON.stringify(u);
        }
        appleSeen.add(userId);
        if (mode !== 'form_post') return redirect(res, addQuery(ru, { code, state: st }));
        return applePost(res, ru, fields);
      },
    });
  }
  if (path === '/apple/auth/token' && req.method === 'POST') {
    entry.endpoint = 'token';
    entry.auth = form.has('client_secret') ? 'client_secret_post' : 'none';
    if (tokenFailure('apple', res, scen('apple'))) return;
    const client = findClient('apple', form.get('client_id') || '');
    if (!client) return send(res, 400, { error: 'invalid_client' });
    const why = verifyAppleClientSecret(form.get('client_secret'), client.id);
    entry.auth_ok = !why;
    if (why) {
      entry.auth_error = why;
      return send(res, 400, { error: 'invalid_client' });
    }
    const r = redeem('apple', form, client.id, entry);
    if (r.error) return send(res, 400, { error: r.error === 'invalid_request' ? 'invalid_request' : 'invalid_grant' });
    const at = issueAccess('apple', r.grant);
    return send(res, 200, { access_token: at, token_type: 'bearer', expires_in: 3600, refresh_token: randomToken(20),
      id_token: idToken('apple', r.grant, at) });
  }
  if (path === '/apple/auth/keys' && req.method === 'GET') {
    entry.endpoint = 'jwks';
    return send(res, 200, { keys: [jwk(KEYS.apple)] });
  }
  entry.endpoint = 'unknown';
  return send(res, 404, { error: 'not_found' });
}

function applePost(res, action, fields) {
  const inputs = Object.entries(fields).filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('\n');
  const page = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Sign in with Apple</title></head>\n' +
    '<body onload="document.forms[0].submit()">\n' +
    `<form method="post" action="${escapeHtml(action)}">\n${inputs}\n` +
    '<noscript><p>JavaScript is off: press Continue.</p></noscript>\n' +
    '<button type="submit">Continue</button>\n</form>\n</body></html>\n';
  return send(res, 200, page, { 'Content-Type': 'text/html; charset=utf-8' });
}

function tokenStd(p, req, res, form, entry, methods, bodyFn) {
  const basic = basicAuth(req);
  const post = form.has('client_secret');
  entry.auth = basic && post ? 'multiple' : basic ? 'client_secret_basic' : post ? 'client_secret_post' : 'none';
  if (tokenFailure(p, res, scen(p))) return;
  const unauthorized = (desc) => {
    entry.auth_ok = false;
    return send(res, 401, { error: 'invalid_client', error_description: desc },
      basic ? { 'WWW-Authenticate': 'Basic realm="token"' } : {});
  };
  if (entry.auth === 'multiple') return send(res, 400, { error: 'invalid_request', error_description: 'more than one client authentication method' });
  if (entry.auth === 'none' || !methods.includes(entry.auth)) return unauthorized('client authentication required');
  const id = basic ? basic.id : form.get('client_id');
  const secret = basic ? basic.secret : form.get('client_secret');
  if (basic && form.has('client_id') && form.get('client_id') !== basic.id) return unauthorized('client_id mismatch');
  const client = findClient(p, id || '');
  if (!client || !safeEqual(secret, client.secret)) return unauthorized('Unauthorized');
  entry.auth_ok = true;
  const r = redeem(p, form, client.id, entry);
  if (r.error) return send(res, 400, { error: r.error, error_description: r.description });
  const at = issueAccess(p, r.grant);
  return send(res, 200, bodyFn(r.grant, at));
}

function userinfo(p, req, res, entry, fn) {
  const b = bearer(req);
  entry.auth = b ? 'bearer' : 'none';
  const sc = scen(p);
  if (sc.userinfo_status) return send(res, sc.userinfo_status, { error: 'server_error' });
  const t = b && b.scheme.toLowerCase() === 'bearer' ? tokens.get(b.token) : null;
  if (!t || t.provider !== p || t.expires < Date.now()) {
    return send(res, 401, { error: 'invalid_token', error_description: 'access token is invalid' },
      { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  }
  const user = findUser(p, t.user);
  const out = fn(user, t);
  if (sc.userinfo_sub) out.sub = sc.userinfo_sub;
  if (sc.userinfo_extra) Object.assign(out, sc.userinfo_extra);
  return send(res, 200, out);
}

function graphMe(req, res, q, entry) {
  const sc = scen('facebook');
  const fbErr = (message, type, code, status) => send(res, status || 400,
    { error: { message, type, code, fbtrace_id: randomToken(8) } }, { 'WWW-Authenticate': 'OAuth "Facebook Platform"' });
  const b = bearer(req);
  let tok = null;
  if (q.has('access_token')) {
    tok = q.get('access_token');
    entry.auth = 'query';
  } else if (b) {
    tok = b.token;
    entry.auth = b.scheme.toLowerCase() === 'oauth' ? 'oauth_header' : 'bearer';
  } else entry.auth = 'none';
  if (sc.userinfo_status) return fbErr('An unexpected error has occurred.', 'OAuthException', 2, sc.userinfo_status);
  if (!tok) return fbErr('An active access token must be used to query information about the current user.', 'OAuthException', 2500);
  const t = tokens.get(tok);
  if (!t || t.provider !== 'facebook' || t.expires < Date.now()) {
    return fbErr('Invalid OAuth access token - Cannot parse access token', 'OAuthException', 190);
  }
  const client = findClient('facebook', t.client_id);
  if (!q.has('appsecret_proof')) {
    entry.appsecret_proof = 'missing';
    return fbErr('API calls from the server require an appsecret_proof argument', 'GraphMethodException', 100);
  }
  const expect = crypto.createHmac('sha256', Buffer.from(client.secret, 'utf8')).update(tok).digest('hex');
  if (!safeEqual(q.get('appsecret_proof').toLowerCase(), expect)) {
    entry.appsecret_proof = 'invalid';
    return fbErr('Invalid appsecret_proof provided in the API argument', 'GraphMethodException', 100);
  }
  entry.appsecret_proof = 'valid';
  const user = findUser('facebook', t.user);
  const fields = (q.get('fields') || 'id,name').split(',').map((s) => s.trim()).filter((s) => s);
  const scopes = t.scope.split(/[ ,]+/);
  const out = {};
  for (const f of fields) {
    if (f === 'id') out.id = sc.userinfo_sub || user.sub || user.id;
    else if (f === 'email') {
      if (user.email && scopes.includes('email')) out.email = user.email;
    } else if (f === 'name' || f === 'first_name' || f === 'last_name' || f === 'short_name') {
      if (user[f]) out[f] = user[f];
    } else if (f === 'picture') {
      if (user.picture) out.picture = { data: { url: user.picture, is_silhouette: false } };
    } else {
      return fbErr(`(#100) Tried accessing nonexisting field (${f}) on node type (User)`, 'OAuthException', 100);
    }
  }
  if (!('id' in out)) out.id = user.sub || user.id; // Graph always returns the id
  return send(res, 200, out);
}

function control(res, raw) {
  let c;
  try {
    c = JSON.parse(raw || '{}');
  } catch (e) {
    return send(res, 400, { error: 'bad json' });
  }
  if (c.reset) {
    state = freshState();
    appleSeen.clear();
    log = [];
  }
  for (const [p, id] of Object.entries(c.user || {})) {
    if (!PROVIDERS.includes(p) || !findUser(p, id)) return send(res, 400, { error: `unknown user ${p}/${id}` });
    state.current[p] = id;
  }
  for (const [p, s] of Object.entries(c.scenario || {})) {
    if (!PROVIDERS.includes(p)) return send(res, 400, { error: `unknown provider ${p}` });
    state.scenario[p] = Object.assign({}, s);
  }
  for (const id of c.apple_forget || []) appleSeen.delete(id);
  if (c.clear_log) log = [];
  return send(res, 200, { current: state.current, scenario: state.scenario });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write('sns: internal error: ' + (e && e.message) + '\n');
    if (!res.headersSent) send(res, 500, { error: 'server_error' });
    else res.end();
  });
});
server.listen(portArg, '127.0.0.1', () => {
  process.stdout.write(`ready ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
