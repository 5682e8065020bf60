// The app built by Rollup: node-resolve finds the packages; Rollup copies no files addressed with
// `new URL(…, import.meta.url)`, so the page names where the app copied them (`assets`, the
// model's `url`; tests/e2e/consumer.test.mjs does the copying).
import { nodeResolve } from '@rollup/plugin-node-resolve';

export default {
  input: 'src/main.js',
  output: { dir: 'dist-rollup', format: 'es' },
  plugins: [nodeResolve({ browser: true })],
};
