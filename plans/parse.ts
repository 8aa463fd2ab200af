import { configErrorFromZod, UserError } from '../common/index.js';
import { CEP_VERSION, cepPlanSchema, type CepPlan } from './schema.js';

/** A plan refused: one line naming where it came from, the field and what is wrong. */
export class PlanError extends UserError {
  override readonly name = 'PlanError';
  constructor(
    readonly source: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${source}: cep plan: ${path ? `${path}: ` : ''}${problem}`.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' '));
  }
}

/** Validate a plan (parsed JSON or its text) from `source`: the plan, or a PlanError of one line. */
export function parsePlan(json: unknown, source: string): CepPlan {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new PlanError(source, '', `not JSON (${(e as Error).message.split('\n')[0]})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PlanError(source, '', `expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  const version = (value as { cep?: unknown }).cep;
  if (typeof version === 'number' && Number.isInteger(version) && version > CEP_VERSION) throw new PlanError(source, 'cep', `version ${version} is newer than this kloop reads (version ${CEP_VERSION}); upgrade kloop`);
  const parsed = cepPlanSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const c = configErrorFromZod(source, cepPlanSchema, parsed.error);
  throw new PlanError(source, c.key, c.problem);
}
