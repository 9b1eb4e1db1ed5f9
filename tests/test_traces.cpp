// Recorded traffic: a per_minute trace is replayed with exactly its count in
// every minute (the rows of the Azure Functions sample in tests/data/azure/
// are the counts), and tools/azure-trace.py turns that sample into files the
// replay reads.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "support.hpp"
#include "test_queue.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

const std::string kSample = std::string(SLSIM_SOURCE_DIR) + "/tests/data/azure/";

const ServiceRegistry& recording_registry() {
  static const ServiceRegistry reg = [] {
    const ServiceRegistry& builtin = builtin_services();
    ServiceRegistry r;
    r.account = builtin.account;
    r.price_items = builtin.price_items;
    r.regions = builtin.regions;
    r.types.push_back(test_queue_type());  // records the time of every send
    return r;
  }();
  return reg;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream s(line);
  for (std::string cell; std::getline(s, cell, ',');) cells.push_back(cell);
  return cells;
}

struct SampleFunction {
  std::string hash, trigger;
  std::vector<std::uint64_t> counts;  // 1440 minutes
};

std::vector<SampleFunction> sample_functions() {
  std::ifstream in(kSample + "invocations.csv");
  std::vector<SampleFunction> out;
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    const auto cells = split(line);
    REQUIRE(cells.size() == 4 + 1440);
    SampleFunction f{cells[2], cells[3], {}};
    for (std::size_t m = 4; m < cells.size(); ++m) f.counts.push_back(std::stoull(cells[m]));
    out.push_back(f);
  }
  return out;
}

std::string write_counts(const std::string& name, const std::vector<std::uint64_t>& counts) {
  std::string text = "requests_per_minute\n";
  for (const auto c : counts) text += std::to_string(c) + "\n";
  return write_temp(name, text);
}

// The arrivals of each minute of a replay of `file` (per_minute) into a recording queue.
std::vector<std::uint64_t> replay(const std::string& file, std::size_t minutes, std::uint64_t seed) {
  const std::string yaml = fmt::format(
      "name: replay\nduration: {}min\nseed: {}\n"
      "workloads: [{{name: w, target: q, op: send, arrival: {{process: trace, file: {}, format: per_minute}}}}]\n"
      "services:\n  q: {{type: sqs}}\n",
      minutes, seed, file);
  const Scenario sc = load_scenario_text(yaml, "t.yaml", recording_registry());
  BuiltModel m = build_model(sc, 0);
  m.sim->run();
  std::vector<std::uint64_t> per_minute(minutes, 0);
  for (Service* s : m.services) {
    const auto& times = dynamic_cast<const TestQueue&>(*s).times;
    REQUIRE(std::is_sorted(times.begin(), times.end()));
    const bool inside = std::all_of(times.begin(), times.end(), [&](SimTime t) {
      return t >= 0 && static_cast<std::size_t>(t / kMinute) < minutes;
    });
    REQUIRE(inside);
    for (const SimTime t : times) ++per_minute[static_cast<std::size_t>(t / kMinute)];
  }
  return per_minute;
}

}  // namespace

TEST_CASE("traces: a per_minute replay reproduces every minute's count exactly", "[trace]") {
  const auto functions = sample_functions();
  REQUIRE(functions.size() == 5);
  for (const auto& f : functions) {
    INFO(f.trigger << " " << f.hash);
    const std::string file = write_counts("replay-" + f.trigger + ".csv", f.counts);
    for (const std::uint64_t seed : {1, 2}) CHECK(replay(file, 1440, seed) == f.counts);
  }
}

TEST_CASE("traces: within a minute the recorded arrivals fall at uniform random times", "[trace]") {
  const std::string file = write_counts("spread.csv", {0, 60000, 3});
  const std::string yaml = fmt::format(
      "name: spread\nduration: 3min\n"
      "workloads: [{{name: w, target: q, op: send, arrival: {{process: trace, file: {}, format: per_minute}}}}]\n"
      "services:\n  q: {{type: sqs}}\n",
      file);
  const Scenario sc = load_scenario_text(yaml, "t.yaml", recording_registry());
  BuiltModel m = build_model(sc, 0);
  m.sim->run();
  const auto& times = dynamic_cast<const TestQueue&>(*m.services.front()).times;
  REQUIRE(times.size() == 60003);
  double sum = 0;
  std::size_t first_half = 0, first_second = 0, outside = 0;
  for (std::size_t i = 0; i < 60000; ++i) {
    const double offset = static_cast<double>(times[i] - kMinute) / 1e9;  // seconds into minute 2
    outside += offset < 0 || offset >= 60 ? 1 : 0;
    sum += offset;
    first_half += offset < 30 ? 1 : 0;
    first_second += offset < 1 ? 1 : 0;
  }
  CHECK(outside == 0);
  // Uniform on [0, 60 s): mean 30 s (sd of the mean 0.07 s), half below 30 s, 1/60 in the first second.
  CHECK(std::fabs(sum / 60000 - 30.0) < 0.4);
  CHECK(std::fabs(static_cast<double>(first_half) / 60000 - 0.5) < 0.01);
  CHECK(std::fabs(static_cast<double>(first_second) / 60000 - 1.0 / 60) < 0.002);
  for (std::size_t i = 60000; i < 60003; ++i) CHECK(times[i] / kMinute == 2);
}

