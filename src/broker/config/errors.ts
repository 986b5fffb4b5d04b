// The one error type configuration loading throws. The broker refuses to start on it (CLI exit code 2).

export type ConfigErrorCode =
  /** The file is not valid HOCON (message has file:line:col). */
  | 'CONFIG_SYNTAX'
  /** The file could not be read. */
  | 'CONFIG_FILE'
  /** A key, type, value or cross-field rule is wrong (each issue names the key path). */
  | 'CONFIG_INVALID';

export interface ConfigIssue {
  /** Dotted key path, e.g. "listeners.tcp.default.bind"; "" when the problem is not one key. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  /** Path of the first issue. */
  readonly path: string;
  constructor(
    readonly code: ConfigErrorCode,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'));
    this.name = 'ConfigError';
    this.path = issues[0]?.path ?? '';
  }
}
