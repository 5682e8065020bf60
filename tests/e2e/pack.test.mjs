// What `npm pack` puts in each published package (issue 27): the files a user installs, audited.
// No test files; every source map's sources shipped; every relative import, dynamic import and
// `new URL('./…', import.meta.url)` of a shipped module, and every entry point in package.json,
// present; the licence texts and a README. Then a Node-only TypeScript project (no DOM library,
// no skipLibCheck) type-checks against the installed scry package.
// Needs the built packages (scripts/build.py) and the npm registry (@types/node).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = `${ROOT}target/pack/`;

/** folder under web/packages → npm name, licence files. */
const PACKAGES = [
  ['scry', 'scry', ['LICENSE-MIT', 'LICENSE-APACHE']],
  ['suggest-ui', 'scry-ui', ['LICENSE-MIT', 'LICENSE-APACHE']],
  ['model-minilm', 'scry-model-minilm', ['LICENSE-APACHE']],
];

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Every file under `dir`, relative, with `/` separators. */
function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? walk(path, base) : [relative(base, path).split('\\').join('/')];
  });
}

before(() => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  for (const [folder, name] of PACKAGES) {
    const [packed] = JSON.parse(
      run('npm', ['pack', '--json', '--pack-destination', WORK], `${ROOT}web/packages/${folder}`),
    );
    assert.equal(packed.name, name);
    renameSync(`${WORK}${packed.filename}`, `${WORK}${name}.tgz`);
    const out = `${WORK}${name}/`;
    mkdirSync(out);
    run('tar', ['-xzf', `${WORK}${name}.tgz`, '-C', out, '--strip-components=1'], WORK);
  }
});

/** Relative specifiers a module or declaration file refers to (in code, not in comments). */
function references(source) {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|\s)\/\/.*$/gm, '$1');
  const out = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g,
    /\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g,
    /\bimport\s*\(\s*(?:\/\*[^*]*\*\/\s*)*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
    /\bnew URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

for (const [, name, licences] of PACKAGES) {
  test(`${name}: npm pack ships what it uses and nothing of the tests`, () => {
    const dir = `${WORK}${name}/`;
    const files = walk(dir);
    const shipped = new Set(files);
    const has = (from, spec) =>
      shipped.has(
        normalize(join(dirname(from), spec))
          .split('\\')
          .join('/'),
      );

    for (const f of files) {
      assert.doesNotMatch(f, /(^|\/)(tests?|build-test|__tests__|fixtures)\//, f);
      assert.doesNotMatch(f, /\.(test|spec)\.[cm]?[jt]s(\.map)?$/, f);
      assert.doesNotMatch(f, /(^|\/)(tsconfig[^/]*\.json|prepare\.mjs|\.gitignore)$/, f);
    }
    for (const l of [...licences, 'README.md', 'package.json']) assert.ok(shipped.has(l), l);

    let maps = 0;
    let refs = 0;
    for (const f of files) {
      if (f.endsWith('.map')) {
        const map = JSON.parse(readFileSync(dir + f, 'utf8'));
        for (const source of map.sources) {
          assert.ok(has(f, join(map.sourceRoot ?? '', source)), `${f} maps to ${source}`);
        }
        maps += 1;
      } else if (/\.(m?js|d\.ts)$/.test(f)) {
        const text = readFileSync(dir + f, 'utf8');
        const mapped = text.match(/\/\/# sourceMappingURL=(\S+)\s*$/);
        if (mapped) assert.ok(has(f, mapped[1]), `${f} names its map ${mapped[1]}`);
        for (const spec of references(text)) {
          // A declaration's `./x.js` is the declaration `./x.d.ts`.
          const target = f.endsWith('.d.ts') ? spec.replace(/\.js$/, '.d.ts') : spec;
          assert.ok(has(f, target), `${f} refers to ${spec}, which is not shipped`);
          refs += 1;
        }
      }
    }
    assert.ok(refs > 0, 'the audit found the modules’ references');
    if (name !== 'scry-model-minilm') assert.ok(maps > 0, 'source maps were checked');

    const pkg = JSON.parse(readFileSync(`${dir}package.json`, 'utf8'));
    const entries = [pkg.main, pkg.types];
    const walkExports = (e) =>
      typeof e === 'string' ? entries.push(e) : Object.values(e ?? {}).forEach(walkExports);
    walkExports(pkg.exports);
    entries.push(...Object.values(pkg.bin ?? {}));
    for (const e of entries.filter(Boolean)) assert.ok(shipped.has(normalize(e)), `entry ${e}`);
    assert.ok(!('repository' in pkg) || !/example\.invalid/.test(JSON.stringify(pkg.repository)));
    assert.match(pkg.license, /Apache-2\.0/);
    if (name === 'scry-model-minilm') {
      // The weights, as scry's manifest pins them.
      const pinned = JSON.parse(readFileSync(`${ROOT}models/manifest.json`, 'utf8')).models.find(
        (m) => m.id === 'all-MiniLM-L6-v2-int8',
      );
      for (const file of pinned.files) {
        assert.equal(statSync(`${dir}files/${file.name}`).size, file.bytes, file.name);
      }
    }
  });
}

test('a Node-only TypeScript project (no DOM library, no skipLibCheck) type-checks against scry', () => {
  const app = `${WORK}node-ts/`;
  cpSync(`${ROOT}tests/node-ts/`, app, { recursive: true });
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], app);
  // The project's own compiler: the workspace's TypeScript, strict, without skipLibCheck.
  run(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', app], app);
  const config = JSON.parse(readFileSync(`${app}tsconfig.json`, 'utf8')).compilerOptions;
  assert.deepEqual(config.lib, ['es2022']);
  assert.equal(config.skipLibCheck, undefined);
});
