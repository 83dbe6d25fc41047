'use strict';
// The login chooser in a real browser: Debian's headless Chromium driven by playwright-core, with
// JavaScript disabled in every page. Measures, does not judge: prints one JSON object that
// t/e2e/test_chooser_browser.py checks.
//
//   node chooser.js '{"base": "http://127.0.0.1:PORT", "path": "/app/x", "outdir": "/tmp/...",
//                    "keyboard_provider": "op2", "login": {"provider": "op", "username": "alice",
//                    "password": "..."}}'
//
// Runs on Node 18 (Debian 12): CommonJS, no newer syntax or APIs.
const path = require('path');

const LOCALES = { ja: 'ja-JP', en: 'en-US' };
const TIMEOUT = 20000;

const { contrast, launch } = require('./common');

// In the page (playwright's evaluation works with the page's scripts disabled): the text colour
// of an element and the first opaque background behind it.
function colours(el) {
  const cs = getComputedStyle(el);
  let bg = 'rgb(255, 255, 255)';
  for (let e = el; e; e = e.parentElement) {
    const b = getComputedStyle(e).backgroundColor;
    const m = /rgba?\(([^)]+)\)/.exec(b);
    const parts = m ? m[1].split(/[ ,/]+/).filter(Boolean).map(Number) : [];
    if (parts.length && (parts.length < 4 || parts[3] === 1)) { bg = b; break; }
  }
  return { color: cs.color, background: bg };
}

async function newContext(browser, lang, origins) {
  const ctx = await browser.newContext({ locale: LOCALES[lang], javaScriptEnabled: false });
  ctx.setDefaultTimeout(TIMEOUT);
  ctx.on('request', function (req) { origins.push(req.url()); });
  return ctx;
}

async function render(browser, cfg, lang) {
  const requests = [];
  const ctx = await newContext(browser, lang, requests);
  const page = await ctx.newPage();
  const resp = await page.goto(cfg.base + cfg.path, { waitUntil: 'load' });
  const out = {
    status: resp.status(),
    content_language: resp.headers()['content-language'] || null,
    html_lang: await page.getAttribute('html', 'lang'),
    heading: (await page.textContent('h1')).trim(),
    nav_label: await page.getAttribute('nav', 'aria-label'),
    javascript_enabled: await page.evaluate(function () {
      // a <noscript> element's content is parsed as markup only when scripting is off
      const d = document.createElement('div');
      d.innerHTML = '<noscript><p>x</p></noscript>';
      return d.querySelector('noscript p') === null;
    }),
    buttons: [],
  };
  const links = await page.$$('a.p');
  for (const a of links) {
    const box = await a.boundingBox();
    const label = await a.$('.l');
    const hint = await a.$('.h');
    const c = await label.evaluate(colours);
    const hintText = ((await hint.textContent()) || '').trim();
    const hc = hintText ? await hint.evaluate(colours) : null;
    out.buttons.push({
      provider: await a.getAttribute('data-provider'),
      href: await a.getAttribute('href'),
      text: (await a.innerText()).replace(/\s+/g, ' ').trim(),
      hint: hintText,
      width: box.width, height: box.height,
      color: c.color, background: c.background, contrast: contrast(c.color, c.background),
      hint_contrast: hc ? contrast(hc.color, hc.background) : null,
      border: await a.evaluate(function (el) { return getComputedStyle(el).borderLeftColor; }),
    });
  }
  const sw = await page.$('.lang a');
  const swBox = await sw.boundingBox();
  const swc = await sw.evaluate(colours);
  out.switch = {
    href: await sw.getAttribute('href'), lang: await sw.getAttribute('lang'),
    text: (await sw.textContent()).trim(), height: swBox.height, width: swBox.width,
    contrast: contrast(swc.color, swc.background),
  };
  const intro = await page.$('main p:not(.lang)');
  const ic = await intro.evaluate(colours);
  out.intro = { text: (await intro.textContent()).trim(), contrast: contrast(ic.color, ic.background) };
  const shot = path.join(cfg.outdir, 'chooser-' + lang + '.png');
  await page.screenshot({ path: shot, fullPage: true });
  out.screenshot = shot;
  out.requests = requests.slice();
  // the language switch link leads to the other language
  await Promise.all([page.waitForNavigation(), sw.click()]);
  out.switched_lang = await page.getAttribute('html', 'lang');
  out.switched_order = await page.$$eval('a.p', function (as) {
    return as.map(function (a) { return a.getAttribute('data-provider'); });
  });
  await ctx.close();
  return out;
}

// Tab through the page: the order of focus, the focus outline, Enter on one provider's button.
async function keyboard(browser, cfg) {
  const requests = [];
  const ctx = await newContext(browser, 'en', requests);
  const page = await ctx.newPage();
  await page.goto(cfg.base + cfg.path, { waitUntil: 'load' });
  const focus = [];
  let reached = null;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(function () {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      return {
        tag: el.tagName.toLowerCase(), provider: el.getAttribute('data-provider'),
        text: el.textContent.replace(/\s+/g, ' ').trim(),
        outline_style: cs.outlineStyle, outline_width: parseFloat(cs.outlineWidth),
        outline_color: cs.outlineColor,
      };
    });
    focus.push(f);
    if (f && f.provider === cfg.keyboard_provider) {
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
      reached = page.url();
    }
  }
  const result = { focus: focus, reached: reached, title: reached ? await page.title() : null,
    has_login_form: reached ? (await page.$('input[name=username]')) !== null : false };
  await ctx.close();
  return result;
}

// Click each provider's button on a fresh page: where does the browser end up?
async function clicks(browser, cfg, providers) {
  const out = {};
  for (const name of providers) {
    const requests = [];
    const ctx = await newContext(browser, 'ja', requests);
    const page = await ctx.newPage();
    await page.goto(cfg.base + cfg.path, { waitUntil: 'load' });
    const before = requests.length;
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
      page.click('a.p[data-provider="' + name + '"]')]);
    out[name] = { url: page.url(), requests: requests.slice(before),
      has_login_form: (await page.$('input[name=username]')) !== null };
    if (cfg.login && cfg.login.provider === name) {
      // sign in at the OP, with the keyboard only
      await page.focus('input[name=username]');
      await page.keyboard.type(cfg.login.username);
      await page.keyboard.press('Tab');
      await page.keyboard.type(cfg.login.password);
      await Promise.all([page.waitForURL(function (u) { return u.toString().indexOf(cfg.base) === 0; },
        { waitUntil: 'load' }), page.keyboard.press('Enter')]);
      out[name].after_login_url = page.url();
      out[name].after_login_body = (await page.textContent('body')).slice(0, 4000);
    }
    await ctx.close();
  }
  return out;
}

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  const browser = await launch();
  const result = { browser_version: browser.version() };
  try {
    result.ja = await render(browser, cfg, 'ja');
    result.en = await render(browser, cfg, 'en');
    if (cfg.keyboard_provider) result.keyboard = await keyboard(browser, cfg);
    if (cfg.clicks !== false) {
      result.clicks = await clicks(browser, cfg, result.en.buttons.map(function (b) { return b.provider; }));
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch(function (e) {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
