// Insights (docs/insights.md): each detector on a scenario built to trigger
// it, its evidence read from the result, its fix, and the fix's effect
// measured by a confirming run; a healthy scenario where none fires;
// determinism; the confirming window; `run --no-insights`.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/insights.hpp"
#include "sim/analysis/replications.hpp"
#include "sim/report/number_text.hpp"
#include "tests/cli_runner.hpp"
#include "tests/support.hpp"

using namespace slsim;
using slsim::testing::metric;

namespace {

struct Found {
  Json result;
  Json insights;
  Scenario scenario;
};

Found run_with_insights(const std::string& yaml, InsightOptions options = {}) {
  const auto load = [yaml](const std::vector<std::string>& fix) {
    LoadOptions o;
    o.overrides = fix;
    o.expectations = fix.empty();
    return load_scenario_text(yaml, "t.yaml", builtin_services(), o);
  };
  Found f{Json(), Json(), load({})};
  f.result = run_replications(f.scenario, ReplicationOptions{});
  options.reload = load;
  f.insights = find_insights(f.scenario, f.result, options);
  return f;
}

const Json* insight(const Json& list, const std::string& id, const std::string& service) {
  for (const auto& i : list.elements())
    if (i.find("id")->as_string() == id && i.find("service")->as_string() == service) return &i;
  return nullptr;
}

double num(const Json& j, const std::string& path) { return metric(j, path); }

std::string fix_of(const Json& i) {
  std::string out;
  for (const auto& s : i.find("fix")->elements()) out += (out.empty() ? "" : " ") + s.as_string();
  return out;
}

// Two functions share an account of 200: reports offers 90/s x 2 s = 180
// Erlangs, checkout 10/s x 1 s = 10. Reports takes the pool; checkout's
// invocations that find it full are throttled.
const std::string kHog = R"(
name: hog
duration: 5min
warmup: 30s
seed: 3
account: {lambda_concurrency: 200, unreserved_min: 20}
workloads:
  - {name: batch, target: reports, arrival: {process: poisson, rate: 90/s}}
  - {name: shoppers, target: checkout, arrival: {process: poisson, rate: 10/s}}
services:
  reports:
    type: lambda
    timeout: 30s
    duration: {dist: lognormal, mean: 2s, cv: 0.5}
    cold_start: 400ms
  checkout:
    type: lambda
    timeout: 30s
    duration: {dist: lognormal, mean: 1s, cv: 0.3}
    cold_start: 400ms
)";

// A steady trickle (1/s) into a function whose idle environments expire
// after 1 s: about e^-1 of the gaps outlast it, so over a third of the
// invocations start cold, each adding 300 ms to a 50 ms handler.
const std::string kCold = R"(
name: cold
duration: 20min
seed: 5
workloads:
  - {name: api, target: fn, arrival: {process: poisson, rate: 1/s}}
services:
  fn:
    type: lambda
    duration: 50ms
    cold_start: 300ms
    idle_timeout: 1s
)";

}  // namespace

