// The model for scry's createEngine({ model }): each file's URL is written as
// `new URL('./files/…', import.meta.url)`, the form Vite, webpack 5 and Rollup (with its URL
// plugin) recognise, so an app's bundler copies the files and rewrites the URLs; in Node the URLs
// are file: URLs, which scry reads from disk. The files are checked against scry's built-in
// manifest (byte size and sha256) when they load, as any model is.

/** @type {import('./index.js').ScryModel} */
const minilm = Object.freeze({
  id: 'all-MiniLM-L6-v2-int8',
  files: Object.freeze({
    'model.onnx': new URL('./files/model.onnx', import.meta.url).href,
    'tokenizer.json': new URL('./files/tokenizer.json', import.meta.url).href,
  }),
});

export default minilm;
export { minilm };
