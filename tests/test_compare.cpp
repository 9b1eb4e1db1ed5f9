// `slsim compare`: reading results back, verdicts per metric (tolerance,
// direction, ci95), globs, sweeps, and the command's texts and exit codes.
#include <string>

#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "sim/analysis/compare.hpp"
#include "sim/report/json_read.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

Json parse(const std::string& text) {
  Json j;
  JsonReadError e;
  INFO(e.message);
  REQUIRE(read_json(text, j, e));
  return j;
}

std::string read_error(const std::string& text) {
  Json j;
  JsonReadError e;
  if (read_json(text, j, e)) return "(no error)";
  return std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.message;
}

// A minimal result: p99 latency, throttles and a neutral count, with ci95 when given.
std::string result_text(double p99, int throttles, int invocations, double ci_p99 = -1) {
  std::string text = fmt::format(
      "{{\"version\": \"0.1.0\", \"scenario\": {{\"name\": \"s\", \"seed\": 1}},\n"
      " \"workloads\": {{\"w\": {{\"latency_ms\": {{\"p99\": {}}}}}}},\n"
      " \"services\": {{\"fn\": {{\"throttles\": {}, \"invocations\": {}}}}}",
      p99, throttles, invocations);
  if (ci_p99 >= 0)
    text += fmt::format(",\n \"ci95\": {{\"workloads\": {{\"w\": {{\"latency_ms\": {{\"p99\": {}}}}}}}}}", ci_p99);
  return text + "}\n";
}

const MetricComparison& find(const Comparison& c, const std::string& metric, const std::string& point = "") {
  for (const auto& m : c.metrics)
    if (m.metric == metric && m.point == point) return m;
  FAIL("no comparison of " << metric);
  return c.metrics.front();
}

Comparison compare_texts(const std::string& a, const std::string& b, const CompareOptions& options = {}) {
  return compare_results(parse(a), parse(b), options, "base.json", "new.json");
}

const char* kScenario =
    "name: cmp\nduration: 60s\nseed: 1\n"
    "workloads: [{name: w, target: api, arrival: {process: poisson, rate: 20/s}}]\n"
    "services:\n  api: {type: external, latency: {dist: lognormal, mean: 100ms, cv: 0.5}}\n";

}  // namespace

TEST_CASE("json: a result reads back and dumps byte for byte", "[compare][json]") {
  const Json result = run_scenario_text(kScenario);
  const std::string text = result.dump(2);
  REQUIRE(parse(text).dump(2) == text);
  // Integers stay integers, numbers keep every digit, strings their escapes.
  const Json j =
      parse(R"({"a": 12, "b": -0.1, "c": 1e300, "d": "x\"\\\/\n\u00e9\ud83d\ude00", "e": [true, false, null], "f": {}})");
  REQUIRE(j.find("a")->type() == Json::Type::integer);
  REQUIRE(j.find("b")->as_double() == -0.1);
  REQUIRE(j.find("c")->as_double() == 1e300);
  REQUIRE(j.find("d")->as_string() == "x\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
  REQUIRE(j.dump(-1) == R"({"a":12,"b":-0.1,"c":1e+300,"d":"x\"\\/\né😀","e":[true, false, null],"f":{}})");
}

TEST_CASE("json: bad text is named by line and column", "[compare][json]") {
  REQUIRE(read_error("{\"a\": 1,\n \"b\": }") == "2:7: expected a JSON value, found '}'");
  REQUIRE(read_error("{\"a\": 1,}") == "1:9: expected a key in double quotes, found '}'");
  REQUIRE(read_error("{\"a\": 1, \"a\": 2}") == "1:10: the key \"a\" appears twice in this object");
  REQUIRE(read_error("[1 2]") == "1:4: expected ',' or ']', found '2'");
  REQUIRE(read_error("{} x") == "1:4: unexpected text after the JSON value");
  REQUIRE(read_error("") == "1:1: expected a JSON value, found the end of the text");
  REQUIRE(read_error("\"abc") == "1:5: a string without its closing '\"'");
  REQUIRE(read_error("01") == "1:1: expected a JSON value, found '0'");
  REQUIRE(read_error("1e999") == "1:1: the number 1e999 is out of range");
  REQUIRE(read_error("name: x\n") == "1:1: expected a JSON value, found 'n'");
  REQUIRE(read_error(std::string(300, '[') + std::string(300, ']')) == "1:257: nested deeper than 256 levels");
}

