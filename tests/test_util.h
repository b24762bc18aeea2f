// Helpers for tests that drive the real leadgate binary: temp dirs and
// running a command line with its exit status and output.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace leadgate::testing {

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs build/leadgate with argv in `cwd`, feeding `stdin_data`.
RunResult RunLeadgate(const std::vector<std::string>& args, const std::string& cwd = ".",
                      const std::string& stdin_data = "");

// A fresh temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  void Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
std::string SharedDir();  // ../shared relative to the source dir ("" when absent)

// A seeded generator for generated test data (SplitMix64; Normal by
// Box-Muller): the same numbers on every platform.
struct Gen {
  uint64_t s;
  double Uniform() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) / 9007199254740992.0;
  }
  double Normal() {
    const double u = std::max(Uniform(), 1e-12), v = Uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
};

}  // namespace leadgate::testing
