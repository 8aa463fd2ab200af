import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, configErrorFromZod, didYouMean, packageRoot, shortHash, UserError } from '../common/index.js';
import { CATALOG_DIR, catalogNames, evalExpr, loadTarget, type Target } from '../targets/index.js';
import { topologicalOrder } from './graph.js';
import { rowSplit } from './rows.js';
import { workloadSchema } from './schema.js';
import type { Workload, WorkloadArray, WorkloadNode } from './workload.js';

/** Folder of the workloads shipped with kloop. */
export const WORKLOAD_CATALOG_DIR = join(packageRoot(), 'workloads', 'catalog');

const INT_MAX = 2 ** 31 - 1;
/** At most this many elements in one node's arrays (the graph oracle keeps 32 bytes each, for every node, all at once). */
const MAX_NODE_ELEMENTS = 2 ** 22;
/** At most this many elements in all of a workload's arrays together (the oracle holds them all). */
const MAX_WORKLOAD_ELEMENTS = 2 ** 24;
const MAX_FILE_BYTES = 1 << 20;

/**
 * Load and validate a workload (a folder with workload.yaml, or the YAML file itself): a DAG of
 * target instances. Every problem is one ConfigError naming the file, the key and what to do.
 */
export function loadWorkload(path: string, targetCatalog = CATALOG_DIR): Workload {
  let file = resolve(path);
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'workload.yaml');
  if (!existsSync(file)) throw new UserError(`${resolve(path)}: not a workload (no workload.yaml)`);
  const st = statSync(file);
  if (!st.isFile()) throw new ConfigError(file, '', 'not a regular file');
  if (st.size > MAX_FILE_BYTES) throw new ConfigError(file, '', `${st.size} bytes, too large for a workload`);
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(file, '', `invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = workloadSchema.safeParse(raw ?? {});
  if (!parsed.success) throw configErrorFromZod(file, workloadSchema, parsed.error);
  const y = parsed.data;
  const dir = dirname(file);
  const fail = (key: string, msg: string): never => {
    throw new ConfigError(file, key, msg);
  };

  // Nodes: a target each, with every size symbol given, extents positive and small enough to check.
  const byName = new Map<string, { target: Target; sizes: Record<string, number>; rows?: string }>();
  for (const [name, n] of Object.entries(y.nodes)) {
    const target = resolveNodeTarget(n.target, dir, targetCatalog, () =>
      fail(`nodes.${name}.target`, `no target folder "${n.target}" (relative to ${dir}) and no shipped target of that name (shipped: ${catalogNames(targetCatalog).join(', ')})`),
    );
    for (const k of Object.keys(n.sizes)) if (!target.sizeSymbols.includes(k)) fail(`nodes.${name}.sizes.${k}`, `not a size symbol of ${target.name}${didYouMean(k, target.sizeSymbols)}; ${target.name} has ${target.sizeSymbols.join(', ')}`);
    for (const k of target.sizeSymbols) {
      if (n.sizes[k] === undefined) fail(`nodes.${name}.sizes`, `missing ${k} (${target.name} needs ${target.sizeSymbols.join(', ')})`);
      if (n.sizes[k] > INT_MAX) fail(`nodes.${name}.sizes.${k}`, `${n.sizes[k]} does not fit the kernel's int parameters`);
    }
    const other = target.params.find((p) => (p.kind as string) !== 'size' && (p.kind as string) !== 'array');
    if (other) fail(`nodes.${name}.target`, `${target.name}'s parameter ${other.name} is neither a size nor an array; workloads take targets whose parameters are sizes and real arrays`);
    const intArray = target.arrays.find((a) => (a as { int?: unknown }).int !== undefined);
    if (intArray) fail(`nodes.${name}.target`, `${target.name}'s ${intArray.name} is an integer array; workloads take targets whose arrays are real`);
    let total = 0;
    for (const a of target.arrays) {
      if (a.role === 'inout') fail(`nodes.${name}.target`, `${target.name}'s ${a.name} is inout; workloads take targets whose arrays are in or out (each array written by one node)`);
      for (const d of a.shape) {
        const x = evalExpr(d, n.sizes);
        if (!Number.isSafeInteger(x) || x <= 0) fail(`nodes.${name}.sizes`, `${target.name}'s ${a.name} would have extent ${x}; every extent must be a positive integer`);
      }
      total += a.shape.reduce((p, d) => p * evalExpr(d, n.sizes), 1);
    }
    if (total > MAX_NODE_ELEMENTS) fail(`nodes.${name}.sizes`, `the node's arrays would hold ${total} elements, more than a workload node may (${MAX_NODE_ELEMENTS}); use smaller sizes`);
    byName.set(name, { target, sizes: n.sizes, rows: n.rows });
  }
  const nodeNames = [...byName.keys()];
  const reals = [...new Set([...byName.values()].map((n) => n.target.real))];
  if (reals.length > 1) {
    const odd = [...byName.entries()].find(([, n]) => n.target.real !== [...byName.values()][0].target.real)!;
    fail(`nodes.${odd[0]}.target`, `${odd[1].target.name} is ${odd[1].target.real} but ${nodeNames[0]}'s target is ${reals[0]}; a workload's nodes share one precision (the graph oracle checks them together)`);
  }

  const shapeOf = (node: string, arg: string) => {
    const n = byName.get(node)!;
    return n.target.arrays.find((a) => a.name === arg)!.shape.map((d) => evalExpr(d, n.sizes));
  };
  /** `node.arg` resolved, or one line naming the key. */
  const ref = (key: string, text: string, role: 'in' | 'out') => {
    const [node, arg] = text.split('.');
    const n = byName.get(node);
    if (!n) return fail(key, `no node "${node}"${didYouMean(node, nodeNames)} (nodes: ${nodeNames.join(', ')})`);
    const a = n.target.arrays.find((x) => x.name === arg);
    const names = n.target.arrays.map((x) => x.name);
    if (!a) return fail(key, `${n.target.name} has no array "${arg}"${didYouMean(arg, names)} (it has ${names.join(', ')})`);
    if (role === 'out' && a.role === 'in') return fail(key, `${text} is an input of ${n.target.name}; an edge goes from an output (${outNames(n.target).join(', ')})`);
    if (role === 'in' && a.role !== 'in') return fail(key, `${text} is an output of ${n.target.name}; an edge goes to an input (${inNames(n.target).join(', ')})`);
    return { node, arg };
  };

  // Edges: from an output to an input, one edge per input, matching shapes (or element counts, with reshape).
  const fed = new Map<string, string>();
  const deps: [string, string][] = [];
  y.edges.forEach((e, i) => {
    const from = ref(`edges[${i}].from`, e.from, 'out');
    const to = ref(`edges[${i}].to`, e.to, 'in');
    if (from.node === to.node) fail(`edges[${i}]`, `${e.from} -> ${e.to} connects node ${from.node} to itself; a workload is acyclic`);
    if (fed.has(e.to)) fail(`edges[${i}].to`, `${e.to} is already fed by ${fed.get(e.to)}; an input takes one edge`);
    const ps = shapeOf(from.node, from.arg);
    const cs = shapeOf(to.node, to.arg);
    const count = (s: number[]) => s.reduce((a, b) => a * b, 1);
    if (e.reshape ? count(ps) !== count(cs) : ps.join(',') !== cs.join(','))
      fail(
        `edges[${i}]`,
        e.reshape
          ? `${e.from} holds ${count(ps)} elements but ${e.to} takes ${count(cs)}; make the node sizes agree`
          : `${e.from} is [${ps.join(', ')}] but ${e.to} is [${cs.join(', ')}]; make the node sizes agree${count(ps) === count(cs) ? ' (or set reshape: true: the element counts agree)' : ''}`,
      );
    if (byName.get(from.node)!.target.real !== byName.get(to.node)!.target.real) fail(`edges[${i}]`, `${e.from} is ${byName.get(from.node)!.target.real} but ${e.to} is ${byName.get(to.node)!.target.real}`);
    fed.set(e.to, e.from);
    deps.push([from.node, to.node]);
  });
  const order = topologicalOrder(nodeNames, deps);
  if (typeof order === 'string') fail('edges', `the graph has a cycle (${order}); a workload is acyclic`);

  // Logical arrays: every output, and every input no edge feeds.
  const arrays = new Map<string, WorkloadArray>();
  const inputs: string[] = [];
  const nodes: WorkloadNode[] = [];
  for (const name of order as string[]) {
    const { target, sizes, rows } = byName.get(name)!;
    let split;
    if (rows !== undefined) {
      split = rowSplit(target, sizes, rows);
      if (typeof split === 'string') fail(`nodes.${name}.rows`, `${split}; remove rows: or name another symbol`);
    }
    const source: Record<string, string> = {};
    for (const a of target.arrays) {
      const id = `${name}.${a.name}`;
      const feeder = fed.get(id);
      if (feeder) {
        source[a.name] = feeder;
        continue;
      }
      const shape = shapeOf(name, a.name);
      const elements = shape.reduce((p, d) => p * d, 1);
      arrays.set(id, { id, node: name, arg: a.name, role: a.role, kind: a.role === 'in' ? 'input' : 'output', shape, elements, rowElements: elements / shape[0], real: target.real });
      if (a.role === 'in') inputs.push(id);
      source[a.name] = id;
    }
    nodes.push({ name, target, sizes, rows: split as WorkloadNode['rows'], source, flops: evalExpr(target.flops, sizes), bytes: evalExpr(target.bytes, sizes) });
  }

  const all = [...arrays.values()].reduce((n, a) => n + a.elements, 0);
  if (all > MAX_WORKLOAD_ELEMENTS) fail('nodes', `the workload's arrays would hold ${all} elements, more than the graph oracle checks at once (${MAX_WORKLOAD_ELEMENTS}); use smaller sizes`);
  const consumed = new Set(fed.values());
  let outputs: string[];
  if (y.outputs) {
    outputs = y.outputs.map((o, i) => {
      const r = ref(`outputs[${i}]`, o, 'out');
      return `${r.node}.${r.arg}`;
    });
    outputs.forEach((o, i) => outputs.indexOf(o) !== i && fail(`outputs[${i}]`, `${o} is listed twice`));
  } else outputs = [...arrays.values()].filter((a) => a.kind === 'output' && !consumed.has(a.id)).map((a) => a.id);
  if (outputs.length === 0) fail('outputs', 'the workload has no output (every output feeds an edge); list the arrays it produces under outputs:');

  const hash = shortHash(text, ...nodes.flatMap((n) => [n.target.name, readFileSync(n.target.file, 'utf8'), n.target.referenceSource]));
  return { name: y.name, description: y.description, file, dir, nodes, arrays, inputs, outputs, hash };
}

