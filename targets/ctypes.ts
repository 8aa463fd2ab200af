/**
 * The C types a target's signature may spell: integer types (sizes and integer arrays) and the
 * scalar type (`real`, or `float`/`double`, which must be the target's precision).
 */
export interface IntType {
  /** Canonical C spelling (`int`, `long`, `unsigned long long`, `size_t`, `int64_t`...). */
  ctype: string;
  bytes: 1 | 2 | 4 | 8;
  signed: boolean;
  /** Smallest and largest value (64-bit types: limited to what a JavaScript number holds exactly). */
  min: number;
  max: number;
}

const i8 = (ctype: string): IntType => ({ ctype, bytes: 1, signed: true, min: -128, max: 127 });
const u8 = (ctype: string): IntType => ({ ctype, bytes: 1, signed: false, min: 0, max: 255 });
const i16 = (ctype: string): IntType => ({ ctype, bytes: 2, signed: true, min: -32768, max: 32767 });
const u16 = (ctype: string): IntType => ({ ctype, bytes: 2, signed: false, min: 0, max: 65535 });
/** Plain char is signed on x86-64 and unsigned on AArch64: only the values both hold. */
const plainChar: IntType = { ctype: 'char', bytes: 1, signed: true, min: 0, max: 127 };
const i32 = (ctype: string): IntType => ({ ctype, bytes: 4, signed: true, min: -(2 ** 31), max: 2 ** 31 - 1 });
const u32 = (ctype: string): IntType => ({ ctype, bytes: 4, signed: false, min: 0, max: 2 ** 32 - 1 });
const i64 = (ctype: string): IntType => ({ ctype, bytes: 8, signed: true, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const u64 = (ctype: string): IntType => ({ ctype, bytes: 8, signed: false, min: 0, max: Number.MAX_SAFE_INTEGER });

/**
 * Integer types by canonical spelling (LP64: long is 64 bits). The 1- and 2-byte types (pixels,
 * quantised values) are for arrays only; a size is at least an int.
 */
export const INT_TYPES: Readonly<Record<string, IntType>> = Object.fromEntries(
  [
    plainChar,
    i8('signed char'),
    u8('unsigned char'),
    i16('short'),
    u16('unsigned short'),
    i8('int8_t'),
    u8('uint8_t'),
    i16('int16_t'),
    u16('uint16_t'),
    i32('int'),
    u32('unsigned'),
    i64('long'),
    u64('unsigned long'),
    i64('long long'),
    u64('unsigned long long'),
    u64('size_t'),
    i64('ptrdiff_t'),
    i32('int32_t'),
    u32('uint32_t'),
    i64('int64_t'),
    u64('uint64_t'),
  ].map((t) => [t.ctype, t]),
);

/** The spellings of the scalar type: `real` (kloop's typedef) or the precision's own keyword. */
export const REAL_SPELLINGS = ['real', 'float', 'double'] as const;

/**
 * The canonical spelling of a type written as words (`unsigned int`, `long int`, `signed`...), or
 * undefined when it is not a type a signature may use.
 */
export function canonicalType(words: string[]): string | undefined {
  // `signed` is the default but for char (signed char is its own type).
  const w = words.filter((x) => x !== 'signed' || words.length === 1 || words.includes('char'));
  const text = w.join(' ');
  if ((REAL_SPELLINGS as readonly string[]).includes(text)) return text;
  const map: Record<string, string> = {
    char: 'char',
    'signed char': 'signed char',
    'unsigned char': 'unsigned char',
    short: 'short',
    'short int': 'short',
    'signed short': 'short',
    'signed short int': 'short',
    'unsigned short': 'unsigned short',
    'unsigned short int': 'unsigned short',
    int: 'int',
    signed: 'int',
    unsigned: 'unsigned',
    'unsigned int': 'unsigned',
    long: 'long',
    'long int': 'long',
    'unsigned long': 'unsigned long',
    'unsigned long int': 'unsigned long',
    'long long': 'long long',
    'long long int': 'long long',
    'unsigned long long': 'unsigned long long',
    'unsigned long long int': 'unsigned long long',
  };
  if (map[text]) return map[text];
  if (w.length === 1 && INT_TYPES[text]) return text;
  return undefined;
}

/** Is this canonical type one of the scalar type's spellings? */
export const isRealSpelling = (type: string): boolean => (REAL_SPELLINGS as readonly string[]).includes(type);
