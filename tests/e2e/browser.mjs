// Shared Playwright set-up for the end-to-end tests: Debian's Chromium, no downloads.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const OUTPUT = fileURLToPath(new URL('./output/', import.meta.url));
mkdirSync(OUTPUT, { recursive: true });

export const DEMO_ROOT = fileURLToPath(new URL('../../web/demo/dist/', import.meta.url));

/** Chromium flags of every test browser. */
export const ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
}

/**
 * Records what must not happen on `page`: uncaught exceptions, console errors, HTTP errors, and
 * (with `site`, the origin's URL) any request of the context that leaves the site. Returns the
 * arrays the listeners fill.
 */
export function watchPage(page, context, site) {
  const problems = [];
  const foreign = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));
  if (site !== undefined) {
    context.on('request', (r) => {
      if (!r.url().startsWith(site)) foreign.push(r.url());
    });
  }
  return { problems, foreign };
}

/**
 * Waits until the demo page's static index is wholly loaded (its background prefetch done):
 * an empty query refreshes the status line, whose `data-chunks` reads `loaded/total`.
 */
export async function waitForStaticIndex(page, { tries = 240, every = 500 } = {}) {
  for (let i = 0; ; i++) {
    await page.fill('#q', ' ');
    await page.fill('#q', '');
    const chunks = (await page.getAttribute('body', 'data-chunks')) ?? '0/1';
    const [loaded, total] = chunks.split('/').map(Number);
    if (loaded === total) return;
    if (i >= tries) throw new Error(`static index still loading: ${chunks}`);
    await page.waitForTimeout(every);
  }
}
