// Input that the loader must refuse with a message rather than hang, crash or
// silently distort a run: rates finer than the clock, unbounded counts and
// files, YAML that expands without end, numbers that overflow, and the event
// limit. Each case asserts the exact message.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "sim/analysis/replications.hpp"
#include "sim/core/distribution.hpp"
#include "sim/scenario/document.hpp"
#include "sim/scenario/units.hpp"
#include "sim/workload/arrival.hpp"
#include "support.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// A scenario with one workload whose arrival is `arrival` (line 6).
std::string with_arrival(const std::string& arrival, const std::string& duration = "10s") {
  return "name: t\n"                                   // 1
         "duration: " + duration + "\n"                // 2
         "workloads:\n"                                // 3
         "  - name: w\n"                               // 4
         "    target: api\n"                           // 5
         "    arrival: " + arrival + "\n"              // 6
         "services:\n"                                 // 7
         "  api: {type: external, latency: 10ms}\n";   // 8
}

std::string load_file_error(const std::string& path) {
  try {
    load_scenario(path, builtin_services());
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// A file in a fresh temporary directory (removed at the end of the process).
std::string temp_file(const std::string& name, const std::string& content) {
  struct TempDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 fmt::format("slsim_input_limits_{}", ::getpid());
    TempDir() { std::filesystem::create_directories(path); }
    ~TempDir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const TempDir dir;
  const auto path = dir.path / name;
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

const char* const kRateHint =
    "    hint: the clock counts whole nanoseconds: above 1000000/s (gaps under 1 us) rounding each gap to 1 ns would "
    "distort the rate by more than 0.05%\n";

}  // namespace

TEST_CASE("limits: arrival rates finer than the clock resolves are refused", "[limits]") {
  REQUIRE(load_error(with_arrival("{process: poisson, rate: 1e12/s}")) ==
          std::string("t.yaml:6:39: error: workloads.w.arrival.rate: expected a rate between 0/s and 1000000/s, found "
                      "'1e12/s'\n") + kRateHint);
  REQUIRE(load_error(with_arrival("{process: constant, rate: 1e10/s}")) ==
          std::string("t.yaml:6:40: error: workloads.w.arrival.rate: expected a rate between 0/s and 1000000/s, found "
                      "'1e10/s'\n") + kRateHint);
  REQUIRE(load_error(with_arrival("{process: poisson, schedule: [{at: 0s, rate: 5/s}, {at: 1s, rate: 2e6/s}]}")) ==
          std::string("t.yaml:6:80: error: workloads.w.arrival.schedule.1.rate: expected a rate between 0/s and "
                      "1000000/s, found '2e6/s'\n") + kRateHint);
  REQUIRE(load_error(with_arrival("{process: periodic, every: 10ns}")) ==
          "t.yaml:6:41: error: workloads.w.arrival.every: expected a duration between 1us and 3650d, found '10ns'\n"
          "    hint: a period under 1us is a rate above 1000000/s, the highest any workload may have (the nanosecond "
          "clock resolves no finer rates faithfully)\n");
  // The limit itself runs, and a Poisson rate there is not distorted.
  const Json r = run_scenario_text(with_arrival("{process: poisson, rate: 1000000/s}", "20ms"));
  REQUIRE(metric(r, "workloads.w.arrived") == Approx(20000).margin(5 * std::sqrt(20000.0)));
}

TEST_CASE("limits: the gap rounding at the rate limit is within the stated 0.05%", "[limits]") {
  // A constant rate just under the limit whose gap (1.0004 us) rounds to 1 us: the worst case.
  ArrivalProcess p = [] {
    Diagnostics d;
    const Scenario sc = load_scenario_text(with_arrival("{process: constant, rate: 999600.16/s}"), "t.yaml",
                                           builtin_services());
    return ArrivalProcess::from_record(sc.workloads[0].params.record("arrival"), ".", d);
  }();
  Rng rng(1);
  SimTime t = 0;
  for (int i = 0; i < 1000; ++i) t = p.next(rng);
  const double gap = static_cast<double>(t) / 1000.0;                 // the first arrival is at 1 gap
  REQUIRE(std::fabs(gap / (1e9 / 999600.16) - 1.0) <= 0.0005);        // within 0.05%
}

TEST_CASE("limits: counts are bounded", "[limits]") {
  REQUIRE(load_error(with_arrival("{process: burst, at: 0s, count: 1e9}")) ==
          "t.yaml:6:46: error: workloads.w.arrival.count: expected a whole number between 1 and 10000000, found "
          "'1e9'\n");
  REQUIRE(load_error(with_arrival("{process: poisson, rate: 1/s}") + "replications: 100000\n") ==
          "t.yaml:9:15: error: replications: expected a whole number between 1 and 10000, found '100000'\n");
  REQUIRE(load_error(with_arrival("{process: poisson, rate: 1/s}") + "max_events: 0\n") ==
          "t.yaml:9:13: error: max_events: expected a whole number between 1 and 9007199254740992, found '0'\n");
}

TEST_CASE("limits: trace files are checked line by line", "[limits][trace]") {
  const std::string huge = temp_file("huge.csv", "count\n10\n1e300\n");
  REQUIRE(load_error(with_arrival(fmt::format("{{process: trace, file: {}, format: per_minute}}", huge))) ==
          fmt::format("t.yaml:6:37: error: workloads.w.arrival.file: {}:3: expected at most 60000000 arrivals in a "
                      "minute (1000000/s, the finest rate the clock resolves faithfully), found '1e300'\n",
                      huge));
  const std::string disorder = temp_file("disorder.csv", "time\n1s\n3s\n2s\n");
  REQUIRE(load_error(with_arrival(fmt::format("{{process: trace, file: {}}}", disorder))) ==
          fmt::format("t.yaml:6:37: error: workloads.w.arrival.file: {}:4: the times must not decrease: found '2s' "
                      "after 3s\n",
                      disorder));
  const std::string negative = temp_file("negative.csv", "0.5\n-3\n");
  REQUIRE(load_error(with_arrival(fmt::format("{{process: trace, file: {}}}", negative))) ==
          fmt::format("t.yaml:6:37: error: workloads.w.arrival.file: {}:2: expected a time from 0 (a duration, or "
                      "bare seconds), found '-3'\n",
                      negative));
  const std::string empty = temp_file("empty.csv", "");
  REQUIRE(load_error(with_arrival(fmt::format("{{process: trace, file: {}}}", empty))) ==
          fmt::format("t.yaml:6:37: error: workloads.w.arrival.file: '{}' holds no arrival times: a trace needs at "
                      "least one line of data\n",
                      empty));
  const std::string header_only = temp_file("header.csv", "count\n");
  REQUIRE(load_error(with_arrival(fmt::format("{{process: trace, file: {}, format: per_minute}}", header_only))) ==
          fmt::format("t.yaml:6:37: error: workloads.w.arrival.file: '{}' holds no counts: a trace needs at least "
                      "one line of data\n",
                      header_only));
  const std::string dir = std::filesystem::path(empty).parent_path().string();
  REQUIRE(load_error(with_arrival(fmt::format("{{process: trace, file: {}}}", dir))) ==
          fmt::format("t.yaml:6:37: error: workloads.w.arrival.file: '{}' is a directory, not a file\n", dir));
  REQUIRE(load_error(with_arrival("{process: trace, file: /dev/zero}")) ==
          "t.yaml:6:37: error: workloads.w.arrival.file: '/dev/zero' is not a regular file (a device, pipe or "
          "socket): give the path of a file\n");
  const std::string long_line = temp_file("long.csv", "1s\n" + std::string(5000, '7') + "\n");
  REQUIRE(load_error(with_arrival(fmt::format("{{process: trace, file: {}}}", long_line))) ==
          fmt::format("t.yaml:6:37: error: workloads.w.arrival.file: {}:2: the line is longer than 4096 characters\n",
                      long_line));
  // Equal times are fine, and the arrivals replay exactly.
  const std::string ok = temp_file("ok.csv", "time\n1s\n1s\n2.5\n");
  const Json r = run_scenario_text(with_arrival(fmt::format("{{process: trace, file: {}}}", ok)));
  REQUIRE(metric(r, "workloads.w.arrived") == 3);
}

TEST_CASE("limits: empirical sample files are bounded too", "[limits]") {
  const auto with_latency = [](const std::string& latency) {
    std::string text = with_arrival("{process: poisson, rate: 1/s}");
    return text.replace(text.find("latency: 10ms"), 13, "latency: " + latency);
  };
  REQUIRE(load_error(with_latency("{dist: empirical, file: /dev/zero}")) ==
          "t.yaml:8:58: error: services.api.latency.file: '/dev/zero' is not a regular file (a device, pipe or "
          "socket): give the path of a file\n");
  const std::string huge = temp_file("samples.csv", "1ms\n1e400ms\n");
  REQUIRE(load_error(with_latency(fmt::format("{{dist: empirical, file: {}}}", huge))) ==
          fmt::format("t.yaml:8:58: error: services.api.latency.file: {}:2: found '1e400ms', a number too large to "
                      "represent\n",
                      huge));
  const std::string long_one = temp_file("long_samples.csv", "1ms\n4000d\n");
  REQUIRE(load_error(with_latency(fmt::format("{{dist: empirical, file: {}}}", long_one))) ==
          fmt::format("t.yaml:8:58: error: services.api.latency.file: {}:2: expected a duration of at most 3650d, "
                      "found '4000d'\n",
                      long_one));
}

TEST_CASE("limits: scenario files must be regular files of bounded size", "[limits]") {
  REQUIRE(load_file_error("/dev/zero") ==
          "/dev/zero: error: this path is not a regular file (a device, pipe or socket): give the path of a file\n");
  const std::string dir = std::filesystem::path(temp_file("x", "")).parent_path().string();
  REQUIRE(load_file_error(dir) == dir + ": error: this path is a directory, not a file\n");
  const std::string big = temp_file("big.yaml", "name: t\n#" + std::string(8u << 20, 'x') + "\n");
  REQUIRE(load_file_error(big) == big + ": error: this path is larger than 8 MiB, the limit for this file\n");
}

TEST_CASE("limits: YAML that expands without end is refused", "[limits][yaml]") {
  // An alias inside the node it names: an infinite tree.
  REQUIRE(load_error("name: &a [*a]\n") ==
          "t.yaml:1:7: error: a YAML alias refers to a node that contains the alias (an endless cycle)\n");
  // "Billion laughs": ten levels of ten aliases each.
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    laughs += fmt::format("a{}: &a{} [", i, i);
    for (int j = 0; j < 10; ++j) laughs += fmt::format("{}*a{}", j == 0 ? "" : ", ", i - 1);
    laughs += "]\n";
  }
  REQUIRE(load_error(laughs) ==
          "t.yaml:1:37: error: the document expands to more than 100000 nodes (each use of a YAML alias counts as a "
          "copy); a scenario needs far fewer\n");
  // Nesting: yaml-cpp's own limit says "bad file"; ours names the depth.
  const std::string deep = "name: " + std::string(3000, '[') + std::string(3000, ']') + "\n";
  REQUIRE(load_error(deep) ==
          "t.yaml:1:6007: error: invalid YAML: the document nests deeper than 256 levels (a scenario needs fewer "
          "than ten)\n");
  const std::string nested = "name: " + std::string(300, '[') + std::string(300, ']') + "\n";
  REQUIRE(load_error(nested) ==
          "t.yaml:1:262: error: invalid YAML: the document nests deeper than 256 levels (a scenario needs fewer than "
          "ten)\n");
}

TEST_CASE("limits: tabs and invalid bytes are named, long values cut", "[limits][yaml]") {
  REQUIRE(load_error("name: t\nservices:\n\tapi: {type: external}\n") ==
          "t.yaml:3:1: error: invalid YAML: found a tab character in the indentation: YAML indents with spaces\n");
  REQUIRE(load_error("name: t\nduration: 10s\xff\xfe\n") ==
          "t.yaml:1:1: error: workloads: missing required key 'workloads' (sources of requests (at least one))\n"
          "t.yaml:1:1: error: services: missing required key 'services' (the services, by name)\n"
          "t.yaml:2:11: error: duration: expected a duration with a unit (ns, us, ms, s, min, h, d), e.g. 250ms, "
          "found '10s\\xff\\xfe'\n");
  std::string binary = "\x01\x02\x1b[31m";
  binary += std::string(200, 'z');
  REQUIRE(load_error(with_arrival("{process: poisson, rate: 1/s}") + "region: \"" + binary + "\"\n") ==
          "t.yaml:9:9: error: region: no price catalog for region '\\x01\\x02\\x1b[31mzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
          "zzzzzzzzzzzzzzzzzzzzzz...' (available: 'us-east-1')\n");
  REQUIRE(echo("tab\there") == "tab\\there");
  REQUIRE(echo("é ok") == "é ok");                // valid UTF-8 is kept
  REQUIRE(echo("\xc3\x28") == "\\xc3(");          // a broken sequence is escaped byte by byte
  REQUIRE(echo(std::string(61, 'a')) == std::string(60, 'a') + "...");
  REQUIRE(echo(std::string(60, 'a')) == std::string(60, 'a'));
}

TEST_CASE("limits: --set with an index beyond any list", "[limits][set]") {
  LoadOptions o;
  o.overrides = {"workloads.99999999999999999999.payload=1KB"};
  REQUIRE(load_error(with_arrival("{process: poisson, rate: 1/s}"), o) ==
          "--set workloads.99999999999999999999.payload=1KB: error: workloads.99999999999999999999: "
          "'99999999999999999999' is not an item of workloads (items: 'w')\n");
  LoadOptions deep;
  std::string path = "lesson";
  for (int i = 0; i < 300; ++i) path += ".a";
  deep.overrides = {path + "=1"};
  REQUIRE(load_error(with_arrival("{process: poisson, rate: 1/s}"), deep) ==
          "--set " + path + "=1: error: the path has more than 256 segments\n");
}

TEST_CASE("limits: numbers too large say so, and never reach an integer conversion", "[limits]") {
  LoadOptions seed;
  seed.overrides = {"seed=1e30"};
  REQUIRE(load_error(with_arrival("{process: poisson, rate: 1/s}"), seed) ==
          "--set seed=1e30: error: seed: expected a whole number between 0 and 9007199254740992, found '1e30'\n");
  LoadOptions overflow;
  overflow.overrides = {"duration=1e400s", "seed=1e400"};
  REQUIRE(load_error(with_arrival("{process: poisson, rate: 1/s}"), overflow) ==
          "--set duration=1e400s: error: duration: expected a duration between 1ns and 3650d, found '1e400s', a "
          "number too large to represent\n"
          "--set seed=1e400: error: seed: expected a whole number between 0 and 9007199254740992, found '1e400', a "
          "number too large to represent\n");
  // Record::integer saturates instead of converting an out-of-range double.
  Record r;
  static const Schema schema{"s", "", {param("n", ParamType::integer, "", "", "")}};
  r.schema = &schema;
  Value v;
  v.number = 1e30;
  r.fields.emplace_back("n", v);
  REQUIRE(r.integer("n") == 9200000000000000000);
  r.fields[0].second.number = -1e30;
  REQUIRE(r.integer("n") == -9200000000000000000);
}

TEST_CASE("limits: durations above 3650d are refused everywhere", "[limits]") {
  std::string text = with_arrival("{process: poisson, rate: 1/s}");
  text.replace(text.find("latency: 10ms"), 13, "latency: {dist: uniform, min: 1s, max: 100000000d}");
  REQUIRE(load_error(text) ==
          "t.yaml:8:64: error: services.api.latency.max: expected a duration between 0s and 3650d, found "
          "'100000000d'\n"
          "    hint: every duration is at most 3650d (about 10 years), so that sums of times stay inside the "
          "simulator's 64-bit nanosecond clock\n");
  // Unbounded distributions saturate at the maximum when drawn.
  const Distribution heavy = Distribution::pareto(1e17, 0.01);
  Rng rng(3);
  SimTime longest = 0;
  for (int i = 0; i < 1000; ++i) longest = std::max(longest, heavy.sample_ns(rng));
  REQUIRE(longest == kMaxDuration);
  REQUIRE(add_saturating(kTimeNever - 5, 10) == kTimeNever);
  REQUIRE(add_saturating(5, 10) == 15);
}

TEST_CASE("limits: a batch whose summed durations pass the clock's range times out", "[limits]") {
  // 30 records of 3650d each sum beyond 2^63 ns: without saturation the sum
  // wrapped to a negative time and the batch "succeeded" at once.
  const Json r = run_scenario_text(
      "name: batch\nduration: 60s\n"
      "workloads: [{name: w, target: jobs, op: send, arrival: {process: burst, at: 0s, count: 30}}]\n"
      "services:\n"
      "  jobs: {type: sqs, visibility_timeout: 1min, consumer: {function: worker, batch_size: 30, batch_window: 1s}}\n"
      "  worker: {type: lambda, timeout: 10s, duration: 3650d}\n");
  REQUIRE(metric(r, "services.worker.timeouts") == 1);
  REQUIRE(metric(r, "services.jobs.deleted") == 0);
}

TEST_CASE("limits: a run stops at max_events with a message", "[limits][max_events]") {
  const Scenario sc = load_scenario_text(
      with_arrival("{process: poisson, rate: 1000/s}") + "max_events: 5000\n", "t.yaml", builtin_services());
  try {
    run_replications(sc, ReplicationOptions{});
    FAIL("expected the event limit");
  } catch (const InputError& e) {
    REQUIRE(std::string(e.what()) ==
            "t.yaml:9:13: error: max_events: the run stopped after 5000 events, at 1.217s of its 10s of "
            "simulated time (warm-up included): the event limit\n"
            "    hint: if the scenario needs more events, raise the limit (max_events: 50000 in the scenario, or "
            "--set max_events=50000); otherwise look for a runaway: a rate far too high, a retry loop, services "
            "that call each other\n");
  }
  // Exactly at the limit is fine: the guard counts events processed, not queued.
  const std::string steady = with_arrival("{process: constant, rate: 100/s}");
  const double needed = metric(run_scenario_text(steady), "run.events");
  const Scenario at_limit = load_scenario_text(steady + fmt::format("max_events: {}\n", needed), "t.yaml",
                                               builtin_services());
  REQUIRE(metric(run_replications(at_limit, ReplicationOptions{}), "run.events") == needed);
  const Scenario below = load_scenario_text(steady + fmt::format("max_events: {}\n", needed - 1), "t.yaml",
                                            builtin_services());
  REQUIRE_THROWS_AS(run_replications(below, ReplicationOptions{}), InputError);
  // The Simulation itself: the exception carries the limit and the time reached.
  BuiltModel m = build_model(sc, 0);
  REQUIRE_THROWS_AS(m.sim->run(), EventLimitReached);
  REQUIRE(m.sim->events_processed() == 5000);
}

TEST_CASE("limits: an SQS retention shorter than the visibility timeout is a warning", "[limits][sqs]") {
  const Scenario sc = load_scenario_text(
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: q, op: send, arrival: {process: poisson, rate: 1/s}}]\n"
      "services:\n"
      "  q: {type: sqs, visibility_timeout: 5min, retention: 2min}\n",
      "t.yaml", builtin_services());
  REQUIRE(sc.warnings.str() ==
          "t.yaml:5:55: warning: services.q.retention: the retention (2min) is shorter than the visibility timeout "
          "(5min): a message whose receive fails expires before it becomes visible again, so it is never retried\n"
          "    hint: set retention longer than visibility_timeout (AWS's defaults: 4d and 30s)\n");
}

