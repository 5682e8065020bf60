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
