// The real binary on input that used to hang, crash or read without end:
// each run must exit 2 with its message, quickly. Every command runs under
// `timeout`, so a hang fails the test instead of stalling the suite.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "cli_runner.hpp"

using namespace slsim::testing;

namespace {


std::string scenario(const std::string& arrival, const std::string& latency = "10ms") {
  return "name: t\nduration: 1h\nworkloads:\n  - name: w\n    target: api\n    arrival: " + arrival +
         "\nservices:\n  api: {type: external, latency: " + latency + "}\n";
}

// Exit 2 with exactly `message` on stderr, in well under the timeout (a
// loaded machine gets some slack over the one second these take).
void require_refused(const std::string& args, const std::string& message) {
  const Ran r = run_slsim(args);
  INFO(args);
  REQUIRE(r.err == message);
  REQUIRE(r.exit_code == 2);
  REQUIRE(r.out.empty());
  REQUIRE(r.seconds < 5.0);
}

}  // namespace

TEST_CASE("cli input: files that are not regular files", "[cli][limits]") {
  require_refused("validate /dev/zero",
                  "/dev/zero: error: this path is not a regular file (a device, pipe or socket): give the path of a "
                  "file\n");
  // validate and check read every scenario of a directory; run takes one file.
  require_refused("run scenarios",
                  "scenarios: error: a directory, but run takes one scenario file\n"
                  "    hint: to load every scenario in it: slsim validate scenarios\n");
  const std::string trace = write_temp("trace_zero.yaml", scenario("{process: trace, file: /dev/zero}"));
  require_refused("run " + trace,
                  trace + ":6:37: error: workloads.w.arrival.file: '/dev/zero' is not a regular file (a device, pipe "
                          "or socket): give the path of a file\n");
  const std::string samples = write_temp("samples_zero.yaml",
                                         scenario("{process: poisson, rate: 1/s}", "{dist: empirical, file: /dev/zero}"));
  require_refused("validate " + samples,
                  samples + ":8:58: error: services.api.latency.file: '/dev/zero' is not a regular file (a device, "
                            "pipe or socket): give the path of a file\n");
}

TEST_CASE("cli input: rates and counts that would hang or distort a run", "[cli][limits]") {
  const std::string fast = write_temp("fast.yaml", scenario("{process: poisson, rate: 1e12/s}"));
  require_refused("run " + fast,
                  fast + ":6:39: error: workloads.w.arrival.rate: expected a rate between 0/s and 1000000/s, found "
                         "'1e12/s'\n"
                         "    hint: the clock counts whole nanoseconds: above 1000000/s (gaps under 1 us) rounding each "
                         "gap to 1 ns would distort the rate by more than 0.05%\n");
  const std::string rows = write_temp("rows.csv", "1e300\n");
  const std::string trace = write_temp("rows.yaml", scenario("{process: trace, file: " + rows + ", format: per_minute}"));
  require_refused("run " + trace,
                  trace + ":6:37: error: workloads.w.arrival.file: " + rows +
                      ":1: expected at most 60000000 arrivals in a minute (1000000/s, the finest rate the clock "
                      "resolves faithfully), found '1e300'\n");
}

TEST_CASE("cli input: a runaway stops at max_events", "[cli][limits][max_events]") {
  const std::string busy = write_temp("busy.yaml", scenario("{process: poisson, rate: 1000000/s}"));
  require_refused("run " + busy + " --set max_events=200000",
                  "--set max_events=200000: error: max_events: the run stopped after 200000 events, at 0.055s of its "
                  "1h of simulated time (warm-up included): the event limit\n"
                  "    hint: if the scenario needs more events, raise the limit (max_events: 2000000 in the scenario, "
                  "or --set max_events=2000000); otherwise look for a runaway: a rate far too high, a retry loop, "
                  "services that call each other\n");
}

TEST_CASE("cli input: YAML aliases that never end", "[cli][limits][yaml]") {
  const std::string cycle = write_temp("cycle.yaml", "name: &a [*a]\n");
  require_refused("validate " + cycle,
                  cycle + ":1:7: error: a YAML alias refers to a node that contains the alias (an endless cycle)\n");
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    laughs += fmt::format("a{}: &a{} [", i, i);
    for (int j = 0; j < 10; ++j) laughs += fmt::format("{}*a{}", j == 0 ? "" : ", ", i - 1);
    laughs += "]\n";
  }
  const std::string bomb = write_temp("laughs.yaml", laughs);
  require_refused("validate " + bomb,
                  bomb + ":1:37: error: the document expands to more than 100000 nodes (each use of a YAML alias "
                         "counts as a copy); a scenario needs far fewer\n");
}

TEST_CASE("cli input: numbers out of range on the command line", "[cli][limits]") {
  const std::string good = write_temp("good.yaml", scenario("{process: poisson, rate: 5/s}"));
  require_refused("run " + good + " --seed 1e30",
                  "--seed 1e30: error: seed: expected a whole number between 0 and 9007199254740992, found "
                  "'1e30'\n");
  require_refused("run " + good + " --duration 1e400s",
                  "--duration 1e400s: error: duration: expected a duration between 1ns and 3650d, found '1e400s', "
                  "a number too large to represent\n");
  require_refused("run " + good + " --set workloads.99999999999999999999.payload=1KB",
                  "--set workloads.99999999999999999999.payload=1KB: error: workloads.99999999999999999999: "
                  "'99999999999999999999' is not an item of workloads (items: 'w')\n");
  const std::string batch = write_temp(
      "batch.yaml",
      "name: batch\nduration: 60s\n"
      "workloads: [{name: w, target: jobs, op: send, arrival: {process: burst, at: 0s, count: 4}}]\n"
      "services:\n"
      "  jobs: {type: sqs, consumer: {function: worker, batch_size: 4}}\n"
      "  worker: {type: lambda, duration: 100000000d}\n");
  require_refused("run " + batch,
                  batch + ":6:36: error: services.worker.duration: expected a duration between 0s and 3650d, found "
                          "'100000000d'\n"
                          "    hint: every duration is at most 3650d (about 10 years), so that sums of times stay "
                          "inside the simulator's 64-bit nanosecond clock\n");
}
