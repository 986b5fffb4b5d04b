import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configDocsPath, renderConfigDocs } from '../../../src/broker/config/gen-docs.js';
import { configSchema, LISTENER_TYPES, listenerSchemas, type SchemaNode } from '../../../src/broker/config/schema.js';
import { repoRoot } from '../../helpers/paths.js';

test('docs/configuration.md is up to date with schema.ts (regenerate: node --import tsx src/broker/config/gen-docs.ts)', () => {
  const committed = readFileSync(configDocsPath(repoRoot), 'utf8');
  assert.equal(committed, renderConfigDocs());
});

function leafPaths(node: SchemaNode, prefix: string, out: string[]): string[] {
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    if (child.type === 'object' && child.properties) leafPaths(child, `${prefix}.${k}`, out);
    else out.push(`${prefix}.${k}`);
  }
  return out;
}

test('every schema key appears in the generated reference with a description', () => {
  const doc = renderConfigDocs();
  const paths: string[] = [];
  for (const [k, node] of Object.entries(configSchema.properties!)) if (k !== 'listeners') leafPaths(node, k, paths);
  for (const type of LISTENER_TYPES) leafPaths(listenerSchemas[type], `listeners.${type}.<name>`, paths);
  assert.ok(paths.length > 50);
  for (const p of paths) assert.ok(doc.includes(`| \`${p}\` |`), `${p} missing from the docs`);
});
