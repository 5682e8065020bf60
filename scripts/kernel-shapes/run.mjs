#!/usr/bin/env node
// Builds the kernel-shape candidates to wasm (SIMD128) and times each inner loop in headless
// Chromium: GFLOP/s with k = 384 and both packed panels in L1.
// Usage: node scripts/kernel-shapes/run.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const dir = fileURLToPath(new URL('.', import.meta.url));
execFileSync(
  'cargo',
  [
    'build',
    '--release',
    '--target',
    'wasm32-unknown-unknown',
    '--target-dir',
    `${dir}../../target/kernel-shapes`,
  ],
  { cwd: dir, stdio: 'inherit', env: { ...process.env, RUSTFLAGS: '-C target-feature=+simd128' } },
);
const wasm = [
  ...readFileSync(
    `${dir}../../target/kernel-shapes/wasm32-unknown-unknown/release/kernel_shapes.wasm`,
  ),
];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  const result = await page.evaluate(async (bytes) => {
    const { instance } = await WebAssembly.instantiate(new Uint8Array(bytes), {});
    const e = instance.exports;
    const base = e.buf();
    const mem = new Float32Array(e.memory.buffer);
    for (let i = 0; i < 1 << 20; i++) mem[base / 4 + i] = Math.random();
    const K = 384;
    const [a, b, out] = [base, base + 4 * 65536, base + 4 * 200000];
    const shapes = [
      ['k8x8', 8, 8],
      ['k8x8s', 8, 8],
      ['k6x8', 6, 8],
      ['k5x8', 5, 8],
      ['k4x8', 4, 8],
      ['k4x8sh', 4, 8],
      ['k4x12', 4, 12],
      ['k3x12', 3, 12],
      ['k2x16', 2, 16],
    ];
    const gflops = {};
    for (const [name, mr, nr] of shapes) {
      const f = e[name];
      for (let w = 0; w < 2000; w++) f(a, b, K, out);
      const n = 200000;
      const t = performance.now();
      for (let i = 0; i < n; i++) f(a, b, K, out);
      gflops[name] = +((2 * mr * nr * K * n) / ((performance.now() - t) / 1000) / 1e9).toFixed(1);
    }
    return gflops;
  }, wasm);
  console.log(JSON.stringify({ browser: browser.version(), gflops: result }, null, 2));
} finally {
  await browser.close();
}
