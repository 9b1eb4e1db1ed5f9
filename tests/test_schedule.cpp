// Schedules in EventBridge syntax: exact firing times of cron, rate and at
// expressions from a calendar start, the errors for invalid expressions, the
// firings per 30 days for the cost projection, and Scheduler billing.
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "sim/workload/arrival.hpp"
#include "sim/workload/schedule.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

std::string schedule_scenario(const std::string& arrival, const std::string& extra = "") {
  return "name: s\n"                                   // 1
         "duration: 1h\n"                              // 2
         "workloads:\n"                                // 3
         "  - name: job\n"                             // 4
         "    target: api\n"                           // 5
         "    arrival: " + arrival + "\n"              // 6
         "services:\n"                                 // 7
         "  api: {type: external, latency: 10ms}\n" +  // 8
         extra;
}

ArrivalProcess process_of(const std::string& expression, const std::string& start = "") {
  const std::string arrival = fmt::format("{{process: schedule, expression: \"{}\"{}}}", expression,
                                          start.empty() ? "" : ", start: " + start);
  const Scenario sc = load_scenario_text(schedule_scenario(arrival), "t.yaml", builtin_services());
  Diagnostics d;
  return ArrivalProcess::from_record(sc.workloads[0].params.record("arrival"), ".", d);
}

// The first `n` firings, in ns from t = 0.
std::vector<SimTime> firings(const std::string& expression, std::size_t n, const std::string& start = "") {
  ArrivalProcess p = process_of(expression, start);
  Rng rng(1);
  std::vector<SimTime> out;
  for (std::size_t i = 0; i < n; ++i) {
    const SimTime t = p.next(rng);
    if (t == kTimeNever) break;
    out.push_back(t);
  }
  return out;
}

std::string expression_error(const std::string& expression) {
  return load_error(schedule_scenario(fmt::format("{{process: schedule, expression: \"{}\"}}", expression)));
}

constexpr SimTime d = kDay, h = kHour, m = kMinute;

}  // namespace

TEST_CASE("schedule: calendar instants", "[schedule]") {
  REQUIRE(parse_utc_instant("1970-01-01T00:00:00Z") == 0);
  REQUIRE(parse_utc_instant("2026-01-05T00:00:00Z") == 1767571200);
  REQUIRE(parse_utc_instant("2026-01-05T01:02Z") == 1767571200 + 3720);
  REQUIRE(parse_utc_instant("2026-01-05") == 1767571200);
  REQUIRE(parse_utc_instant("2028-02-29T23:59:59Z") == 1835481599);
  REQUIRE_FALSE(parse_utc_instant("2026-02-29T00:00:00Z"));  // not a leap year
  REQUIRE_FALSE(parse_utc_instant("2026-01-05T00:00:00"));   // no zone
  REQUIRE_FALSE(parse_utc_instant("2026-01-05T24:00:00Z"));
  REQUIRE_FALSE(parse_utc_instant("1969-12-31T23:59:59Z"));
  REQUIRE(format_utc_instant(1835481599) == "2028-02-29T23:59:59Z");
}

TEST_CASE("schedule: cron firing times from a Monday start", "[schedule]") {
  // 2026-01-05T00:00:00Z, the default start, is a Monday.
  REQUIRE(firings("cron(0 2 * * ? *)", 3) == std::vector<SimTime>{2 * h, d + 2 * h, 2 * d + 2 * h});
  REQUIRE(firings("cron(0/15 * * * ? *)", 4) == std::vector<SimTime>{0, 15 * m, 30 * m, 45 * m});
  REQUIRE(firings("cron(5-7,50 10 * * ? *)", 5) ==
          std::vector<SimTime>{10 * h + 5 * m, 10 * h + 6 * m, 10 * h + 7 * m, 10 * h + 50 * m, d + 10 * h + 5 * m});
  // Weekdays: Monday to Friday, then the next Monday.
  REQUIRE(firings("cron(0 9 ? * MON-FRI *)", 6) ==
          std::vector<SimTime>{9 * h, d + 9 * h, 2 * d + 9 * h, 3 * d + 9 * h, 4 * d + 9 * h, 7 * d + 9 * h});
  REQUIRE(firings("cron(0 9 ? * 2-6 *)", 6) == firings("cron(0 9 ? * mon-fri *)", 6));
  // The last day of the month, and of a leap February.
  REQUIRE(firings("cron(30 9 L * ? *)", 2) == std::vector<SimTime>{26 * d + 9 * h + 30 * m, 54 * d + 9 * h + 30 * m});
  REQUIRE(firings("cron(0 0 L 2 ? 2028)", 1) == std::vector<SimTime>{785 * d});
  // The first Monday (2#1): January 5, then February 2.
  REQUIRE(firings("cron(0 8 ? * 2#1 *)", 2) == std::vector<SimTime>{8 * h, 28 * d + 8 * h});
  // The last Friday (6L): January 30, February 27.
  REQUIRE(firings("cron(0 0 ? * 6L *)", 2) == std::vector<SimTime>{25 * d, 53 * d});
  // The last weekday (LW): Friday January 30 (the 31st is a Saturday).
  REQUIRE(firings("cron(0 0 LW * ? *)", 1) == std::vector<SimTime>{25 * d});
  // The weekday nearest the 15th: Thursday Jan 15; Feb 15 and Mar 15 are Sundays: the Mondays after.
  REQUIRE(firings("cron(0 12 15W * ? *)", 3) == std::vector<SimTime>{10 * d + 12 * h, 42 * d + 12 * h, 70 * d + 12 * h});
  // 1W when the 1st is a Saturday (August 2026): Monday the 3rd; 31W on a Sunday (May 2026): Friday the 29th.
  REQUIRE(firings("cron(0 0 1W AUG ? 2026)", 1) == std::vector<SimTime>{210 * d});
  REQUIRE(firings("cron(0 0 31W MAY ? 2026)", 1) == std::vector<SimTime>{144 * d});
  // Month names and a fixed year: January 1 has passed, July 1 is day 177; nothing after 2026.
  REQUIRE(firings("cron(0 0 1 JAN,JUL ? 2026)", 5) == std::vector<SimTime>{177 * d});
  // Saturday alone as L in day-of-week.
  REQUIRE(firings("cron(0 0 ? * L *)", 1) == std::vector<SimTime>{5 * d});
}