TEST_CASE("compare: which metrics are worse when higher", "[compare]") {
  for (const char* worse : {"workloads.w.latency_ms.p99", "workloads.w.latency_failed_ms.count",
                            "services.fn.throttles",
                            "services.fn.errors", "services.q.to_dlq", "services.fn.cold_starts",
                            "services.fn.async.retries", "services.t.throttled_by.partition", "cost.monthly_usd",
                            "cost.by_service.fn", "cost.items.fn/duration.usd", "accounting.dead_lettered",
                            "services.q.oldest_age_ms", "workloads.w.end_to_end.expired", "services.fn.timeouts"}) {
    INFO(worse);
    CHECK(higher_is_worse(worse));
  }
  for (const char* neutral : {"workloads.w.latency_ms.count", "workloads.w.arrived", "services.fn.concurrency.max",
                              "services.fn.invocations", "cost.items.fn/duration.quantity", "run.events",
                              "services.t.dax.hit_ratio", "scenario.duration_s"}) {
    INFO(neutral);
    CHECK_FALSE(higher_is_worse(neutral));
  }
}

TEST_CASE("compare: globs select metrics and subtrees", "[compare]") {
  CHECK(metric_glob_match("workloads.*.latency_ms.p99", "workloads.shoppers.latency_ms.p99"));
  CHECK_FALSE(metric_glob_match("workloads.*.latency_ms.p99", "workloads.shoppers.latency_ms.p95"));
  CHECK(metric_glob_match("cost", "cost.items.fn/duration.usd"));        // a whole subtree
  CHECK(metric_glob_match("cost.*", "cost.by_service.fn"));             // * crosses dots
  CHECK(metric_glob_match("services.fn", "services.fn.throttles"));
  CHECK_FALSE(metric_glob_match("services.fn", "services.fn2.throttles"));  // a prefix ends at a dot
  CHECK(metric_glob_match("services.?n.throttles", "services.fn.throttles"));
  CHECK_FALSE(metric_glob_match("cost", "costs.x"));
}

TEST_CASE("compare: verdicts by tolerance and direction", "[compare]") {
  const std::string base = result_text(100, 10, 1000);
  SECTION("identical results: every metric the same, no failure") {
    const Comparison c = compare_texts(base, base);
    CHECK(c.count(Verdict::same) == c.metrics.size());
    CHECK(c.metrics.size() == 5);  // scenario.name, scenario.seed, p99, throttles, invocations
    CHECK_FALSE(c.failed({}));
  }
  SECTION("more latency and throttles regress; more invocations only change") {
    const Comparison c = compare_texts(base, result_text(110, 12, 1100));
    CHECK(find(c, "workloads.w.latency_ms.p99").verdict == Verdict::regression);
    CHECK(find(c, "services.fn.throttles").verdict == Verdict::regression);
    CHECK(find(c, "services.fn.invocations").verdict == Verdict::changed);
    CHECK(find(c, "workloads.w.latency_ms.p99").relative == Approx(0.10));
    CHECK(c.failed({}));
    // The worst verdict first, then the largest change.
    CHECK(c.metrics[0].metric == "services.fn.throttles");  // +20%
    CHECK(c.metrics[1].metric == "workloads.w.latency_ms.p99");  // +10%
    CHECK(c.metrics[2].metric == "services.fn.invocations");
  }
  SECTION("less is an improvement, which never fails (unless --strict)") {
    const Comparison c = compare_texts(base, result_text(90, 10, 1000));
    CHECK(find(c, "workloads.w.latency_ms.p99").verdict == Verdict::improvement);
    CHECK_FALSE(c.failed({}));
    CompareOptions strict;
    strict.strict = true;
    CHECK(c.failed(strict));
  }
  SECTION("a tolerance absorbs small differences, relative to the base") {
    CompareOptions five;
    five.tolerance = 0.05;
    const Comparison c = compare_texts(base, result_text(105, 11, 1000), five);
    CHECK(find(c, "workloads.w.latency_ms.p99").verdict == Verdict::within_tolerance);  // exactly 5%
    CHECK(find(c, "services.fn.throttles").verdict == Verdict::regression);             // 10%
    const Comparison zero = compare_texts(result_text(100, 0, 1000), result_text(100, 1, 1000), five);
    CHECK(find(zero, "services.fn.throttles").verdict == Verdict::regression);  // from 0: any increase
  }
}

