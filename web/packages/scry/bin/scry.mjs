#!/usr/bin/env node
// `npx scry …`: scry's command line without Rust. The CLI (crates/scry-cli) compiled to
// WebAssembly for WASI runs in Node.js with the file system given as `/`, so it reads, checks
// and writes exactly what the native `scry` does (same code, same files). WASI has no threads:
// for `scry index --model`, the CLI first lists the passages that need embedding
// (`--embed-plan`), they are embedded here on worker threads by the package's own engine, and
// the CLI then builds the index with them (`--embedded`). Options may also come from a
// `scry.config.json` (`--config FILE`); command-line flags win. Exit codes: 0 done, 1 an error
// (its code printed as `error [CODE]: …`), 2 a usage error.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const RUNNER = new URL('./wasi-run.mjs', import.meta.url);
const CONFIG = 'scry.config.json';
/** `scry index` options that take a value, by their config key. */
const VALUE_OPTIONS = {
  out: '--out',
  state: '--state',
  urlPrefix: '--url-prefix',
  urlExt: '--url-ext',
  dump: '--dump',
  model: '--model',
  threads: '--threads',
  language: '--language',
  stopWords: '--stop-words',
};
const FLAG_OPTIONS = { force: '--force', followLinks: '--follow-links', strict: '--strict' };

class UsageError extends Error {}

/** `scry index` arguments: the config file's, then the command line's (which win). */
function indexArgs(argv) {
  const args = [...argv];
  const at = args.indexOf('--config');
  let configPath;
  if (at >= 0) {
    configPath = args[at + 1];
    if (!configPath) throw new UsageError('--config needs a file');
    args.splice(at, 2);
  } else if (existsSync(CONFIG)) {
    configPath = CONFIG;
  }
  if (configPath === undefined) return args;
  let config;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw new UsageError(`${configPath}: ${e.message}`);
  }
  const index = config?.index;
  if (typeof index !== 'object' || index === null || Array.isArray(index)) {
    throw new UsageError(`${configPath}: expected {"index": {"folder": …, "out": …}}`);
  }
  const given = new Set(args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]));
  const positional = args.some((a, i) => !a.startsWith('-') && !isValueOf(args, i));
  const out = [];
  for (const [key, value] of Object.entries(index)) {
    if (key === 'folder') {
      if (typeof value !== 'string') throw new UsageError(`${configPath}: folder must be a string`);
      if (!positional) out.push(value);
    } else if (key === 'stopWords') {
      // A list of words (`--stop-words` takes them comma-separated).
      const ok =
        Array.isArray(value) && value.every((w) => typeof w === 'string' && !w.includes(','));
      if (!ok) throw new UsageError(`${configPath}: stopWords must be a list of words`);
      if (!given.has(VALUE_OPTIONS[key])) out.push(VALUE_OPTIONS[key], value.join(','));
    } else if (key in VALUE_OPTIONS) {
      const ok = typeof value === 'string' || (key === 'threads' && Number.isInteger(value));
      if (!ok) throw new UsageError(`${configPath}: ${key} must be a string`);
      if (!given.has(VALUE_OPTIONS[key])) out.push(VALUE_OPTIONS[key], String(value));
    } else if (key in FLAG_OPTIONS) {
      if (typeof value !== 'boolean')
        throw new UsageError(`${configPath}: ${key} must be true or false`);
      if (value && !given.has(FLAG_OPTIONS[key])) out.push(FLAG_OPTIONS[key]);
    } else {
      const known = ['folder', ...Object.keys(VALUE_OPTIONS), ...Object.keys(FLAG_OPTIONS)];
      throw new UsageError(`${configPath}: unknown option ${key} (known: ${known.join(', ')})`);
    }
  }
  return [...out, ...args];
}

function isValueOf(args, i) {
  return i > 0 && Object.values(VALUE_OPTIONS).includes(args[i - 1]);
}

/** The value of option `name` in `args`, and `args` without it. */
function takeOption(args, name) {
  const rest = [];
  let value;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) value = args[++i];
    else if (args[i].startsWith(`${name}=`)) value = args[i].slice(name.length + 1);
    else rest.push(args[i]);
  }
  return { value, rest };
}

/**
 * `--model`: a folder, or the name of an installed model package (`scry-model-minilm`), whose
 * `files/` folder is used.
 */
function modelFolder(model) {
  if (existsSync(model) && statSync(model).isDirectory()) return resolve(model);
  try {
    const require = createRequire(join(process.cwd(), 'package.json'));
    const pkg = require.resolve(`${model}/package.json`);
    return join(pkg, '..', 'files');
  } catch {
    return resolve(model);
  }
}

/** A folder of this process's own for the CLI's exit codes (removed at exit). */
let exitFolder;
let runs = 0;

/**
 * Runs the WASI CLI with `args` in a child Node.js process (bin/wasi-run.mjs, with V8 flags of
 * its own); resolves to the exit code the CLI writes to a file (it never leaves the module
 * through WASI's proc_exit, whose unwinding also crashed Node.js 20). Without that file the CLI
 * did not finish: an INTERNAL error naming how the child ended.
 */
