'use strict';
// The account link pages in a real browser: Debian's headless Chromium driven by playwright-core,
// JavaScript disabled in every page. For each language: a LINE login, the link page, its language
// switch, "Link op" (clicked, or reached with Tab and pressed with Enter), the OP's login form,
// the confirmation page, the confirm button, the link page again, the application, and "Remove
// link". Measures, does not judge: prints one JSON object that t/e2e/test_link_browser.py checks.
//
//   node link.js '{"base": "http://127.0.0.1:PORT", "selmid": "/selmid", "outdir": "/tmp/...",
//                  "add": "op", "remove": "line", "app": "/public/",
//                  "username": "alice", "password": "...",
//                  "runs": [{"lang": "ja", "keyboard": false}, {"lang": "en", "keyboard": true}]}'
//
// Runs on Node 18 (Debian 12): CommonJS, no newer syntax or APIs.
const path = require('path');

const LOCALES = { ja: 'ja-JP', en: 'en-US' };
const OTHER = { ja: 'en', en: 'ja' };
const TIMEOUT = 20000;

const { contrast, launch } = require('./common');

// In the page (playwright's evaluation works with the page's scripts disabled): every element that
// has text of its own or can be operated, with its text colour, the first opaque background
// behind it, its box and for controls the form it belongs to.
function inventory() {
  function background(el) {
    for (let e = el; e; e = e.parentElement) {
      const b = getComputedStyle(e).backgroundColor;
      const m = /rgba?\(([^)]+)\)/.exec(b);
      const parts = m ? m[1].split(/[ ,/]+/).filter(Boolean).map(Number) : [];
      if (parts.length && (parts.length < 4 || parts[3] === 1)) return b;
    }
    return 'rgb(255, 255, 255)';
  }
  function ownText(el) {
    let t = '';
    for (const n of el.childNodes) if (n.nodeType === 3) t += n.textContent;
    return t.replace(/\s+/g, ' ').trim();
  }
  function box(el) {
    const r = el.getBoundingClientRect();
    return { width: r.width, height: r.height };
  }
  function describe(el) {
    const cs = getComputedStyle(el);
    const form = el.closest('form');
    const fields = {};
    if (form) for (const i of form.querySelectorAll('input[type=hidden]')) fields[i.name] = i.value;
    return Object.assign({
      tag: el.tagName.toLowerCase(), text: el.textContent.replace(/\s+/g, ' ').trim(),
      own_text: ownText(el), color: cs.color, background: background(el),
      border: cs.borderTopColor, border_width: parseFloat(cs.borderTopWidth),
      href: el.getAttribute('href'), lang: el.getAttribute('lang'),
      action: form ? form.getAttribute('action') : null, method: form ? form.getAttribute('method') : null,
      fields: form ? fields : null, visible: el.offsetParent !== null,
    }, box(el));
  }
  const texts = [];
  for (const el of document.querySelectorAll('main *')) {
    if (['BUTTON', 'A', 'INPUT', 'BR', 'FORM', 'UL'].indexOf(el.tagName) >= 0) continue;
    if (ownText(el)) texts.push(describe(el));
  }
  return {
    texts: texts,
    controls: Array.prototype.map.call(document.querySelectorAll('a[href], button, input:not([type=hidden])'), describe),
    headings: Array.prototype.map.call(document.querySelectorAll('h1, h2'), function (h) {
      return { tag: h.tagName.toLowerCase(), text: h.textContent.trim() };
    }),
    items: Array.prototype.map.call(document.querySelectorAll('main li'), function (li) {
      const s = li.querySelector('strong');
      return { label: s ? s.textContent.trim() : null, text: li.innerText.replace(/\s+/g, ' ').trim() };
    }),
    notice: (function () {
      const n = document.querySelector('[role=status], [role=alert]');
      return n ? { role: n.getAttribute('role'), text: n.textContent.trim() } : null;
    }()),
    title: document.title,
    html_lang: document.documentElement.getAttribute('lang'),
    scroll_width: document.documentElement.scrollWidth, client_width: document.documentElement.clientWidth,
  };
}

// The page now shown, with the requests made since index `mark` of the log.
async function snapshot(page, resp, log, mark, shot) {
  const inv = await page.evaluate(inventory);
  for (const list of [inv.texts, inv.controls]) {
    for (const e of list) e.contrast = contrast(e.color, e.background);
  }
  inv.url = page.url();
  inv.status = resp ? resp.status() : null;
  inv.headers = resp ? await resp.allHeaders() : {};
  inv.requests = log.slice(mark);
  if (shot) {
    await page.screenshot({ path: shot, fullPage: true });
    inv.screenshot = shot;
  }
  return inv;
}

// action() starts a navigation (HTTP redirects are part of it); after it has loaded, its URL must
// match pred, else the error names the page the browser is on. The response of the page.
async function navigate(page, pred, action) {
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await action();
  const resp = await nav;
  if (!pred(new URL(page.url()))) {
    const text = ((await page.textContent('body').catch(function () { return ''; })) || '').trim();
    throw new Error('the browser is at ' + page.url() + ' (' + (resp ? resp.status() : '?') + '): ' +
      text.slice(0, 500));
  }
  return resp;
}