TEST_CASE("units: unit mistakes get a did-you-mean", "[units]") {
  REQUIRE(suggest_duration("10 sec") == "10s");
  REQUIRE(suggest_duration("10sec") == "10s");
  REQUIRE(suggest_duration("5 minute") == "5min");
  REQUIRE(suggest_duration("5 minutes") == "5min");
  REQUIRE(suggest_duration("2 hours") == "2h");
  REQUIRE(suggest_duration("1.5 Days") == "1.5d");
  REQUIRE(suggest_duration("250 millis") == "250ms");
  // Compound durations become one unit.
  REQUIRE(suggest_duration("12h15min") == "735min");
  REQUIRE(suggest_duration("1h 30m") == "90min");
  REQUIRE(suggest_duration("1m30s") == "90s");
  REQUIRE(suggest_duration("2h0min") == "2h");
  REQUIRE(suggest_duration("12h15").empty());  // a number without its unit
  REQUIRE(suggest_duration("10s").empty());  // already right
  REQUIRE(suggest_duration("ten seconds").empty());
  REQUIRE(suggest_size("128 MB") == "128MB");
  REQUIRE(suggest_size("128mb") == "128MB");
  REQUIRE(suggest_size("128MiB") == "128MB");
  REQUIRE(suggest_size("1 GiB") == "1GB");
  REQUIRE(suggest_size("64 kb") == "64KB");
  REQUIRE(suggest_rate("50 per second") == "50/s");
  REQUIRE(suggest_rate("50/sec") == "50/s");
  REQUIRE(suggest_rate("3000 requests per minute") == "3000/min");
  REQUIRE(suggest_rate("100 rps") == "100/s");
  REQUIRE(suggest_rate("2/hour") == "2/h");
  REQUIRE(suggest_rate("50/fortnight").empty());
  REQUIRE(suggest_probability("20%") == "0.2");
  REQUIRE(suggest_probability("0.5 %") == "0.005");
  REQUIRE(suggest_probability("150%").empty());
}

