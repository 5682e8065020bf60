import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SCRY_ERROR_CODES, ScryError, isErrorCode, isScryError } from '../dist/index.js';

test('ScryError carries a literal code and a name', () => {
  const e = new ScryError('INVALID_QUERY', 'query is empty');
  assert.equal(e.code, 'INVALID_QUERY');
  assert.equal(e.name, 'ScryError');
  assert.ok(e instanceof Error);
  assert.ok(isScryError(e));
});

test('isScryError recognises errors cloned across a worker boundary', () => {
  const cloned = structuredClone({ name: 'ScryError', code: 'DUPLICATE_ID', message: 'x' });
  assert.ok(isScryError(cloned));
  assert.ok(!isScryError({ name: 'ScryError', code: 'NOT_A_CODE' }));
  assert.ok(!isScryError(new Error('plain')));
  assert.ok(!isScryError(null));
});

test('codes are unique SCREAMING_CASE', () => {
  assert.equal(new Set(SCRY_ERROR_CODES).size, SCRY_ERROR_CODES.length);
  for (const c of SCRY_ERROR_CODES) assert.match(c, /^[A-Z][A-Z0-9_]*$/);
  assert.ok(isErrorCode('ABORTED'));
  assert.ok(!isErrorCode('aborted'));
});

test('every error code of the Rust crates behind the package is a ScryErrorCode', () => {
  // Run from build-test/ inside the repository: the crates are four folders up.
  const crates = fileURLToPath(new URL('../../../../crates/', import.meta.url));
  const notCodes = new Set([
    'CARGO_MANIFEST_DIR',
    'CARGO_PKG_VERSION',
    'SCRY_MODELS_DIR',
    'WORKGROUP_SIZE',
  ]);
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.rs')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"/g)) {
          if (m[1] && !notCodes.has(m[1])) found.add(m[1]);
        }
      }
    }
  };
  for (const crate of ['scry-core', 'scry-embed', 'scry-idb', 'scry-gpu', 'scry-wasm']) {
    walk(join(crates, crate, 'src'));
  }
  assert.ok(found.size > 20, [...found].join(', '));
  const known = new Set<string>(SCRY_ERROR_CODES);
  assert.deepEqual(
    [...found].filter((c) => !known.has(c)),
    [],
  );
});
