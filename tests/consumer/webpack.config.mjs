// The same app built by webpack 5 with no scry-specific configuration: webpack resolves the
// package's `new URL(…, import.meta.url)` files (wasm, glue, worker, model) on its own.
import { fileURLToPath } from 'node:url';

export default {
  mode: 'production',
  entry: './src/main.js',
  output: {
    path: fileURLToPath(new URL('./dist-webpack/', import.meta.url)),
    filename: 'main.js',
    clean: true,
  },
  performance: { hints: false },
};
