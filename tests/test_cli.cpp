// The real binary, as a user runs it: exit codes, streams, and messages.
#include <array>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cli_runner.hpp"

using namespace slsim::testing;

namespace {


const char* kGood =
    "name: cli\nduration: 60s\nseed: 2\n"
    "workloads: [{name: w, target: api, arrival: {process: poisson, rate: 20/s}}]\n"
    "services:\n  api: {type: external, latency: 100ms, concurrency: 1}\n";

}  // namespace

TEST_CASE("cli: run prints the table and exits 0", "[cli]") {
  const Ran r = run_slsim("run scenarios/getting-started/hello-external.yaml");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.find("visitors") != std::string::npos);
  REQUIRE(r.out.find("accounting:") != std::string::npos);
  REQUIRE(r.out.find("balanced") != std::string::npos);
}

TEST_CASE("cli: --json - writes only JSON to stdout and the table to stderr", "[cli]") {
  const Ran r = run_slsim("run scenarios/getting-started/hello-external.yaml --json -");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.front() == '{');
  REQUIRE(r.out.find("\"accounting\"") != std::string::npos);
  REQUIRE(r.out.find("visitors  ") == std::string::npos);  // no table rows in stdout
  REQUIRE(r.err.find("accounting:") != std::string::npos);
  const Ran quiet = run_slsim("run scenarios/getting-started/hello-external.yaml --json - --quiet");
  REQUIRE(quiet.err.empty());
}

TEST_CASE("cli: bad input exits 2 with a positioned message", "[cli]") {
  std::string text = kGood;
  text.replace(text.find("concurrency: 1"), 14, "concurency: 1");
  const std::string bad = write_temp("bad.yaml", text);
  const Ran r = run_slsim("validate " + bad);
  REQUIRE(r.exit_code == 2);
  REQUIRE(r.err == bad + ":6:41: error: services.api.concurency: unknown key 'concurency'\n"
                         "    hint: did you mean 'concurrency'?\n");
  const Ran missing = run_slsim("run /nonexistent/x.yaml");
  REQUIRE(missing.exit_code == 2);
  REQUIRE(missing.err == "/nonexistent/x.yaml: error: cannot read the file (does it exist?)\n");
  const Ran bad_set = run_slsim("run " + write_temp("good.yaml", kGood) + " --set services.api.latency=5");
  REQUIRE(bad_set.exit_code == 2);
  REQUIRE(bad_set.err.find("--set services.api.latency=5: error: services.api.latency: expected a duration") == 0);
  const Ran bad_flag = run_slsim("run --frobnicate");
  REQUIRE(bad_flag.exit_code == 2);
}

TEST_CASE("cli: check exits 1 when an expectation fails and says which", "[cli]") {
  const std::string failing = write_temp(
      "failing.yaml", std::string(kGood) + "expect:\n  - {metric: workloads.w.throttled, \"==\": 0}\n"
                                           "  - {metric: accounting.balanced, \"==\": 1}\n");
  const Ran r = run_slsim("check " + failing);
  REQUIRE(r.exit_code == 1);
  REQUIRE(r.out.find(failing + ": FAIL workloads.w.throttled == 0 (actual ") == 0);
  REQUIRE(r.out.find(failing + ": FAILED (1 of 2 expectations hold)") != std::string::npos);
  const Ran run = run_slsim("run " + failing + " --quiet");
  REQUIRE(run.exit_code == 1);
}

TEST_CASE("cli: --seed and --duration override the scenario", "[cli]") {
  const std::string good = write_temp("good2.yaml", kGood);
  const Ran a = run_slsim("run " + good + " --json - -q --seed 5 --duration 10s");
  REQUIRE(a.exit_code == 0);
  REQUIRE(a.out.find("\"seed\": 5,") != std::string::npos);
  REQUIRE(a.out.find("\"duration_s\": 10,") != std::string::npos);
}

