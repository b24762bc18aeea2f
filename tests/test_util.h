// Helpers for tests that drive the real leadgate binary: temp dirs and
// running a command line with its exit status and output.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/splitmix.h"

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

// A seeded generator for generated test data: the same numbers on every
// platform (common/splitmix.h).
using Gen = SplitMix64;

}  // namespace leadgate::testing
