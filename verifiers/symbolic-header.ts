/**
 * The proof's scalar type: `real` = Sym, an exact polynomial over the inputs (each input element a
 * variable). + - * normalise; division is multiplication by recip(b), and recip, sqrt, exp, log,
 * tanh, fabs, fmax, fmin are uninterpreted functions of their normalised arguments, named by
 * content so that two processes name them alike. A comparison or conversion of a non-constant
 * value throws: the proof is then not applicable (fail closed), never "passed".
 */
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
#define restrict __restrict

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

struct Sym {
  std::shared_ptr<const Poly> p;
  Sym() : p(std::make_shared<Poly>()) {}
  Sym(double c) { auto q = std::make_shared<Poly>(); if (c != 0) (*q)[Mono()] = c; p = q; }
  explicit Sym(std::shared_ptr<const Poly> q) : p(q) {}
  static Sym var(const std::string &name) { auto q = std::make_shared<Poly>(); (*q)[Mono{name}] = 1; return Sym(q); }

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
    return Sym(q);
  }
  Sym operator-() const { auto q = std::make_shared<Poly>(*p); for (auto &t : *q) t.second = -t.second; return Sym(q); }
  friend Sym operator-(const Sym &a, const Sym &b) { return a + (-b); }
  friend Sym operator*(const Sym &a, const Sym &b) {
    auto q = std::make_shared<Poly>();
    for (auto &x : *a.p) for (auto &y : *b.p) {
      Mono m; m.reserve(x.first.size() + y.first.size());
      std::merge(x.first.begin(), x.first.end(), y.first.begin(), y.first.end(), std::back_inserter(m));
      Coef c = ((*q)[m] += x.second * y.second);
      if (c == 0) q->erase(m);
    }
    return Sym(q);
  }
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
  return Sym::var(name);
}

static Sym recip(const Sym &b) {
  if (b.is_const()) {
    Coef c = b.const_value();
    if (c == 0) throw Inapplicable{"division by zero"};
    int e; Coef m = frexpl(c, &e);
    if (m == 0.5L || m == -0.5L) return Sym((double)(1 / c));   /* a power of two: exact */
  }
  return atom("recip", {b});
}
inline Sym operator/(const Sym &a, const Sym &b) { return a * recip(b); }
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
static inline real fmaxf(const real &a, const real &b) { return a.text() < b.text() ? kloop_sym::atom("max", {a, b}) : kloop_sym::atom("max", {b, a}); }
static inline real fmax(const real &a, const real &b) { return fmaxf(a, b); }
static inline real fminf(const real &a, const real &b) { return a.text() < b.text() ? kloop_sym::atom("min", {a, b}) : kloop_sym::atom("min", {b, a}); }
static inline real fmin(const real &a, const real &b) { return fminf(a, b); }
static inline real fmaf(const real &a, const real &b, const real &c) { return a * b + c; }
static inline real fma(const real &a, const real &b, const real &c) { return a * b + c; }
#endif
`;
