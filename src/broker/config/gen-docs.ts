// Generates docs/configuration.md from schema.ts, so the reference can never drift from the code.
//   node --import tsx src/broker/config/gen-docs.ts            writes docs/configuration.md
//   node --import tsx src/broker/config/gen-docs.ts --check    exits 1 when the file is stale
// A test (test/broker/config/gen-docs.test.ts) fails when the committed file is not up to date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BASE_LISTENERS, configSchema, LISTENER_TYPES, listenerSchemas, type SchemaNode } from './schema.js';
import { ENV_PREFIX } from './load.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function typeLabel(node: SchemaNode): string {
  if (node['x-kind'] === 'duration') return 'duration';
  if (node['x-kind'] === 'size') return 'size';
  if (node['x-kind'] === 'bind') return '"host:port"';
  if (node.enum) return node.enum.map((v) => (typeof v === 'string' ? `\`${v}\`` : `\`${v}\``)).join(' \\| ');
  if (node.type === 'array' && node.items) return `array of ${typeLabel(node.items)}`;
  if (Array.isArray(node.type)) return node.type.join(' \\| ');
  return node.type ?? 'any';
}

function defaultLabel(node: SchemaNode): string {
  if (!('default' in node)) return '(unset)';
  const d = node.default;
  if (node['x-kind'] && typeof d === 'string') return `\`${d}\``;
  return `\`${JSON.stringify(d)}\``;
}

function rangeLabel(node: SchemaNode): string {
  if (node.minimum === undefined && node.maximum === undefined) return '';
  return ` Range ${node.minimum ?? '…'}..${node.maximum ?? '…'}.`;
}

function rows(node: SchemaNode, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = `${prefix}.${key}`;
    if (child.type === 'object' && child.properties) {
      rows(child, path, out);
      continue;
    }
    out.push(`| \`${path}\` | ${typeLabel(child)} | ${defaultLabel(child)} | ${cell(child.description + rangeLabel(child))} |`);
  }
}

function table(node: SchemaNode, prefix: string): string {
  const out = ['| Key | Type | Default | Description |', '|---|---|---|---|'];
  rows(node, prefix, out);
  return out.join('\n');
}

const INTRO = `# Configuration reference

<!-- Generated from src/broker/config/schema.ts by src/broker/config/gen-docs.ts. Do not edit by hand:
     run \`node --import tsx src/broker/config/gen-docs.ts\` after changing the schema. -->

\`quicmq broker\` reads its configuration from four layers; each overrides the one before:

1. the defaults below (built in; with no file the broker listens on TCP 1883 and WebSocket 8083),
2. a HOCON file: \`quicmq broker --config quicmq.conf\` (see \`config/quicmq.conf\`),
3. environment variables: \`${ENV_PREFIX}LISTENERS__QUIC__DEFAULT__BIND=0.0.0.0:14567\`,
4. command-line flags: \`--set mqtt.max_inflight=64\`, and the shortcuts \`--port\`, \`--bind\`, \`--log-level\`.

The merged result is checked once. A bad key, type or value stops the broker at start (exit code 2)
with a message naming the key, e.g. \`listeners.tcp.default.bind: expected "host:port", got "abc"\`.
Unknown keys are errors too, with a "did you mean" hint.

## File format

The file is HOCON (a JSON superset, as EMQX uses), read by a strict subset parser that never runs code:

\`\`\`hocon
# comments start with # or //
listeners.tcp.default.bind = "0.0.0.0:1883"     # dotted keys nest
listeners.quic.default {                         # so do braces; "=" or ":" are optional before "{"
  enabled = true
  certfile = "etc/certs/cert.pem", keyfile = "etc/certs/key.pem"
}
mqtt { max_inflight = 64, session_expiry_interval = 2h }
node.data_dir = \${HOME}"/quicmq"               # substitutions: other keys, then environment variables
include "local.conf"                             # relative to this file; ignored if missing
include required("secrets.conf")                 # an error if missing
\`\`\`

- Values: numbers, \`true\`/\`false\`, \`null\`, "quoted strings" (JSON escapes), \`"""raw strings"""\`, unquoted
  strings (\`verify_peer\`, \`15s\`), arrays \`[a, b]\`, objects. Quote anything containing \`:\` (addresses).
- Repeated keys: objects merge, anything else is replaced by the later value.
- \`\${path}\` is replaced by that key's final value, or the environment variable of that name;
  \`\${?path}\` is dropped if neither exists. Adjacent values concatenate into a string.
- Not supported (an error, never a silent difference): \`+=\`, self-referential substitutions, object or
  array concatenation, \`include url(...)\`.

Relative file paths in values (certificates, password and ACL files) are relative to the working directory.

## Value syntaxes

- **duration**: \`500ms\`, \`15s\`, \`5m\`, \`2h\`, \`1d\`, combinations like \`1h30m\`; a bare number is milliseconds.
- **size**: \`512B\`, \`64KB\`, \`1MB\`, \`1GB\` (multiples of 1024); a bare number is bytes.
- **"host:port"**: \`"0.0.0.0:1883"\`, \`"127.0.0.1:1883"\`, \`"[::1]:1883"\`, \`"localhost:1883"\`, or a bare
  port \`1883\` (all interfaces). Port 0 asks the OS for a free port.

## Environment variables and flags

\`${ENV_PREFIX}<PATH>\` with \`__\` between levels sets the key \`<path>\` (lower-cased):
\`${ENV_PREFIX}MQTT__MAX_INFLIGHT=64\` sets \`mqtt.max_inflight\`. Only variables whose first level is a
top-level key below are read. Values are parsed as HOCON values (\`64\`, \`true\`, \`"text"\`, \`[1, 2]\`);
text that is not one (such as \`0.0.0.0:1883\`) is taken as a string. Listener names must be lower case
to be reachable this way.

\`--set key.path=value\` does the same from the command line (repeatable). Shortcuts:
\`--port N\` sets \`listeners.tcp.default.bind\` to \`0.0.0.0:N\`; \`--bind host:port\` sets it to the given
address; \`--log-level L\` sets \`log.level\`.

Cross-key rules checked at start: an enabled \`ssl\`/\`wss\`/\`quic\` listener needs a \`keyfile\` and \`certfile\`
that exist; \`password_file\`, \`acl_file\` and \`cacertfile\` must exist when set; no two enabled
listeners (or the Prometheus endpoint) may bind the same port on overlapping addresses (TCP and UDP
ports are separate; port 0 never conflicts).
`;