TEST_CASE("cli: graph prints Graphviz DOT of the topology", "[cli]") {
  const Ran r = run_slsim("graph scenarios/getting-started/hello-external.yaml");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.find("digraph \"hello-external\" {") == 0);
  REQUIRE(r.out.find("\"workload:visitors\" -> \"partner_api\" [label=\"workload: call\"];") != std::string::npos);
}

TEST_CASE("cli: replications report means and ci95 identically for any thread count", "[cli][determinism]") {
  const std::string good = write_temp("reps.yaml", kGood);
  const Ran one = run_slsim("run " + good + " --json - -q --replications 4 --threads 1");
  const Ran three = run_slsim("run " + good + " --json - -q --replications 4 --threads 3");
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
  const Ran r = run_slsim("docs");
  REQUIRE(r.exit_code == 0);
  // docs/parameters.md is generated: `slsim docs > docs/parameters.md` after changing a declaration.
  REQUIRE(r.out == slurp(std::string(SLSIM_SOURCE_DIR) + "/docs/parameters.md"));
}

TEST_CASE("cli: an unknown subcommand is named, with a did-you-mean", "[cli]") {
  const Ran foo = run_slsim("foo");
  REQUIRE(foo.exit_code == 2);
  REQUIRE(foo.err == "slsim: error: unknown subcommand 'foo' (expected one of 'run', 'validate', 'check', 'graph', "
                     "'docs', 'sweep', 'merge', 'analyze', 'compare', 'import', 'lesson')\n");
  const Ran chek = run_slsim("chek scenarios/getting-started/hello-external.yaml");
  REQUIRE(chek.exit_code == 2);
  REQUIRE(chek.err == "slsim: error: unknown subcommand 'chek' (expected one of 'run', 'validate', 'check', 'graph', "
                      "'docs', 'sweep', 'merge', 'analyze', 'compare', 'import', 'lesson')\n"
                      "    hint: did you mean 'check'?\n");
}

TEST_CASE("cli: --duration, --seed and --replications errors name the option", "[cli]") {
  const std::string good = write_temp("opts.yaml", kGood);
  const Ran duration = run_slsim("run " + good + " --duration 10");
  REQUIRE(duration.exit_code == 2);
  REQUIRE(duration.err == "--duration 10: error: duration: expected a duration with a unit (ns, us, ms, s, min, h, d), "
                          "e.g. 250ms, found '10'\n"
                          "    hint: write the unit, e.g. 10ms or 10s\n");
  const Ran seed = run_slsim("validate " + good + " --seed x");
  REQUIRE(seed.exit_code == 2);
  REQUIRE(seed.err == "--seed x: error: seed: expected a whole number, found 'x'\n");
  const Ran reps = run_slsim("check " + good + " --replications 0");
  REQUIRE(reps.exit_code == 2);
  REQUIRE(reps.err == "--replications 0: error: replications: expected a whole number between 1 and 10000, found "
                      "'0'\n");
}

TEST_CASE("cli: --duration and --set duration= together are an error", "[cli]") {
  const Ran r = run_slsim("run " + write_temp("both.yaml", kGood) + " --duration 10s --set duration=5s");
  REQUIRE(r.exit_code == 2);
  REQUIRE(r.err == "--duration 10s: error: duration: both --duration and --set duration=5s give 'duration'\n"
                   "    hint: give one of them\n");
}

