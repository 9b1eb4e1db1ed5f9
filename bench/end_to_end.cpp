// End-to-end scenario benchmarks: each scenario of bench/scenarios/ runs in a
// child process, so its wall time and peak memory (ru_maxrss from wait4) are
// its own. Targets (issue 3): SimFaaS reference < 0.3 s, SimFaaS concurrency
// cap < 1 s, 10^7 requests through API Gateway -> Lambda < 10 s with memory
// that does not grow with the request count (1e6 vs 1e7 requests compared).
// Issue 9: 10^7 reads through API Gateway -> Lambda -> DAX -> DynamoDB over
// 10^6 Zipf keys with a 10^5-item cache < 15 s, memory set by the cache size
// (1e6 vs 1e7 requests, and a 10^6-item cache, compared).
//
// Usage: end_to_end [--quick]   (--quick: shorter durations, a smoke run)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/report/result.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"

namespace {

using namespace slsim;

struct Case {
  std::string file;
  std::vector<std::string> overrides;
  std::string label;
  double target_s;  // 0: none
};

struct Measured {
  bool ok = false;
  double wall_s = 0, requests = 0, events = 0;
  double rss_mib = 0;
};

// Runs one case in a child; the child writes "wall requests events" to a pipe.
Measured run_case(const Case& c) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    try {
      LoadOptions o;
      o.overrides = c.overrides;
      const Scenario sc = load_scenario(c.file, builtin_services(), o);
      const auto start = std::chrono::steady_clock::now();
      BuiltModel m = build_model(sc, 0);
      m.sim->run();
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const Json r = collect_result(sc, m, wall);
      const std::string line = fmt::format("{} {} {}\n", wall, r.find_path("accounting.arrived")->as_double(),
                                           r.find_path("run.events")->as_double());
      if (write(fds[1], line.data(), line.size()) < 0) _exit(3);
      _exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", c.file.c_str(), e.what());
      _exit(2);
    }
  }
  close(fds[1]);
  char buf[256] = {};
  const ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Measured m;
  if (n > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    m.ok = std::sscanf(buf, "%lf %lf %lf", &m.wall_s, &m.requests, &m.events) == 3;
    m.rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const std::string dir = std::string(SLSIM_SOURCE_DIR) + "/bench/scenarios/";
  std::vector<Case> cases;
  if (quick) {
    cases = {{dir + "simfaas-reference.yaml", {"duration=100000s"}, "SimFaaS reference (1e5 s)", 0},
             {dir + "simfaas-concurrency-cap.yaml", {"duration=100s"}, "SimFaaS concurrency cap (100 s)", 0},
             {dir + "api-lambda-10m.yaml", {"duration=100s"}, "API GW -> Lambda, 1e5 requests", 0},
             {dir + "api-lambda-dax-10m.yaml", {"duration=100s"}, "... -> DAX -> DynamoDB, 1e5 requests", 0}};
  } else {
    cases = {{dir + "simfaas-reference.yaml", {}, "SimFaaS reference (~9e5 requests)", 0.3},
             {dir + "simfaas-concurrency-cap.yaml", {}, "SimFaaS concurrency cap (~1e6 requests)", 1.0},
             {dir + "api-lambda-10m.yaml", {"duration=1000s"}, "API GW -> Lambda, 1e6 requests", 0},
             {dir + "api-lambda-10m.yaml", {}, "API GW -> Lambda, 1e7 requests", 10.0},
             {dir + "api-lambda-dax-10m.yaml", {"duration=1000s"}, "... -> DAX -> DynamoDB, 1e6 requests", 0},
             {dir + "api-lambda-dax-10m.yaml", {}, "... -> DAX -> DynamoDB, 1e7 requests", 15.0},
             {dir + "api-lambda-dax-10m.yaml", {"services.items.dax.capacity_items=1000000"},
              "... 1e7 requests, 1e6-item cache", 0}};
  }
  fmt::print("{:<42} | {:>8} | {:>12} | {:>12} | {:>12} | {:>8} | {}\n", "scenario", "wall s", "requests",
             "requests/s", "events/s", "RSS MiB", "target");
  fmt::print("{}\n", std::string(125, '-'));
  std::vector<Measured> results;
  for (const Case& c : cases) {
    const Measured m = run_case(c);
    results.push_back(m);
    if (!m.ok) {
      fmt::print("{:<42} | FAILED (see stderr)\n", c.label);
      continue;
    }
    const std::string target = c.target_s > 0 ? fmt::format("< {} s: {}", c.target_s, m.wall_s < c.target_s ? "PASS" : "MISS") : "";
    fmt::print("{:<42} | {:>8.3f} | {:>12.0f} | {:>12.0f} | {:>12.0f} | {:>8.1f} | {}\n", c.label, m.wall_s, m.requests,
               m.requests / m.wall_s, m.events / m.wall_s, m.rss_mib, target);
  }
  // Anything kept per request (a request slot, an event, a sample) costs 24 bytes or
  // more; buffers that reach a slightly higher peak in a longer run cost far less.
  const auto compare = [&](std::size_t small, std::size_t large, const char* what) {
    if (quick || results.size() <= large || !results[small].ok || !results[large].ok) return;
    const double extra_bytes = (results[large].rss_mib - results[small].rss_mib) * 1048576.0;
    const double per_request = extra_bytes / (results[large].requests - results[small].requests);
    fmt::print("\n{}: memory from 1e6 to 1e7 requests: {:.1f} -> {:.1f} MiB, {:.2f} bytes per extra request: {}\n",
               what, results[small].rss_mib, results[large].rss_mib, per_request,
               per_request < 4 ? "does not grow with the request count (PASS)" : "GROWS with the request count (MISS)");
  };
  compare(2, 3, "API GW -> Lambda");
  compare(4, 5, "API GW -> Lambda -> DAX -> DynamoDB");
  if (!quick && results.size() == 7 && results[5].ok && results[6].ok) {
    // The same 1e7 requests with ten times the cache: the difference is the
    // cache (an entry is 32 bytes plus 4 to 8 of hash bucket), up to the
    // distinct keys the run loads.
    fmt::print("DAX cache of 1e5 vs 1e6 items (1e7 requests): {:.1f} -> {:.1f} MiB\n", results[5].rss_mib,
               results[6].rss_mib);
  }
  return 0;
}
