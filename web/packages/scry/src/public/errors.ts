/**
 * Typed errors. Every failure of the engine rejects with a {@link ScryError} whose `code` is one
 * of {@link ScryErrorCode}; codes coming from Rust keep their Rust names.
 */

/** Every error code scry can produce. */
export const SCRY_ERROR_CODES = [
  // From scry-core (Rust).
  'INVALID_DOCUMENT',
  'DUPLICATE_ID',
  'INVALID_QUERY',
  'INVALID_INPUT',
  'INVALID_PARAMETER',
  'MODEL_MISMATCH',
  'CORRUPT_DATA',
  'UNSUPPORTED_VERSION',
  'CHUNKS_NEEDED',
  // From scry-core's file storage (Rust) and the package's (TypeScript, also STORAGE_LOCKED).
  'STORAGE_FAILED',
  // From scry-idb (Rust).
  'STORAGE_UNAVAILABLE',
  'STORAGE_OPEN_FAILED',
  'STORAGE_QUOTA_EXCEEDED',
  'STORAGE_TRANSACTION_FAILED',
  'STORAGE_EVICTED',
  // From scry-embed (Rust).
  'MODEL_MANIFEST_INVALID',
  'MODEL_UNKNOWN',
  'MODEL_FILE_MISSING',
  'MODEL_INTEGRITY',
  'MODEL_LOAD',
  'MODEL_UNSUPPORTED',
  'TOKENIZER_LOAD',
  'TOKENIZE',
  'MODEL_INFERENCE',
  'EMPTY_INPUT',
  'IMAGE_INVALID',
  'IMAGE_DECODE',
  'IMAGE_UNSUPPORTED',
  // From scry-gpu (Rust).
  'GPU_UNAVAILABLE',
  'GPU_DEVICE_FAILED',
  'GPU_DEVICE_LOST',
  'GPU_READBACK_FAILED',
  // From the wasm boundary (Rust).
  'INVALID_OPTIONS',
  // From the TypeScript layer.
  'WASM_LOAD_FAILED',
  'MODEL_FETCH',
  'INDEX_FETCH',
  'WORKER_FAILED',
  'DISPOSED',
  'STORAGE_LOCKED',
  'ABORTED',
  'INTERNAL',
] as const;

/** A stable, machine-readable error code. */
export type ScryErrorCode = (typeof SCRY_ERROR_CODES)[number];

/** The error every scry API rejects with. */
export class ScryError extends Error {
  /** Stable code: branch on this, not on `message`. */
  readonly code: ScryErrorCode;

  constructor(code: ScryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScryError';
    this.code = code;
  }
}

/** True if `value` is a {@link ScryError}, also across realms (workers, iframes). */
export function isScryError(value: unknown): value is ScryError {
  return (
    value instanceof ScryError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'ScryError' &&
      isErrorCode((value as { code?: unknown }).code))
  );
}

/** True if `code` is a known {@link ScryErrorCode}. */
export function isErrorCode(code: unknown): code is ScryErrorCode {
  return typeof code === 'string' && (SCRY_ERROR_CODES as readonly string[]).includes(code);
}
