// Time series (`slsim run --csv`): what an interval holds (counts, gauges,
// percentiles, levels; boundaries belong to the interval they start), sums
// that match the result, the interval choice, the CSV, and a result JSON that
// sampling leaves byte-identical.
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "sim/analysis/replications.hpp"
#include "sim/core/service.hpp"
#include "sim/core/simulation.hpp"
#include "sim/report/result.hpp"
#include "sim/report/time_series.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/units.hpp"
#include "sim/stats/counter.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// A service that does what a script says at given times: count, record a
// latency, set its gauge. It reports every kind of series.
class Scripted final : public Service {
 public:
  struct Step {
    SimTime at;
    double gauge = -1;           // >= 0: set the gauge
    SimTime latency = -1;        // >= 0: record it (and count one request)
  };
  explicit Scripted(std::vector<Step> steps) : Service("svc", "test"), steps_(std::move(steps)) {}
  void start(Simulation& sim) override {
    for (std::size_t i = 0; i < steps_.size(); ++i) sim.schedule_at(steps_[i].at, id(), kFirstComponentEvent, i);
  }
  void handle(Simulation& sim, const Event& e) override {
    const Step& s = steps_[e.data];
    if (s.gauge >= 0) gauge_.set(sim.now(), s.gauge);
    if (s.latency >= 0) {
      requests_.add();
      latency_.record(s.latency);
    }
  }
  void reset_statistics(SimTime now) override {
    requests_.reset();
    latency_.reset();
    gauge_.reset(now);
  }
  void report(Json&, double) const override {}
  void sample(TimeSeriesRow& row) override {
    row.count("requests", static_cast<double>(requests_.value));
    row.gauge("busy", gauge_);
    row.latency("latency_ms", latency_);
    row.level("at_ms", static_cast<double>(row.time()) / 1e6);
  }

 private:
  std::vector<Step> steps_;
  Counter requests_;
  TimeWeightedGauge gauge_;
  LatencyHistogram latency_;
};

// The value of (service, metric) in interval i.
double at(const TimeSeries& s, std::size_t i, const std::string& service, const std::string& metric) {
  for (std::size_t c = 0; c < s.columns.size(); ++c)
    if (s.columns[c].first == service && s.columns[c].second == metric) return s.values[i * s.columns.size() + c];
  FAIL("no column " << service << " " << metric);
  return 0;
}

double sum(const TimeSeries& s, const std::string& service, const std::string& metric) {
  double total = 0;
  for (std::size_t i = 0; i < s.intervals(); ++i) total += at(s, i, service, metric);
  return total;
}

struct SampledRun {
  Json result;
  TimeSeries series;
};

SampledRun run_sampled(const std::string& yaml, SimTime interval, const std::vector<std::string>& overrides = {}) {
  LoadOptions o;
  o.overrides = overrides;
  const Scenario sc = load_scenario_text(yaml, "test.yaml", builtin_services(), o);
  BuiltModel m = build_model(sc, 0);
  TimeSeriesSampler sampler(m, interval);
  m.sim->run();
  return {collect_result(sc, m, 0.0), sampler.take()};
}

const char* kThrottled =
    "name: ts\nduration: 60s\nwarmup: 5s\nseed: 3\n"
    "workloads: [{name: w, target: api, arrival: {process: poisson, rate: 20/s}}]\n"
    "services:\n"
    "  api: {type: apigateway, integration: fn, throttle: {rate: 15/s, burst: 5}}\n"
    "  fn: {type: lambda, duration: {dist: lognormal, mean: 300ms, cv: 0.5}, reserved_concurrency: 4}\n";

}  // namespace

