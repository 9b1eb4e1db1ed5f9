// `slsim lesson`: the relative checks on known numbers, the check texts, the
// figures shown side by side, the loader's errors for check: lists, and the
// command itself (listing, a lesson that holds, one that fails, bad input).
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "cli_runner.hpp"
#include "sim/analysis/lesson.hpp"
#include "sim/report/json.hpp"
#include "sim/report/json_read.hpp"
#include "support.hpp"

using namespace slsim;
using slsim::testing::load_error;
using slsim::testing::Ran;
using slsim::testing::run_slsim;

namespace {

// Four Erlangs on five slots with no queue: Erlang-B rejects about 20%; with
// ten slots about 0.5%. A constant 1 s latency: nothing but the slots varies.
const char* kPool = R"(name: pool
duration: 10min
seed: 3
workloads:
  - name: calls
    target: partner
    arrival: {process: poisson, rate: 4/s}
services:
  partner:
    type: external
    latency: 1s
    concurrency: 5
lesson:
  concept: A concurrency limit rejects calls
  exam: [SAA-C03]
  story: |
    Five slots for four Erlangs: about a fifth of the calls find every slot busy.
  try:
    - set: services.partner.concurrency=10
      expect: "throttles fall"
      check:
        - {metric: workloads.calls.throttled, than_base: lower, by: 0.9}
        - {metric: workloads.calls.throttled, "<": 100}
)";

// A what-if whose stated effect the simulator contradicts: a slower partner
// holds its slots longer, so more calls are rejected, not fewer.
const char* kSlow = R"(name: aaa-slow
duration: 10min
workloads:
  - name: calls
    target: partner
    arrival: {process: poisson, rate: 4/s}
services:
  partner:
    type: external
    latency: 1s
    concurrency: 5
lesson:
  concept: A slower partner holds its slots longer
  try:
    - set: services.partner.latency=2s
      expect: "throttles fall"
      check:
        - {metric: workloads.calls.throttled, than_base: lower}
)";

// A directory of lessons: pool.yaml at the top, aaa-slow.yaml in a
// subdirectory, and a scenario without a lesson: block (not listed).
std::string lesson_dir() {
  namespace fs = std::filesystem;
  const fs::path dir = fmt::format("/tmp/slsim_lessons_{}", ::getpid());
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "pool.yaml") << kPool;
  std::ofstream(dir / "sub" / "aaa-slow.yaml") << kSlow;
  std::ofstream(dir / "plain.yaml") << "name: plain\n";
  return dir.string();
}

LessonCheck relative(const std::string& metric, const std::string& than_base, double by) {
  LessonCheck c;
  c.x.metric = metric;
  c.than_base = than_base;
  c.by = by;
  return c;
}

Json parsed(std::string_view text) {
  Json out;
  JsonReadError error;
  REQUIRE(read_json(text, out, error));
  return out;
}

Json result_with(double throttled) {
  Json r = Json::object();
  Json w = Json::object();
  w["throttled"] = throttled;
  Json ws = Json::object();
  ws["api"] = std::move(w);
  r["workloads"] = std::move(ws);
  return r;
}

}  // namespace

TEST_CASE("lesson: relative checks hold exactly at their bounds", "[lesson]") {
  // lower / higher by at least `by` of the base; same within `by`.
  CHECK(relative_check_holds("lower", 0.2, 100, 80));
  CHECK_FALSE(relative_check_holds("lower", 0.2, 100, 80.5));
  CHECK_FALSE(relative_check_holds("lower", 0.2, 100, 120));
  CHECK(relative_check_holds("higher", 0.5, 100, 150));
  CHECK_FALSE(relative_check_holds("higher", 0.5, 100, 149));
  CHECK_FALSE(relative_check_holds("higher", 0, 100, 100));  // by 0: it must move at all
  CHECK(relative_check_holds("higher", 0, 100, 100.5));
  CHECK(relative_check_holds("same", 0.25, 100, 125));
  CHECK(relative_check_holds("same", 0.25, 100, 75));
  CHECK_FALSE(relative_check_holds("same", 0.25, 100, 126));
  CHECK(relative_check_holds("same", 0, 7, 7));
  CHECK_FALSE(relative_check_holds("same", 0, 7, 7.5));
  // A negative base: the change is measured against its size.
  CHECK(relative_check_holds("higher", 0.5, -10, -5));
  CHECK_FALSE(relative_check_holds("lower", 0, -10, -5));
  // From 0 any rise is infinitely large, and 0 to 0 is no change.
  CHECK(relative_check_holds("higher", 1e9, 0, 1));
  CHECK_FALSE(relative_check_holds("lower", 0, 0, 0));
  CHECK(relative_change(0, 0) == 0);
  CHECK(relative_change(0, -3) == -std::numeric_limits<double>::infinity());
  CHECK(relative_change(412, 0) == -1);
}