TEST_CASE("insights: another function exhausting the account pool is found, and reserving for the victim removes its throttles",
          "[insights]") {
  const Found f = run_with_insights(kHog);
  const Json* i = insight(f.insights, "account-concurrency-exhausted", "checkout");
  REQUIRE(i != nullptr);
  // Nothing is said about reports: it is the pool's main user itself.
  CHECK(insight(f.insights, "account-concurrency-exhausted", "reports") == nullptr);
  const Json& r = f.result;
  const double pool = num(r, "services.checkout.throttle_causes.account_pool");
  const double attempts = num(r, "services.checkout.invocations") + num(r, "services.checkout.throttles");
  REQUIRE(pool > 0);
  CHECK(num(r, "services.checkout.throttle_causes.reserved") == 0);
  CHECK(num(*i, "evidence.throttles") == pool);
  CHECK(num(*i, "evidence.attempts") == attempts);
  CHECK(num(*i, "evidence.throttled_share") == pool / attempts);
  CHECK(num(*i, "evidence.unreserved_concurrency") == 200);
  CHECK(i->find_path("evidence.hog")->as_string() == "reports");
  CHECK(num(*i, "evidence.hog_concurrency_max") == num(r, "services.reports.concurrency.max"));
  CHECK(i->find("severity")->as_string() == (pool / attempts >= 0.01 ? "high" : "medium"));
  // The reservation: Erlang-B's slots for the offered load at 0.01% loss, at least the peak seen.
  const double offered = num(r, "services.checkout.concurrency.mean") * attempts / num(r, "services.checkout.invocations");
  CHECK(num(*i, "evidence.offered_concurrency") == Approx(offered).epsilon(1e-12));
  int slots = 1;
  while (slots < 10000 && testing::erlang_b(slots, offered) > 1e-4) ++slots;
  const int need = std::max(slots, static_cast<int>(std::ceil(num(r, "services.checkout.concurrency.max"))));
  CHECK(fix_of(*i) == fmt::format("services.checkout.reserved_concurrency={}", need));
  // Measured: the whole window (a small run), so the baseline is the run itself.
  const Json& e = *i->find("effect");
  // The title gives the key number, the fix and what the confirming run measured.
  CHECK(i->find("title")->as_string() ==
        fmt::format("{:.0f} invocations of checkout ({:.1f}%) were throttled because the account's unreserved pool of "
                    "200 was exhausted by reports (mean {}, peak {:.0f} concurrent); reserving {} for checkout {}",
                    pool, 100 * pool / attempts, number_text(num(r, "services.reports.concurrency.mean")),
                    num(r, "services.reports.concurrency.max"), need,
                    num(e, "after") == 0
                        ? fmt::format("removes them (measured: {:.0f} -> 0)", num(e, "before"))
                        : fmt::format("brings the throttled invocations of checkout to {:.0f} (measured: {:.0f} -> {:.0f})",
                                      num(e, "after"), num(e, "before"), num(e, "after"))));
  CHECK(num(e, "run.duration_s") == 300);
  CHECK(num(e, "run.seed") == 3);
  CHECK(num(e, "before") == num(r, "services.checkout.throttles"));
  // At 0.01% loss about 0.3 of some 3,000 invocations would be throttled: none, or a very few.
  CHECK(num(e, "after") <= 2);
  CHECK(e.find("improved")->as_bool());
  // The fix really is what the confirming run applied.
  const Json fixed = testing::run_scenario_text(kHog, 0, {fix_of(*i)});
  CHECK(num(e, "after") == num(fixed, "services.checkout.throttles"));
}

TEST_CASE("insights: when the account cannot reserve for the victim, the fix raises the quota too", "[insights]") {
  // An unreserved floor of 190 leaves 10 to reserve: too few for checkout's ~20 slots.
  std::string yaml = kHog;
  yaml.replace(yaml.find("unreserved_min: 20"), 18, "unreserved_min: 190");
  const Found f = run_with_insights(yaml);
  const Json* i = insight(f.insights, "account-concurrency-exhausted", "checkout");
  REQUIRE(i != nullptr);
  const Json& fix = *i->find("fix");
  REQUIRE(fix.size() == 2);
  const std::string reserve = fix.elements()[1].as_string();
  REQUIRE(reserve.rfind("services.checkout.reserved_concurrency=", 0) == 0);
  const int need = std::stoi(reserve.substr(reserve.find('=') + 1));
  // The quota keeps 190 unreserved beside the reservation.
  CHECK(fix.elements()[0].as_string() == fmt::format("account.lambda_concurrency={}", need + 190));
  CHECK(i->find("fix_note")->as_string() ==
        fmt::format("account.lambda_concurrency 200 cannot reserve {} for checkout and keep 190 unreserved: the fix is "
                    "a quota increase (Service Quotas) and the reservation",
                    need));
  CHECK(num(*i, "effect.after") <= 2);
  CHECK(i->find("effect")->find("improved")->as_bool());
}

