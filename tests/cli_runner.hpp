#pragma once
// Runs the real `slsim` binary as a user would (from the source directory),
// capturing its exit code, both streams and its wall time. `timeout` stops a
// hang so that a test fails instead of stalling the suite.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace slsim::testing {

struct Ran {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  double seconds = 0;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// `slsim ARGS` (ARGS as a shell would split them), stopped after 60 s.
inline Ran run_slsim(const std::string& args) {
  static int counter = 0;
  const std::string stem = fmt::format("/tmp/slsim_cli_test_{}_{}", ::getpid(), counter++);
  const std::string cmd = fmt::format("cd '{}' && timeout 60 '{}' {} >{}.out 2>{}.err", SLSIM_SOURCE_DIR, SLSIM_BINARY,
                                      args, stem, stem);
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(cmd.c_str());
  Ran r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(stem + ".out");
  r.err = slurp(stem + ".err");
  std::remove((stem + ".out").c_str());
  std::remove((stem + ".err").c_str());
  return r;
}

// A file in /tmp named after this process, holding `text` byte for byte.
inline std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = fmt::format("/tmp/slsim_cli_{}_{}", ::getpid(), name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace slsim::testing