TEST_CASE("schedule: cron fires on whole UTC minutes after any start", "[schedule]") {
  REQUIRE(firings("cron(* * * * ? *)", 3, "2026-01-05T00:00:30Z") ==
          std::vector<SimTime>{30 * kSecond, 90 * kSecond, 150 * kSecond});
  REQUIRE(firings("cron(0 2 * * ? *)", 1, "2026-01-05T03:00:00Z") == std::vector<SimTime>{23 * h});
}

TEST_CASE("schedule: rate and at firing times", "[schedule]") {
  REQUIRE(firings("rate(5 minutes)", 3) == std::vector<SimTime>{0, 5 * m, 10 * m});
  REQUIRE(firings("rate(1 hour)", 3) == std::vector<SimTime>{0, h, 2 * h});
  REQUIRE(firings("rate(2 days)", 2, "2026-03-01T12:34:56Z") == std::vector<SimTime>{0, 2 * d});
  REQUIRE(firings("at(2026-01-06T10:00:00)", 3) == std::vector<SimTime>{d + 10 * h});
  REQUIRE(firings("at(2026-01-04T10:00:00)", 3).empty());  // before the start: never
}

TEST_CASE("schedule: firings per 30 days for the cost projection", "[schedule]") {
  REQUIRE(process_of("cron(0 2 * * ? *)").firings_per_30_days() == 30.0);
  REQUIRE(process_of("cron(0 9 ? * MON-FRI *)").firings_per_30_days() == 22.0);  // from a Monday: 4 weeks + Mon, Tue
  REQUIRE(process_of("rate(5 minutes)").firings_per_30_days() == 8640.0);
  REQUIRE(process_of("rate(2 days)").firings_per_30_days() == 15.0);
  REQUIRE(process_of("cron(0 8 1 * ? *)").firings_per_30_days() == 1.0);  // February 1st
  // Not repeating: a one-time schedule, a cron whose only firings are in the first 30 days.
  REQUIRE_FALSE(process_of("at(2026-01-06T10:00:00)").firings_per_30_days());
  REQUIRE_FALSE(process_of("cron(0 2 5 1 ? 2026)").firings_per_30_days());
  REQUIRE_FALSE(process_of("cron(0 0 1 JAN ? 2020)").firings_per_30_days());  // never fires at all
  // A periodic workload is a schedule too; the other processes are not firings.
  const Scenario periodic = load_scenario_text(schedule_scenario("{process: periodic, every: 1d}"), "t.yaml",
                                               builtin_services());
  Diagnostics diags;
  REQUIRE(ArrivalProcess::from_record(periodic.workloads[0].params.record("arrival"), ".", diags)
              .firings_per_30_days() == 30.0);
  const Scenario poisson = load_scenario_text(schedule_scenario("{process: poisson, rate: 1/s}"), "t.yaml",
                                              builtin_services());
  REQUIRE_FALSE(ArrivalProcess::from_record(poisson.workloads[0].params.record("arrival"), ".", diags)
                    .firings_per_30_days());
  // expected_count agrees with the firings.
  REQUIRE(process_of("cron(0 9 ? * MON-FRI *)").expected_count(7 * d) == 5.0);
}

