// Loads the RFC test vectors in ../shared/vectors as plain JSON objects.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vectorsDir } from './paths.js';

export function loadVectors<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(join(vectorsDir, file), 'utf8')) as T;
}

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
