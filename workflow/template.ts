import { didYouMean } from '../common/index.js';

/**
 * Strict prompt templates, a small Liquid-like language:
 *   {{ path.to.value }}  {{ value | filter }}  {{ value | filter: "arg" }}
 *   {% if path %}...{% else %}...{% endif %}   {% for x in path %}...{% endfor %}
 * Every variable and filter is checked against a schema when WORKFLOW.md is loaded, not at 3 a.m.
 */
export type VarSchema = 'value' | { [key: string]: VarSchema } | { list: VarSchema };

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

type Node =
  | { k: 'text'; text: string }
  | { k: 'out'; path: string[]; filters: { name: string; arg?: string }[]; line: number }
  | { k: 'if'; path: string[]; then: Node[]; else: Node[]; line: number }
  | { k: 'for'; name: string; path: string[]; body: Node[]; line: number };

export const FILTERS: Record<string, (v: unknown, arg?: string) => unknown> = {
  json: (v) => JSON.stringify(v, null, 2),
  upper: (v) => String(v ?? '').toUpperCase(),
  lower: (v) => String(v ?? '').toLowerCase(),
  join: (v, arg) => (Array.isArray(v) ? v.join(arg ?? ', ') : String(v ?? '')),
  indent: (v, arg) => String(v ?? '').replace(/^/gm, ' '.repeat(Number(arg ?? 2))),
  default: (v, arg) => (v === undefined || v === null || v === '' ? (arg ?? '') : v),
  round: (v, arg) => (typeof v === 'number' ? v.toFixed(Number(arg ?? 2)) : v),
  truncate: (v, arg) => {
    const s = String(v ?? '');
    const n = Number(arg ?? 2000);
    return s.length > n ? s.slice(0, n) + '…' : s;
  },
};

const TAG = /\{\{\s*([\s\S]*?)\s*\}\}|\{%\s*([\s\S]*?)\s*%\}/g;

export function parseTemplate(src: string): Node[] {
  const root: Node[] = [];
  const stack: { nodes: Node[]; node?: Node & { k: 'if' | 'for' }; inElse?: boolean }[] = [{ nodes: root }];
  let last = 0;
  const lineAt = (i: number) => src.slice(0, i).split('\n').length;
  const top = () => stack[stack.length - 1];
  const push = (n: Node) => {
    const t = top();
    if (t.node?.k === 'if' && t.inElse) t.node.else.push(n);
    else if (t.node?.k === 'if') t.node.then.push(n);
    else if (t.node?.k === 'for') t.node.body.push(n);
    else t.nodes.push(n);
  };
  const path = (s: string, line: number) => {
    if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(s)) throw new TemplateError(`"${s}" is not a variable name`, line);
    return s.split('.');
  };
  for (const m of src.matchAll(TAG)) {
    const line = lineAt(m.index!);
    if (m.index! > last) push({ k: 'text', text: src.slice(last, m.index) });
    last = m.index! + m[0].length;
    if (m[1] !== undefined) {
      const [head, ...fs] = m[1].split('|').map((s) => s.trim());
      const filters = fs.map((f) => {
        const fm = /^(\w+)\s*(?::\s*(?:"([^"]*)"|'([^']*)'|(\S+)))?$/.exec(f);
        if (!fm) throw new TemplateError(`cannot read filter "${f}"`, line);
        return { name: fm[1], arg: fm[2] ?? fm[3] ?? fm[4] };
      });
      push({ k: 'out', path: path(head, line), filters, line });
      continue;
    }
    const tag = m[2];
    let tm: RegExpExecArray | null;
    if ((tm = /^if\s+(\S+)$/.exec(tag))) {
      const n: Node = { k: 'if', path: path(tm[1], line), then: [], else: [], line };
      push(n);
      stack.push({ nodes: [], node: n });
    } else if (tag === 'else') {
      if (top().node?.k !== 'if' || top().inElse) throw new TemplateError('{% else %} without {% if %}', line);
      top().inElse = true;
    } else if (tag === 'endif') {
      if (top().node?.k !== 'if') throw new TemplateError('{% endif %} without {% if %}', line);
      stack.pop();
    } else if ((tm = /^for\s+([A-Za-z_]\w*)\s+in\s+(\S+)$/.exec(tag))) {
      const n: Node = { k: 'for', name: tm[1], path: path(tm[2], line), body: [], line };
      push(n);
      stack.push({ nodes: [], node: n });
    } else if (tag === 'endfor') {
      if (top().node?.k !== 'for') throw new TemplateError('{% endfor %} without {% for %}', line);
      stack.pop();
    } else throw new TemplateError(`unknown tag {% ${tag} %} (use if, else, endif, for, endfor)`, line);
  }
  if (stack.length > 1) throw new TemplateError(`{% ${top().node!.k} %} is never closed`, top().node!.line);
  if (last < src.length) push({ k: 'text', text: src.slice(last) });
  return root;
}