TEST_CASE("lesson: a check says what it compared, with the numbers", "[lesson]") {
  const Json base = result_with(412), now = result_with(0);
  const CheckVerdict fell = evaluate_lesson_check(relative("workloads.api.throttled", "lower", 0.9), base, now);
  CHECK(fell.pass);
  CHECK(fell.text == "workloads.api.throttled lower than the base by at least 90%: 412 -> 0 (-100.0%)");
  const CheckVerdict rose = evaluate_lesson_check(relative("workloads.api.throttled", "higher", 0), base, now);
  CHECK_FALSE(rose.pass);
  CHECK(rose.text == "workloads.api.throttled higher than the base: 412 -> 0 (-100.0%)");
  const CheckVerdict same =
      evaluate_lesson_check(relative("workloads.api.throttled", "same", 0.05), base, result_with(420));
  CHECK(same.pass);
  CHECK(same.text == "workloads.api.throttled the same as the base within 5%: 412 -> 420 (+1.9%)");
  LessonCheck absolute;
  absolute.x.metric = "workloads.api.throttled";
  absolute.x.op = "between";
  absolute.x.value = 1000;
  absolute.x.upper = 2000;
  const CheckVerdict in = evaluate_lesson_check(absolute, base, result_with(1500));
  CHECK(in.pass);
  CHECK(in.text == "workloads.api.throttled between [1,000, 2,000]: 1,500");
  CHECK_FALSE(evaluate_lesson_check(absolute, base, result_with(2000.5)).pass);
  const CheckVerdict missing = evaluate_lesson_check(relative("workloads.web.throttled", "lower", 0), base, now);
  CHECK_FALSE(missing.pass);
  CHECK(missing.text == "workloads.web.throttled lower than the base: no value in the base run");
}

TEST_CASE("lesson: the figures shown are the checked ones and the material changes", "[lesson]") {
  const Json base = parsed(R"({"workloads": {"api": {"succeeded": 10000, "throttled": 0, "failed": 4,
      "latency_ms": {"p50": 100.0, "p99": 250.0}}}, "services": {"fn": {"cold_starts": 10}}, "cost": {"total_usd": 2.0}})");
  const Json now = parsed(R"({"workloads": {"api": {"succeeded": 9800, "throttled": 200, "failed": 3,
      "latency_ms": {"p50": 103.0, "p99": 300.0}}}, "services": {"fn": {"cold_starts": 30}}, "cost": {"total_usd": 2.0}})");
  REQUIRE(base.is_object());
  REQUIRE(now.is_object());
  LessonTry t;
  LessonCheck c = relative("cost.total_usd", "same", 0);
  t.checks.push_back(c);
  const auto rows = changed_figures(t, base, now);
  // succeeded moved 2% (< 5%), failed 4 -> 3 is within chance (2 sqrt(4) = 4),
  // p50 moved 3%: not shown. 10 -> 30 cold starts is more than 2 sqrt(30).
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].metric == "cost.total_usd");
  CHECK(rows[1].metric == "workloads.api.throttled");
  CHECK(rows[2].metric == "workloads.api.latency_ms.p99");
  CHECK(rows[3].metric == "services.fn.cold_starts");
  CHECK(format_changed_figures(rows) ==
        "  metric                        base  with the change   change\n"
        "  cost.total_usd                   2                2       0%\n"
        "  workloads.api.throttled          0              200      new\n"
        "  workloads.api.latency_ms.p99   250              300   +20.0%\n"
        "  services.fn.cold_starts         10               30  +200.0%\n");
  const auto words = explain_changes(rows);
  REQUIRE(words.size() == 4);
  CHECK(words[0] == "total cost (USD) stayed at 2");
  CHECK(words[1] == "api throttled rose from 0 to 200");
  CHECK(words[2] == "api latency p99 (ms) rose from 250 to 300 (+20.0%)");
  CHECK(words[3] == "fn cold starts rose from 10 to 30 (+200.0%)");
  CHECK(lesson_number(1234567) == "1,234,567");
  CHECK(lesson_number(-1000) == "-1,000");
  CHECK(lesson_number(0.01828) == "0.01828");
  CHECK(lesson_number(958.398) == "958.4");
  CHECK(lesson_number(9697.23) == "9,697");
  CHECK(lesson_number(-0.5) == "-0.5");
  CHECK(metric_words("services.orders.queue_wait_ms.mean") == "orders queue wait mean (ms)");
  CHECK(metric_words("cost.by_service.orders") == "orders cost (USD)");
  CHECK(metric_words("accounting.balanced") == "accounting balanced");
}

