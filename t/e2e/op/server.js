// A real OpenID Provider (the certified `oidc-provider` package) for mod_selmid's end-to-end
// tests and demo. Loopback only, http, in-memory storage.
//
//   node server.js --port 3000 --clients clients.json [--host 127.0.0.1] [--keys jwks.json]
//                  [--control]
//
// clients.json: an array of client metadata objects (client_id, client_secret, redirect_uris,
// token_endpoint_auth_method, id_token_signed_response_alg, post_logout_redirect_uris, ...).
// --keys: a private JWK set to use; generated (RSA 2048 + P-256) and written there when missing.
// --control: enables POST /__control (JSON) so tests can make endpoints fail; never in the demo.
// Prints "listening <issuer>" on stdout when ready; exits cleanly on SIGTERM/SIGINT.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import Provider, { interactionPolicy } from 'oidc-provider';

function parseArgs(argv) {
  const args = { port: process.env.OP_PORT || '3000', host: '127.0.0.1', control: false };
  for (let i = 2; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--control') args.control = true;
    else if (a.startsWith('--') && i + 1 < argv.length) { args[a.slice(2)] = argv[i + 1]; i += 1; }
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.clients) throw new Error('--clients FILE is required');
  return args;
}

const args = parseArgs(process.argv);
const port = Number(args.port);
const issuer = `http://${args.host}:${port}`;

// ---- users -----------------------------------------------------------------------------------
// Claims are what the OP asserts; "mallory" answers userinfo with another subject than her ID
// token, "ursula" makes the userinfo endpoint fail, "carol" carries control characters.
const USERS = {
  alice: {
    password: 'alice-password',
    claims: {
      sub: 'alice-0001',
      email: 'alice@example.edu',
      email_verified: true,
      name: '山田 花子',
      given_name: '花子',
      family_name: '山田',
      preferred_username: 'alice',
      groups: ['students', 'physics;lab', 'staff'],
    },
  },
  bob: {
    password: 'bob-password',
    claims: {
      sub: 'bob-0002',
      email: 'bob@example.edu',
      email_verified: false,
      name: 'Bob Smith; Jr.',
      given_name: 'Bob',
      family_name: 'Smith',
      preferred_username: 'bob',
      groups: ['alumni'],
    },
  },
  carol: {
    password: 'carol-password',
    claims: {
      sub: 'carol-0003',
      email: 'carol@example.edu',
      email_verified: true,
      name: 'Carol\r\nX-Injected: yes',
      preferred_username: 'carol\tc\u0001',
      groups: ['students'],
    },
  },
  mallory: {
    password: 'mallory-password',
    claims: {
      sub: 'mallory-0004',
      email: 'mallory@example.edu',
      email_verified: true,
      name: 'Mallory',
      groups: ['students'],
    },
    userinfoSub: 'alice-0001',
  },
  ursula: {
    password: 'ursula-password',
    claims: {
      sub: 'ursula-0005', email: 'ursula@example.edu', email_verified: true, name: 'Ursula', groups: [],
    },
    userinfoFails: true,
  },
};
const BY_SUB = Object.fromEntries(Object.values(USERS).map((u) => [u.claims.sub, u]));

async function findAccount(ctx, sub) {
  const user = BY_SUB[sub];
  if (!user) return undefined;
  return {
    accountId: sub,
    async claims(use) {
      if (use === 'userinfo' && user.userinfoFails) {
        throw new Error('userinfo back end unavailable (test user ursula)');
      }
      const claims = { ...user.claims };
      if (use === 'userinfo' && user.userinfoSub) claims.sub = user.userinfoSub;
      return claims;
    },
  };
}

// ---- keys ------------------------------------------------------------------------------------
function generateJwks() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...rsa, kid: `rsa-${randomBytes(4).toString('hex')}`, use: 'sig' },
      { ...ec, kid: `ec-${randomBytes(4).toString('hex')}`, use: 'sig' },
    ],
  };
}

let jwks;
if (args.keys && existsSync(args.keys)) {
  jwks = JSON.parse(readFileSync(args.keys, 'utf8'));
} else {
  jwks = generateJwks();
  if (args.keys) writeFileSync(args.keys, JSON.stringify(jwks), { mode: 0o600 });
}

// ---- interaction policy: a password for every authorization request --------------------------
// Like `prompt=login` on every request: signing out of the app and back in shows the OP's form
// again (so a person can switch users in the demo), and every test login is explicit.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'always_login',
  'this OP asks for the password on every authorization request',
  (ctx) => (ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT
    : interactionPolicy.Check.REQUEST_PROMPT),
));

// ---- provider --------------------------------------------------------------------------------
const clients = JSON.parse(readFileSync(args.clients, 'utf8'));
const cookiePrefix = `op${port}`;

