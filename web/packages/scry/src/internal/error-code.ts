/** The `code` of anything thrown: a ScryError, an error from wasm, a Node system error. */
export function errorCode(e: unknown): unknown {
  return (e as { code?: unknown } | null)?.code;
}