function focused() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const cs = getComputedStyle(el);
  const form = el.closest('form');
  const p = form && form.querySelector('input[name=provider]');
  return {
    tag: el.tagName.toLowerCase(), text: el.textContent.replace(/\s+/g, ' ').trim(),
    action: form ? form.getAttribute('action') : null, provider: p ? p.value : null,
    outline_style: cs.outlineStyle, outline_width: parseFloat(cs.outlineWidth), outline_color: cs.outlineColor,
  };
}

async function run(browser, cfg, lang, keyboard) {
  const log = [];  // every request of the context, in order: {url, type, method}
  const problems = { console: [], page_errors: [], failed: [] };
  const ctx = await browser.newContext({ locale: LOCALES[lang], javaScriptEnabled: false });
  ctx.setDefaultTimeout(TIMEOUT);
  ctx.on('request', function (req) {
    log.push({ url: req.url(), type: req.resourceType(), method: req.method() });
  });
  const page = await ctx.newPage();
  page.on('console', function (m) {
    if (m.type() === 'error' || m.type() === 'warning') {
      problems.console.push({ type: m.type(), text: m.text(), url: m.location().url || page.url() });
    }
  });
  page.on('pageerror', function (e) { problems.page_errors.push(String(e)); });
  page.on('requestfailed', function (r) {
    problems.failed.push(r.url() + ' ' + (r.failure() ? r.failure().errorText : ''));
  });
  const base = cfg.base, link = cfg.base + cfg.selmid + '/link';
  const shot = function (name) { return path.join(cfg.outdir, name + '-' + lang + '.png'); };
  const out = { lang: lang, keyboard: keyboard, javascript_enabled: null };

  // a LINE login: the stand-in answers at once, back at the application
  await page.goto(base + cfg.app, { waitUntil: 'load' });
  out.app_before = { url: page.url(), body: await page.textContent('body') };

  // the link page, and its language switch
  let mark = log.length;
  let resp = await page.goto(link, { waitUntil: 'load' });
  out.javascript_enabled = await page.evaluate(function () {
    const d = document.createElement('div');
    d.innerHTML = '<noscript><p>x</p></noscript>';
    return d.querySelector('noscript p') === null;
  });
  out.start = await snapshot(page, resp, log, mark, shot('link-start'));
  mark = log.length;
  resp = await navigate(page, function (u) { return u.searchParams.get('lang') === OTHER[lang]; },
    function () { return page.click('.lang a'); });
  out.switched = await snapshot(page, resp, log, mark, shot('link-switched'));
  // and back: the switch link of the other language
  await navigate(page, function (u) { return u.searchParams.get('lang') === lang; },
    function () { return page.click('.lang a'); });
  out.switched_back = { html_lang: await page.getAttribute('html', 'lang'), url: page.url() };

  // "Link op": a form POST, answered by a redirect to the OP (the page's CSP must let it through)
  mark = log.length;
  const addSel = 'form[action$="/link/add"]:has(input[name=provider][value="' + cfg.add + '"]) button';
  const atOp = function (u) { return u.toString().indexOf(cfg.op + '/interaction/') === 0; };
  if (keyboard) {
    // from a fresh load: Tab until the add button has the focus, then Enter
    await page.goto(link + '?lang=' + lang, { waitUntil: 'load' });
    mark = log.length;
    out.focus = [];
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(focused);
      out.focus.push(f);
      if (f && f.tag === 'button' && f.provider === cfg.add && /\/link\/add$/.test(f.action)) break;
    }
    await navigate(page, atOp, function () { return page.keyboard.press('Enter'); });
  } else {
    await navigate(page, atOp, function () { return page.click(addSel); });
  }
  out.add_requests = log.slice(mark);
  out.at_op = { url: page.url(), has_login_form: (await page.$('input[name=username]')) !== null };

  // the OP's login form, then back to the confirmation page
  await page.fill('input[name=username]', cfg.username);
  await page.fill('input[name=password]', cfg.password);
  mark = log.length;
  resp = await navigate(page, function (u) { return u.toString().indexOf(link + '/confirm?lang=') === 0; },
    function () { return page.press('input[name=password]', 'Enter'); });
  out.confirm = await snapshot(page, resp, log, mark, shot('link-confirm'));

  // the confirm button: back at the link page, linked
  mark = log.length;
  resp = await navigate(page, function (u) { return u.toString().indexOf(link + '?') === 0; },
    function () { return page.click('form[action$="/link/confirm"] button'); });
  out.linked = await snapshot(page, resp, log, mark, shot('link'));

  // the application: the organisational identity now
  resp = await page.goto(base + cfg.app, { waitUntil: 'load' });
  out.app_after = { url: page.url(), status: resp.status(), body: await page.textContent('body') };

  // "Remove link" of the account logged in with: logged out
  await page.goto(link, { waitUntil: 'load' });
  mark = log.length;
  resp = await navigate(page, function (u) { return u.toString() === link + '/remove'; },
    function () {
      return page.click('form[action$="/link/remove"]:has(input[name=provider][value="' + cfg.remove + '"]) button');
    });
  out.removed = await snapshot(page, resp, log, mark, shot('link-removed'));
  resp = await page.goto(link, { waitUntil: 'load' });
  out.after_remove = { status: resp.status(), text: (await page.textContent('main')).trim() };

  out.requests = log;
  out.problems = problems;
  await ctx.close();
  return out;
}

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const browser = await launch();
  const result = { browser_version: browser.version(), runs: [] };
  try {
    for (const r of cfg.runs) result.runs.push(await run(browser, cfg, r.lang, !!r.keyboard));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch(function (e) {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