TEST_CASE("time series: an interval holds what happened from its start up to its end", "[timeseries]") {
  SimulationOptions options;
  options.warmup = kSecond;        // nothing before it
  options.duration = 3 * kSecond;  // intervals [1,2), [2,3), [3,4]
  BuiltModel m;
  m.sim = std::make_unique<Simulation>(options);
  const std::vector<Scripted::Step> steps = {
      {500 * kMillisecond, 7, 50 * kMillisecond},  // warm-up: not counted (the gauge holds 7 into the window)
      {1500 * kMillisecond, 2, 1 * kMillisecond},
      {1600 * kMillisecond, -1, 2 * kMillisecond},
      {1700 * kMillisecond, -1, 3 * kMillisecond},
      {2 * kSecond, 0, 10 * kMillisecond},         // exactly at a boundary: the next interval's
      {4 * kSecond, 5, -1},                        // exactly at the end: the last interval's
  };
  auto svc = std::make_unique<Scripted>(steps);
  m.services.push_back(svc.get());
  m.sim->add(std::move(svc));
  TimeSeriesSampler sampler(m, kSecond);
  m.sim->run();
  const TimeSeries s = sampler.take();
  REQUIRE(s.intervals() == 3);
  REQUIRE(s.columns.size() == 6);  // requests, busy.max, busy.mean, latency_ms.p50, latency_ms.p99, at_ms
  CHECK(at(s, 0, "svc", "requests") == 3);
  CHECK(at(s, 1, "svc", "requests") == 1);
  CHECK(at(s, 2, "svc", "requests") == 0);
  CHECK(at(s, 0, "svc", "busy.max") == 7);  // held from the warm-up until 1.5 s
  CHECK(at(s, 0, "svc", "busy.mean") == Approx(0.5 * 7 + 0.5 * 2));
  CHECK(at(s, 1, "svc", "busy.max") == 0);  // 2 until the boundary, replaced at its instant
  CHECK(at(s, 1, "svc", "busy.mean") == 0);
  CHECK(at(s, 2, "svc", "busy.max") == 5);  // set at the very end
  CHECK(at(s, 2, "svc", "busy.mean") == 0);
  // Percentiles as a histogram of the interval's values reads them (a bucket's
  // midpoint, within 0.4%), clamped to the range of the window so far rather than the interval's.
  LatencyHistogram first;
  for (const SimTime v : {kMillisecond, 2 * kMillisecond, 3 * kMillisecond}) first.record(v);
  CHECK(at(s, 0, "svc", "latency_ms.p50") == first.percentile(0.5) / 1e6);
  CHECK(at(s, 0, "svc", "latency_ms.p99") == Approx(3).epsilon(0.004));
  CHECK(at(s, 1, "svc", "latency_ms.p50") == Approx(10).epsilon(0.004));
  CHECK(std::isnan(at(s, 2, "svc", "latency_ms.p99")));  // no request: no value
  CHECK(at(s, 0, "svc", "at_ms") == 2000);
  CHECK(at(s, 2, "svc", "at_ms") == 4000);
  CHECK(time_series_csv(s) ==
        "time_s,service,metric,value\n"
        "0,svc,requests,3\n0,svc,busy.max,7\n0,svc,busy.mean,4.5\n0,svc,latency_ms.p50,2.0029435\n"
        "0,svc,latency_ms.p99,3\n0,svc,at_ms,2000\n"
        "1,svc,requests,1\n1,svc,busy.max,0\n1,svc,busy.mean,0\n1,svc,latency_ms.p50,9.9942395\n"
        "1,svc,latency_ms.p99,9.9942395\n1,svc,at_ms,3000\n"
        "2,svc,requests,0\n2,svc,busy.max,5\n2,svc,busy.mean,0\n2,svc,latency_ms.p50,\n2,svc,latency_ms.p99,\n"
        "2,svc,at_ms,4000\n");
}

TEST_CASE("time series: interval sums and extremes match the result", "[timeseries]") {
  const SampledRun r = run_sampled(kThrottled, 2 * kSecond);
  REQUIRE(r.series.intervals() == 30);
  CHECK(sum(r.series, "workload:w", "arrived") == metric(r.result, "workloads.w.arrived"));
  CHECK(sum(r.series, "workload:w", "throttled") == metric(r.result, "workloads.w.throttled"));
  CHECK(sum(r.series, "api", "requests") == metric(r.result, "services.api.requests"));
  CHECK(sum(r.series, "api", "throttles") == metric(r.result, "services.api.throttles"));
  CHECK(sum(r.series, "fn", "throttles") == metric(r.result, "services.fn.throttles"));
  CHECK(sum(r.series, "fn", "cold_starts") == metric(r.result, "services.fn.cold_starts"));
  CHECK(metric(r.result, "services.api.throttles") > 100);  // the test exercises throttling
  CHECK(metric(r.result, "services.fn.throttles") > 10);
  // Equal intervals: the mean of the interval means is the window's mean; the largest interval max its max.
  double mean = 0, max = 0;
  for (std::size_t i = 0; i < r.series.intervals(); ++i) {
    mean += at(r.series, i, "fn", "concurrency.mean") / static_cast<double>(r.series.intervals());
    max = std::max(max, at(r.series, i, "fn", "concurrency.max"));
  }
  CHECK(mean == Approx(metric(r.result, "services.fn.concurrency.mean")).epsilon(1e-12));
  CHECK(max == metric(r.result, "services.fn.concurrency.max"));
}

