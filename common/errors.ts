/**
 * Errors a person must act on. The CLI prints `message` as one line (no stack) and exits 2.
 * Everything that is not a UserError is our own bug and shows its stack.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A bad value in a file: names the file and the key path inside it. */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${file}: ${key ? `${key}: ` : ''}${problem}`);
  }
}
