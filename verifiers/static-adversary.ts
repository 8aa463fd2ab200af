import { lex, type Tok } from '../csyntax/index.js';
import type { GateFinding } from './static-gate.js';

/**
 * Source rules against a kernel that tries to tell kloop's builds apart, change the floating-point
 * environment, or switch instrumentation off. kloop compiles a candidate four ways: the C build
 * (`cc -O3 -march=native` + its flags; the tests and timed runs), the sanitizer build (`-O1
 * -fsanitize=address,undefined`, no `-ffast-math`), and the proof build (C++, `real` a symbolic
 * class); the oracle is the reference in C++. Anything that can differ between them lets a kernel
 * show the proof or the sanitizers another program than the one that is timed.
 */

/** Predefined macros that differ between kloop's builds, with the build that differs. */
const FLAVOUR: Record<string, string> = {
  __cplusplus: 'defined only in the C++ proof and oracle builds',
  __GNUG__: 'defined only in the C++ proof and oracle builds',
  __STDC_VERSION__: 'defined only in the C builds, not in the C++ proof build',
  __SANITIZE_ADDRESS__: 'defined only in the sanitizer build',
  __SANITIZE_THREAD__: 'defined only under a sanitizer build',
  __SANITIZE_HWADDRESS__: 'defined only under a sanitizer build',
  __OPTIMIZE__: 'depends on the optimisation level, which differs between builds (-O3, -O1)',
  __OPTIMIZE_SIZE__: 'depends on the optimisation level, which differs between builds',
  __NO_INLINE__: 'depends on the optimisation level, which differs between builds',
  __FAST_MATH__: 'defined by -ffast-math, which the sanitizer and proof builds drop',
  __FINITE_MATH_ONLY__: 'set by -ffast-math, which the sanitizer and proof builds drop',
  __NO_MATH_ERRNO__: 'set by math flags the proof build does not use',
  __NO_TRAPPING_MATH__: 'set by math flags the proof build does not use',
  __ASSOCIATIVE_MATH__: 'set by -ffast-math, which the sanitizer and proof builds drop',
  __RECIPROCAL_MATH__: 'set by -ffast-math, which the sanitizer and proof builds drop',
  __NO_SIGNED_ZEROS__: 'set by -ffast-math, which the sanitizer and proof builds drop',
  __GCC_IEC_559: 'changed by -ffast-math, which the sanitizer and proof builds drop',
  __GCC_IEC_559_COMPLEX: 'changed by -ffast-math, which the sanitizer and proof builds drop',
  __STDC_IEC_559__: 'changed by -ffast-math, which the sanitizer and proof builds drop',
  __STDC_IEC_559_COMPLEX__: 'changed by -ffast-math, which the sanitizer and proof builds drop',
  __STDC_IEC_60559_BFP__: 'changed by -ffast-math, which the sanitizer and proof builds drop',
  __STDC_IEC_60559_COMPLEX__: 'changed by -ffast-math, which the sanitizer and proof builds drop',
  _REENTRANT: 'defined by -fopenmp only in some builds',
  _GNU_SOURCE: 'defined only in the C++ builds',
  __DEPRECATED: 'defined only in the C++ builds',
  __EXCEPTIONS: 'defined only in the C++ builds',
  __has_feature: 'answers differently under the sanitizer build',
  __has_extension: 'answers differently under the sanitizer build',
  __has_cpp_attribute: 'exists only in the C++ builds',
  __has_include: 'answers differently in the C and C++ builds (C++ headers)',
  __has_include_next: 'answers differently in the C and C++ builds (C++ headers)',
  __has_builtin: 'answers differently in the C and C++ builds (C++-only builtins)',
  __has_attribute: 'answers differently in the C and C++ builds (C++-only attributes)',
  __builtin_constant_p: 'its value depends on the optimisation level, which differs between builds',
  __builtin_object_size: 'its value depends on the optimisation level and the sanitizer build',
  __builtin_dynamic_object_size: 'its value depends on the optimisation level and the sanitizer build',
  __builtin_is_constant_evaluated: 'exists only in the C++ builds',
  __PRETTY_FUNCTION__: "spells the C++ proof build's types, not the C build's",
  __COUNTER__: 'counts differently in builds that include different headers',
  __DATE__: 'differs between builds made at different times',
  __TIME__: 'differs between builds made at different times',
  __TIMESTAMP__: 'differs between builds made at different times',
  __FILE__: 'names a different file in each build',
  __FILE_NAME__: 'names a different file in each build',
  __BASE_FILE__: 'names a different file in each build',
  __INCLUDE_LEVEL__: 'differs between builds that include the kernel differently',
};
/** Families of the same: C++ feature tests, libstdc++ and libc++ macros, kloop's own headers' guards and flags, sanitizer tests. */
const FLAVOUR_PREFIX: [RegExp, string][] = [
  [/^__cpp_/, 'defined only in the C++ builds'],
  [/^_+GLIBCXX/, 'defined only in the C++ builds'],
  [/^_LIBCPP/, 'defined only in the C++ builds'],
  [/^__GXX_/, 'defined only in the C++ builds'],
  [/^__STDCPP_/, 'defined only in the C++ builds'],
  [/^__SANITIZE_/, 'defined only in a sanitizer build'],
  [/^KLOOP_/, "kloop's own macros differ between its builds (harness, sanitizer, oracle, proof)"],
];