TEST_CASE("compare: a difference inside the combined ci95 is not a regression", "[compare]") {
  // sqrt(6^2 + 8^2) = 10: +10 is inside, +10.5 beyond.
  const Comparison inside = compare_texts(result_text(100, 10, 1000, 6), result_text(110, 10, 1000, 8));
  CHECK(find(inside, "workloads.w.latency_ms.p99").verdict == Verdict::within_ci95);
  CHECK(find(inside, "workloads.w.latency_ms.p99").ci95 == Approx(10));
  CHECK_FALSE(inside.failed({}));
  const Comparison beyond = compare_texts(result_text(100, 10, 1000, 6), result_text(110.5, 10, 1000, 8));
  CHECK(find(beyond, "workloads.w.latency_ms.p99").verdict == Verdict::regression);
  CHECK(beyond.failed({}));
  // One side without an interval: the difference is judged alone.
  const Comparison one_side = compare_texts(result_text(100, 10, 1000, 6), result_text(105, 10, 1000));
  CHECK(find(one_side, "workloads.w.latency_ms.p99").verdict == Verdict::regression);
}

TEST_CASE("compare: replications of two seeds agree within their intervals, single runs do not", "[compare]") {
  const auto run = [](const std::string& extra) {
    return run_slsim("run " + write_temp("cmp.yaml", kScenario) + " -q --threads 2 " + extra);
  };
  const std::string base = write_temp("cmp_base.json", run("--replications 8 --json -").out);
  const std::string seed2 = write_temp("cmp_seed2.json", run("--replications 8 --seed 2 --json -").out);
  const std::string slower = write_temp(
      "cmp_slower.json",
      run("--replications 8 --seed 2 --json - --set 'services.api.latency={dist: lognormal, mean: 110ms, cv: 0.5}'")
          .out);
  const std::string one = write_temp("cmp_one.json", run("--json -").out);
  const std::string one2 = write_temp("cmp_one2.json", run("--seed 2 --json -").out);
  const std::string latency = " --metrics workloads.w.latency_ms.mean --metrics workloads.w.latency_ms.p50";

  const Ran same_model = run_slsim("compare " + base + " " + seed2 + latency);
  CHECK(same_model.exit_code == 0);
  CHECK(same_model.out.find("within ci95  workloads.w.latency_ms.mean") != std::string::npos);
  CHECK(same_model.out.find("within ci95  workloads.w.latency_ms.p50") != std::string::npos);
  CHECK(same_model.out.find("2 metrics: 0 same, 0 within tolerance, 2 within ci95") != std::string::npos);

  // 10% slower handlers: beyond the intervals.
  const Ran regressed = run_slsim("compare " + base + " " + slower + latency);
  CHECK(regressed.exit_code == 1);
  CHECK(regressed.out.find("regression  workloads.w.latency_ms.mean") != std::string::npos);
  CHECK(regressed.out.substr(regressed.out.rfind("FAIL")) == "FAIL: 2 regressions\n");

  // The same seeds without replications: no interval, so noise alone fails, and a note says why.
  const Ran single = run_slsim("compare " + one + " " + one2 + latency);
  CHECK(single.exit_code == 1);
  CHECK(single.out.find("note: the seeds differ, so the differences include randomness: compare runs with "
                        "--replications on both sides so that their intervals apply\n") != std::string::npos);
}

