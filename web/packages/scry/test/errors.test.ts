import assert from 'node:assert/strict';
import { test } from 'node:test';

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
