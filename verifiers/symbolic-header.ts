/**
 * The proof's scalar type: `real` = Sym, an exact polynomial over the inputs (each input element a
 * variable). + - * normalise; division is multiplication by recip(b), and recip, sqrt, exp, log,
 * tanh, fabs, fmax, fmin are uninterpreted functions of their normalised arguments, named by
 * content so that two processes name them alike. A comparison or conversion of a non-constant
 * value throws: the proof is then not applicable (fail closed), never "passed".
 *
 * Beside the polynomial, each value carries t, a hash of the floating-point operations that made
 * it: the expression tree, with only the identities IEEE arithmetic keeps exactly (a+b = b+a,
 * a*b = b*a, a-b = a+(-b), -(-a) = a, a/2^k = a*2^-k, fmax/fmin commutative) and nothing folded
 * (x*0 is not 0, x+0 is not x, (x*2^100)*2^-100 is not x), and a constant of type double in a float
 * target (C computes what it touches in double) is not the float of the same value. Equal
 * polynomials say equal over the reals; equal trees also say the same rounding, overflow and
 * special values: a target that allows no reassociation is proved only on equal trees. A value
 * scaled by a constant outside [2^-24, 2^24] sets extreme() (a float may overflow or underflow there
 * where the reference's does not).
 */
export const symbolicHeader = (real: 'float' | 'double') => `#define KLOOP_SYM_FLOAT ${real === 'float' ? 1 : 0}\n${SYMBOLIC_HEADER}`;