TEST_CASE("compare: an injected regression fails, an unchanged run passes", "[compare][cli]") {
  const std::string scenario = write_temp("inject.yaml", kScenario);
  const std::string base = write_temp("inject_base.json", run_slsim("run " + scenario + " -q --json -").out);
  const std::string again = write_temp("inject_again.json", run_slsim("run " + scenario + " -q --json -").out);
  const std::string doubled = write_temp(
      "inject_doubled.json",
      run_slsim("run " + scenario + " -q --json - --set 'services.api.latency={dist: lognormal, mean: 200ms, cv: 0.5}'")
          .out);

  const Ran unchanged = run_slsim("compare " + base + " " + again + " --strict");
  CHECK(unchanged.exit_code == 0);
  CHECK(unchanged.out.find("no differences\n") != std::string::npos);
  CHECK(unchanged.out.substr(unchanged.out.rfind("ok")) == "ok: no difference\n");

  const Ran regressed = run_slsim("compare " + base + " " + doubled + " --json -");
  CHECK(regressed.exit_code == 1);
  const Json verdicts = parse(regressed.out);
  CHECK_FALSE(verdicts.find("pass")->as_bool());
  CHECK(verdicts.find_path("summary.regression")->as_int() > 5);
  bool p99 = false;
  for (const Json& m : verdicts.find("metrics")->elements()) {
    if (m.find("metric")->as_string() != "workloads.w.latency_ms.p99") continue;
    p99 = true;
    CHECK(m.find("verdict")->as_string() == "regression");
    CHECK(m.find("relative")->as_double() == Approx(1.0).margin(0.15));  // twice as slow
    CHECK(m.find("higher_is_worse")->as_bool());
  }
  CHECK(p99);
  // The table moved to stderr.
  CHECK(regressed.err.find("\nregression  ") != std::string::npos);
  CHECK(regressed.err.find(" workloads.w.latency_ms.p99 ") != std::string::npos);
  CHECK(regressed.err.substr(regressed.err.rfind("FAIL")).starts_with("FAIL: "));
}

TEST_CASE("compare: the table, missing and added metrics, and --strict", "[compare][cli]") {
  const std::string base = write_temp("t_base.json", result_text(100, 10, 1000));
  std::string changed_text = result_text(150, 10, 1200);
  changed_text.replace(changed_text.find("\"throttles\""), 11, "\"throttled\"");
  const std::string changed = write_temp("t_new.json", changed_text);
  const Ran r = run_slsim("compare " + base + " " + changed);
  CHECK(r.exit_code == 1);
  CHECK(r.out == "Comparing " + changed + " with " + base + " (the base): 4 metrics, tolerance 0 (exact)\n" +
                     "verdict     metric                      base   new  change\n"
                     "regression  workloads.w.latency_ms.p99   100   150  +50 (+50%)\n"
                     "changed     services.fn.invocations     1000  1200  +200 (+20%)\n"
                     "missing in " + changed + " (1): services.fn.throttles\n" +
                     "added in " + changed + " (1): services.fn.throttled\n" +
                     "4 metrics: 2 same, 0 within tolerance, 0 within ci95, 1 changed, 1 regression, 0 improvements; "
                     "1 missing, 1 added\n"
                     "FAIL: 1 regression\n");
  const std::string neutral = write_temp("t_neutral.json", result_text(100, 10, 1200));
  const Ran loose = run_slsim("compare " + base + " " + neutral);
  CHECK(loose.exit_code == 0);
  CHECK(loose.out.substr(loose.out.rfind("ok")) == "ok: no regression\n");
  const Ran strict = run_slsim("compare " + base + " " + neutral + " --strict");
  CHECK(strict.exit_code == 1);
  CHECK(strict.out.substr(strict.out.rfind("FAIL")) == "FAIL: 1 changed (--strict fails on any difference)\n");
  const Ran tolerant = run_slsim("compare " + base + " " + neutral + " --strict --tolerance 20%");
  CHECK(tolerant.exit_code == 0);
  CHECK(tolerant.out.find("within tolerance  services.fn.invocations") != std::string::npos);
  const Ran selected = run_slsim("compare " + base + " " + changed + " --metrics 'workloads.*.latency_ms.p99' -q");
  CHECK(selected.exit_code == 1);
  CHECK(selected.out.empty());
  const Ran only_neutral = run_slsim("compare " + base + " " + changed + " --metrics services.fn.invocations");
  CHECK(only_neutral.exit_code == 0);
  CHECK(only_neutral.out.find("1 metric: 0 same, 0 within tolerance, 0 within ci95, 1 changed") != std::string::npos);
}