TEST_CASE("time series: the interval is chosen from the window, readable, bounded", "[timeseries]") {
  CHECK(default_interval(kSecond) == 5 * kMillisecond);         // 200 intervals
  CHECK(default_interval(60 * kSecond) == 500 * kMillisecond);  // 120
  CHECK(default_interval(6 * kMinute) == 2 * kSecond);          // 180
  CHECK(default_interval(10 * kMinute) == 5 * kSecond);         // 120
  CHECK(default_interval(kHour) == 30 * kSecond);               // 120
  CHECK(default_interval(kDay) == 10 * kMinute);                // 144
  CHECK(default_interval(14 * kDay) == 2 * kHour);              // 168
  CHECK(default_interval(1000 * kDay) == 5 * kDay);             // 200 whole days
  CHECK(readable_interval(8640 * kMillisecond) == 10 * kSecond);
  CHECK(interval_count(10 * kSecond, 3 * kSecond) == 4);  // the last one is 1 s long
  CHECK(interval_count(10 * kSecond, 5 * kSecond) == 2);
  for (SimTime d = kMillisecond; d < 3000 * kDay; d = d * 3 / 2) {
    INFO(format_duration(static_cast<double>(d)));
    const std::uint64_t n = interval_count(d, default_interval(d));
    CHECK(n <= 200);
    if (d >= 80 * kMillisecond) CHECK(n >= 80);
  }
}

TEST_CASE("time series: the CSV of run --csv, its header and its interval", "[timeseries][cli]") {
  const std::string scenario = write_temp("ts.yaml", kThrottled);
  const Ran r = run_slsim("run " + scenario + " -q --csv -");
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  CHECK(line == "time_s,service,metric,value");
  std::getline(lines, line);
  CHECK(line.starts_with("0,workload:w,arrived,"));
  std::map<std::string, int> rows_at;
  std::size_t rows = 0;
  for (; std::getline(lines, line); ++rows) ++rows_at[line.substr(0, line.find(','))];
  CHECK(rows_at.size() == 120);  // 60 s in intervals of 500 ms
  CHECK(rows_at.count("59.5") == 1);
  CHECK(rows_at.count("0.5") == 1);
  CHECK(rows_at["0.5"] == rows_at["59.5"]);
  CHECK(r.err.empty());

  const Ran every_10s = run_slsim("run " + scenario + " --csv - --interval 10s");
  REQUIRE(every_10s.exit_code == 0);
  CHECK(every_10s.out.find("\n50,fn,concurrency.max,") != std::string::npos);
  CHECK(every_10s.out.find("\n60,") == std::string::npos);
  CHECK(every_10s.err.find("accounting:") != std::string::npos);  // the table moved to stderr

  const Ran too_many = run_slsim("run " + scenario + " --csv out.csv --interval 1ms");
  CHECK(too_many.exit_code == 2);
  CHECK(too_many.err == "--interval 1ms: error: cuts the 1min window into 60000 intervals, more than the limit of "
                        "10000\n"
                        "    hint: use --interval 10ms or longer\n");
  const Ran bare = run_slsim("run " + scenario + " --csv out.csv --interval 10");
  CHECK(bare.exit_code == 2);
  CHECK(bare.err == "--interval 10: error: expected a duration with a unit (ns, us, ms, s, min, h, d), e.g. 250ms, "
                    "found '10'\n"
                    "    hint: write the unit, e.g. 10s\n");
  const Ran alone = run_slsim("run " + scenario + " --interval 10s");
  CHECK(alone.exit_code == 2);
  CHECK(alone.err == "--interval 10s: error: an interval for the time series, and none is recorded\n"
                     "    hint: add --csv FILE (the series as CSV) or --report FILE.html (its charts)\n");
  const Ran both = run_slsim("run " + scenario + " --csv - --json -");
  CHECK(both.exit_code == 2);
  CHECK(both.err == "--csv -: error: the JSON already goes to standard output (--json -)\n"
                    "    hint: write one of them to a file\n");
}

