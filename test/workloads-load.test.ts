import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../common/index.js';
import { CATALOG_DIR } from '../targets/index.js';
import { loadWorkload, resolveWorkload, rowSplit, sliceRows, topologicalOrder, WORKLOAD_CATALOG_DIR, workloadCatalogNames } from '../workloads/index.js';
import { tmp } from './helpers.js';

const MLP = readFileSync(join(WORKLOAD_CATALOG_DIR, 'mlp-block', 'workload.yaml'), 'utf8');

function written(yaml: string): string {
  const dir = join(tmp(), 'w');
  mkdirSync(dir);
  writeFileSync(join(dir, 'workload.yaml'), yaml);
  return dir;
}

function refusal(yaml: string): string {
  try {
    loadWorkload(written(yaml));
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const m = (e as Error).message;
    expect(m.split('\n')).toHaveLength(1);
    return m;
  }
  throw new Error('loaded');
}

describe('workloads', () => {
  it('ships three workloads, each a valid graph of shipped targets', () => {
    expect(workloadCatalogNames()).toEqual(['attention-scores', 'mlp-block', 'stencil-pipeline']);
    for (const n of workloadCatalogNames()) {
      const w = resolveWorkload(n);
      expect(w.name).toBe(n);
      expect(w.nodes.length).toBeGreaterThanOrEqual(3);
      expect(w.outputs.length).toBeGreaterThan(0);
    }
  });

  it('reads the MLP block: nodes in order, inputs, outputs and row splits', () => {
    const w = resolveWorkload('mlp-block');
    expect(w.nodes.map((n) => n.name)).toEqual(['ln', 'up', 'down']);
    expect(w.inputs).toEqual(['ln.X', 'ln.gamma', 'ln.beta', 'up.B', 'down.B']);
    expect(w.outputs).toEqual(['down.C']);
    expect(w.nodes[1].source).toEqual({ A: 'ln.Y', B: 'up.B', C: 'up.C' });
    expect(w.arrays.get('up.C')).toMatchObject({ shape: [256, 512], rowElements: 512, kind: 'output' });
    expect(w.nodes[0].rows).toMatchObject({ symbol: 'R', extent: 256, arrays: { X: { coef: 1, offset: 0 }, gamma: 'whole', beta: 'whole', Y: { coef: 1, offset: 0 } } });
  });

  it('infers halos of stencils and refuses splits the shapes do not allow', () => {
    const st = resolveWorkload('stencil-pipeline');
    const j1 = st.nodes.find((n) => n.name === 'j1')!;
    expect(j1.rows!.arrays.U).toEqual({ coef: 1, offset: 2 });
    expect(sliceRows(j1.rows!, 'U', 10, 20, 512)).toEqual([10, 22]);
    const cv = st.nodes.find((n) => n.name === 'cv')!;
    expect(cv.rows!.arrays.X).toEqual({ coef: 1, offset: 4 });
    const mlp = resolveWorkload('mlp-block');
    const sum = loadWorkload(join(WORKLOAD_CATALOG_DIR, 'stencil-pipeline')).nodes.find((n) => n.name === 'total')!.target;
    expect(rowSplit(sum, { N: 100 }, 'N')).toMatch(/output S .* does not grow with N/);
    const transpose = resolveWorkload('attention-scores').nodes[0].target;
    expect(rowSplit(transpose, { R: 8, C: 4 }, 'R')).toMatch(/B's extent 2 \(R\) depends on R/);
    expect(rowSplit(mlp.nodes[1].target, { M: 8, N: 4, K: 3 }, 'N')).toMatch(/B's extent 2 \(N\) depends on N/);
  });

  it('orders a DAG and names a cycle', () => {
    expect(
      topologicalOrder(
        ['c', 'a', 'b'],
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
      ),
    ).toEqual(['a', 'b', 'c']);
    expect(
      topologicalOrder(
        ['a', 'b', 'c'],
        [
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'b'],
        ],
      ),
    ).toMatch(/^(b -> c -> b|c -> b -> c)$/);
  });

  it('finds a target folder relative to the workload file', () => {
    const root = tmp();
    cpSync(join(CATALOG_DIR, 'softmax'), join(root, 'mine'), { recursive: true });
    writeFileSync(join(root, 'workload.yaml'), 'name: one\nnodes:\n  s: { target: mine, sizes: { R: 4, C: 8 }, rows: R }\n');
    const w = loadWorkload(join(root, 'workload.yaml'));
    expect(w.nodes[0].target.dir).toBe(join(root, 'mine'));
    expect(w.outputs).toEqual(['s.Y']);
  });

  it.each([
    ['invalid YAML', 'name: [', /workload\.yaml: invalid YAML/],
    ['an unknown key with a suggestion', MLP.replace('edges:', 'egdes:'), /workload\.yaml: egdes: unknown key.*allowed here: name, description, nodes, edges, outputs/],
    ['an unknown node key', MLP.replace('rows: R }', 'row: R }'), /nodes\.ln\.row: unknown key \(did you mean "rows"\?\)/],
    ['no nodes', 'name: x\nnodes: {}\n', /nodes: expected at least one node/],
    ['an unknown target', MLP.replace('target: layernorm', 'target: layernrom'), /nodes\.ln\.target: no target folder "layernrom".*shipped: conv2d/],
    ['a missing size symbol', MLP.replace('{ M: 256, N: 512, K: 256 }', '{ M: 256, N: 512 }'), /nodes\.up\.sizes: missing K/],
    ['an unknown size symbol', MLP.replace('{ R: 256, C: 256 }', '{ R: 256, C: 256, Q: 2 }'), /nodes\.ln\.sizes\.Q: not a size symbol of layernorm/],
    ['a size that is not a positive integer', MLP.replace('{ R: 256, C: 256 }', '{ R: 256, C: 2.5 }'), /nodes\.ln\.sizes\.C: /],
    ['an edge from an unknown node', MLP.replace('from: ln.Y', 'from: lm.Y'), /edges\[0\]\.from: no node "lm" \(did you mean "ln"\?\)/],
    ['an edge from an unknown array', MLP.replace('from: ln.Y', 'from: ln.Z'), /edges\[0\]\.from: layernorm has no array "Z"/],
    ['an edge from an input', MLP.replace('from: ln.Y', 'from: ln.X'), /edges\[0\]\.from: ln\.X is an input of layernorm; an edge goes from an output \(Y\)/],
    ['an edge into an output', MLP.replace('to: up.A', 'to: up.C'), /edges\[0\]\.to: up\.C is an output of sgemm/],
    ['a malformed array reference', MLP.replace('from: ln.Y', 'from: lnY'), /edges\[0\]\.from: expected NODE\.ARRAY/],
    ['shapes that differ', MLP.replace('{ M: 256, N: 512, K: 256 }', '{ M: 128, N: 512, K: 256 }'), /edges\[0\]: ln\.Y is \[256, 256\] but up\.A is \[128, 256\]; make the node sizes agree/],
    ['an input fed twice', MLP.replace('  - { from: up.C, to: down.A }', '  - { from: up.C, to: down.A }\n  - { from: ln.Y, to: up.A }'), /edges\[2\]\.to: up\.A is already fed by ln\.Y/],
    [
      'a cycle',
      'name: c\nnodes:\n  a: { target: softmax, sizes: { R: 4, C: 4 } }\n  b: { target: softmax, sizes: { R: 4, C: 4 } }\nedges:\n  - { from: a.Y, to: b.X }\n  - { from: b.Y, to: a.X }\noutputs: [b.Y]\n',
      /edges: the graph has a cycle \((a -> b -> a|b -> a -> b)\); a workload is acyclic/,
    ],
    ['a self edge', 'name: c\nnodes:\n  a: { target: softmax, sizes: { R: 4, C: 4 } }\nedges:\n  - { from: a.Y, to: a.X }\noutputs: [a.Y]\n', /edges\[0\]: a\.Y -> a\.X connects node a to itself/],
    [
      'rows along a symbol that does not split',
      MLP.replace('{ M: 256, N: 512, K: 256 }, rows: M', '{ M: 256, N: 512, K: 256 }, rows: K'),
      /nodes\.up\.rows: A's extent 2 \(K\) depends on K: its rows are not contiguous slices; remove rows: or name another symbol/,
    ],
    ['rows along no symbol', MLP.replace('rows: R', 'rows: Z'), /nodes\.ln\.rows: "Z" is not a size symbol of layernorm/],
    ['an output that is an input', MLP.replace('outputs: [down.C]', 'outputs: [down.B]'), /outputs\[0\]: down\.B is an input of sgemm/],
    ['an output listed twice', MLP.replace('outputs: [down.C]', 'outputs: [down.C, down.C]'), /outputs\[1\]: down\.C is listed twice/],
    ['a node too large to check', MLP.replace('{ M: 256, N: 512, K: 256 }', '{ M: 256, N: 100000, K: 256 }'), /nodes\.up\.sizes: the node's arrays would hold .* elements, more than/],
  ])('refuses %s in one line naming the file and key', (_what, yaml, message) => {
    const m = refusal(yaml);
    expect(m).toMatch(/workload\.yaml: /);
    expect(m).toMatch(message);
  });

  it('suggests reshape where only the shapes differ, and accepts it', () => {
    const yaml = 'name: r\nnodes:\n  a: { target: softmax, sizes: { R: 4, C: 6 } }\n  s: { target: sum, sizes: { N: 24 } }\nedges:\n  - { from: a.Y, to: s.X }\n';
    expect(refusal(yaml)).toMatch(/edges\[0\]: a\.Y is \[4, 6\] but s\.X is \[24\].*set reshape: true/);
    const w = loadWorkload(written(yaml.replace('to: s.X }', 'to: s.X, reshape: true }')));
    expect(w.outputs).toEqual(['s.S']);
    expect(() => resolveWorkload('nope')).toThrow(/no shipped workload of that name \(shipped: attention-scores, mlp-block, stencil-pipeline\)/);
    expect(() => loadWorkload(tmp())).toThrow(/not a workload \(no workload\.yaml\)/);
  });
});
