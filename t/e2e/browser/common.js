'use strict';
// What the page scripts (chooser.js, link.js) share: launching Debian's Chromium headless, and the
// WCAG 2.1 relative luminance and contrast ratio of CSS rgb()/rgba() colours.
const { chromium } = require('playwright-core');

const EXECUTABLE = process.env.SELMID_CHROMIUM || '/usr/bin/chromium';

function launch() {
  return chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-default-apps'],
  });
}

function parseColor(s) {
  const m = /rgba?\(([^)]+)\)/.exec(s || '');
  if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
}

function luminance(c) {
  const ch = [c.r, c.g, c.b].map(function (v) {
    v /= 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
}

function contrast(fg, bg) {
  const a = luminance(parseColor(fg)), b = luminance(parseColor(bg));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

module.exports = { launch, parseColor, luminance, contrast };
