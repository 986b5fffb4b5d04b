// The quicmq version, read once from package.json (found by walking up from this file, so it works
// from src/ through tsx and from dist/src/ after tsc).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory levels searched above this file; src/broker and dist/src/broker are two and three up. */
const MAX_LEVELS_UP = 5;

function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < MAX_LEVELS_UP; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'quicmq' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not ours or unreadable: keep looking upwards
      }
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export const QUICMQ_VERSION: string = readVersion();
