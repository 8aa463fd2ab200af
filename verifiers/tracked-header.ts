/**
 * The oracle's scalar type: the reference kernel is rebuilt as C++ with `real` = Tracked, which
 * computes in double and carries a bound on the error an implementation in the target's precision
 * may make, for ANY order of its sums:
 *   - a sum keeps the magnitude m = sum |terms|, the count c of terms and the inherited error le of
 *     its terms; its bound is le + gamma(c-1) * m  (gamma(k) = k u / (1 - k u)), which holds for every
 *     summation order, so reassociation, blocking and vector or parallel reductions are all covered;
 *   - a product, quotient or function value starts a new term whose error is propagated to first
 *     order plus its own rounding (k ulps for libm functions) and an underflow allowance eta;
 *   - a value (or a sum's magnitude) beyond the target precision's range has no bound (infinite):
 *     the reference itself overflows there, so no implementation can be held to the double value.
 * Branches compare the double values, exactly as the reference would.
 */
export function trackedHeader(real: 'float' | 'double'): string {
  const unit = real === 'float' ? '5.9604644775390625e-08' : '1.1102230246251565e-16';
  const eta = real === 'float' ? '1.1754943508222875e-38' : '2.2250738585072014e-308';
  const maxv = real === 'float' ? '3.4028234663852886e+38' : '1.7976931348623157e+308';
  return `#ifndef KLOOP_TRACKED_HPP
#define KLOOP_TRACKED_HPP
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#define restrict __restrict

namespace kloop {
static const double U = ${unit};
static const double ETA = ${eta};
/** The largest finite value of the target's precision. */
static const double MAXV = ${maxv};
/** Libm functions may be off by a few units in the last place (vectorised variants included). */
static const double FN_ULPS = 4;

static inline double gamma_k(double k) {
  if (k <= 0) return 0;
  double ku = k * U;
  return ku < 1 ? ku / (1 - ku) : INFINITY;
}

struct Tracked {
  double v;   /* value, computed in double */
  double m;   /* sum of the magnitudes of the terms of this sum */
  double c;   /* number of non-zero terms */
  double le;  /* error inherited from the terms */

  Tracked() : v(0), m(0), c(0), le(0) {}
  Tracked(double x) : v(x), m(std::fabs(x)), c(x != 0 ? 1 : 0), le(0) {}
  static Tracked term(double x, double e) { Tracked t(x); t.c = 1; t.le = e; return t; }

  /* Past the precision's range (the terms' magnitudes could sum, in some order, above its largest
     value), the implementation may give an infinity or a NaN: no bound. */
  double err() const { return m > MAXV ? INFINITY : le + gamma_k(c - 1) * m; }
  explicit operator double() const { return v; }

  Tracked &operator+=(const Tracked &b) { v += b.v; m += b.m; c += b.c; le += b.le; return *this; }
  Tracked &operator-=(const Tracked &b) { return *this += -b; }
  Tracked &operator*=(const Tracked &b) { return *this = *this * b; }
  Tracked &operator/=(const Tracked &b) { return *this = *this / b; }
  Tracked operator-() const { Tracked t = *this; t.v = -v; return t; }
  Tracked operator+() const { return *this; }

  friend Tracked operator+(Tracked a, const Tracked &b) { return a += b; }
  friend Tracked operator-(Tracked a, const Tracked &b) { return a += -b; }
  friend Tracked operator*(const Tracked &a, const Tracked &b) {
    double ea = a.err(), eb = b.err(), x = a.v * b.v;
    if (x == 0 && ea == 0 && eb == 0) return Tracked(0.0);
    return term(x, std::fabs(a.v) * eb + std::fabs(b.v) * ea + ea * eb + U * std::fabs(x) + ETA);
  }
  friend Tracked operator/(const Tracked &a, const Tracked &b) {
    double ea = a.err(), eb = b.err(), x = a.v / b.v, d = std::fabs(b.v) - eb;
    if (d <= 0) return term(x, INFINITY);
    return term(x, (ea + std::fabs(x) * eb) / d + U * std::fabs(x) + ETA);
  }
  friend bool operator<(const Tracked &a, const Tracked &b) { return a.v < b.v; }
  friend bool operator>(const Tracked &a, const Tracked &b) { return a.v > b.v; }
  friend bool operator<=(const Tracked &a, const Tracked &b) { return a.v <= b.v; }
  friend bool operator>=(const Tracked &a, const Tracked &b) { return a.v >= b.v; }
  friend bool operator==(const Tracked &a, const Tracked &b) { return a.v == b.v; }
  friend bool operator!=(const Tracked &a, const Tracked &b) { return a.v != b.v; }
};

/** A monotone function f applied to a value known to within e: interval bound plus rounding. */
template <class F> static inline Tracked monotone(const Tracked &a, F f, double ulps, double lo_domain) {
  double e = a.err(), y = f(a.v);
  double lo = std::max(a.v - e, lo_domain), hi = a.v + e;
  double spread = std::max(std::fabs(f(hi) - y), std::fabs(y - f(lo)));
  return Tracked::term(y, spread + ulps * U * std::fabs(y) + ETA);
}
} // namespace kloop

typedef kloop::Tracked real;

static inline real expf(const real &a) { return kloop::monotone(a, [](double x) { return std::exp(x); }, kloop::FN_ULPS, -INFINITY); }
static inline real exp(const real &a) { return expf(a); }
static inline real logf(const real &a) { return kloop::monotone(a, [](double x) { return std::log(x); }, kloop::FN_ULPS, 0); }
static inline real log(const real &a) { return logf(a); }
static inline real tanhf(const real &a) { return kloop::monotone(a, [](double x) { return std::tanh(x); }, kloop::FN_ULPS, -INFINITY); }
static inline real tanh(const real &a) { return tanhf(a); }
static inline real sqrtf(const real &a) { return kloop::monotone(a, [](double x) { return std::sqrt(x); }, 1, 0); }
static inline real sqrt(const real &a) { return sqrtf(a); }
static inline real fabsf(const real &a) { return real::term(std::fabs(a.v), a.err()); }
static inline real fabs(const real &a) { return fabsf(a); }
static inline real fmaxf(const real &a, const real &b) { return real::term(a.v >= b.v ? a.v : b.v, std::max(a.err(), b.err())); }
static inline real fmax(const real &a, const real &b) { return fmaxf(a, b); }
static inline real fminf(const real &a, const real &b) { return real::term(a.v <= b.v ? a.v : b.v, std::max(a.err(), b.err())); }
static inline real fmin(const real &a, const real &b) { return fminf(a, b); }
static inline real fmaf(const real &a, const real &b, const real &c) { return a * b + c; }
static inline real fma(const real &a, const real &b, const real &c) { return a * b + c; }
#endif
`;
}
