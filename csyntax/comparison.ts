/**
 * C's comparison operators on numbers, as C gives them: 1 or 0. Undefined for any other operator
 * (the caller's own arithmetic decides those).
 */
export function comparison(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '<':
      return +(a < b);
    case '>':
      return +(a > b);
    case '<=':
      return +(a <= b);
    case '>=':
      return +(a >= b);
    case '==':
      return +(a === b);
    case '!=':
      return +(a !== b);
  }
  return undefined;
}