TEST_CASE("traces: a per_minute count is a whole number", "[trace][limits]") {
  const std::string file = write_temp("fraction.csv", "count\n10\n2.5\n");
  CHECK(load_error(fmt::format("name: t\nduration: 1min\n"
                               "workloads: [{{name: w, target: q, op: send, arrival: {{process: trace, file: {}, "
                               "format: per_minute}}}}]\nservices:\n  q: {{type: sqs}}\n",
                               file)) ==
        fmt::format("t.yaml:3:76: error: workloads.w.arrival.file: {}:3: expected a count of arrivals in the minute (a "
                    "whole number from 0 to 60000000), found '2.5'\n",
                    file));
}

TEST_CASE("traces: tools/azure-trace.py writes the sample's counts and durations", "[trace][tools]") {
  const std::string out = fmt::format("/tmp/slsim_azure_{}", ::getpid());
  std::filesystem::remove_all(out);
  // The converter's output goes to a file of this process's own: test runs may overlap.
  const std::string log = out + ".out";
  const auto python = [&log](const std::string& args) {
    const std::string cmd =
        fmt::format("cd '{}' && python3 tools/azure-trace.py {} >'{}' 2>&1", SLSIM_SOURCE_DIR, args, log);
    const int status = std::system(cmd.c_str());
    Ran r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(log);
    return r;
  };
  const Ran r = python(
      "--invocations tests/data/azure/invocations.csv --durations tests/data/azure/durations.csv "
      "--trigger http --trigger queue --out " +
      out);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == fmt::format("azure-trace: wrote {}/scenario.yaml with 2 functions:\n"
                             "  fn_b4980e0796: http, 17378 invocations in minutes 1..1440\n"
                             "  fn_8a9861fa66: queue, 3029 invocations in minutes 1..1440\n",
                             out));
  const auto functions = sample_functions();
  // The per-minute file holds the row's counts, and the replay reproduces them.
  const std::string per_minute = out + "/fn_b4980e0796.per-minute.csv";
  CHECK(replay(per_minute, 1440, 7) == functions[0].counts);
  // The durations follow the percentiles (min 3, p25 40, p50 70, p75 110, max 1900 ms), in order.
  std::ifstream in(out + "/fn_b4980e0796.duration-ms.csv");
  std::string line;
  std::getline(in, line);
  CHECK(line == "duration_ms");
  std::vector<double> ms;
  while (std::getline(in, line)) ms.push_back(std::stod(line));
  REQUIRE(ms.size() == 1000);
  CHECK(std::is_sorted(ms.begin(), ms.end()));
  CHECK(ms.front() >= 3);
  CHECK(ms.back() <= 1900);
  // Sample i is the quantile (i + 0.5) / 1000: the 25th, 50th and 75th percentiles fall between two samples.
  CHECK((ms[249] < 40 && ms[250] > 40));
  CHECK((ms[499] < 70 && ms[500] > 70));
  CHECK((ms[749] < 110 && ms[750] > 110));
  // The scenario loads (its files relative to it) and replays the selection.
  const Ran v = run_slsim("validate " + out + "/scenario.yaml");
  CHECK(v.exit_code == 0);
  CHECK(v.out == out + "/scenario.yaml: ok: 'azure-trace' with 2 services, 2 workloads, 0 expectations\n");
  const Ran part = python("--invocations tests/data/azure/invocations.csv --function 13507780 --minutes 1:60 --out " +
                          out + "/part");
  REQUIRE(part.exit_code == 0);
  CHECK(part.out ==
        fmt::format("azure-trace: wrote {}/part/scenario.yaml with 1 function:\n"
                    "  fn_13507780e3: timer, 12 invocations in minutes 1..60 (no durations: a placeholder)\n",
                    out));
  CHECK(slurp(out + "/part/scenario.yaml").find("duration: 1h\n") != std::string::npos);
  // Bad input: exit 2 with the file and what was expected.
  const Ran wrong = python("--invocations tests/data/azure/durations.csv --out " + out);
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.out ==
        "azure-trace: error: tests/data/azure/durations.csv:1: expected the Azure Functions 2019 "
        "invocations (HashOwner, HashApp, HashFunction, Trigger, 1..1440) layout; the header lacks "
        "'Trigger', '1', '2', '3', '4' ...\n");
  const Ran none = python("--invocations tests/data/azure/invocations.csv --function ffff --out " + out);
  CHECK(none.exit_code == 2);
  CHECK(none.out == "azure-trace: error: --function ffff: no function whose HashFunction starts with it\n");
  std::filesystem::remove_all(out);
}