TEST_CASE("cli: docs takes a topic: workload, arrival, distribution...", "[cli][docs]") {
  const Ran workload = run_slsim("docs workload");
  REQUIRE(workload.exit_code == 0);
  REQUIRE(workload.out.find("## workload\n") == 0);
  const Ran arrival = run_slsim("docs arrival");
  REQUIRE(arrival.exit_code == 0);
  REQUIRE(arrival.out.find("## arrival: poisson\n") == 0);
  REQUIRE(arrival.out.find("## arrival: burst\n") != std::string::npos);
  const Ran distribution = run_slsim("docs distribution");
  REQUIRE(distribution.exit_code == 0);
  REQUIRE(distribution.out.find("## distribution\n") == 0);
  REQUIRE(distribution.out.find("### lognormal\n") != std::string::npos);
  const Ran lambda = run_slsim("docs lambda");
  REQUIRE(lambda.out.find("## lambda\n") == 0);
  // The accepted topics are listed by --help and by the error for an unknown one.
  const Ran help = run_slsim("docs --help");
  REQUIRE(help.out.find("only this part: scenario, account, workload, arrival, distribution, expect, lesson, or a "
                        "service type (external, apigateway, lambda,") != std::string::npos);
  const Ran bad = run_slsim("docs arival");
  REQUIRE(bad.exit_code == 2);
  REQUIRE(bad.err.find("slsim docs: error: unknown topic 'arival' (expected one of 'scenario', 'account', 'workload', "
                       "'arrival', 'distribution', 'expect', 'lesson', 'external', ") == 0);
  REQUIRE(bad.err.find("\n    hint: did you mean 'arrival'?\n") != std::string::npos);
}

TEST_CASE("cli: a directory is every scenario in it and below it for validate and check, an error for run and graph", "[cli]") {
  const std::string dir = "/tmp/slsim_cli_dir_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir + "/sub");
  std::ofstream(dir + "/sub/b.yaml") << kGood;
  std::ofstream(dir + "/a.yml") << kGood;
  std::ofstream(dir + "/notes.txt") << "not a scenario";
  const Ran validate = run_slsim("validate " + dir);
  REQUIRE(validate.exit_code == 0);
  REQUIRE(validate.out == dir + "/a.yml: ok: 'cli' with 1 service, 1 workload, 0 expectations\n" + dir +
                              "/sub/b.yaml: ok: 'cli' with 1 service, 1 workload, 0 expectations\n");
  const Ran check = run_slsim("check " + dir);
  REQUIRE(check.exit_code == 0);
  REQUIRE(check.out == dir + "/a.yml: ok (no expect: block, so only the accounting was checked: balanced)\n" + dir +
                           "/sub/b.yaml: ok (no expect: block, so only the accounting was checked: balanced)\n");
  const Ran run = run_slsim("run " + dir);
  REQUIRE(run.exit_code == 2);
  REQUIRE(run.err == dir + ": error: a directory, but run takes one scenario file\n"
                           "    hint: to load every scenario in it: slsim validate " + dir + "\n");
  const Ran graph = run_slsim("graph " + dir);
  REQUIRE(graph.exit_code == 2);
  REQUIRE(graph.err.find(dir + ": error: a directory, but graph takes one scenario file\n") == 0);
  std::filesystem::remove(dir + "/a.yml");
  std::filesystem::remove(dir + "/sub/b.yaml");
  const Ran empty = run_slsim("validate " + dir);
  REQUIRE(empty.exit_code == 2);
  REQUIRE(empty.err == dir + ": error: a directory with no scenario files (*.yaml, *.yml) in it or below it\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("cli: - reads the scenario from standard input", "[cli]") {
  const std::string good = write_temp("stdin.yaml", kGood);
  const Ran validate = run_slsim("validate - < " + good);
  REQUIRE(validate.exit_code == 0);
  REQUIRE(validate.out == "<stdin>: ok: 'cli' with 1 service, 1 workload, 0 expectations\n");
  const Ran run = run_slsim("run - --json - -q < " + good);
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.out.find("\"name\": \"cli\"") != std::string::npos);
  std::string text = kGood;
  text.replace(text.find("concurrency: 1"), 14, "concurency: 1");
  const Ran bad = run_slsim("check - < " + write_temp("stdin_bad.yaml", text));
  REQUIRE(bad.exit_code == 2);
  REQUIRE(bad.err == "<stdin>:6:41: error: services.api.concurency: unknown key 'concurency'\n"
                     "    hint: did you mean 'concurrency'?\n");
  const Ran twice = run_slsim("validate - - < " + good);
  REQUIRE(twice.exit_code == 2);
  REQUIRE(twice.err == "-: error: standard input can be read once\n    hint: give '-' once\n");
  // Bounded: a scenario longer than 16 MB is refused, not read without end.
  const std::string big = "/tmp/slsim_cli_" + std::to_string(::getpid()) + "_big.yaml";
  {
    std::ofstream f(big);
    const std::string line = "# " + std::string(1022, 'x') + "\n";
    for (int i = 0; i < 17 * 1024; ++i) f << line;
  }
  const Ran huge = run_slsim("validate - < " + big);
  REQUIRE(huge.exit_code == 2);
  REQUIRE(huge.err == "<stdin>: error: the scenario on standard input is longer than the limit of 16 MB\n");
  std::remove(big.c_str());
}

