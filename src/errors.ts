// The one error family of tabtrain (to be completed: see docs/engine.md "Errors"). Every refusal
// is a TabtrainError with a stable `code` that programs decide on, a one-line `message` for
// people, and optional `details`.

export class TabtrainError extends Error {
  override name = 'TabtrainError';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
