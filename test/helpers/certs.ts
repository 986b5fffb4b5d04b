// Test PKI: generated once by scripts/gen-test-certs.sh (atomically, so parallel test files are safe).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, testCertsDir } from './paths.js';

export function ensureTestCerts(): string {
  if (!existsSync(join(testCertsDir, '.complete'))) {
    execFileSync('bash', [join(repoRoot, 'scripts', 'gen-test-certs.sh'), testCertsDir], { stdio: 'inherit' });
  }
  return testCertsDir;
}

/** Path of a file in the test PKI, e.g. certPath('server-rsa.pem'). */
export function certPath(name: string): string {
  return join(ensureTestCerts(), name);
}

/** Contents of a file in the test PKI. */
export function certFile(name: string): Buffer {
  return readFileSync(certPath(name));
}