async function runCli(args) {
  if (exitFolder === undefined) {
    exitFolder = await mkdtemp(join(tmpdir(), 'scry-exit-'));
    process.once('exit', () => rmSync(exitFolder, { recursive: true, force: true }));
  }
  const exitFile = join(exitFolder, `code-${runs++}`);
  // --single-threaded-gc: with V8's concurrent marking, Node.js 20 failed a fatal check in the
  // garbage collector (MarkCompactCollector::ProcessEphemerons, "unreachable code") when the
  // module's memory grew while the model loaded, in most runs (26 of 30; none of 25 with it).
  const child = spawn(process.execPath, ['--single-threaded-gc', fileURLToPath(RUNNER), ...args], {
    stdio: 'inherit',
    env: {
      ...process.env,
      SCRY_PID: String(process.pid),
      SCRY_CWD: process.cwd(),
      SCRY_EXIT_FILE: exitFile,
    },
  });
  const ended = await new Promise((ok, fail) => {
    child.once('error', fail);
    child.once('exit', (code, signal) => ok({ code, signal }));
  });
  try {
    return Number(await readFile(exitFile, 'utf8'));
  } catch {
    throw new Error(
      `the CLI stopped before finishing (${ended.signal ?? `exit code ${ended.code}`})`,
    );
  }
}

/** Embeds `texts` on `threads` worker threads with the model in `model`. */
async function embed(texts, model, threads) {
  const tty = process.stderr.isTTY;
  const t0 = Date.now();
  const vectors = new Array(texts.length);
  const size = 32;
  let next = 0;
  let done = 0;
  let lastLine = 0;
  const report = () => {
    const rate = done / Math.max((Date.now() - t0) / 1000, 1e-3);
    const line = `embedding ${done}/${texts.length} passages (${rate.toFixed(0)}/s, ${threads} threads)`;
    if (tty) process.stderr.write(`\r${line}   `);
    else if (done === texts.length || Date.now() - lastLine > 5000) {
      lastLine = Date.now();
      process.stderr.write(`${line}\n`);
    }
  };
  const workers = [];
  try {
    await Promise.all(
      Array.from({ length: Math.min(threads, Math.ceil(texts.length / size)) }, async () => {
        const worker = new Worker(new URL('./embed-worker.mjs', import.meta.url), {
          workerData: { model },
        });
        workers.push(worker);
        await new Promise((ok, fail) => {
          worker.once('error', fail);
          worker.once('exit', (code) => fail(new Error(`an embedding thread exited (${code})`)));
          worker.on('message', function first(m) {
            if (m.ready) {
              worker.off('message', first);
              ok();
            }
          });
        });
        while (next < texts.length) {
          const start = next;
          next += size;
          const batch = texts.slice(start, start + size);
          const answer = await new Promise((ok, fail) => {
            worker.once('message', ok);
            worker.once('error', fail);
            worker.postMessage({ id: start, texts: batch });
          });
          if (answer.error) throw new Error(answer.error);
          answer.vectors.forEach((v, i) => (vectors[start + i] = v));
          done += batch.length;
          report();
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (tty) process.stderr.write('\n');
  return vectors;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] !== 'index') {
    // `search`, `eval`, `suggest` take a model too: a folder or an installed model package.
    const model = takeOption(argv, '--model');
    return runCli(
      model.value === undefined ? argv : [...model.rest, '--model', modelFolder(model.value)],
    );
  }
  let args = indexArgs(argv.slice(1));
  const model = takeOption(args, '--model');
  // Without a model, or given the passes' own options: the CLI as it is.
  const ownPasses = args.some((a) => /^--(embed-plan|embedded)(=|$)/.test(a));
  if (model.value === undefined || ownPasses) {
    return runCli([
      'index',
      ...(model.value === undefined ? args : [...model.rest, '--model', modelFolder(model.value)]),
    ]);
  }
  const folder = modelFolder(model.value);
  const threadsOption = takeOption(model.rest, '--threads');
  const threads =
    threadsOption.value === undefined ? availableParallelism() : Number(threadsOption.value);
  if (!Number.isInteger(threads) || threads < 1)
    throw new UsageError('--threads must be a whole number ≥ 1');
  // The CLI itself runs on one thread (WASI starts none).
  args = ['index', ...threadsOption.rest, '--model', folder, '--threads', '1'];
  const temp = await mkdtemp(join(tmpdir(), 'scry-'));
  try {
    const plan = join(temp, 'plan.jsonl');
    const planned = await runCli([...args, '--embed-plan', plan]);
    if (planned !== 0) return planned;
    const texts = (await readFile(plan, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    if (texts.length === 0) return runCli(args);
    const t0 = Date.now();
    const vectors = await embed(texts, folder, threads);
    process.stderr.write(
      `embedded ${texts.length} passages in ${((Date.now() - t0) / 1000).toFixed(1)}s on ${threads} threads\n`,
    );
    const embedded = join(temp, 'embedded.jsonl');
    await writeFile(
      embedded,
      texts
        .map((text, i) => `${JSON.stringify({ text, vector: Array.from(vectors[i]) })}\n`)
        .join(''),
      { flag: 'wx' },
    );
    return await runCli([...args, '--embedded', embedded]);
  } finally {
    // Only the folder made above, with the two files written into it.
    await rm(temp, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    const usage = e instanceof UsageError;
    process.stderr.write(`error [${usage ? 'INVALID_ARGUMENT' : 'INTERNAL'}]: ${e.message}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