TEST_CASE("insights: a high cold-start share gets provisioned concurrency, and the confirming run measures the drop",
          "[insights]") {
  const Found f = run_with_insights(kCold);
  const Json* i = insight(f.insights, "cold-start-share-high", "fn");
  REQUIRE(i != nullptr);
  const Json& r = f.result;
  const double inv = num(r, "services.fn.invocations"), cold = num(r, "services.fn.cold_starts");
  CHECK(num(*i, "evidence.invocations") == inv);
  CHECK(num(*i, "evidence.cold_starts") == cold);
  CHECK(num(*i, "evidence.cold_start_share") == cold / inv);
  // Cold: the gaps longer than the idle timeout (e^-1 of them), plus the
  // arrivals that find the one environment busy (at most ~20% of the time);
  // 1200 invocations, binomial sd ~ 0.014.
  CHECK(cold / inv > std::exp(-1.0) - 0.05);
  CHECK(cold / inv < std::exp(-1.0) + 0.2);
  CHECK(num(*i, "evidence.init_ms_mean") == Approx(300).margin(0.5));
  // The mean concurrency plus two Poisson standard deviations, at most the peak.
  const double mean = num(r, "services.fn.concurrency.mean");
  const double pc = std::ceil(std::min(num(r, "services.fn.concurrency.max"), mean + 2 * std::sqrt(mean)));
  CHECK(fix_of(*i) == fmt::format("services.fn.provisioned_concurrency={:.0f}", pc));
  const Json& e = *i->find("effect");
  CHECK(num(e, "before") == cold / inv);
  // With provisioned environments only the arrivals that find them all busy
  // spill over to on-demand ones, and few of those start cold.
  CHECK(num(e, "after") < 0.05);
  CHECK(num(e, "change") < -0.85);
  CHECK(e.find("improved")->as_bool());
  CHECK(num(e, "cost_usd.after") > num(e, "cost_usd.before"));  // provisioned concurrency is billed
}

TEST_CASE("insights: the line item above half the cost is named with its share, without a fix", "[insights]") {
  const Found f = run_with_insights(kHog);
  const Json* i = insight(f.insights, "cost-dominated-by-one-item", "reports");
  REQUIRE(i != nullptr);
  double charges = 0, usd = 0;
  for (const auto& item : f.result.find_path("cost.items")->elements()) {
    charges += std::max(0.0, num(item, "usd"));
    if (item.find("service")->as_string() == "reports" && item.find("item")->as_string() == "duration")
      usd = num(item, "usd");
  }
  CHECK(i->find("severity")->as_string() == "info");
  CHECK(i->find_path("evidence.item")->as_string() == "duration");
  CHECK(num(*i, "evidence.item_usd") == usd);
  CHECK(num(*i, "evidence.share") == usd / charges);
  CHECK(usd / charges > 0.5);
  CHECK(i->find("fix")->size() == 0);
  CHECK(i->find("effect")->is_null());
  // Ranked: the throttles (high or medium) before the cost (info), which is last.
  CHECK(f.insights.elements().back().find("id")->as_string() == "cost-dominated-by-one-item");
}

TEST_CASE("insights: a healthy scenario gets none", "[insights]") {
  // Three queues and consumers with no line item above half the cost, no throttles, few cold starts.
  LoadOptions o;
  const Scenario sc = load_scenario(std::string(SLSIM_SOURCE_DIR) + "/scenarios/architectures/sns-fanout.yaml", builtin_services(), o);
  const Json r = run_replications(sc, ReplicationOptions{});
  CHECK(collect_insights(sc, r).empty());
  const Json none = find_insights(sc, r, InsightOptions{});
  CHECK(none.is_array());
  CHECK(none.size() == 0);
}