TEST_CASE("schedule: invalid expressions point at the bad field", "[schedule]") {
  // The expression starts at column 47 of line 6 (inside the quotes): the fields of
  // "cron(0 2 * * ? *)" are at columns 52, 54, 56, 58, 60 and 62.
  REQUIRE(expression_error("cron(0 2 * * * *)") ==
          "t.yaml:6:60: error: workloads.job.arrival.expression: cron(...): day-of-month '*' and day-of-week '*' "
          "cannot both be given: one of them must be '?'\n"
          "    hint: e.g. cron(0 2 * * ? *) every day, cron(0 9 ? * MON-FRI *) on weekdays, cron(0 8 1 * ? *) on the "
          "first of the month\n");
  REQUIRE(expression_error("cron(0 2 * * ?)") ==
          "t.yaml:6:52: error: workloads.job.arrival.expression: cron(...): expected 6 fields (minutes hours "
          "day-of-month month day-of-week year), found 5\n"
          "    hint: EventBridge cron has a sixth field, the year, and '?' in day-of-month or day-of-week: e.g. "
          "cron(0 2 * * ? *)\n");
  REQUIRE(expression_error("cron(0 25 * * ? *)") ==
          "t.yaml:6:54: error: workloads.job.arrival.expression: cron(...): the hours field: expected an hour 0-23, "
          "found '25'\n"
          "    hint: e.g. 9, 8-17 or 0/6 (hours are UTC)\n");
  REQUIRE(expression_error("cron(0 9 ? * MONDAY *)") ==
          "t.yaml:6:60: error: workloads.job.arrival.expression: cron(...): the day-of-week field: expected a day "
          "1-7 or SUN-SAT (1 is SUN; or L, nL, n#k), found 'MONDAY'\n"
          "    hint: did you mean 'MON'?\n");
  REQUIRE(expression_error("cron(0 9 ? * 0 *)") ==
          "t.yaml:6:60: error: workloads.job.arrival.expression: cron(...): the day-of-week field: expected a day "
          "1-7 or SUN-SAT (1 is SUN; or L, nL, n#k), found '0'\n"
          "    hint: EventBridge numbers the days of the week from 1 (SUN) to 7 (SAT)\n");
  REQUIRE(expression_error("cron(0 9 ? * 2#1,6#3 *)") ==
          "t.yaml:6:60: error: workloads.job.arrival.expression: cron(...): the day-of-week field: '#' allows only "
          "one expression, found '2#1,6#3'\n");
  REQUIRE(expression_error("cron(0 22-2 * * ? *)") ==
          "t.yaml:6:54: error: workloads.job.arrival.expression: cron(...): the hours field: expected a range from "
          "low to high, found '22-2'\n"
          "    hint: split a range that wraps around into two, e.g. 22-23,0-2\n");
  REQUIRE(expression_error("cron(0/0 * * * ? *)") ==
          "t.yaml:6:54: error: workloads.job.arrival.expression: cron(...): the minutes field: expected an increment "
          "of at least 1 after '/', found '0'\n");
  REQUIRE(expression_error("cron(0 ? * * ? *)") ==
          "t.yaml:6:54: error: workloads.job.arrival.expression: cron(...): the hours field: '?' is allowed only in "
          "day-of-month or day-of-week\n");
  REQUIRE(expression_error("cron(0 0 1 1 ? 2200)") ==
          "t.yaml:6:62: error: workloads.job.arrival.expression: cron(...): the year field: expected a year "
          "1970-2199, found '2200'\n"
          "    hint: e.g. * or 2026-2027\n");
  REQUIRE(expression_error("rate(1 minutes)") ==
          "t.yaml:6:54: error: workloads.job.arrival.expression: rate(...): expected 'minute' for a value of 1, found "
          "'minutes'\n"
          "    hint: did you mean rate(1 minute)?\n");
  REQUIRE(expression_error("rate(5 minute)") ==
          "t.yaml:6:54: error: workloads.job.arrival.expression: rate(...): expected 'minutes' for a value of 5, "
          "found 'minute'\n"
          "    hint: did you mean rate(5 minutes)?\n");
  REQUIRE(expression_error("rate(30 seconds)") ==
          "t.yaml:6:55: error: workloads.job.arrival.expression: rate(...): expected minute(s), hour(s) or day(s), "
          "found 'seconds'\n"
          "    hint: EventBridge schedules have a precision of 1 minute: the units are minute(s), hour(s), day(s)\n");
  REQUIRE(expression_error("rate(5m)") ==
          "t.yaml:6:52: error: workloads.job.arrival.expression: rate(...): expected a whole number of at least 1, "
          "found '5m'\n"
          "    hint: did you mean rate(5 minutes)?\n");
  REQUIRE(expression_error("every day") ==
          "t.yaml:6:47: error: workloads.job.arrival.expression: expected cron(...), rate(...) or at(...), found "
          "'every day'\n"
          "    hint: e.g. cron(0 2 * * ? *) (every day at 02:00 UTC), rate(5 minutes) or at(2026-01-05T09:30:00)\n");
  REQUIRE(load_error(schedule_scenario("{process: schedule, expression: \"rate(1 day)\", start: "
                                       "2026-01-05T00:00:00}")) ==
          "t.yaml:6:68: error: workloads.job.arrival.start: expected a UTC date and time from 1970 to 2199 like "
          "2026-01-05T00:00:00Z, found '2026-01-05T00:00:00'\n"
          "    hint: schedules run in UTC: did you mean 2026-01-05T00:00:00Z?\n");
}

