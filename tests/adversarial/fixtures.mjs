// Files the adversarial cases need, made under target/adversarial/ (ignored) by the runners:
// a tiny static index built by the native CLI from tests/adversarial/site/, tampered copies of
// it, and a "model" folder whose files are the wrong ones. Shared by node.test.mjs and
// browser.test.mjs; nothing here runs in the browser.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(ROOT, 'target', 'adversarial');
const SITE = join(OUT, 'site');
const MODEL = join(ROOT, 'models', 'cache', 'all-MiniLM-L6-v2-int8');

/**
 * The native CLI: `SCRY_CLI` (scripts/test.sh points it at the build of its native tests), else
 * the release build scripts/build.py made (built here if missing).
 */
function cli() {
  if (process.env.SCRY_CLI) return process.env.SCRY_CLI;
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
  const bin = join(target, 'release', 'scry');
  if (!existsSync(bin)) {
    const built = spawnSync('cargo', ['build', '--release', '--locked', '-p', 'scry-cli'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (built.status !== 0) throw new Error('cargo build -p scry-cli failed');
  }
  return bin;
}

/** Builds the fixtures once per run (both runners call it; the second finds them made). */
export function prepareFixtures() {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const indexed = spawnSync(
    cli(),
    [
      'index',
      join(ROOT, 'tests', 'adversarial', 'site'),
      '--out',
      SITE,
      '--state',
      join(OUT, 'site-state'),
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (indexed.status !== 0) throw new Error(`scry index failed: ${indexed.stderr}`);
  // The tokenizer served as the model and the model as the tokenizer: sizes and hashes differ.
  const wrong = join(OUT, 'wrong-model');
  mkdirSync(wrong, { recursive: true });
  cpSync(join(MODEL, 'tokenizer.json'), join(wrong, 'model.onnx'));
  writeFileSync(join(wrong, 'tokenizer.json'), '{"not": "a tokenizer"}');
}

let copies = 0;

/**
 * A copy of the fixture index whose scry.json is `entry(original)` (an object, or the file's
 * text as a string); `damage: 'docs'` flips a byte in the middle of every stored-text chunk.
 * Returns its folder relative to the repository root, ending in `/`.
 */
export function staticCopy(entry, { damage } = {}) {
  copies += 1;
  const rel = `target/adversarial/static-${copies}/`;
  const dir = join(ROOT, rel);
  rmSync(dir, { recursive: true, force: true });
  cpSync(SITE, dir, { recursive: true });
  const original = JSON.parse(readFileSync(join(SITE, 'scry.json'), 'utf8'));
  const next = entry(original);
  writeFileSync(join(dir, 'scry.json'), typeof next === 'string' ? next : JSON.stringify(next));
  if (damage === 'docs') {
    for (const name of readdirSync(join(dir, 'docs'))) {
      const file = join(dir, 'docs', name);
      const bytes = readFileSync(file);
      bytes[bytes.length >> 1] ^= 0x10;
      writeFileSync(file, bytes);
    }
  }
  return rel;
}

/** The fixture index's scry.json, as an object. */
export function staticEntry() {
  return JSON.parse(readFileSync(join(SITE, 'scry.json'), 'utf8'));
}
