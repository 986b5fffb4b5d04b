// The embedded default configuration (no file, env or flags), derived from schema.ts.
import { schemaDefaults } from './load.js';
import type { BrokerConfig } from './types.js';

/** A fresh copy of the default configuration; callers may change it freely. */
export function defaultBrokerConfig(): BrokerConfig {
  return schemaDefaults();
}
