import type { Target } from '../targets/index.js';
import { CUDA_INDEX, exprChildren, walkExpr, type CDecl, type CExpr, type CProgram } from './c-expr.js';

/**
 * Which values a kernel reads back from memory it wrote with something derived from the sizes: a
 * size copied into a struct member, a local array or an output element (`S[0] = N; n = S[0]`), and
 * every variable given such a value. The size analysis follows sizes through variables only; a
 * comparison of such a value with a constant is a threshold on the sizes it cannot place, so it
 * fails closed on it (size-paths.ts: opaque). Input arrays are never written, so what is read from
 * them carries no size (the sizes they were drawn at are the verifier's, not the kernel's).
 */
export class MemoryTaint {
  /** Storage roots (arrays, structs, pointer targets) holding a size-derived value; '*' for a write whose storage could not be told. */
  private readonly roots = new Set<string>();
  /** Variables given a value read from such storage. */
  private readonly names = new Set<string>();
  private readonly inputs: Set<string>;
  private readonly arrays: Set<string>;

  constructor(
    t: Target,
    prog: CProgram,
    /** The program's declarations by name (size-flow.ts's). */
    private readonly decls: ReadonlyMap<string, CDecl[]>,
    /** Size symbols a value derives from, through variables (size-flow.ts). */
    sizeDeps: (e: CExpr) => Set<string>,
    /** A variable's definitions: its initializer, every value written to it, its loop's bound. */
    definitions: (name: string) => CExpr[],
    /** Every value written to a variable after its declaration. */
    private readonly writesOf: (name: string) => CExpr[],
  ) {
    this.inputs = new Set(t.params.filter((p) => p.kind === 'array' && p.role === 'in').map((p) => p.name));
    this.arrays = new Set(t.params.filter((p) => p.kind === 'array').map((p) => p.name));
    const writes: { root: string; value: CExpr }[] = [];
    for (const root of [...prog.exprs, ...prog.cases])
      walkExpr(root, (e) => {
        if (e.k === 'assign' && isMemory(e.l)) writes.push({ root: this.rootOf(e.l), value: e.r });
      });
    // What a store puts in memory: a size-derived value (a bound-guarded load, `r < M ? A[i] : 0`,
    // stores data: its guard is a size path of its own, not a value kept).
    const carries = (e: CExpr): boolean => (e.k === 'cond' ? carries(e.t) || carries(e.f) : sizeDeps(e).size > 0 || this.reads(e));
    // A local array or struct initialised with a size (`int dim[1] = { N }`, `struct s d = { N }`).
    const stored = (name: string) => this.decls.get(name)?.some((d) => !d.pointer && d.init && carries(d.init));
    for (let changed = true; changed;) {
      changed = false;
      for (const [name, ds] of this.decls) {
        if (this.roots.has(name)) continue;
        if ((ds.some((d) => d.array) || !isScalarType(ds[0].type)) && stored(name)) (this.roots.add(name), (changed = true));
      }
      for (const w of writes) if (!this.roots.has(w.root) && carries(w.value)) (this.roots.add(w.root), (changed = true));
      for (const name of this.decls.keys()) if (!this.names.has(name) && definitions(name).some((e) => this.reads(e))) (this.names.add(name), (changed = true));
    }
  }

  /** Does the value of `e` come, in part, from memory the kernel wrote with a size-derived value? */
  reads(e: CExpr): boolean {
    // CUDA's launch coordinates (threadIdx.x) are values, not memory (size-flow.ts follows them).
    if (e.k === 'member' && e.a.k === 'id' && CUDA_INDEX.test(e.a.name)) return false;
    if (isMemory(e)) {
      const root = this.rootOf(e);
      if (root === '*') return this.roots.size > 0;
      return this.roots.has(root) || (this.roots.has('*') && !this.inputs.has(root));
    }
    if (e.k === 'id') return this.names.has(e.name);
    if (e.k === 'sizeof') return false;
    return exprChildren(e).some((c) => this.reads(c));
  }

  /** The array, struct or pointer target an lvalue or read designates; '*' where that cannot be told. */
  private rootOf(e: CExpr, seen = new Set<string>()): string {
    if (e.k === 'index' || e.k === 'member' || e.k === 'cast' || (e.k === 'un' && (e.op === '*' || e.op === '&'))) return this.rootOf(e.a, seen);
    if (e.k === 'bin' && (e.op === '+' || e.op === '-')) {
      const l = this.rootOf(e.l, seen);
      return l !== '*' ? l : this.rootOf(e.r, seen);
    }
    if (e.k !== 'id') return '*';
    if (this.arrays.has(e.name) && !this.decls.get(e.name)?.some((d) => d.init)) return e.name;
    const ds = this.decls.get(e.name);
    if (!ds?.length) return '*';
    if (ds.every((d) => !d.pointer)) return e.name; // a local array or struct
    // A pointer: what every definition of it points into, if that is one storage.
    if (seen.has(e.name)) return SELF;
    seen.add(e.name);
    if (!ds.every((d) => d.init)) return '*';
    const targets = new Set([...ds.map((d) => d.init!), ...this.writesOf(e.name)].map((x) => this.rootOf(x, seen)).filter((r) => r !== SELF));
    return targets.size === 1 ? [...targets][0] : '*';
  }
}

/** (a pointer's definition that moves it along its own storage: p + 1) */
const SELF = '\0self';

const isMemory = (e: CExpr): boolean => e.k === 'index' || e.k === 'member' || (e.k === 'un' && e.op === '*');

const isScalarType = (type: string): boolean => !/\b(struct|union)\b/.test(type);
