// Runs the CLI compiled for WASI once (bin/scry.mjs starts this in a child process per run, with
// --single-threaded-gc): arguments from the command line; the CLI writes its exit code to
// SCRY_EXIT_FILE, which the parent reads.
import { readFile } from 'node:fs/promises';

const CLI = new URL('../dist/cli/scry.wasm', import.meta.url);

// Node.js' WASI, without the warning that it is experimental on every run.
const emit = process.emitWarning;
process.emitWarning = (warning, ...rest) =>
  /WASI/.test(String(warning)) ? undefined : emit.call(process, warning, ...rest);
const { WASI } = await import('node:wasi');
process.emitWarning = emit;

const wasi = new WASI({
  version: 'preview1',
  args: ['scry', ...process.argv.slice(2)],
  env: process.env,
  preopens: { '/': '/' },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(CLI));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