TEST_CASE("insights: confirming runs are deterministic, and a capped window has its own baseline", "[insights]") {
  InsightOptions small;
  small.event_budget = 50'000;  // far fewer than the run's: the window is cut
  const Found a = run_with_insights(kHog, small);
  const Found b = run_with_insights(kHog, small);
  CHECK(a.insights.dump() == b.insights.dump());
  const SimTime window = confirming_window(a.scenario, num(a.result, "run.events"), small);
  CHECK(window < a.scenario.duration);
  CHECK(window >= kMinute);
  CHECK(window % kSecond == 0);
  const Json* i = insight(a.insights, "account-concurrency-exhausted", "checkout");
  REQUIRE(i != nullptr);
  CHECK(num(*i, "effect.run.duration_s") == to_seconds(window));
  // The baseline is the same scenario over the same cut window, not the full run.
  Scenario cut = a.scenario;
  cut.duration = window;
  const Json baseline = run_replications(cut, ReplicationOptions{});
  CHECK(num(*i, "effect.before") == num(baseline, "services.checkout.throttles"));
  // Turning confirmation off keeps the candidates and measures nothing.
  InsightOptions off;
  off.confirm = false;
  const Found c = run_with_insights(kHog, off);
  REQUIRE(c.insights.size() == a.insights.size());
  for (const auto& x : c.insights.elements()) CHECK(x.find("effect")->is_null());
}

TEST_CASE("insights: confirming window from the event budget", "[insights]") {
  Scenario sc;
  sc.duration = 30 * kMinute;
  sc.warmup = 0;
  InsightOptions o;
  o.event_budget = 1'000'000;
  CHECK(confirming_window(sc, 500'000, o) == 30 * kMinute);     // within budget: all of it
  CHECK(confirming_window(sc, 6'000'000, o) == 5 * kMinute);    // a sixth of the events: a sixth of the time
  CHECK(confirming_window(sc, 1e12, o) == kMinute);             // never below a minute
  sc.duration = 20 * kSecond;
  CHECK(confirming_window(sc, 1e12, o) == 20 * kSecond);        // nor above the run
}

TEST_CASE("insights: run shows them in the table and the JSON, and --no-insights leaves them out", "[insights][cli]") {
  const std::string file = testing::write_temp("insights_cold.yaml", kCold);
  const testing::Ran with = testing::run_slsim(fmt::format("run {} --json {}.json", file, file));
  REQUIRE(with.exit_code == 0);
  CHECK(with.out.find("insights (2: the detectors are described in docs/insights.md)") != std::string::npos);
  CHECK(with.out.find("[medium] cold-start-share-high:") != std::string::npos);
  CHECK(with.out.find("fix: --set services.fn.provisioned_concurrency=") != std::string::npos);
  CHECK(with.out.find("effect: cold-start share of fn ") != std::string::npos);
  const std::string json = testing::slurp(file + ".json");
  CHECK(json.find("\"insights\": [") != std::string::npos);
  const testing::Ran without = testing::run_slsim(fmt::format("run {} --no-insights --json {}.json", file, file));
  REQUIRE(without.exit_code == 0);
  CHECK(without.out.find("insights") == std::string::npos);
  CHECK(testing::slurp(file + ".json").find("\"insights\"") == std::string::npos);
  // Standard input works too: the confirming runs load the same text again.
  const testing::Ran piped = testing::run_slsim(fmt::format("run - --json - < {}", file));
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.out.find("\"improved\": true") != std::string::npos);
  std::remove((file + ".json").c_str());
}

namespace {

// 30 messages/s into a queue whose consumer may run 2 batches of one message
// at once, each taking 100 ms: at most 20/s leave, so the queue grows by
// about 10/s.
const std::string kBacklog = R"(
name: backlog
duration: 5min
seed: 9
workloads:
  - {name: producer, target: jobs, op: send, arrival: {process: poisson, rate: 30/s}}
services:
  jobs:
    type: sqs
    visibility_timeout: 1min
    consumer: {function: worker, batch_size: 1, max_concurrency: 2}
  worker:
    type: lambda
    timeout: 10s
    duration: 100ms
    cold_start: 0ms
)";

// A consumer failing 20% of its invocations at random; a message that fails
// 3 receives goes to the DLQ: about 0.2^3 = 0.8% of them.
const std::string kFlaky = R"(
name: flaky
duration: 6min
seed: 7
workloads:
  - name: producer
    target: orders
    op: send
    arrival: {process: constant, schedule: [{at: 0s, rate: 50/s}, {at: 5min, rate: 0/s}]}
services:
  orders:
    type: sqs
    visibility_timeout: 10s
    max_receive_count: 3
    dlq: failed_orders
    consumer: {function: process_order, batch_size: 1}
  failed_orders: {type: sqs}
  process_order:
    type: lambda
    timeout: 1s
    duration: {dist: lognormal, mean: 100ms, cv: 0.5}
    cold_start: 0ms
    errors: 0.2
)";

}  // namespace