TEST_CASE("compare: bad input exits 2 with its reason", "[compare][cli]") {
  const std::string good = write_temp("b_good.json", result_text(100, 10, 1000));
  const std::string scenario = write_temp("b_scenario.yaml", kScenario);
  const std::string not_result = write_temp("b_other.json", "{\"name\": \"x\"}\n");
  const std::string broken = write_temp("b_broken.json", "{\"version\": \"0.1.0\",\n  \"scenario\": {\"seed\": 1,}}\n");

  const Ran missing = run_slsim("compare /nonexistent/a.json " + good);
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "/nonexistent/a.json: error: cannot read the result: does not exist\n");
  const Ran yaml = run_slsim("compare " + good + " " + scenario);
  CHECK(yaml.exit_code == 2);
  CHECK(yaml.err == scenario + ":1:1: error: not valid JSON: expected a JSON value, found 'n'\n" +
                        "    hint: compare the files that `slsim run --json` or `slsim sweep --json` writes\n");
  const Ran bad_json = run_slsim("compare " + broken + " " + good);
  CHECK(bad_json.exit_code == 2);
  CHECK(bad_json.err.starts_with(broken +
                                 ":2:26: error: not valid JSON: expected a key in double quotes, found '}'\n"));
  const Ran other = run_slsim("compare " + good + " " + not_result);
  CHECK(other.exit_code == 2);
  CHECK(other.err == not_result + ": error: not a slsim result: expected the JSON that `slsim run --json` or "
                                  "`slsim sweep --json` writes (an object with \"version\" and \"scenario\", or with "
                                  "\"sweep\" and \"points\")\n");
  const Ran glob = run_slsim("compare " + good + " " + good + " --metrics 'workloads.*.latncy_ms.p99'");
  CHECK(glob.exit_code == 2);
  CHECK(glob.err == "--metrics: error: 'workloads.*.latncy_ms.p99' matches no metric of either result\n"
                    "    hint: did you mean 'latency_ms'?\n");
  const Ran percent = run_slsim("compare " + good + " " + good + " --tolerance 5");
  CHECK(percent.exit_code == 2);
  CHECK(percent.err == "--tolerance 5: error: a fraction above 1 allows more than 100%: 5 would allow 500%\n"
                       "    hint: for 5 percent write 5%\n");
  const Ran word = run_slsim("compare " + good + " " + good + " --tolerance five");
  CHECK(word.exit_code == 2);
  CHECK(word.err == "--tolerance five: error: expected a relative tolerance, a fraction (0.05) or a percentage (5%), "
                    "found 'five'\n");
  const Ran one_arg = run_slsim("compare " + good);
  CHECK(one_arg.exit_code == 2);
}

TEST_CASE("compare: sweeps point by point when their grids match", "[compare]") {
  const auto sweep = [](const std::string& a, const std::string& b, const std::string& memory_b = "1024MB") {
    return "{\"sweep\": {\"vary\": {\"services.fn.memory\": [\"512MB\", \"" + memory_b + "\"]}},\n\"points\": [" +
           "{\"set\": {\"services.fn.memory\": \"512MB\"}, \"result\": " + a + "},\n" +
           "{\"set\": {\"services.fn.memory\": \"" + memory_b + "\"}, \"result\": " + b + "}]}\n";
  };
  const std::string base = sweep(result_text(100, 0, 10), result_text(80, 0, 10));
  const Comparison c = compare_texts(base, sweep(result_text(100, 0, 10), result_text(90, 0, 10)));
  REQUIRE(c.sweep);
  CHECK(find(c, "workloads.w.latency_ms.p99", "services.fn.memory=512MB").verdict == Verdict::same);
  CHECK(find(c, "workloads.w.latency_ms.p99", "services.fn.memory=1024MB").verdict == Verdict::regression);
  CHECK(c.failed({}));
  const std::string text = format_comparison(c, {}, "base.json", "new.json");
  INFO(text);
  CHECK(text.find("regression  {services.fn.memory=1024MB} workloads.w.latency_ms.p99    80   90  +10 (+12.5%)\n") !=
        std::string::npos);

  const auto error = [&](const std::string& a, const std::string& b) {
    try {
      compare_texts(a, b);
    } catch (const CompareInputError& e) {
      return e.message;
    }
    return std::string("(no error)");
  };
  CHECK(error(base, sweep(result_text(100, 0, 10), result_text(90, 0, 10), "2048MB")) ==
        "the sweeps' grids differ at point 1: base.json sets {services.fn.memory=1024MB} and new.json sets "
        "{services.fn.memory=2048MB}");
  CHECK(error(base, result_text(100, 0, 10)) == "base.json is a sweep and new.json is a single run: compare results of "
                                                "the same kind");
  CHECK(error(base, "{\"sweep\": {}, \"points\": []}") ==
        "the sweeps' grids differ: base.json has 2 points and new.json has 0");
  CHECK(error(base, "{\"sweep\": {}, \"points\": [{\"set\": {}}]}") ==
        "points.0: expected an object with \"set\" and \"result\" (a run's result)");
}