TEST_CASE("units: the hints appear in the loader's messages", "[units]") {
  const auto set_error = [](const std::string& assignment) {
    LoadOptions o;
    o.overrides = {assignment};
    return load_error(
        "name: u\nduration: 10s\n"
        "workloads: [{name: w, target: f, arrival: {process: poisson, rate: 5/s}}]\n"
        "services:\n  f: {type: lambda, duration: 10ms}\n",
        o);
  };
  REQUIRE(set_error("services.f.timeout=10 sec") ==
          "--set services.f.timeout=10 sec: error: services.f.timeout: expected a duration with a unit (ns, us, ms, "
          "s, min, h, d), e.g. 250ms, found '10 sec'\n"
          "    hint: did you mean 10s?\n");
  REQUIRE(set_error("services.f.timeout=5 minutes") ==
          "--set services.f.timeout=5 minutes: error: services.f.timeout: expected a duration with a unit (ns, us, "
          "ms, s, min, h, d), e.g. 250ms, found '5 minutes'\n"
          "    hint: did you mean 5min?\n");
  REQUIRE(set_error("services.f.memory=128 MB") ==
          "--set services.f.memory=128 MB: error: services.f.memory: expected a size with a unit (B, KB, MB, GB, "
          "TB), e.g. 512MB, found '128 MB'\n"
          "    hint: did you mean 128MB?\n");
  REQUIRE(set_error("services.f.memory=128MiB") ==
          "--set services.f.memory=128MiB: error: services.f.memory: expected a size with a unit (B, KB, MB, GB, "
          "TB), e.g. 512MB, found '128MiB'\n"
          "    hint: did you mean 128MB? (slsim's sizes are binary: 1 MB = 1024 KB)\n");
  REQUIRE(set_error("services.f.errors=20%") ==
          "--set services.f.errors=20%: error: services.f.errors: expected a probability, found '20%'\n"
          "    hint: did you mean 0.2? (a probability is a number from 0 to 1)\n");
  REQUIRE(set_error("workloads.w.arrival.rate=50 per second") ==
          "--set workloads.w.arrival.rate=50 per second: error: workloads.w.arrival.rate: expected a rate like 50/s, "
          "3000/min, 1e6/h or 1/d, found '50 per second'\n"
          "    hint: did you mean 50/s?\n");
  REQUIRE(set_error("workloads.w.arrival.rate=50/sec") ==
          "--set workloads.w.arrival.rate=50/sec: error: workloads.w.arrival.rate: expected a rate like 50/s, "
          "3000/min, 1e6/h or 1/d, found '50/sec'\n"
          "    hint: did you mean 50/s?\n");
}

TEST_CASE("limits: numbers that are summed or multiplied stay finite", "[limits]") {
  // A price of 1e300 would make every cost infinite (null in the JSON).
  REQUIRE(load_error(with_arrival("{process: poisson, rate: 1/s}") + "pricing: {lambda.request: 1e300}\n") ==
          "t.yaml:9:27: error: pricing.lambda.request: expected a number between 0 and 1000000, found '1e300'\n");
  std::string text = with_arrival("{process: poisson, rate: 1/s}") + "account: {api_rate: 1e12/s}\n";
  REQUIRE(load_error(text) ==
          "t.yaml:9:21: error: account.api_rate: expected a rate between 0/s and 1000000000/s, found '1e12/s'\n");
}

TEST_CASE("limits: the inputs of past fuzzing findings are refused or run cleanly", "[limits][fuzz]") {
  // tests/fuzz/regressions/ holds each input the fuzzer (or the issue) found;
  // the fuzz target runs them the same way (tools/fuzz.sh seeds its corpus with them).
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SLSIM_SOURCE_DIR) + "/tests/fuzz/regressions")) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    INFO(entry.path().string());
    REQUIRE(fuzz::run_input(text.str()).empty());
    ++count;
  }
  REQUIRE(count >= 10);
}