TEST_CASE("insights: a queue its consumer cannot keep up with gets a higher max_concurrency", "[insights]") {
  const Found f = run_with_insights(kBacklog);
  const Json* i = insight(f.insights, "queue-backlog-growing", "jobs");
  REQUIRE(i != nullptr);
  const Json& r = f.result;
  const double sent = num(r, "services.jobs.sent"), deleted = num(r, "services.jobs.deleted");
  CHECK(num(*i, "evidence.sent") == sent);
  CHECK(num(*i, "evidence.deleted") == deleted);
  CHECK(num(*i, "evidence.depth_final") == num(r, "services.jobs.depth.final"));
  // At most 2 x 10/s leave over 300 s; about 9,000 arrive.
  CHECK(deleted <= 6000);
  CHECK(num(*i, "evidence.deleted_per_s") == Approx(20).epsilon(0.02));
  CHECK(num(*i, "evidence.pollers_max") == 2);
  CHECK(i->find("severity")->as_string() == "high");
  const int raised = static_cast<int>(std::ceil(2 * sent / deleted * 1.25));
  CHECK(fix_of(*i) == fmt::format("services.jobs.consumer.max_concurrency={}", raised));
  // 4 or more batches at once carry 40/s or more: the backlog is gone (a few in flight at the end).
  const Json& e = *i->find("effect");
  CHECK(num(e, "before") == num(r, "services.jobs.depth.final"));
  CHECK(num(e, "after") < 20);
  CHECK(e.find("improved")->as_bool());
}

TEST_CASE("insights: dead-lettered messages are reported with the consumer's failure rate, and transient failures get more receives",
          "[insights]") {
  const Found f = run_with_insights(kFlaky);
  const Json* i = insight(f.insights, "dlq-messages", "orders");
  REQUIRE(i != nullptr);
  const Json& r = f.result;
  const double moved = num(r, "services.orders.to_dlq"), sent = num(r, "services.orders.sent");
  const double fail = num(r, "services.orders.batches.failed") / num(r, "services.orders.batches.invoked");
  CHECK(num(*i, "evidence.to_dlq") == moved);
  CHECK(num(*i, "evidence.dlq_share") == moved / sent);
  CHECK(num(*i, "evidence.batch_failure_share") == fail);
  CHECK(num(*i, "evidence.consumer_errors") == num(r, "services.process_order.errors"));
  CHECK(i->find_path("evidence.dlq")->as_string() == "failed_orders");
  // 15,000 messages: p^3 = 0.8%, sd about 0.07%.
  CHECK(fail == Approx(0.2).margin(0.01));
  CHECK(moved / sent == Approx(0.008).margin(0.0025));
  // The fewest receives that leave less than one message: sent x p^k < 1.
  int k = 3;
  while (sent * std::pow(fail, k) >= 1) ++k;
  CHECK(fix_of(*i) == fmt::format("services.orders.max_receive_count={}", k));
  const Json& e = *i->find("effect");
  CHECK(num(e, "before") == moved);
  CHECK(num(e, "after") <= 5);
  CHECK(e.find("improved")->as_bool());
}

