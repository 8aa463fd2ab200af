/** Tokens and dollars per provider, role and target, summed over a run (and restored on --resume). */
export interface Spend {
  provider: string;
  model: string;
  role: string;
  target?: string;
  inputTokens: number;
  outputTokens: number;
  usd: number;
}

export interface SpendTotals {
  inputTokens: number;
  outputTokens: number;
  usd: number;
  calls: number;
}

const zero = (): SpendTotals => ({ inputTokens: 0, outputTokens: 0, usd: 0, calls: 0 });

export class CostLedger {
  private readonly entries: Spend[] = [];

  add(s: Spend): void {
    this.entries.push(s);
  }

  total(): SpendTotals {
    return this.sum(() => true);
  }

  /** Totals grouped by a key (e.g. s => s.role). */
  by(key: (s: Spend) => string | undefined): Record<string, SpendTotals> {
    const out: Record<string, SpendTotals> = {};
    for (const s of this.entries) {
      const k = key(s) ?? '-';
      const t = (out[k] ??= zero());
      t.inputTokens += s.inputTokens;
      t.outputTokens += s.outputTokens;
      t.usd += s.usd;
      t.calls++;
    }
    return out;
  }

  private sum(pred: (s: Spend) => boolean): SpendTotals {
    const t = zero();
    for (const s of this.entries)
      if (pred(s)) {
        t.inputTokens += s.inputTokens;
        t.outputTokens += s.outputTokens;
        t.usd += s.usd;
        t.calls++;
      }
    return t;
  }
}
