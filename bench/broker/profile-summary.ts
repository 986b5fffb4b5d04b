// Summarises a V8 CPU profile (written by `run.ts --cpu-prof <dir>`): the functions with the most self time,
// as file:line. Positions in compiled files are mapped back to the TypeScript source through the `.js.map`
// next to them, so profile the compiled benchmark (node dist/bench/broker/run.js) for exact source lines.
//   node --import tsx bench/broker/profile-summary.ts <file.cpuprofile> [top=25]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, in the file V8 ran. */
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotSpot {
  function: string;
  /** path:line (1-based), in the TypeScript source when a source map was found. */
  location: string;
  selfMs: number;
  /** Part of the busy (non-idle) time. */
  share: number;
}

const sourceMaps = new Map<string, SourceMap | undefined>();

function sourceMapFor(file: string): SourceMap | undefined {
  if (!sourceMaps.has(file)) {
    const mapFile = `${file}.map`;
    let map: SourceMap | undefined;
    if (existsSync(mapFile)) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
      } catch {
        map = undefined;
      }
    }
    sourceMaps.set(file, map);
  }
  return sourceMaps.get(file);
}

const projectRoots = new Map<string, string | undefined>();

/** The nearest directory above `file` with package.json and tsconfig.json: paths are shown from there. */
function projectRootOf(file: string): string | undefined {
  const start = dirname(file);
  if (!projectRoots.has(start)) {
    let dir = start;
    let found: string | undefined;
    for (;;) {
      if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) {
        found = dir;
        break;
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
    projectRoots.set(start, found);
  }
  return projectRoots.get(start);
}

function display(file: string, fallbackRoot: string): string {
  return relative(projectRootOf(file) ?? fallbackRoot, file);
}

function locate(frame: CallFrame, root: string): string {
  if (!frame.url) return '(native)';
  if (!frame.url.startsWith('file://')) return `${frame.url}:${frame.lineNumber + 1}`;
  const file = fileURLToPath(frame.url);
  const entry = sourceMapFor(file)?.findEntry(frame.lineNumber, frame.columnNumber);
  if (entry && 'originalSource' in entry && entry.originalSource) {
    const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : entry.originalSource;
    return `${display(resolve(dirname(file), source), root)}:${entry.originalLine + 1}`;
  }
  return `${display(file, root)}:${frame.lineNumber + 1}`;
}

/** Self time of every profile node in µs. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas && profile.samples.length === profile.timeDeltas.length) {
    // A sample's time is the gap to the next one (timeDeltas[i + 1]).
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = profile.timeDeltas[i + 1] ?? 0;
      selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + dt);
    }
  } else {
    const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
    const perHit = total > 0 ? (profile.endTime - profile.startTime) / total : 0;
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * perHit);
  }
  return selfUs;
}

/** Our own code: a file URL outside node_modules (node: internals and natives are not). */
function isProjectFrame(frame: CallFrame): boolean {
  return frame.url.startsWith('file://') && !frame.url.includes('/node_modules/');
}

/**
 * Self time per function (summed over its call sites), largest first. With `attribute`, time spent in
 * Node internals, natives and dependencies is charged to the nearest project function that called them
 * (e.g. the socket write system call to the broker function that wrote), which is where a fix would go.
 */
export function hotSpots(profile: CpuProfile, root: string, top: number, attribute = false): HotSpot[] {
  const selfUs = selfTimes(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const charged = (n: ProfileNode): ProfileNode => {
    if (!attribute) return n;
    for (let id: number | undefined = n.id; id !== undefined; id = parentOf.get(id)) {
      const candidate = byId.get(id);
      if (candidate && isProjectFrame(candidate.callFrame)) return candidate;
    }
    return n;
  };
  const byFunction = new Map<string, { fn: string; location: string; us: number }>();
  let totalUs = 0;
  for (const n of profile.nodes) {
    // Waiting for I/O is not work: shares are of the time the process was busy.
    if (n.callFrame.functionName === '(idle)') continue;
    const us = selfUs.get(n.id) ?? 0;
    totalUs += us;
    if (us === 0) continue;
    const owner = charged(n);
    const location = locate(owner.callFrame, root);
    const fn = owner.callFrame.functionName || '(anonymous)';
    const key = `${fn}@${location}`;
    const entry = byFunction.get(key) ?? { fn, location, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ function: e.fn, location: e.location, selfMs: e.us / 1000, share: totalUs > 0 ? e.us / totalUs : 0 }));
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: profile-summary <file.cpuprofile> [top=25]\n');
    process.exitCode = 2;
  } else {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const top = Number(topArg ?? 25);
    const print = (rows: HotSpot[]): void => {
      for (const r of rows) process.stdout.write(`${(r.share * 100).toFixed(1).padStart(5)}%  ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.function}  ${r.location}\n`);
    };
    process.stdout.write(`self time by function (${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled; shares of busy time)\n`);
    print(hotSpots(profile, process.cwd(), top));
    process.stdout.write(`\nthe same, with time in Node internals, natives and dependencies charged to the project function calling them\n`);
    print(hotSpots(profile, process.cwd(), top, true));
  }
}