function lookupSchema(schema: VarSchema, path: string[], line: number, scope: Record<string, VarSchema>): VarSchema {
  let s: VarSchema | undefined = scope[path[0]] ?? (typeof schema === 'object' && !('list' in schema) ? (schema as Record<string, VarSchema>)[path[0]] : undefined);
  if (s === undefined) {
    const known = [...Object.keys(scope), ...Object.keys(schema as object)];
    throw new TemplateError(`unknown variable "${path[0]}"${didYouMean(path[0], known)}`, line);
  }
  for (let i = 1; i < path.length; i++) {
    if (s === 'value' || 'list' in (s as object)) throw new TemplateError(`"${path.slice(0, i).join('.')}" has no field "${path[i]}"`, line);
    const next: VarSchema | undefined = (s as Record<string, VarSchema>)[path[i]];
    if (next === undefined) throw new TemplateError(`unknown variable "${path.slice(0, i + 1).join('.')}"${didYouMean(path[i], Object.keys(s as object))}`, line);
    s = next;
  }
  return s!;
}

/** Check every variable and filter against the schema. Throws TemplateError on the first problem. */
export function validateTemplate(nodes: Node[], schema: VarSchema, scope: Record<string, VarSchema> = {}): void {
  for (const n of nodes) {
    if (n.k === 'out') {
      lookupSchema(schema, n.path, n.line, scope);
      for (const f of n.filters) if (!FILTERS[f.name]) throw new TemplateError(`unknown filter "${f.name}"${didYouMean(f.name, Object.keys(FILTERS))}`, n.line);
    } else if (n.k === 'if') {
      lookupSchema(schema, n.path, n.line, scope);
      validateTemplate(n.then, schema, scope);
      validateTemplate(n.else, schema, scope);
    } else if (n.k === 'for') {
      const s = lookupSchema(schema, n.path, n.line, scope);
      if (typeof s !== 'object' || !('list' in s)) throw new TemplateError(`"${n.path.join('.')}" is not a list`, n.line);
      validateTemplate(n.body, schema, { ...scope, [n.name]: (s as { list: VarSchema }).list });
    }
  }
}

function get(vars: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = vars;
  for (const p of path) v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[p];
  return v;
}

const truthy = (v: unknown) => !(v === undefined || v === null || v === false || v === '' || v === 0 || (Array.isArray(v) && v.length === 0));

export function renderTemplate(nodes: Node[], vars: Record<string, unknown>): string {
  let out = '';
  for (const n of nodes) {
    if (n.k === 'text') out += n.text;
    else if (n.k === 'out') {
      let v = get(vars, n.path);
      for (const f of n.filters) v = FILTERS[f.name](v, f.arg);
      out += v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    } else if (n.k === 'if') out += renderTemplate(truthy(get(vars, n.path)) ? n.then : n.else, vars);
    else {
      const list = get(vars, n.path);
      if (Array.isArray(list)) for (const item of list) out += renderTemplate(n.body, { ...vars, [n.name]: item });
    }
  }
  return out;
}

/** A parsed, validated template. */
export class Template {
  private readonly nodes: Node[];
  constructor(
    readonly source: string,
    schema: VarSchema,
  ) {
    this.nodes = parseTemplate(source);
    validateTemplate(this.nodes, schema);
  }
  render(vars: Record<string, unknown>): string {
    return renderTemplate(this.nodes, vars).trim();
  }
}