TEST_CASE("lesson: check: lists are checked when the scenario loads", "[lesson]") {
  const std::string pool = kPool;
  const auto with_check = [&](const std::string& check) {
    std::string text = pool;
    const std::string first = "{metric: workloads.calls.throttled, than_base: lower, by: 0.9}";
    text.replace(text.find(first), first.size(), check);
    return text;
  };
  const Scenario sc = load_scenario_text(pool, "t.yaml", builtin_services());
  REQUIRE(sc.lesson_tries.size() == 1);
  REQUIRE(sc.lesson_tries[0].checks.size() == 2);
  REQUIRE(sc.lesson_tries[0].sets.size() == 1);
  CHECK(sc.lesson_tries[0].sets[0].assignment == "services.partner.concurrency=10");
  CHECK(sc.lesson_tries[0].sets[0].path == "lesson.try.0.set");
  CHECK(sc.lesson_tries[0].checks[0].than_base == "lower");
  CHECK(sc.lesson_tries[0].checks[0].by == 0.9);
  CHECK(sc.lesson_tries[0].checks[1].x.op == "<");
  CHECK(sc.lesson_tries[0].checks[1].x.value == 100);

  CHECK(load_error(with_check("{metric: workloads.calls.throtled, than_base: lower}")) ==
        "t.yaml:22:20: error: lesson.try.0.check.0.metric: no metric 'workloads.calls.throtled' in the result "
        "('workloads.calls' has no 'throtled')\n    hint: did you mean 'throttled'?\n");
  CHECK(load_error(with_check("{metric: workloads.cals.throttled, than_base: lower}")) ==
        "t.yaml:22:20: error: lesson.try.0.check.0.metric: there is no workload named 'cals'\n"
        "    hint: did you mean 'calls'?\n");
  CHECK(load_error(with_check("{metric: workloads.calls.throttled, than_base: lower, \"<\": 3}")) ==
        "t.yaml:22:11: error: lesson.try.0.check.0: expected exactly one comparison ('<', '<=', '>', '>=', '==', "
        "'between') or 'than_base', found 2\n"
        "    hint: e.g. {metric: workloads.api.throttled, than_base: lower, by: 0.5}\n");
  CHECK(load_error(with_check("{metric: workloads.calls.throttled, \"<\": 3, by: 0.1}")) ==
        "t.yaml:22:59: error: lesson.try.0.check.0.by: 'by' qualifies 'than_base', which is not given\n"
        "    hint: e.g. {metric: workloads.api.throttled, than_base: lower, by: 0.5}\n");
  CHECK(load_error(with_check("{metric: workloads.calls.throttled, than_base: lowr}")) ==
        "t.yaml:22:58: error: lesson.try.0.check.0.than_base: expected one of 'lower', 'higher', 'same', found "
        "'lowr'\n    hint: did you mean 'lower'?\n");
  CHECK(load_error(with_check("{metric: workloads.calls.throttled, than_base: lower, by: -1}")) ==
        "t.yaml:22:69: error: lesson.try.0.check.0.by: expected a number at least 0, found '-1'\n");
}

TEST_CASE("lesson: a try's set is one override or a list of them", "[lesson]") {
  std::string text = kPool;
  const std::string one = "set: services.partner.concurrency=10";
  text.replace(text.find(one), one.size(), "set: [services.partner.concurrency=10, \"services.partner.latency=500ms\"]");
  const Scenario sc = load_scenario_text(text, "t.yaml", builtin_services());
  REQUIRE(sc.lesson_tries.size() == 1);
  const LessonTry& t = sc.lesson_tries[0];
  REQUIRE(t.sets.size() == 2);
  CHECK(t.sets[1].assignment == "services.partner.latency=500ms");
  CHECK(t.sets[1].path == "lesson.try.0.set.1");
  CHECK(t.set_text() == "services.partner.concurrency=10; services.partner.latency=500ms");
  std::string empty = kPool;
  empty.replace(empty.find(one), one.size(), "set: []");
  CHECK(load_error(empty) == "t.yaml:19:12: error: lesson.try.0.set: expected an override PATH=VALUE, or a list of "
                             "them, found nothing\n    hint: e.g. set: services.fn.memory=1024MB\n");
}