export const SYMBOLIC_HEADER = String.raw`#ifndef KLOOP_SYMBOLIC_HPP
#define KLOOP_SYMBOLIC_HPP
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <algorithm>
#include <type_traits>
#define restrict __restrict
#ifndef KLOOP_SYM_FLOAT
#define KLOOP_SYM_FLOAT 0
#endif

namespace kloop_sym {
struct Inapplicable { const char *why; };
typedef long double Coef;
typedef std::vector<std::string> Mono;          /* sorted factor names */
typedef std::map<Mono, Coef> Poly;

static unsigned long long fnv(const std::string &s) {
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char c : s) { h ^= c; h *= 1099511628211ULL; }
  return h;
}

static std::string coef_text(Coef c) { char b[64]; snprintf(b, sizeof b, "%La", c); return b; }

/* The tree's hashes: a node is its operator and its operands' hashes (commutative ones sorted). */
static unsigned long long mix(unsigned long long a, unsigned long long b) {
  unsigned long long x = a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
  x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL; x ^= x >> 27; x *= 0x94d049bb133111ebULL; x ^= x >> 31;
  return x;
}
static unsigned long long tnode(char op, unsigned long long a, unsigned long long b) { return mix(mix((unsigned long long)op, a), b); }
static unsigned long long tcomm(char op, unsigned long long a, unsigned long long b) { return a < b ? tnode(op, a, b) : tnode(op, b, a); }
static unsigned long long tconst(double c) { unsigned long long bits; memcpy(&bits, &c, sizeof bits); return tnode('c', bits, 0); }

struct Sym {
  std::shared_ptr<const Poly> p;
  /* The floating-point expression's hash; neg: the hash of x when this value is -x (so -(-x) is x);
     k: this value's tree is the constant kv (negating it negates the constant). */
  unsigned long long t = tconst(0), neg = 0;
  bool k = true;
  /* kd: a constant of type double in a float target (C computes what it touches in double). */
  bool kd = false;
  double kv = 0;
  Sym() : p(std::make_shared<Poly>()) {}
  Sym(double c) : Sym(c, KLOOP_SYM_FLOAT != 0) {}
  Sym(float c) : Sym((double)c, false) {}
  template <typename I, typename std::enable_if<std::is_integral<I>::value, int>::type = 0>
  Sym(I c) : Sym((double)c, false) {}
  Sym(double c, bool dbl) : t(kconst(c, dbl)), k(true), kd(dbl), kv(c) { auto q = std::make_shared<Poly>(); if (c != 0) (*q)[Mono()] = c; p = q; }
  Sym(std::shared_ptr<const Poly> q, unsigned long long tree) : p(q), t(tree), k(false) {}
  static unsigned long long kconst(double c, bool dbl) { return dbl ? tnode('D', tconst(c), 0) : tconst(c); }
  static Sym var(const std::string &name) { auto q = std::make_shared<Poly>(); (*q)[Mono{name}] = 1; return Sym(q, tnode('v', fnv(name), 0)); }

  bool is_const() const { return p->empty() || (p->size() == 1 && p->begin()->first.empty()); }
  Coef const_value() const { return p->empty() ? 0 : p->begin()->second; }
  std::string text() const {
    std::string s;
    for (auto &t : *p) { s += coef_text(t.second); for (auto &f : t.first) { s += '*'; s += f; } s += ';'; }
    return s.empty() ? "0" : s;
  }
  /* The same with coefficients rounded to 6 significant digits: equal when two forms differ only in
     the rounding of constants (0.2 against 0.2f). */
  std::string shape() const {
    std::string s;
    for (auto &t : *p) { char b[64]; snprintf(b, sizeof b, "%.6Lg", t.second); s += b; for (auto &f : t.first) { s += '*'; s += f; } s += ';'; }
    return s.empty() ? "0" : s;
  }
  explicit operator double() const { if (!is_const()) throw Inapplicable{"a symbolic value is converted to a number"}; return (double)const_value(); }
  explicit operator float() const { return (float)(double)*this; }
  explicit operator int() const { return (int)(double)*this; }

  friend Sym operator+(const Sym &a, const Sym &b) {
    auto q = std::make_shared<Poly>(*a.p);
    for (auto &t : *b.p) { Coef c = ((*q)[t.first] += t.second); if (c == 0) q->erase(t.first); }
    return Sym(q, tcomm('+', a.t, b.t));
  }
  Sym operator-() const {
    auto q = std::make_shared<Poly>(*p);
    for (auto &t : *q) t.second = -t.second;
    if (k) { Sym r(-kv, kd); r.p = q; return r; }
    Sym r(q, neg ? neg : tnode('n', t, 0));
    if (!neg) r.neg = t;
    return r;
  }
  friend Sym operator-(const Sym &a, const Sym &b) { return a + (-b); }
  friend Sym operator*(const Sym &a, const Sym &b) {
    auto q = std::make_shared<Poly>();
    for (auto &x : *a.p) for (auto &y : *b.p) {
      Mono m; m.reserve(x.first.size() + y.first.size());
      std::merge(x.first.begin(), x.first.end(), y.first.begin(), y.first.end(), std::back_inserter(m));
      Coef c = ((*q)[m] += x.second * y.second);
      if (c == 0) q->erase(m);
    }
    // Scaled by a constant far from 1: a float may overflow or underflow where the reference's does not.
    if (a.is_const() || b.is_const())
      for (auto &t : *q) { Coef m = t.second < 0 ? -t.second : t.second; if (m > 0x1p24L || m < 0x1p-24L) extreme() = true; }
    return Sym(q, tcomm('*', a.t, b.t));
  }
  /* Set when a value was scaled by a constant, or got a coefficient, outside [2^-24, 2^24] (the harness resets it per size). */
  static bool &extreme() { static bool e = false; return e; }
  Sym &operator+=(const Sym &b) { return *this = *this + b; }
  Sym &operator-=(const Sym &b) { return *this = *this - b; }
  Sym &operator*=(const Sym &b) { return *this = *this * b; }
  Sym &operator/=(const Sym &b);
  Sym operator+() const { return *this; }
};

/** f(args) as a new factor, named by content. */
static Sym atom(const char *fn, const std::vector<Sym> &args) {
  std::string s = fn; s += '(';
  for (size_t i = 0; i < args.size(); i++) { if (i) s += ','; s += args[i].text(); }
  s += ')';
  char name[64];
  snprintf(name, sizeof name, "%s#%016llx", fn, fnv(s));
  Sym r = Sym::var(name);
  unsigned long long h = fnv(fn);
  for (auto &a : args) h = tnode('(', h, a.t);
  r.t = h;
  return r;
}
/* A commutative function of two values (fmax, fmin): the same atom and tree whatever their order. */
static Sym atom2(const char *fn, const Sym &a, const Sym &b) {
  Sym r = a.text() < b.text() ? atom(fn, {a, b}) : atom(fn, {b, a});
  r.t = tcomm('(', fnv(fn), tcomm(',', a.t, b.t));
  return r;
}

static Sym recip(const Sym &b) {
  if (b.is_const()) {
    Coef c = b.const_value();
    if (c == 0) throw Inapplicable{"division by zero"};
    int e; Coef m = frexpl(c, &e);
    if (m == 0.5L || m == -0.5L) return Sym((double)(1 / c), b.kd);   /* a power of two: exact */
  }
  return atom("recip", {b});
}
/* a/b: a*(1/b) over the reals; in the tree a division, but by a power of two a multiplication by
   its reciprocal (the same rounding). */
inline Sym operator/(const Sym &a, const Sym &b) {
  Sym r = a * recip(b);
  int e;
  if (!(b.k && b.kv != 0 && std::fabs(std::frexp(b.kv, &e)) == 0.5)) r.t = tnode('/', a.t, b.t);
  return r;
}
inline Sym &Sym::operator/=(const Sym &b) { return *this = *this / b; }

static bool cmp_const(const Sym &a, const Sym &b) {
  if (!(a.is_const() && b.is_const())) throw Inapplicable{"a branch depends on a symbolic value"};
  return true;
}
inline bool operator<(const Sym &a, const Sym &b) { return cmp_const(a, b) && a.const_value() < b.const_value(); }
inline bool operator>(const Sym &a, const Sym &b) { return cmp_const(a, b) && a.const_value() > b.const_value(); }
inline bool operator<=(const Sym &a, const Sym &b) { return cmp_const(a, b) && a.const_value() <= b.const_value(); }
inline bool operator>=(const Sym &a, const Sym &b) { return cmp_const(a, b) && a.const_value() >= b.const_value(); }
inline bool operator==(const Sym &a, const Sym &b) { return cmp_const(a, b) && a.const_value() == b.const_value(); }
inline bool operator!=(const Sym &a, const Sym &b) { return cmp_const(a, b) && a.const_value() != b.const_value(); }
} // namespace kloop_sym

typedef kloop_sym::Sym real;

static inline real sqrtf(const real &a) { return kloop_sym::atom("sqrt", {a}); }
static inline real sqrt(const real &a) { return sqrtf(a); }
static inline real expf(const real &a) { return kloop_sym::atom("exp", {a}); }
static inline real exp(const real &a) { return expf(a); }
static inline real logf(const real &a) { return kloop_sym::atom("log", {a}); }
static inline real log(const real &a) { return logf(a); }
static inline real tanhf(const real &a) { return kloop_sym::atom("tanh", {a}); }
static inline real tanh(const real &a) { return tanhf(a); }
static inline real fabsf(const real &a) { return kloop_sym::atom("fabs", {a}); }
static inline real fabs(const real &a) { return fabsf(a); }
static inline real fmaxf(const real &a, const real &b) { return kloop_sym::atom2("max", a, b); }
static inline real fmax(const real &a, const real &b) { return fmaxf(a, b); }
static inline real fminf(const real &a, const real &b) { return kloop_sym::atom2("min", a, b); }
static inline real fmin(const real &a, const real &b) { return fminf(a, b); }
/* a*b+c over the reals; in the tree a fused operation of its own (one rounding). */
static inline real fmaf(const real &a, const real &b, const real &c) { real r = a * b + c; r.t = kloop_sym::tnode('f', kloop_sym::tcomm('*', a.t, b.t), c.t); return r; }
static inline real fma(const real &a, const real &b, const real &c) { return fmaf(a, b, c); }
#endif
`;
