// Worker of the embedding pool benchmark (bench.js, suite `embed-pool`): loads its own copy of
// the model, then embeds the texts it is sent and answers with the time it took.
import init, { TextModel } from '../../pkg/bench/web/scry_wasm.js';

let model;

self.onmessage = async ({ data }) => {
  if (data.load) {
    await init();
    model = TextModel.load('all-MiniLM-L6-v2-int8', data.load.onnx, data.load.tokenizer, 32);
    self.postMessage({ ready: true });
  } else {
    const t = performance.now();
    model.embed(data.texts);
    self.postMessage({ ms: performance.now() - t });
  }
};