/** Calls that read or change the floating-point control state (MXCSR, the x87 control word, fenv). */
const FP_CONTROL = new Set([
  '_mm_setcsr',
  '_mm_getcsr',
  '_MM_SET_FLUSH_ZERO_MODE',
  '_MM_SET_DENORMALS_ZERO_MODE',
  '_MM_SET_ROUNDING_MODE',
  '_MM_SET_EXCEPTION_MASK',
  '_MM_SET_EXCEPTION_STATE',
  '_MM_GET_FLUSH_ZERO_MODE',
  '_MM_GET_DENORMALS_ZERO_MODE',
  '_MM_GET_ROUNDING_MODE',
  '_MM_GET_EXCEPTION_MASK',
  '_MM_GET_EXCEPTION_STATE',
  '__builtin_ia32_ldmxcsr',
  '__builtin_ia32_stmxcsr',
  'fesetround',
  'fegetround',
  'fesetenv',
  'fegetenv',
  'feupdateenv',
  'feholdexcept',
  'fesetexceptflag',
  'fegetexceptflag',
  'feenableexcept',
  'fedisableexcept',
  'fegetexcept',
  'feclearexcept',
  'feraiseexcept',
  'fesetexcept',
  'fesetmode',
  'fegetmode',
  '_FPU_SETCW',
  '_FPU_GETCW',
  '__builtin_set_flt_rounds',
  '__builtin_flt_rounds',
  'FLT_ROUNDS',
]);

/** Attributes that switch instrumentation off, change code generation per function, or run code outside the call. */
const ATTRIBUTES: Record<string, string> = {
  no_sanitize: 'switches a sanitizer off',
  no_sanitize_address: 'switches AddressSanitizer off',
  no_sanitize_undefined: 'switches UndefinedBehaviorSanitizer off',
  no_sanitize_thread: 'switches ThreadSanitizer off',
  no_sanitize_memory: 'switches a sanitizer off',
  no_sanitize_coverage: 'switches instrumentation off',
  no_address_safety_analysis: 'switches AddressSanitizer off',
  disable_sanitizer_instrumentation: 'switches every sanitizer off',
  no_instrument_function: 'switches instrumentation off',
  no_profile_instrument_function: 'switches instrumentation off',
  no_stack_protector: 'switches the stack protector off',
  no_split_stack: 'changes code generation per function',
  optimize: 'changes the optimisation level per function (builds would differ)',
  target_clones: 'dispatches between clones at run time',
  constructor: 'runs code outside the kernel call',
  destructor: 'runs code outside the kernel call',
  ifunc: 'picks an implementation at load time, outside the call',
  alias: 'makes another symbol name the same code',
  weakref: 'makes another symbol name the same code',
  section: 'places code or data outside the sections the object-file check reads',
};

/** What a conditional directive may test besides the candidate's own macros: macros equal in every kloop build. */
const SAME_IN_EVERY_BUILD =
  /^(_OPENMP|__(SSE\w*|AVX\w*|FMA4?|F16C|BMI2?|LZCNT|POPCNT|ARM_\w+|aarch64|x86_64|amd64|i386|LP64|SIZEOF_\w+|BYTE_ORDER|ORDER_\w+|FLT_\w+|DBL_\w+|LDBL_\w+|CHAR_BIT|INT_MAX|LONG_MAX|SCHAR_MAX|SHRT_MAX|LONG_LONG_MAX|GNUC|GNUC_MINOR|GNUC_PATCHLEVEL|clang|clang_major|clang_minor|STDC|STDC_HOSTED|LINE|FP_FAST_FMAF?)__?|defined|NDEBUG|M_\w+|FLT_\w+|DBL_\w+|LDBL_\w+|U?INT(8|16|32|64)?_(MAX|MIN)|U?LONG_(MAX|MIN)|SIZE_MAX|CHAR_BIT|INFINITY|NAN|HUGE_VALF?|NULL|true|false|FP_FAST_FMAF?)$/;

const bare = (name: string) => name.replace(/^__(\w+?)__$/, '$1');

function flavour(id: string): string | undefined {
  return FLAVOUR[id] ?? FLAVOUR_PREFIX.find(([re]) => re.test(id))?.[1];
}

/** The tokens of a directive's body (after `#define NAME(params)` or `#if`), on the directive's line. */
function bodyTokens(t: Tok, from: RegExp): Tok[] {
  const text = t.text.replace(/\\\r?\n/g, ' ').replace(from, '');
  try {
    return lex(text).map((b) => ({ ...b, line: t.line }));
  } catch {
    return [];
  }
}

