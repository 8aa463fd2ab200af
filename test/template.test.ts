import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../common/index.js';
import { loadWorkflow, PROMPT_SCHEMAS, Template, TemplateError } from '../workflow/index.js';
import { tmp } from './helpers.js';

const schema = PROMPT_SCHEMAS.writer;

describe('strict prompt templates', () => {
  it('renders variables, filters, conditionals and loops', () => {
    const t = new Template('Kernel {{ target.name | upper }} ({{ profile.pct_of_roof | default: "?" }}%).\n{% for i in insights %}- {{ i.text }}\n{% endfor %}{% if feedback %}Fix: {{ feedback }}{% else %}First try.{% endif %}', schema);
    const out = t.render({ target: { name: 'sgemm' }, profile: {}, insights: [{ text: 'tiling helped' }, { text: 'unroll did not' }], feedback: '' });
    expect(out).toBe('Kernel SGEMM (?%).\n- tiling helped\n- unroll did not\nFirst try.');
  });

  it.each([
    ['{{ target.nmae }}', /unknown variable "target\.nmae" \(did you mean "name"\?\)/],
    ['{{ baselin.source }}', /unknown variable "baselin" \(did you mean "baseline"\?\)/],
    ['{{ target.name | uper }}', /unknown filter "uper" \(did you mean "upper"\?\)/],
    ['{% for x in target.name %}{% endfor %}', /"target\.name" is not a list/],
    ['{% if feedback %}never closed', /\{% if %\} is never closed/],
    ['{% include "x" %}', /unknown tag/],
    ['line one\n{{ idea.titel }}', /line 2: unknown variable "idea\.titel"/],
  ])('rejects %j when loaded', (src, message) => {
    expect(() => new Template(src, schema)).toThrow(TemplateError);
    expect(() => new Template(src, schema)).toThrow(message);
  });

  it('loop variables are scoped to their loop', () => {
    expect(() => new Template('{% for h in history %}{{ h.speedup }}{% endfor %}{{ h.speedup }}', schema)).toThrow(/unknown variable "h"/);
  });

  it('a bad variable in WORKFLOW.md fails the load with the file and the section', () => {
    const f = join(tmp(), 'WORKFLOW.md');
    writeFileSync(f, '---\n{}\n---\n## writer\nMake {{ target.nmae }} faster.\n');
    expect(() => loadWorkflow(f)).toThrow(ConfigError);
    expect(() => loadWorkflow(f)).toThrow(/WORKFLOW\.md: ## writer: line 1: unknown variable "target\.nmae" \(did you mean "name"\?\) of the section/);
  });

  it('the analyzer may not use writer-only variables', () => {
    expect(() => new Template('{{ feedback }}', PROMPT_SCHEMAS.analyzer)).toThrow(/unknown variable "feedback"/);
  });
});
