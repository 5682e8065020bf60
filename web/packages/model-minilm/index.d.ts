/** A model as scry's `createEngine({ model })` takes it (a `ModelSpec` of the `scry` package). */
export interface ScryModel {
  /** The model's id in scry's built-in manifest. */
  readonly id: 'all-MiniLM-L6-v2-int8';
  /** The URL of each of the model's files, by manifest name. */
  readonly files: Readonly<{ 'model.onnx': string; 'tokenizer.json': string }>;
}

/** all-MiniLM-L6-v2 with int8 weights: 384 dimensions, English, about 23 MB. */
declare const minilm: ScryModel;
export default minilm;
export { minilm };
