// SplitMix64 (Steele, Lea and Flood, 2014): integer arithmetic only, so the
// same numbers with every compiler and standard library. The one copy used
// by the demo generator, the models' sampling and the tests' and benches'
// generated data.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace leadgate {

constexpr uint64_t kSplitMixGamma = 0x9E3779B97F4A7C15ull;

// The output function (a 64-bit finalizer) applied to a state.
constexpr uint64_t SplitMixFinish(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The number a generator with state z gives next: a hash of z.
constexpr uint64_t SplitMix(uint64_t z) { return SplitMixFinish(z + kSplitMixGamma); }

// A generator: `SplitMix64 g{seed};`.
struct SplitMix64 {
  uint64_t s;
  uint64_t Next() {
    s += kSplitMixGamma;
    return SplitMixFinish(s);
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }
  // Standard normal (Box-Muller).
  double Normal() {
    const double u = std::max(Uniform(), 1e-12), v = Uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
};

}  // namespace leadgate
