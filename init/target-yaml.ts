import type { Inferred } from './infer.js';
import type { Size } from './sizes.js';

/** A field kloop init could not infer: where it goes in target.yaml and the one line saying why. */
export interface Todo {
  key: string;
  why: string;
}

/** Everything left to the user, in target.yaml's order. */
export function todosOf(i: Inferred): Todo[] {
  const out: Todo[] = [];
  if (i.realWhy) out.push({ key: 'real', why: i.realWhy });
  for (const a of i.args) {
    if (!a.role) out.push({ key: `args.${a.name}.role`, why: a.roleWhy ?? 'unknown' });
    if (!a.shape) out.push({ key: `args.${a.name}.shape`, why: a.shapeWhy ?? 'unknown' });
    if (a.needsValues && !a.values) out.push({ key: `args.${a.name}.values`, why: `${a.name} is an integer array: say what its contents satisfy (csr_rowptr: SIZE, index: SIZE, or range: [LO, HI]) so the verifier can draw valid ones` });
  }
  for (const s of i.scalars) {
    const g = i.scalarGuesses.get(s);
    if (!g?.range) out.push({ key: `scalars.${s}`, why: g?.why ?? `${s} is a scalar parameter: give its value (value: X) or the range the verifier draws it from (range: [LO, HI])` });
  }
  if (!i.flops) out.push({ key: 'flops', why: i.flopsWhy ?? 'unknown' });
  if (!i.bytes) out.push({ key: 'bytes', why: i.bytesWhy ?? 'unknown' });
  return out;
}

const sizeText = (s: Size) =>
  `{${Object.entries(s)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')}}`;

/** target.yaml as kloop init writes it: inferred values with where they came from, TODO markers (that do not load) where it could not infer. */
export function targetYaml(o: { name: string; from: string; inferred: Inferred; check: Size[]; bench: Size; benchNote: string; limits: { min: number; max: number } }): string {
  const i = o.inferred;
  const todos = todosOf(i);
  const todo = (key: string) => todos.find((t) => t.key === key);
  const lines: string[] = [
    `# Written by kloop init from ${o.from} (function ${i.fn}).`,
    todos.length ? `# ${todos.length} TODO${todos.length > 1 ? 's' : ''} below: kloop cannot load this target until each is replaced (the line above each says why).` : '# Every field was inferred; review them.',
    `name: ${o.name}`,
    `description: ${i.fn} from ${o.from.split('/').at(-1)}`,
    `signature: ${i.signature}`,
  ];
  if (todo('real')) lines.push(`# TODO: ${todo('real')!.why}`, 'real: TODO');
  else lines.push(`real: ${i.real}`);
  lines.push('args:');
  for (const a of i.args) {
    const role = todo(`args.${a.name}.role`);
    const shape = todo(`args.${a.name}.shape`);
    const values = todo(`args.${a.name}.values`);
    for (const t of [role, shape, values]) if (t) lines.push(`  # TODO (${t.key}): ${t.why}`);
    const from = [
      a.role && !role ? (a.isConst ? 'declared const' : a.role === 'in' ? 'never written' : a.role === 'out' ? 'written before it is read' : 'read before it is written') : '',
      a.shapeFrom ? `shape from its ${{ indices: 'index expressions', 'largest index': 'largest index touched', declaration: 'declaration' }[a.shapeFrom]}` : (a.shapeNote ?? ''),
      a.values?.from ?? '',
      a.renamedFrom ? `renamed from ${a.renamedFrom} (a name kloop's harness uses)` : '',
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(
      `  ${a.name}: { shape: [${shape ? 'TODO' : a.shape!.join(', ')}], role: ${role ? 'TODO' : a.role}${values ? ', values: TODO' : a.values ? `, values: { ${a.values.kind}: ${a.values.kind === 'range' ? `[${a.values.lo}, ${a.values.bound.toString(i.sizes)}]` : a.values.bound.toString(i.sizes)} }` : ''} }${from ? `   # ${from}` : ''}`,
    );
  }
  if (i.scalars.length) {
    lines.push('scalars:');
    for (const s of i.scalars) {
      const g = i.scalarGuesses.get(s);
      if (g?.range) lines.push(`  ${s}: { range: [${g.range.join(', ')}], bench: ${g.bench} }   # inferred from its use, ${g.why}; fix it with value: X where it is one constant`);
      else lines.push(`  # TODO (scalars.${s}): ${todo(`scalars.${s}`)!.why}`, `  ${s}: TODO`);
    }
  }
  lines.push(
    'sizes:',
    `  check: [${o.check.map(sizeText).join(', ')}]`,
    `  bench: ${sizeText(o.bench)}   # ${o.benchNote}`,
    `  limits: { ${Object.keys(o.bench)
      .map((k) => `${k}: { min: ${o.limits.min}, max: ${o.limits.max} }`)
      .join(', ')} }`,
  );
  for (const [key, text] of [
    ['flops', i.flops],
    ['bytes', i.bytes],
  ] as const) {
    const t = todo(key);
    if (t) lines.push(`# TODO (${key}): ${t.why}`, `${key}: TODO`);
    else lines.push(`${key}: ${text}   # ${key === 'flops' ? 'floating-point operations' : 'distinct elements touched × element size'}, counted at small sizes and fitted`);
  }
  lines.push('# allow: { reassociation: true }   # lets candidates reorder arithmetic (and use -ffast-math); off unless you allow it');
  return lines.join('\n') + '\n';
}