TEST_CASE("time series: the result JSON is byte-identical with and without sampling", "[timeseries][determinism]") {
  // Constant arrivals land exactly on the interval boundaries: sampling there
  // must not move them. Replications and threads as the CLI runs them.
  const std::string on_boundaries =
      "name: edges\nduration: 20s\nseed: 5\n"
      "workloads: [{name: w, target: q, op: send, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  q: {type: sqs, consumer: {function: fn, batch_size: 5}}\n"
      "  fn: {type: lambda, duration: 100ms, reserved_concurrency: 2}\n";
  struct Case {
    std::string name, yaml;
    std::vector<std::string> overrides;
  };
  std::vector<Case> cases = {{"constant arrivals", on_boundaries, {}}, {"throttled", kThrottled, {}}};
  for (const char* bundled : {"first-run", "sns-fanout", "dynamodb-streams-welcome-email", "kinesis-clickstream",
                              "elasticache-session-cache", "dynamodb-capacity-modes", "cloudfront-header-rewriting"})
    cases.push_back({bundled, slurp(testing::bundled_scenario(bundled)),
                     {"duration=1min", "replications=2"}});
  for (const auto& c : cases) {
    INFO(c.name);
    LoadOptions o;
    o.overrides = c.overrides;
    const Scenario sc = load_scenario_text(c.yaml, std::string(SLSIM_SOURCE_DIR) + "/scenarios/x.yaml",
                                           builtin_services(), o);
    ReplicationOptions plain;
    plain.threads = 2;
    const std::string without = without_wall_clock(run_replications(sc, plain)).dump(2);
    for (const SimTime interval : {kSecond, default_interval(sc.duration), 13 * kMillisecond}) {
      std::vector<TimeSeries> series;
      ReplicationOptions sampled = plain;
      sampled.series_interval = interval;
      sampled.series = &series;
      const Json with = run_replications(sc, sampled);
      CHECK(without_wall_clock(with).dump(2) == without);
      REQUIRE(series.size() == sc.replications);
      const TimeSeries merged = merge_time_series(series);
      CHECK(merged.intervals() == interval_count(sc.duration, interval));
      // The arrivals of the intervals add up to the (mean) arrivals of the result.
      for (const auto& w : sc.workloads)
        CHECK(sum(merged, "workload:" + w.name, "arrived") ==
              Approx(metric(with, "workloads." + w.name + ".arrived")).epsilon(1e-12));
    }
  }
}

TEST_CASE("time series: replications give their mean, whatever the threads", "[timeseries][determinism]") {
  const std::string scenario = write_temp("ts_reps.yaml", kThrottled);
  const Ran one = run_slsim("run " + scenario + " -q --replications 3 --threads 1 --csv - --interval 5s");
  const Ran three = run_slsim("run " + scenario + " -q --replications 3 --threads 3 --csv - --interval 5s");
  REQUIRE(one.exit_code == 0);
  CHECK(one.out == three.out);
  LoadOptions o;
  const Scenario sc = load_scenario_text(kThrottled, "test.yaml", builtin_services(), o);
  std::vector<TimeSeries> runs;
  for (std::uint64_t r = 0; r < 3; ++r) {
    BuiltModel m = build_model(sc, r);
    TimeSeriesSampler sampler(m, 5 * kSecond);
    m.sim->run();
    runs.push_back(sampler.take());
  }
  const double first = (at(runs[0], 0, "api", "throttles") + at(runs[1], 0, "api", "throttles") +
                        at(runs[2], 0, "api", "throttles")) / 3;
  CHECK(one.out.find("\n0,api,throttles," + json_number(first) + "\n") != std::string::npos);
  CHECK(time_series_csv(merge_time_series(runs)) == one.out);
}