function identifierFinding(id: Tok, inDefine: boolean): GateFinding | undefined {
  const why = flavour(id.text);
  if (why) return { line: id.line, what: `${inDefine ? 'a macro hides ' : 'uses '}${id.text}, which ${why}: a kernel may not tell which of kloop's builds it is in` };
  if (FP_CONTROL.has(id.text))
    return { line: id.line, what: `${inDefine ? 'a macro hides ' : 'uses '}${id.text}: a kernel may not read or change the floating-point control state (MXCSR, rounding, flush-to-zero, exceptions), which outlives the call` };
  if (id.text === '_Pragma' || id.text === '__pragma') return undefined; // checked with its argument
  if (inDefine && ATTRIBUTES[bare(id.text)]) return { line: id.line, what: `a macro hides the attribute ${id.text}, which ${ATTRIBUTES[bare(id.text)]}` };
  return undefined;
}

/** Identifiers inside `__attribute__((...))` or `[[...]]` starting at toks[i]; returns the end index. */
function attributeGroup(toks: Tok[], i: number): { ids: Tok[]; end: number } {
  const ids: Tok[] = [];
  let depth = 0;
  let j = i;
  const open = toks[i].text;
  const close = open === '(' ? ')' : ']';
  for (; j < toks.length; j++) {
    if (toks[j].text === open) depth++;
    else if (toks[j].text === close && --depth === 0) break;
    else if (toks[j].kind === 'id') ids.push(toks[j]);
  }
  return { ids, end: j };
}

function scanTokens(toks: Tok[], pragma: RegExp, inDefine: boolean, attrMacros: Set<string>): GateFinding | undefined {
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind === 'op' && t.text === '##') return { line: t.line, what: 'uses token pasting (##), which can spell any refused name out of pieces' };
    if (t.kind !== 'id' && !(t.kind === 'op' && t.text === '[' && toks[i + 1]?.text === '[')) continue;
    const f = t.kind === 'id' ? identifierFinding(t, inDefine) : undefined;
    if (f) return f;
    if (t.text === '_Pragma' || t.text === '__pragma') {
      const arg = toks[i + 1]?.text === '(' && toks[i + 2]?.kind === 'str' && toks[i + 3]?.text === ')' ? toks[i + 2].text : undefined;
      const text = arg && `#pragma ${arg.slice(1, -1).replace(/\\(.)/g, '$1')}`;
      if (!text || !pragma.test(text)) return { line: t.line, what: `uses ${t.text}(${arg ?? '...'}) (allowed pragmas: omp, GCC unroll, GCC ivdep, as a plain string)` };
      continue;
    }
    const isAttr = t.kind === 'id' ? /^(__attribute__|__attribute|__declspec)$/.test(t.text) || attrMacros.has(t.text) : true;
    if (!isAttr) continue;
    const start = t.kind === 'id' ? i + 1 : i;
    if (toks[start]?.text !== '(' && toks[start]?.text !== '[') continue;
    const g = attributeGroup(toks, start);
    for (const id of g.ids) {
      const why = ATTRIBUTES[bare(id.text)];
      if (why) return { line: id.line, what: `uses the attribute ${id.text}, which ${why}: not allowed in a kernel` };
    }
    i = g.end;
  }
  return undefined;
}

/**
 * Build-flavour macros, floating-point control, attributes or pragmas that switch instrumentation
 * off, and conditional directives that test anything but the candidate's own macros and macros
 * equal in every kloop build. Macro bodies are read as code: a `#define` cannot hide any of it.
 */
export function scanAdversary(toks: Tok[], pragma: RegExp): GateFinding | undefined {
  const own = new Set<string>();
  const attrMacros = new Set<string>();
  for (const t of toks) {
    const d = /^#\s*define\s+(\w+)/.exec(t.text);
    if (t.kind !== 'pp' || !d) continue;
    own.add(d[1]);
    if (/\b(__attribute__|__attribute|__declspec)\b/.test(t.text)) attrMacros.add(d[1]);
  }
  for (const t of toks) {
    if (t.kind !== 'pp') continue;
    if (/^#\s*define\b/.test(t.text)) {
      const f = scanTokens(bodyTokens(t, /^#\s*define\s+\w+(\([^)]*\))?/), pragma, true, attrMacros);
      if (f) return f;
      continue;
    }
    const cond = /^#\s*(if|ifdef|ifndef|elif|elifdef|elifndef)\b/.exec(t.text);
    if (!cond) {
      // #pragma omp clauses are macro-expanded; #undef and the rest name identifiers too.
      for (const id of bodyTokens(t, /^#\s*\w+/).filter((b) => b.kind === 'id')) {
        const f = identifierFinding(id, false);
        if (f) return f;
      }
      continue;
    }
    for (const id of bodyTokens(t, /^#\s*\w+/).filter((b) => b.kind === 'id')) {
      const f = identifierFinding(id, false);
      if (f) return f;
      if (!own.has(id.text) && !SAME_IN_EVERY_BUILD.test(id.text))
        return {
          line: t.line,
          what: `#${cond[1]} tests ${id.text}, which the kernel does not define and which may differ between kloop's builds (C, sanitizer, C++ proof): conditionals may test only the kernel's own macros, ISA macros, _OPENMP and the compiler's version`,
        };
    }
  }
  return scanTokens(
    toks.filter((t) => t.kind !== 'pp'),
    pragma,
    false,
    attrMacros,
  );
}