TEST_CASE("cli: check takes --duration, --seed, --replications, --set and --json", "[cli]") {
  const std::string file = write_temp(
      "check_opts.yaml", std::string(kGood) + "expect:\n  - {metric: ci95.workloads.w.latency_ms.p50, \">=\": 0}\n");
  // ci95 exists only with replications: without --replications the metric is a load error.
  REQUIRE(run_slsim("check " + file).exit_code == 2);
  const Ran r = run_slsim("check " + file +
                      " --duration 10s --seed 3 --replications 2 --threads 1 --set services.api.concurrency=2 --json -");
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out.find("\"seed\": 3,") != std::string::npos);
  REQUIRE(r.out.find("\"replications\": 2,") != std::string::npos);
  REQUIRE(r.out.find("\"duration_s\": 10,") != std::string::npos);
  REQUIRE(r.out.find("\"pass\": true") != std::string::npos);
  REQUIRE(r.err == file + ": ok (1 of 1 expectations hold)\n");  // the verdict goes to stderr
  const Ran two = run_slsim("check " + file + " " + file + " --json out.json");
  REQUIRE(two.exit_code == 2);
  REQUIRE(two.err == "--json: error: the result JSON is written for one scenario, and 2 were given\n"
                     "    hint: check one scenario at a time with --json\n");
}

TEST_CASE("cli: check says when a scenario has no expect: block", "[cli]") {
  const std::string file = write_temp("no_expect.yaml", kGood);
  const Ran r = run_slsim("check " + file);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out == file + ": ok (no expect: block, so only the accounting was checked: balanced)\n");
}

TEST_CASE("cli: validate rejects an expect: metric the result does not have", "[cli]") {
  const std::string file = write_temp(
      "typo_metric.yaml", std::string(kGood) + "expect:\n  - {metric: services.api.throtles, \"==\": 0}\n");
  const Ran r = run_slsim("validate " + file);
  REQUIRE(r.exit_code == 2);
  REQUIRE(r.err == file + ":8:14: error: expect.0.metric: no metric 'services.api.throtles' in the result "
                          "('services.api' has no 'throtles')\n"
                          "    hint: did you mean 'throttles'?\n");
}

TEST_CASE("cli: --set picks a call by its target name", "[cli]") {
  const std::string file = write_temp(
      "calls.yaml",
      "name: calls\nduration: 10s\n"
      "workloads: [{name: w, target: fn, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  fn: {type: lambda, duration: 10ms, calls: [{to: table}]}\n"
      "  table: {type: external}\n");
  const Ran all = run_slsim("run " + file + " --json - -q");
  const Ran none = run_slsim("run " + file + " --json - -q --set services.fn.calls.table.probability=0");
  REQUIRE(all.exit_code == 0);
  REQUIRE(none.exit_code == 0);
  REQUIRE(all.out.find("\"table\": {\n      \"type\": \"external\",\n      \"requests\": 99,") != std::string::npos);
  REQUIRE(none.out.find("\"table\": {\n      \"type\": \"external\",\n      \"requests\": 0,") != std::string::npos);
}
