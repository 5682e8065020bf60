// What an app needs for scry under Vite: module workers (the engine's worker loads the wasm glue
// with a dynamic import, which classic workers cannot split), and the package left out of the
// dev-server's dependency pre-bundling (it addresses its wasm files relative to its modules).
import { defineConfig } from 'vite';

export default defineConfig({
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['scry', 'scry-model-minilm'] },
});