TEST_CASE("schedule: a run fires the schedule and bills Scheduler invocations", "[schedule][cost]") {
  // Every minute for an hour, both ends included (events at the end of a run
  // still run): 61 firings, $1.00 per million without the free tier.
  const Json r = run_scenario_text(schedule_scenario("{process: schedule, expression: \"rate(1 minute)\"}"));
  REQUIRE(metric(r, "workloads.job.arrived") == 61);
  const Json* items = r.find_path("cost.items");
  REQUIRE(items != nullptr);
  REQUIRE(items->size() == 1);
  const Json& item = items->elements()[0];
  REQUIRE(item.find("service")->as_string() == "workload:job");
  REQUIRE(item.find("item")->as_string() == "scheduler invocations");
  REQUIRE(item.find("quantity")->as_double() == 61);
  REQUIRE(item.find("usd")->as_double() == Approx(61 * 1.0e-6).epsilon(1e-12));
  // With the free tier, 14M invocations a month are free: 43,920 a month costs nothing.
  const Json free = run_scenario_text(schedule_scenario("{process: schedule, expression: \"rate(1 minute)\"}",
                                                        "account: {free_tier: true}\n"));
  REQUIRE(metric(free, "cost.total_usd") == 0.0);
}

TEST_CASE("schedule: the free tier is the account's, shared by every schedule", "[schedule][cost]") {
  // Two schedules with 61 + 31 firings in the hour (both ends included). Each
  // projects its month by its own firings: rate(1 minute) fires 43,200 times in
  // 30 days, rate(2 minutes) 21,600: 64,800 a month. With 40,000 free, 24,800
  // are billed: $0.0248 a month, of which each schedule pays for the window in
  // proportion to its firings there (61 and 31 of the 64,800).
  const Json r = run_scenario_text(
      "name: s\nduration: 1h\n"
      "account: {free_tier: true}\n"
      "pricing: {scheduler.free_tier.invocations: 40000}\n"
      "workloads:\n"
      "  - {name: a, target: api, arrival: {process: schedule, expression: \"rate(1 minute)\"}}\n"
      "  - {name: b, target: api, arrival: {process: schedule, expression: \"rate(2 minutes)\"}}\n"
      "  - {name: c, target: api, arrival: {process: poisson, rate: 1/s}}\n"
      "services:\n  api: {type: external, latency: 10ms}\n");
  const double month_usd = (64800.0 - 40000.0) * 1.0e-6;
  REQUIRE(metric(r, "cost.by_service.workload:a") == Approx(month_usd * 61 / 64800).epsilon(1e-12));
  REQUIRE(metric(r, "cost.by_service.workload:b") == Approx(month_usd * 31 / 64800).epsilon(1e-12));
  REQUIRE(metric(r, "cost.total_usd") == Approx(month_usd * 92 / 64800).epsilon(1e-12));
  // Projected: each schedule's window cost times its own firings ratio gives back the month.
  REQUIRE(metric(r, "cost.monthly_usd") == Approx(month_usd).epsilon(1e-12));
}

TEST_CASE("schedule: a function fired synchronously by a schedule gets a warning", "[schedule][loader]") {
  const auto warnings_of = [](const std::string& invoke) {
    const Scenario sc = load_scenario_text(
        "name: s\nduration: 1d\nworkloads:\n"
        "  - {name: nightly, target: job" + invoke + ", arrival: {process: schedule, expression: \"cron(0 3 * * ? *)\"}}\n"
        "services:\n  job: {type: lambda, duration: 1s}\n",
        "t.yaml", builtin_services());
    return sc.warnings.str();
  };
  REQUIRE(warnings_of("") ==
          "t.yaml:4:5: warning: workloads.nightly.invoke: 'nightly' is fired by a schedule, but invoked synchronously: "
          "EventBridge Scheduler invokes job asynchronously (its retries and on_failure apply)\n"
          "    hint: add 'invoke: async' to the workload\n");
  REQUIRE(warnings_of(", invoke: async").empty());
}