function listenersSection(): string {
  const parts: string[] = ['## Listeners', '', configSchema.properties!.listeners!.description, ''];
  parts.push('Present without any configuration (change them by name, turn them off with `enabled = false`):', '');
  parts.push('| Listener | Enabled by default | Default bind |', '|---|---|---|');
  for (const type of LISTENER_TYPES) {
    for (const [name, l] of Object.entries(BASE_LISTENERS[type])) {
      parts.push(`| \`listeners.${type}.${name}\` | ${l.enabled ? 'yes' : 'no'} | \`${String(listenerSchemas[type].properties!.bind!.default)}\` |`);
    }
  }
  parts.push('', 'A new name (`listeners.tcp.internal { bind = "127.0.0.1:11883" }`) gets every default of its type.');
  for (const type of LISTENER_TYPES) {
    parts.push('', `### listeners.${type}.<name>`, '', listenerSchemas[type].description, '', table(listenerSchemas[type], `listeners.${type}.<name>`));
  }
  return parts.join('\n');
}

const PASSWORD_AND_ACL = `## Password file

Written by \`quicmq passwd [-c] <file> <username> [password]\` (\`-c\` creates the file, \`-D\` deletes a
user; without a password the command prompts on the terminal). One user per line:

\`\`\`
alice:$scrypt$N=16384,r=8,p=1$<salt, base64>$<hash, base64>
\`\`\`

The hash is scrypt (RFC 7914) of the password with a random 16-byte salt, 32 bytes long; parameters are
stored per line, so stronger ones can be introduced without invalidating old entries. Lines starting with
\`#\` and blank lines are ignored. Usernames cannot contain \`:\` or line breaks. The broker reads the file
at start and again on SIGHUP (a bad file on reload keeps the previous users).

Decision for a CONNECT: with a username, the password must match that user's entry (unknown user or wrong
password: "bad user name or password"); without a username, \`authentication.allow_anonymous\` decides.

## ACL file

One rule per line, checked top to bottom; the **first rule that matches decides**. If none matches,
\`authorization.no_match\` decides. \`#\` starts a comment line.

\`\`\`
# <allow|deny> <who> <action> <topic filter>
#   who:    all | user <username> | clientid <client id>
#   action: publish | subscribe | all
deny  all              subscribe  $SYS/#
allow user admin       all        #
allow all              all        devices/%c/#
allow all              publish    users/%u/#
deny  clientid bad-one all        #
allow all              subscribe  public/#
\`\`\`

- The topic filter is the rest of the line (it may contain spaces); \`+\` and \`#\` are MQTT wildcards.
- \`%u\` is replaced by the client's username and \`%c\` by its client id. A rule using \`%u\` never matches a
  client without a username, and a substitution containing \`+\`, \`#\` or \`/\` never matches, so a crafted
  username cannot widen a rule.
- **publish**: the rule matches when the PUBLISH topic matches the rule's filter.
- **subscribe, allow rule**: matches when the subscription filter is *covered* by the rule's filter
  (every topic the subscription can receive matches it): \`allow all subscribe sensors/#\` allows
  \`sensors/+/temp\` but not \`#\`.
- **subscribe, deny rule**: matches when the subscription filter *overlaps* the rule's filter (it could
  receive a topic the rule denies): \`deny all subscribe $SYS/#\` denies \`$SYS/#\` and \`$SYS/+/x\`; \`#\` does
  not overlap it, because wildcards at the first level never match \`$\` topics (MQTT 5.0 §4.7.2).
- \`$share/<group>/<filter>\` subscriptions are checked as \`<filter>\`.
- Superusers (as reported by the authenticator) bypass the rules.

The file is read at start and again on SIGHUP (a bad file on reload keeps the previous rules). A bad line
stops the broker with its line number, e.g. \`acl.conf:3: unknown action "pub"\`.
`;

/** The whole of docs/configuration.md. */
export function renderConfigDocs(): string {
  const parts = [INTRO, listenersSection()];
  for (const [key, node] of Object.entries(configSchema.properties ?? {})) {
    if (key === 'listeners') continue;
    parts.push(`## ${key}\n\n${node.description}\n\n${table(node, key)}`);
  }
  parts.push(PASSWORD_AND_ACL);
  return parts.join('\n\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

/** Where the generated reference lives in the repository. */
export function configDocsPath(repoRoot: string): string {
  return join(repoRoot, 'docs', 'configuration.md');
}

function findRepoRoot(): string {
  // src/broker/config/gen-docs.ts or dist/src/broker/config/gen-docs.js: the root holds package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      readFileSync(join(dir, 'package.json'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('repository root not found');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = configDocsPath(findRepoRoot());
  const text = renderConfigDocs();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      process.stderr.write(`${target} is stale: run node --import tsx src/broker/config/gen-docs.ts\n`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(target, text);
    process.stdout.write(`wrote ${target}\n`);
  }
}
