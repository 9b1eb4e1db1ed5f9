// The real binary, as a user runs it: exit codes, streams, and messages.
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace {

struct Ran {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs `slsim ARGS` from the source directory, capturing both streams.
Ran slsim(const std::string& args) {
  static int counter = 0;
  const std::string stem = "/tmp/slsim_cli_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string cmd = std::string("cd '") + SLSIM_SOURCE_DIR + "' && '" + SLSIM_BINARY + "' " + args + " >" + stem +
                          ".out 2>" + stem + ".err";
  const int status = std::system(cmd.c_str());
  Ran r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(stem + ".out");
  r.err = slurp(stem + ".err");
  std::remove((stem + ".out").c_str());
  std::remove((stem + ".err").c_str());
  return r;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/slsim_cli_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path) << text;
  return path;
}

const char* kGood =
    "name: cli\nduration: 60s\nseed: 2\n"
    "workloads: [{name: w, target: api, arrival: {process: poisson, rate: 20/s}}]\n"
    "services:\n  api: {type: external, latency: 100ms, concurrency: 1}\n";

}  // namespace

TEST_CASE("cli: run prints the table and exits 0", "[cli]") {
  const Ran r = slsim("run scenarios/hello-external.yaml");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.find("visitors") != std::string::npos);
  REQUIRE(r.out.find("accounting:") != std::string::npos);
  REQUIRE(r.out.find("balanced") != std::string::npos);
}

TEST_CASE("cli: --json - writes only JSON to stdout and the table to stderr", "[cli]") {
  const Ran r = slsim("run scenarios/hello-external.yaml --json -");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.front() == '{');
  REQUIRE(r.out.find("\"accounting\"") != std::string::npos);
  REQUIRE(r.out.find("visitors  ") == std::string::npos);  // no table rows in stdout
  REQUIRE(r.err.find("accounting:") != std::string::npos);
  const Ran quiet = slsim("run scenarios/hello-external.yaml --json - --quiet");
  REQUIRE(quiet.err.empty());
}

TEST_CASE("cli: bad input exits 2 with a positioned message", "[cli]") {
  std::string text = kGood;
  text.replace(text.find("concurrency: 1"), 14, "concurency: 1");
  const std::string bad = write_temp("bad.yaml", text);
  const Ran r = slsim("validate " + bad);
  REQUIRE(r.exit_code == 2);
  REQUIRE(r.err == bad + ":6:41: error: services.api.concurency: unknown key 'concurency'\n"
                         "    hint: did you mean 'concurrency'?\n");
  const Ran missing = slsim("run /nonexistent/x.yaml");
  REQUIRE(missing.exit_code == 2);
  REQUIRE(missing.err == "/nonexistent/x.yaml: error: cannot read the file (does it exist?)\n");
  const Ran bad_set = slsim("run " + write_temp("good.yaml", kGood) + " --set services.api.latency=5");
  REQUIRE(bad_set.exit_code == 2);
  REQUIRE(bad_set.err.find("--set services.api.latency=5: error: services.api.latency: expected a duration") == 0);
  const Ran bad_flag = slsim("run --frobnicate");
  REQUIRE(bad_flag.exit_code == 2);
}

TEST_CASE("cli: check exits 1 when an expectation fails and says which", "[cli]") {
  const std::string failing = write_temp(
      "failing.yaml", std::string(kGood) + "expect:\n  - {metric: workloads.w.throttled, \"==\": 0}\n"
                                           "  - {metric: accounting.balanced, \"==\": 1}\n");
  const Ran r = slsim("check " + failing);
  REQUIRE(r.exit_code == 1);
  REQUIRE(r.out.find(failing + ": FAIL workloads.w.throttled == 0 (actual ") == 0);
  REQUIRE(r.out.find(failing + ": FAILED (1 of 2 expectations hold)") != std::string::npos);
  const Ran run = slsim("run " + failing + " --quiet");
  REQUIRE(run.exit_code == 1);
}

TEST_CASE("cli: --seed and --duration override the scenario", "[cli]") {
  const std::string good = write_temp("good2.yaml", kGood);
  const Ran a = slsim("run " + good + " --json - -q --seed 5 --duration 10s");
  REQUIRE(a.exit_code == 0);
  REQUIRE(a.out.find("\"seed\": 5,") != std::string::npos);
  REQUIRE(a.out.find("\"duration_s\": 10,") != std::string::npos);
}

TEST_CASE("cli: graph prints Graphviz DOT of the topology", "[cli]") {
  const Ran r = slsim("graph scenarios/hello-external.yaml");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.find("digraph \"hello-external\" {") == 0);
  REQUIRE(r.out.find("\"workload:visitors\" -> \"partner_api\" [label=\"workload: call\"];") != std::string::npos);
}

TEST_CASE("cli: replications report means and ci95 identically for any thread count", "[cli][determinism]") {
  const std::string good = write_temp("reps.yaml", kGood);
  const Ran one = slsim("run " + good + " --json - -q --replications 4 --threads 1");
  const Ran three = slsim("run " + good + " --json - -q --replications 4 --threads 3");
  REQUIRE(one.exit_code == 0);
  REQUIRE(one.out.find("\"ci95\": {") != std::string::npos);
  // Only the wall-clock lines may differ.
  const auto strip = [](const std::string& s) {
    std::string out;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);)
      if (line.find("\"wall_s\"") == std::string::npos && line.find("\"events_per_s\"") == std::string::npos)
        out += line + "\n";
    return out;
  };
  REQUIRE(strip(one.out) == strip(three.out));
}

TEST_CASE("cli: docs match the checked-in parameter reference", "[cli][docs]") {
  const Ran r = slsim("docs");
  REQUIRE(r.exit_code == 0);
  // docs/parameters.md is generated: `slsim docs > docs/parameters.md` after changing a declaration.
  REQUIRE(r.out == slurp(std::string(SLSIM_SOURCE_DIR) + "/docs/parameters.md"));
}