TEST_CASE("insights: a consumer that always fails gets no more receives", "[insights]") {
  std::string yaml = kFlaky;
  yaml.replace(yaml.find("errors: 0.2"), 11, "errors: 0.9");
  const Found f = run_with_insights(yaml);
  const Json* i = insight(f.insights, "dlq-messages", "orders");
  REQUIRE(i != nullptr);
  CHECK(i->find("fix")->size() == 0);
  CHECK(i->find("effect")->is_null());
  CHECK(i->find("severity")->as_string() == "high");
}

namespace {

// A function writing to a table provisioned with 5 WCU at 20 writes/s: most
// writes are throttled and retried by the SDK while the function waits.
const std::string kTable = R"(
name: table
duration: 5min
seed: 4
workloads:
  - {name: api, target: writer, arrival: {process: poisson, rate: 20/s}}
services:
  writer:
    type: lambda
    timeout: 30s
    duration: 20ms
    calls: [{to: items, op: put}]
  items:
    type: dynamodb
    capacity: {mode: provisioned, rcu: 5, wcu: 5, burst: false}
)";

// 40 functions' worth of concurrency on a database of 20 connections, no proxy.
const std::string kDatabase = R"(
name: database
duration: 3min
seed: 6
workloads:
  - {name: api, target: fn, arrival: {process: poisson, rate: 100/s}}
services:
  fn:
    type: lambda
    timeout: 10s
    duration: {dist: lognormal, mean: 300ms, cv: 0.3}
    calls: [{to: db, op: query}]
  db:
    type: rds
    engine: mysql
    instance: db.t3.micro
    max_connections: 20
    query: {dist: exponential, mean: 2ms}
)";

}  // namespace

TEST_CASE("insights: a throttled provisioned table retried by the SDK gets on-demand capacity", "[insights]") {
  const Found f = run_with_insights(kTable);
  const Json* i = insight(f.insights, "dynamodb-throttles-retried", "items");
  REQUIRE(i != nullptr);
  const Json& r = f.result;
  CHECK(num(*i, "evidence.throttles") == num(r, "services.items.throttles"));
  CHECK(num(*i, "evidence.retries") == num(r, "services.items.retries"));
  CHECK(num(*i, "evidence.throttled_share") == num(r, "services.items.throttles") / num(r, "services.items.requests"));
  CHECK(i->find_path("evidence.caller")->as_string() == "writer");
  CHECK(num(*i, "evidence.caller_usd") == num(r, "cost.by_service.writer"));
  CHECK(fix_of(*i) == "services.items.capacity={mode: on_demand}");
  // Without the retries' waits the function is billed for less.
  const Json& e = *i->find("effect");
  CHECK(e.find("metric")->as_string() == "cost of writer (USD)");
  CHECK(num(e, "before") == num(r, "cost.by_service.writer"));
  CHECK(num(e, "after") < num(e, "before"));
  const Json fixed = testing::run_scenario_text(kTable, 0, {fix_of(*i)});
  CHECK(num(fixed, "services.items.throttles") == 0);
  CHECK(num(e, "after") == num(fixed, "cost.by_service.writer"));
}

TEST_CASE("insights: refused database connections get an RDS Proxy", "[insights]") {
  const Found f = run_with_insights(kDatabase);
  const Json* i = insight(f.insights, "database-connections-exhausted", "db");
  REQUIRE(i != nullptr);
  const Json& r = f.result;
  CHECK(num(*i, "evidence.max_connections") == 20);
  CHECK(num(*i, "evidence.connections_max") == num(r, "services.db.connections_in_use.max"));
  CHECK(num(*i, "evidence.connection_failures") == num(r, "services.db.connection_failures"));
  CHECK(num(r, "services.db.connection_failures") > 0);
  CHECK(i->find("severity")->as_string() == "high");
  CHECK(fix_of(*i) == "services.db.proxy={max_connections_percent: 100}");
  const Json& e = *i->find("effect");
  CHECK(num(e, "before") == num(r, "services.db.connection_failures"));
  CHECK(num(e, "after") == 0);
}
