/** USD per million tokens (input, output). WORKFLOW.md `pricing:` adds or overrides models. */
export interface Price {
  input_per_mtok: number;
  output_per_mtok: number;
}

export const DEFAULT_PRICES: Record<string, Price> = {
  'claude-opus-4': { input_per_mtok: 15, output_per_mtok: 75 },
  'claude-sonnet-4': { input_per_mtok: 3, output_per_mtok: 15 },
  'claude-3-5-haiku': { input_per_mtok: 0.8, output_per_mtok: 4 },
  'claude-haiku-4': { input_per_mtok: 1, output_per_mtok: 5 },
  'gpt-4o': { input_per_mtok: 2.5, output_per_mtok: 10 },
  'gpt-4o-mini': { input_per_mtok: 0.15, output_per_mtok: 0.6 },
  'gpt-4.1': { input_per_mtok: 2, output_per_mtok: 8 },
  'gpt-4.1-mini': { input_per_mtok: 0.4, output_per_mtok: 1.6 },
  'gpt-5': { input_per_mtok: 1.25, output_per_mtok: 10 },
  o3: { input_per_mtok: 2, output_per_mtok: 8 },
};

/** The price of a model: exact name first, then the longest known prefix (dated variants). */
export function priceOf(model: string, table: Record<string, Price>): Price | undefined {
  if (table[model]) return table[model];
  const key = Object.keys(table)
    .filter((k) => model.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
  return key ? table[key] : undefined;
}

export function costUsd(p: Price | undefined, inputTokens: number, outputTokens: number): number {
  return p ? (inputTokens * p.input_per_mtok + outputTokens * p.output_per_mtok) / 1e6 : 0;
}