TEST_CASE("lesson: the listing names, exams, files and concepts, sorted", "[lesson][cli]") {
  const std::string dir = lesson_dir();
  const Ran r = run_slsim("lesson --dir " + dir);
  REQUIRE(r.exit_code == 0);
  const std::string slow = dir + "/sub/aaa-slow.yaml", pool = dir + "/pool.yaml";
  const std::size_t w = std::max(slow.size(), std::string("FILE").size());
  CHECK(r.out == fmt::format("LESSON    EXAMS    {:<{}}  CONCEPT\n"
                             "aaa-slow  -        {:<{}}  A slower partner holds its slots longer\n"
                             "pool      SAA-C03  {:<{}}  A concurrency limit rejects calls\n"
                             "2 lessons; run one with: slsim lesson NAME\n",
                             "FILE", w, slow, w, pool, w));
  CHECK(r.err.empty());
}

TEST_CASE("lesson: a lesson whose what-if holds exits 0 with the figures side by side", "[lesson][cli]") {
  const std::string dir = lesson_dir();
  const Ran r = run_slsim("lesson pool --dir " + dir);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("Lesson pool: A concurrency limit rejects calls\nExams: SAA-C03\n") == 0);
  CHECK(r.out.find("\nTry 1: services.partner.concurrency=10\n  Expect: throttles fall\n") != std::string::npos);
  CHECK(r.out.find("  metric                      base  with the change  change\n") != std::string::npos);
  // B(5, 4) = 19.9% of 2,400 calls against B(10, 4) = 0.5%.
  CHECK(r.out.find("    - calls throttled fell from ") != std::string::npos);
  CHECK(r.out.find("    ok    workloads.calls.throttled lower than the base by at least 90%: ") != std::string::npos);
  CHECK(r.out.find("  The effect shows (2 of 2 checks hold).\n") != std::string::npos);
  CHECK(r.out.ends_with("\npool: 1 of 1 what-ifs show their effect\n"));
}

TEST_CASE("lesson: a what-if that no longer shows its effect exits 1 naming it", "[lesson][cli]") {
  const std::string dir = lesson_dir();
  const Ran r = run_slsim("lesson aaa-slow --dir " + dir);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 1);
  CHECK(r.out.find("    FAIL  workloads.calls.throttled lower than the base: ") != std::string::npos);
  CHECK(r.out.find("\naaa-slow: 0 of 1 what-ifs show their effect\n"
                   "aaa-slow: FAIL try 1 (services.partner.latency=2s): workloads.calls.throttled lower than the "
                   "base: ") != std::string::npos);
}

TEST_CASE("lesson: bad input exits 2 with the loader's messages", "[lesson][cli]") {
  const std::string dir = lesson_dir();
  const Ran typo = run_slsim("lesson pol --dir " + dir);
  CHECK(typo.exit_code == 2);
  CHECK(typo.err == fmt::format("slsim lesson: error: no lesson named 'pol' in {}\n    hint: did you mean 'pool'?\n", dir));
  CHECK(typo.out.empty());

  std::string text = kPool;
  text.replace(text.find("concurrency=10"), 14, "concurency=10");
  const std::string bad = slsim::testing::write_temp("bad-set.yaml", text);
  const Ran bad_set = run_slsim("lesson " + bad);
  CHECK(bad_set.exit_code == 2);
  CHECK(bad_set.err == bad + ":19:12 (lesson.try.0.set): error: services.partner.concurency: unknown key "
                             "'concurency'\n    hint: did you mean 'concurrency'?\n");
  CHECK(bad_set.out.empty());  // every what-if loads before anything runs
  // slsim validate loads the what-ifs too.
  const Ran validate = run_slsim("validate " + bad);
  CHECK(validate.exit_code == 2);
  CHECK(validate.err == bad_set.err);

  std::string listed = kPool;
  listed.replace(listed.find("set: services.partner.concurrency=10"), 36,
                 "set: [services.partner.concurrency=10, services.partner.latncy=2s]");
  const std::string bad_item = slsim::testing::write_temp("bad-set-item.yaml", listed);
  const Ran bad_list = run_slsim("lesson " + bad_item);
  CHECK(bad_list.exit_code == 2);
  CHECK(bad_list.err == bad_item + ":19:46 (lesson.try.0.set.1): error: services.partner.latncy: unknown key "
                                   "'latncy'\n    hint: did you mean 'latency'?\n");

  const Ran plain = run_slsim("lesson scenarios/getting-started/hello-external.yaml");
  CHECK(plain.exit_code == 2);
  CHECK(plain.err == "scenarios/getting-started/hello-external.yaml: error: this scenario has no lesson: block\n"
                     "    hint: slsim lesson lists the scenarios that have one\n");
  const Ran no_dir = run_slsim("lesson --dir /nonexistent/lessons");
  CHECK(no_dir.exit_code == 2);
  CHECK(no_dir.err == "/nonexistent/lessons: error: no such directory: lessons are looked for in the scenarios/ "
                      "directory of the current directory\n"
                      "    hint: run slsim lesson from the project's directory, or give --dir DIR\n");
}
