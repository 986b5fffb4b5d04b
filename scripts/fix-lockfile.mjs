#!/usr/bin/env node
// @matrixai/quic (the quiche interop peer, a devDependency) lists optional native packages for macOS and
// Windows that the registry we use does not serve. `npm install` then leaves them out of
// package-lock.json, and `npm ci` refuses the lock file ("Missing: @matrixai/quic-darwin-arm64 from lock
// file"). This script records them in the lock file with their os/cpu constraints, so `npm ci` skips them
// on Linux without fetching anything. Run it after any `npm install` that rewrites the lock file.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const main = lock.packages['node_modules/@matrixai/quic'];
if (!main) process.exit(0);
const platforms = {
  'darwin-arm64': [['darwin'], ['arm64']],
  'darwin-universal': [['darwin'], ['x64', 'arm64']],
  'darwin-x64': [['darwin'], ['x64']],
  'win32-x64': [['win32'], ['x64']],
};
let added = 0;
for (const [name, [os, cpu]] of Object.entries(platforms)) {
  const key = `node_modules/@matrixai/quic-${name}`;
  if (!lock.packages[key]) {
    lock.packages[key] = { version: main.version, cpu, dev: true, license: 'Apache-2.0', optional: true, os };
    added++;
  }
}
if (added) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
  writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
  console.log(`package-lock.json: recorded ${added} platform-only optional packages of @matrixai/quic`);
}