function outNames(t: Target): string[] {
  return t.arrays.filter((a) => a.role !== 'in').map((a) => a.name);
}
function inNames(t: Target): string[] {
  return t.arrays.filter((a) => a.role === 'in').map((a) => a.name);
}

function resolveNodeTarget(name: string, dir: string, catalog: string, missing: () => never): Target {
  const local = resolve(dir, name);
  if (existsSync(join(local, 'target.yaml'))) return loadTarget(local);
  if (/^[A-Za-z_][\w-]*$/.test(name) && existsSync(join(catalog, name, 'target.yaml'))) return loadTarget(join(catalog, name));
  return missing();
}

/** Names of the shipped workloads. */
export function workloadCatalogNames(dir = WORKLOAD_CATALOG_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, 'workload.yaml')))
    .sort();
}

/** A shipped workload's name, or the path of a workload folder or file. */
export function resolveWorkload(nameOrPath: string, dir = WORKLOAD_CATALOG_DIR): Workload {
  const asPath = resolve(nameOrPath);
  if (existsSync(asPath)) return loadWorkload(asPath);
  if (existsSync(join(dir, nameOrPath, 'workload.yaml'))) return loadWorkload(join(dir, nameOrPath));
  throw new UserError(`workload "${nameOrPath}": no such file or folder and no shipped workload of that name (shipped: ${workloadCatalogNames(dir).join(', ')})`);
}