const provider = new Provider(issuer, {
  clients,
  findAccount,
  jwks,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  pkce: { methods: ['S256'], required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    userinfo: { enabled: true },
  },
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'HS256'],
  },
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    names: {
      session: `_${cookiePrefix}_session`,
      interaction: `_${cookiePrefix}_interaction`,
      resume: `_${cookiePrefix}_interaction_resume`,
    },
    long: { signed: true, httpOnly: true, sameSite: 'lax' },
    short: { signed: true, httpOnly: true, sameSite: 'lax' },
  },
  interactions: {
    policy,
    url(ctx, interaction) { return `/interaction/${interaction.uid}`; },
  },
  // Consent is granted automatically for every scope the client asks for (a first-party OP).
  async loadExistingGrant(ctx) {
    const accountId = ctx.oidc.account.accountId;
    const clientId = ctx.oidc.client.clientId;
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(clientId);
    let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    if (!grant || grant.accountId !== accountId || grant.clientId !== clientId) {
      grant = new ctx.oidc.provider.Grant({ clientId, accountId });
    }
    grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
    await grant.save();
    return grant;
  },
  ttl: {
    AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600,
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<p>${esc(out.error)}: ${esc(out.error_description || '')}</p>`);
  },
});

// ---- pages -----------------------------------------------------------------------------------
function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title>`
    + '<style>body{font-family:sans-serif;max-width:28em;margin:3em auto}label{display:block;margin:.6em 0}'
    + 'input[type=text],input[type=password]{width:100%}</style></head>'
    + `<body><h1>${esc(title)}</h1>${body}</body></html>`;
}

function loginForm(uid, clientId, error) {
  return page('Test OP sign-in', `<p>Client <code>${esc(clientId)}</code> asks you to sign in.</p>`
    + (error ? `<p class="error" style="color:#b00">${esc(error)}</p>` : '')
    + `<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">`
    + '<label>Username <input type="text" name="username" autofocus></label>'
    + '<label>Password <input type="password" name="password"></label>'
    + '<button type="submit" name="action" value="login">Sign in</button> '
    + '<button type="submit" name="action" value="cancel">Cancel</button>'
    + '</form><p><small>Demo users: alice / alice-password, bob / bob-password</small></p>');
}

function readBody(req, limit = 65536) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { reject(new Error('body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) { send(res, 400, 'text/html', page('Error', '<p>interaction mismatch</p>')); return; }
  const clientId = details.params.client_id;
  if (req.method === 'GET' && !action) {
    send(res, 200, 'text/html; charset=utf-8', loginForm(uid, clientId));
    return;
  }
  if (req.method !== 'POST' || action !== 'login') { send(res, 405, 'text/plain', 'method not allowed\n'); return; }
  const form = new URLSearchParams(await readBody(req));
  if (form.get('action') === 'cancel') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'End-User cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
    return;
  }
  const user = USERS[form.get('username') || ''];
  if (!user || user.password !== form.get('password')) {
    send(res, 200, 'text/html; charset=utf-8', loginForm(uid, clientId, 'Wrong username or password.'));
    return;
  }
  await provider.interactionFinished(req, res, {
    login: { accountId: user.claims.sub },
  }, { mergeWithLastSubmission: false });
}

// ---- failure injection for tests (--control only) -------------------------------------------
// POST /__control {"fail": {"jwks": 500, "userinfo": 500, "token": 503, "discovery": 500},
//                  "swap_jwks": true}   (an empty object resets everything)
const control = { fail: {}, swapJwks: false };
let swappedJwks;
const ROUTE_OF = {
  '/.well-known/openid-configuration': 'discovery', '/jwks': 'jwks', '/token': 'token', '/me': 'userinfo',
};

function publicJwks(set) {
  return {
    keys: set.keys.map((k) => {
      const pub = { kty: k.kty, kid: k.kid, use: 'sig' };
      for (const f of ['n', 'e', 'crv', 'x', 'y']) if (k[f] !== undefined) pub[f] = k[f];
      return pub;
    }),
  };
}

async function handleControl(req, res) {
  if (req.method === 'GET') { send(res, 200, 'application/json', JSON.stringify(control)); return; }
  const body = JSON.parse((await readBody(req)) || '{}');
  control.fail = body.fail || {};
  control.swapJwks = !!body.swap_jwks;
  if (control.swapJwks) {
    // Same kids, other key material: signatures made with the real keys no longer verify.
    const fresh = generateJwks();
    swappedJwks = publicJwks({
      keys: jwks.keys.map((k, i) => ({ ...fresh.keys[i], kid: k.kid })),
    });
  }
  send(res, 200, 'application/json', JSON.stringify(control));
}

// ---- server ----------------------------------------------------------------------------------
const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (args.control && url.pathname === '/__control') { await handleControl(req, res); return; }
    if (args.control) {
      const name = ROUTE_OF[url.pathname];
      if (name && control.fail[name]) {
        send(res, Number(control.fail[name]), 'text/plain', 'injected failure\n');
        return;
      }
      if (name === 'jwks' && control.swapJwks) {
        send(res, 200, 'application/jwk-set+json', JSON.stringify(swappedJwks));
        return;
      }
    }
    const m = url.pathname.match(/^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?$/);
    if (m) { await interaction(req, res, m[1], m[2]); return; }
    callback(req, res);
  } catch (err) {
    console.error(`op: ${err.message}`);
    if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
    else res.end();
  }
});

provider.on('server_error', (ctx, err) => console.error(`op: server_error ${err.message}`));

server.listen(port, args.host, () => {
  console.log(`listening ${issuer}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
