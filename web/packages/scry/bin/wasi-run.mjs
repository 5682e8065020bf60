// Runs the CLI compiled for WASI once (bin/scry.mjs starts this in a child process per run, with
// --single-threaded-gc): arguments from the command line; the CLI writes its exit code to
// SCRY_EXIT_FILE, which the parent reads. When the CLI embeds (queries, or `scry eval`), the
// model runs here, in the package's own wasm build (`scry_host` below).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

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
const instance = await WebAssembly.instantiate(module, {
  ...wasi.getImportObject(),
  scry_host: hostEmbedder(() => instance.exports.memory),
});
process.exitCode = wasi.start(instance);

/**
 * The CLI for WASI has no ONNX encoder of its own (crates/scry-cli/src/embedder.rs): it reads and
 * checks the model's files, and these functions run the model in the package's own Node.js wasm
 * build (the same code as the native CLI's encoder), loaded the first time a model is.
 */
function hostEmbedder(memory) {
  const models = [];
  let lastError = '';
  let core;
  // wasm32 passes pointers and lengths as i32: above 2 GiB they arrive negative.
  const bytes = (ptr, len) => new Uint8Array(memory().buffer, ptr >>> 0, len >>> 0);
  const fail = (e) => {
    lastError = e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? e);
    return -1;
  };
  return {
    text_model(idPtr, idLen, modelPtr, modelLen, tokenizerPtr, tokenizerLen) {
      try {
        core ??= createRequire(import.meta.url)('../dist/wasm/node/scry_wasm.js');
        const id = new TextDecoder().decode(bytes(idPtr, idLen));
        // Copied out of the CLI's memory (which may grow while the model loads).
        const model = core.TextModel.load(
          id,
          bytes(modelPtr, modelLen).slice(),
          bytes(tokenizerPtr, tokenizerLen).slice(),
        );
        models.push(model);
        return models.length - 1;
      } catch (e) {
        return fail(e);
      }
    },
    embed(handle, textsPtr, textsLen, outPtr, outLen) {
      try {
        const texts = JSON.parse(new TextDecoder().decode(bytes(textsPtr, textsLen)));
        const vectors = models[handle].embed(texts);
        if (vectors.length !== outLen >>> 0) {
          throw new Error(`${vectors.length} numbers for ${outLen >>> 0} places`);
        }
        new Float32Array(memory().buffer, outPtr >>> 0, outLen >>> 0).set(vectors);
        return 0;
      } catch (e) {
        return fail(e);
      }
    },
    last_error(outPtr, cap) {
      const message = new TextEncoder().encode(lastError).subarray(0, cap >>> 0);
      bytes(outPtr, message.length).set(message);
      return message.length;
    },
  };
}
