// Endpoints and triggers: SNS e-mail, SMS and HTTP(S) subscriptions with their
// delivery policies, S3 notifications to queues, topics and event buses, the
// ALB (LCU arithmetic, 502/503/504, the Lambda body limit) and function URLs.
// The HTTP cases deliver to a test-only `external` type that records when it
// was called and refuses with the configured probability, so timings are exact.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "models/alb/alb.hpp"
#include "models/sns/sns.hpp"
#include "sim/core/simulation.hpp"
#include "model_run.hpp"
#include "support.hpp"
#include "test_queue.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

const Schema& test_endpoint_schema() {
  static const Schema s = [] {
    ParamSpec errors = param("errors", ParamType::probability, "", "0", "chance that a call fails (5xx)");
    return Schema{"external", "a test HTTP endpoint", {errors}};
  }();
  return s;
}

// Answers every call at once: an error with probability `errors`, else ok.
class TestEndpoint final : public Service {
 public:
  explicit TestEndpoint(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "external"),
        errors_(ctx.params().number("errors")),
        rng_(ctx.sim().rng("service." + ctx.name() + ".errors")) {}
  void handle(Simulation& sim, const Event& e) override {
    if (e.kind != kCallEvent) return;
    times.push_back(sim.now());
    sim.reply(CallHandle{e.data}, rng_.bernoulli(errors_) ? CallStatus::error : CallStatus::ok);
  }
  void report(Json& out, double) const override { out["calls"] = static_cast<std::uint64_t>(times.size()); }
  std::vector<SimTime> times;

 private:
  double errors_;
  Rng rng_;
};

const ServiceRegistry& test_registry() {
  static const ServiceRegistry reg = [] {
    ServiceType endpoint;
    endpoint.name = "external";
    endpoint.summary = "a test HTTP endpoint";
    endpoint.schema = &test_endpoint_schema();
    endpoint.ops = {"call"};
    endpoint.build = &make_service<TestEndpoint>;
    return registry_with({test_queue_type(), endpoint, models::sns_type()});
  }();
  return reg;
}

using Run = ModelRun;

Run run(const std::string& yaml) { return run_model(yaml, test_registry()); }

std::string test_load_error(const std::string& yaml) { return load_error_with(yaml, test_registry()); }

// One publish at 0 s to a topic with the given subscribers (acknowledged at 20 ms).
std::string one_publish(const std::string& duration, const std::string& subscribers, const std::string& more = "") {
  return "name: t\nduration: " + duration +
         "\nworkloads: [{name: w, target: topic, arrival: {process: burst, at: 0s, count: 1}}]\n"
         "services:\n  topic: {type: sns, subscribers: " +
         subscribers + "}\n" + more;
}

// The gaps between consecutive calls, in seconds.
std::vector<double> gaps_s(const std::vector<SimTime>& t) {
  std::vector<double> g;
  for (std::size_t i = 1; i < t.size(); ++i) g.push_back(static_cast<double>(t[i] - t[i - 1]) / 1e9);
  return g;
}

}  // namespace

TEST_CASE("sns http: the default delivery policy makes 3 retries 20 s apart, then drops", "[sns][http][retry]") {
  const Run r = run(one_publish("10min", "[{protocol: https, to: hook}]", "  hook: {type: external, errors: 1}\n"));
  const std::vector<SimTime>& t = r.service<TestEndpoint>("hook").times;
  REQUIRE(t.size() == 4);
  REQUIRE(t[0] == 20 * kMillisecond);  // at the publish's acknowledgement
  for (std::size_t i = 1; i < 4; ++i) REQUIRE(t[i] - t[i - 1] == 20 * kSecond);
  REQUIRE(metric(r.result, "services.topic.attempts") == 4);
  REQUIRE(metric(r.result, "services.topic.retries") == 3);
  REQUIRE(metric(r.result, "services.topic.subscribers.hook.failed") == 1);
  REQUIRE(metric(r.result, "services.topic.notifications.http") == 1);
  REQUIRE(metric(r.result, "accounting.dropped") == 1);
  REQUIRE(balanced(r.result));
}

TEST_CASE("sns http: a custom policy runs its four phases, then the copy goes to the DLQ", "[sns][http][retry]") {
  const Run r = run(one_publish(
      "10min",
      "[{protocol: https, to: hook, dlq: dead, delivery_policy: {num_retries: 10, num_no_delay_retries: 2, "
      "num_min_delay_retries: 2, num_max_delay_retries: 2, min_delay: 5s, max_delay: 35s}}]",
      "  hook: {type: external, errors: 1}\n  dead: {type: sqs}\n"));
  const std::vector<SimTime>& t = r.service<TestEndpoint>("hook").times;
  // 2 at once, 2 after 5 s, the linear backoff 5, 15, 25, 35 s, then 2 after 35 s.
  const std::vector<double> expected{0, 0, 5, 5, 5, 15, 25, 35, 35, 35};
  REQUIRE(gaps_s(t) == expected);
  REQUIRE(metric(r.result, "services.topic.retries") == 10);
  REQUIRE(metric(r.result, "services.topic.to_dlq") == 1);
  REQUIRE(metric(r.result, "services.topic.failed") == 0);
  const std::vector<SimTime>& dead = r.service<TestQueue>("dead").times;
  REQUIRE(dead.size() == 1);
  REQUIRE(dead[0] == t.back());  // at once after the last refused attempt
  REQUIRE(metric(r.result, "accounting.dead_lettered") == 1);
  REQUIRE(balanced(r.result));
}

TEST_CASE("sns http: the backoff functions shape the delays between min_delay and max_delay", "[sns][http][retry]") {
  const auto gaps = [](const std::string& policy) {
    const Run r = run(one_publish("1h", "[{protocol: https, to: hook, delivery_policy: " + policy + "}]",
                                  "  hook: {type: external, errors: 1}\n"));
    return gaps_s(r.service<TestEndpoint>("hook").times);
  };
  REQUIRE(gaps("{num_retries: 4, min_delay: 1s, max_delay: 8s, backoff: geometric}") ==
          std::vector<double>{1, 2, 4, 8});
  REQUIRE(gaps("{num_retries: 3, min_delay: 10s, max_delay: 30s, backoff: arithmetic}") ==
          std::vector<double>{10, 15, 30});
  // Exponential: min + (max - min) (2^j - 1) / (2^(n-1) - 1), j = 0..n-1.
  const std::vector<double> e = gaps("{num_retries: 4, min_delay: 5s, max_delay: 35s, backoff: exponential}");
  REQUIRE(e.size() == 4);
  const double want[] = {5, 5 + 30.0 / 7, 5 + 90.0 / 7, 35};
  for (std::size_t i = 0; i < 4; ++i) REQUIRE(std::fabs(e[i] - want[i]) <= 1e-9);
  // A healthy endpoint gets one attempt.
  const Run ok = run(one_publish("1min", "[{protocol: http, to: hook}]", "  hook: {type: external}\n"));
  REQUIRE(ok.service<TestEndpoint>("hook").times.size() == 1);
  REQUIRE(metric(ok.result, "services.topic.delivered") == 1);
  REQUIRE(metric(ok.result, "accounting.succeeded") == 1);
}

TEST_CASE("sns http: a delivery policy that breaks AWS's limits does not load", "[sns][http][loader]") {
  REQUIRE(test_load_error(one_publish("1min",
                                      "[{protocol: https, to: hook, delivery_policy: {num_retries: 100, "
                                      "min_delay: 60s, max_delay: 60s}}]",
                                      "  hook: {type: external}\n")) ==
          "t.yaml:5:81: error: services.topic.subscribers.0.delivery_policy: the delivery policy's retries take 6000 s "
          "in all; SNS allows at most 3600 s\n    hint: fewer retries or shorter delays\n");
  REQUIRE(test_load_error(one_publish("1min",
                                      "[{protocol: https, to: hook, delivery_policy: {num_retries: 2, "
                                      "num_no_delay_retries: 3}}]",
                                      "  hook: {type: external}\n")) ==
          "t.yaml:5:81: error: services.topic.subscribers.0.delivery_policy: the delivery policy's phases have 3 "
          "retries, more than num_retries (2)\n    hint: num_no_delay_retries + num_min_delay_retries + "
          "num_max_delay_retries must be at most num_retries\n");
  REQUIRE(test_load_error(one_publish("1min", "[{protocol: https, to: q}]", "  q: {type: sqs}\n")) ==
          "t.yaml:5:58: error: services.topic.subscribers.0.to: an https subscription delivers to an external "
          "service, but 'q' is a sqs\n    hint: leave 'protocol' out: the protocol follows from the endpoint's type\n");
  REQUIRE(test_load_error(one_publish("1min", "[{protocol: email, to: q}]", "  q: {type: sqs}\n")) ==
          "t.yaml:5:58: error: services.topic.subscribers.0.to: an email subscription delivers outside AWS and has "
          "no 'to'\n    hint: leave 'to' out (name the subscription with 'name:' if you like)\n");
  REQUIRE(test_load_error(one_publish("1min", "[{to: q, delivery_policy: {num_retries: 1}}]", "  q: {type: sqs}\n")) ==
          "t.yaml:5:61: error: services.topic.subscribers.0.delivery_policy: 'delivery_policy' applies to http and "
          "https subscriptions only\n    hint: leave it out of this subscription\n");
  REQUIRE(test_load_error(one_publish("1min", "[{to: q}, {protocol: email, name: q}]", "  q: {type: sqs}\n")) ==
          "t.yaml:5:69: error: services.topic.subscribers.q.name: two subscriptions of this topic are named 'q'\n"
          "    hint: give one of them another 'name'\n");
  REQUIRE(test_load_error(one_publish("1min", "[{protocol: sms, country: DE}]")) ==
          "t.yaml:5:61: error: services.topic.subscribers.0.country: no SMS price for country 'DE' in the catalog (it "
          "has US only)\n    hint: give the price of one message with 'sms_price', e.g. sms_price: 0.05\n");
}

TEST_CASE("sns email: a failing address gets the customer-managed policy: 50 retries over more than 6 h",
          "[sns][email][retry]") {
  // Nominal delays: 2 x 10 s, 10 from 10 s to 600 s (geometric), 38 x 600 s.
  double total = 20 + 38 * 600;
  for (int j = 0; j < 10; ++j) total += 10 * std::pow(60.0, j / 9.0);
  REQUIRE(total > 6 * 3600);
  const std::string subs = "[{protocol: email, latency: 0s, errors: 1}]";
  // Just after the last attempt: 51 attempts, the copy dropped.
  const Run done = run(one_publish(fmt::format("{}s", std::ceil(total + 1)), subs));
  REQUIRE(metric(done.result, "services.topic.attempts") == 51);
  REQUIRE(metric(done.result, "services.topic.retries") == 50);
  REQUIRE(metric(done.result, "services.topic.subscribers.email-1.failed") == 1);
  REQUIRE(metric(done.result, "accounting.dropped") == 1);
  // A little before it: the last retry is still waiting.
  const Run before = run(one_publish(fmt::format("{}s", std::floor(total - 1)), subs));
  REQUIRE(metric(before.result, "services.topic.attempts") == 50);
  REQUIRE(metric(before.result, "services.topic.failed") == 0);
  REQUIRE(metric(before.result, "accounting.in_flight") == 1);
}

TEST_CASE("sns email and sms: deliveries are billed per notification", "[sns][email][cost]") {
  const Run r = run(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  topic: {type: sns, latency: 0ms, subscribers: [{protocol: email, latency: 1ms}, {protocol: sms, "
      "latency: 1ms}, {protocol: sms, name: pager, country: DE, sms_price: 0.05, latency: 1ms}]}\n");
  const double n = metric(r.result, "services.topic.published");
  REQUIRE(n == 1000);
  // The last publish (at 100 s) is still being delivered at the end; it is billed already.
  REQUIRE(metric(r.result, "services.topic.subscribers.email-1.delivered") == 999);
  REQUIRE(metric(r.result, "services.topic.subscribers.sms-2.delivered") == 999);
  REQUIRE(metric(r.result, "services.topic.subscribers.pager.delivered") == 999);
  REQUIRE(metric(r.result, "services.topic.notifications.email") == 1000);
  REQUIRE(metric(r.result, "services.topic.notifications.sms") == 2000);
  // Publishes $0.50/M, e-mails $2.00 per 100K, SMS $0.00645 (US) and $0.05 (the given price).
  REQUIRE(metric(r.result, "cost.by_service.topic") == Approx(1000 * (5e-7 + 2e-5 + 0.00645 + 0.05)).epsilon(1e-12));
  REQUIRE(metric(r.result, "accounting.succeeded") == 999);
  REQUIRE(balanced(r.result));
  // With the free tier: the month's notifications (the window x 25,920) less 1,000 e-mails and
  // 100,000 HTTP/S notifications, charged to the window in proportion.
  const Run free = run(
      "name: t\nduration: 100s\naccount: {free_tier: true}\n"
      "workloads: [{name: w, target: topic, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n"
      "  topic: {type: sns, latency: 0ms, subscribers: [{protocol: email, latency: 1ms}, {protocol: https, to: hook}]}\n"
      "  hook: {type: external}\n");
  const double scale = 30.0 * 86400 / 100;
  const double month = 1000 * scale;
  const double publishes = (month - 1e6) * 5e-7 / scale;
  const double emails = (month - 1000) * 2e-5 / scale;
  const double http = (month - 1e5) * 6e-7 / scale;
  REQUIRE(metric(free.result, "cost.by_service.topic") == Approx(publishes + emails + http).epsilon(1e-12));
}

TEST_CASE("s3: notifications go to queues, topics and event buses, once per object each", "[s3][notifications]") {
  const Json r = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: bucket, op: put, arrival: {process: burst, at: 1s, count: 400}}]\n"
      "services:\n"
      "  bucket: {type: s3, notification_delay: 0s, notifications: [{queue: q}, {topic: t}, {bus: b}, "
      "{queue: q2, filter: 0.25}]}\n"
      "  q: {type: sqs}\n  q2: {type: sqs}\n  q3: {type: sqs}\n  q4: {type: sqs}\n"
      "  t: {type: sns, subscribers: [{to: q3}]}\n"
      "  b: {type: eventbridge, rules: [{to: q4}]}\n");
  const double objects = metric(r, "services.bucket.puts");
  REQUIRE(objects == 400);
  REQUIRE(metric(r, "services.q.sent") == objects);
  REQUIRE(metric(r, "services.t.published") == objects);
  REQUIRE(metric(r, "services.q3.sent") == objects);
  REQUIRE(metric(r, "services.b.events") == objects);
  REQUIRE(metric(r, "services.b.service_events") == objects);
  REQUIRE(metric(r, "services.q4.sent") == objects);
  const double filtered = metric(r, "services.q2.sent");
  REQUIRE(std::fabs(filtered - 100) <= 5 * std::sqrt(400 * 0.25 * 0.75));
  REQUIRE(metric(r, "services.bucket.notifications") == 3 * objects + filtered);
  // Events from S3 reach the bus free; custom puts are billed.
  REQUIRE(metric(r, "cost.by_service.b") == 0);
  // The queues have no consumer: every request stays open with its messages waiting.
  REQUIRE(metric(r, "accounting.in_flight") == 400);
  REQUIRE(metric(r, "services.q.depth.final") == 400);
  REQUIRE(balanced(r));
  REQUIRE(load_error("name: t\nduration: 1s\nworkloads: [{name: w, target: bucket, op: put, arrival: {process: "
                     "constant, rate: 1/s}}]\nservices:\n  bucket: {type: s3, notifications: [{queue: q, topic: t}]}\n"
                     "  q: {type: sqs}\n  t: {type: sns, subscribers: [{to: q}]}\n") ==
          "t.yaml:5:38: error: services.bucket.notifications.0: a notification has one destination: give only one of "
          "'function', 'queue', 'topic', 'bus'\n    hint: write one notification per destination, e.g. "
          "notifications: [{queue: QUEUE}, {function: FN}]\n");
}

TEST_CASE("s3: a queue or topic destination of large objects gets a warning about the event's size",
          "[s3][notifications][loader]") {
  const std::string yaml =
      "name: t\nduration: 1min\n"
      "workloads: [{name: up, target: bucket, op: put, payload: 2MB, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n  bucket: {type: s3, notifications: [{queue: q}, {bus: b}]}\n  q: {type: sqs}\n"
      "  b: {type: eventbridge, rules: [{to: q}]}\n";
  REQUIRE(load_scenario_text(yaml, "t.yaml", builtin_services()).warnings.str() ==
          "t.yaml:5:46: warning: services.bucket.notifications.0.queue: 'q' gets each event with the object's size "
          "(2MB from workload 'up'), not the 1 KB or so of a real S3 event: its request count and size limit see the "
          "object\n    hint: where the queue's or topic's cost matters more than the bucket's, give the workload the "
          "event's size as its payload, e.g. payload: 1KB\n");
}

TEST_CASE("eventbridge: custom puts are billed, AWS service events are not", "[eventbridge][cost]") {
  const Json r = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads:\n"
      "  - {name: app, target: b, op: put, arrival: {process: constant, rate: 3/s}}\n"
      "  - {name: s3, target: bucket, op: put, arrival: {process: constant, rate: 5/s}}\n"
      "services:\n"
      "  bucket: {type: s3, latency: {put: 0ms}, notification_delay: 0s, notifications: [{bus: b}]}\n"
      "  b: {type: eventbridge, latency: 1ms, rules: []}\n");
  const double events = metric(r, "services.b.events");
  const double service = metric(r, "services.b.service_events");
  // The puts at 100 s are acknowledged after the end.
  REQUIRE(service == metric(r, "services.bucket.notifications") - 1);
  REQUIRE(events - service == 299);
  REQUIRE(metric(r, "cost.by_service.b") == Approx(299 * 1e-6).epsilon(1e-12));
}

TEST_CASE("alb: the LCU is the largest of its four dimensions", "[alb][cost]") {
  models::AlbUsage u;
  u.new_connections = 2500;     // in 100 s: 25/s, 1 LCU
  u.active_connections = 1500;  // 0.5 LCU
  u.processed_bytes = 1073741824.0 / 36;  // 1/36 GB in 100 s = 1 GB an hour: 1 LCU (EC2), 2.5 (Lambda)
  u.rule_evaluations = 200000;  // 2,000/s: 2 LCUs
  models::AlbLcus l = models::alb_lcus(u, 100);
  REQUIRE(l.new_connections == Approx(1).epsilon(1e-12));
  REQUIRE(l.active_connections == Approx(0.5).epsilon(1e-12));
  REQUIRE(l.processed_bytes == Approx(1).epsilon(1e-12));
  REQUIRE(l.rule_evaluations == Approx(2).epsilon(1e-12));
  REQUIRE(l.lcus == l.rule_evaluations);
  u.lambda_target = true;
  l = models::alb_lcus(u, 100);
  REQUIRE(l.processed_bytes == Approx(2.5).epsilon(1e-12));
  REQUIRE(l.lcus == l.processed_bytes);
}

TEST_CASE("alb: a server pool's LCUs and cost are exact arithmetic of the run's counts", "[alb][cost]") {
  const Json r = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: lb, payload: 10KB, arrival: {process: constant, rate: 100/s}}]\n"
      "services:\n"
      "  lb: {type: alb, target: pool, latency: 2ms, rules: 15, requests_per_connection: 4, response_size: 20KB}\n"
      "  pool: {type: external, latency: 30ms}\n");
  const double requests = metric(r, "services.lb.requests");
  const double answered = metric(r, "services.lb.latency_ms.count");
  REQUIRE(requests == 10000);
  REQUIRE(answered == 10000 - 4);  // those after 99.968 s are still on their way
  REQUIRE(metric(r, "services.lb.new_connections") == 2500);
  REQUIRE(metric(r, "services.lb.rule_evaluations") == 10000 * 5);
  const double bytes = requests * 10240 + answered * 20480;
  REQUIRE(metric(r, "services.lb.processed_gb") == Approx(bytes / 1073741824.0).epsilon(1e-12));
  // Active connections: each request is open 32 ms, 100 a second: 3.2 on average.
  REQUIRE(metric(r, "services.lb.active_connections.mean") == Approx(3.2).epsilon(0.001));
  const double hours = 100.0 / 3600;
  const double by_bytes = bytes / 1073741824.0 / hours;
  REQUIRE(metric(r, "services.lb.lcu.new_connections") == Approx(1).epsilon(1e-12));
  REQUIRE(metric(r, "services.lb.lcu.rule_evaluations") == Approx(0.5).epsilon(1e-12));
  REQUIRE(metric(r, "services.lb.lcu.processed_bytes") == Approx(by_bytes).epsilon(1e-12));
  REQUIRE(metric(r, "services.lb.lcu.lcus") == Approx(by_bytes).epsilon(1e-12));
  REQUIRE(metric(r, "services.lb.lcu.lcu_hours") == Approx(by_bytes * hours).epsilon(1e-12));
  // The answers leave for the internet: 20 KB each, 2 MB/s, about 5 TB a month, all in the
  // first tier of the region's data transfer out ($0.09 per GB).
  const double out_gb = answered * 20480 / 1073741824.0;
  REQUIRE(metric(r, "services.lb.internet_transfer_gb") == Approx(out_gb).epsilon(1e-12));
  REQUIRE(metric(r, "cost.by_service.lb") ==
          Approx(hours * 0.0225 + by_bytes * hours * 0.008 + out_gb * 0.09).epsilon(1e-12));
}

TEST_CASE("alb: answers to CloudFront are not billed as data transfer out, answers to clients are",
          "[alb][cost]") {
  const Json r = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads:\n"
      "  - {name: direct, target: lb, arrival: {process: constant, rate: 10/s}}\n"
      "  - {name: cached, target: cdn, keys: {count: 5}, arrival: {process: constant, rate: 10/s}}\n"
      "services:\n"
      "  cdn: {type: cloudfront, origin: origin_lb, ttl: 1d, capacity_items: 100}\n"
      "  lb: {type: alb, target: pool, response_size: 1MB}\n"
      "  origin_lb: {type: alb, target: pool2, response_size: 1MB}\n"
      "  pool: {type: external, latency: 10ms}\n"
      "  pool2: {type: external, latency: 10ms}\n");
  const double answered = metric(r, "services.lb.latency_ms.count");
  REQUIRE(answered > 990);
  REQUIRE(metric(r, "services.lb.internet_transfer_gb") == Approx(answered / 1024.0).epsilon(1e-12));
  // The origin load balancer answered the distribution's 5 misses, and bills no transfer.
  REQUIRE(metric(r, "services.origin_lb.requests") == 5);
  REQUIRE(metric(r, "services.origin_lb.internet_transfer_gb") == 0);
}

TEST_CASE("alb: each hour is billed its own largest dimension", "[alb][cost]") {
  // Hour 1: 36,000 small requests (new connections dominate); hour 2: 3,600 requests of
  // 1 MB (processed bytes dominate). Billing the window's means would take one dimension.
  const Json r = run_scenario_text(
      "name: t\nduration: 2h\n"
      "workloads:\n"
      "  - {name: small, target: lb, payload: 1KB, arrival: {process: burst, at: 10min, count: 36000, over: 10min}}\n"
      "  - {name: large, target: lb, payload: 1MB, arrival: {process: burst, at: 90min, count: 3600, over: 10min}}\n"
      "services:\n"
      "  lb: {type: alb, target: pool, latency: 0ms, response_size: 0KB}\n"
      "  pool: {type: external, latency: 0ms}\n");
  REQUIRE(metric(r, "services.lb.requests") == 39600);
  const double gb = 1073741824.0;
  const double hour1 = std::max(36000.0 / 3600 / 25, 36000.0 * 1024 / gb);  // new connections: 0.4 LCU
  const double hour2 = std::max(3600.0 / 3600 / 25, 3600.0 * 1048576 / gb);  // processed bytes: 3.5 LCU
  REQUIRE(hour1 == Approx(0.4));
  REQUIRE(metric(r, "services.lb.lcu.lcu_hours") == Approx(hour1 + hour2).epsilon(1e-9));
  REQUIRE(metric(r, "services.lb.lcu.lcus") == Approx((hour1 + hour2) / 2).epsilon(1e-9));
  // The window's means would give less: max(39,600 / 7,200 s / 25, bytes / 2 h).
  const double means = std::max(39600.0 / 7200 / 25, (36000.0 * 1024 + 3600.0 * 1048576) / gb / 2);
  REQUIRE(means * 2 < hour1 + hour2);
  REQUIRE(metric(r, "cost.by_service.lb") == Approx(2 * 0.0225 + (hour1 + hour2) * 0.008).epsilon(1e-9));
}

TEST_CASE("alb: target failures become 502, 503 and 504", "[alb]") {
  const std::string head =
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: lb, arrival: {process: constant, rate: 10/s}}]\nservices:\n";
  const Json errors = run_scenario_text(head + "  lb: {type: alb, target: pool}\n  pool: {type: external, errors: 1}\n");
  // Requests every 100 ms from 0.1 s to 10 s; the last is still on its way at the end.
  REQUIRE(metric(errors, "services.lb.target_errors.502") == 99);
  REQUIRE(metric(errors, "workloads.w.failed") == 99);
  // One server busy 150 ms at a time, a request every 100 ms: every other one finds it
  // busy (the 2nd, 4th, ..., 98th; the 100th is still on its way at the end).
  const Json full =
      run_scenario_text(head + "  lb: {type: alb, target: pool}\n  pool: {type: external, latency: 150ms, concurrency: 1}\n");
  REQUIRE(metric(full, "services.lb.target_errors.503") == 49);
  const Json slow = run_scenario_text(
      "name: t\nduration: 10s\nworkloads: [{name: w, target: lb, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n  lb: {type: alb, target: pool, idle_timeout: 2s}\n  pool: {type: external, latency: 3s}\n");
  // Requests at 1, 2, ..., 10 s reach the pool 2 ms later: those of 1..7 s get their 504 at
  // t + 2.002 s, and the pool's answers to those of 1..6 s come in at t + 3.002 s, too late.
  REQUIRE(metric(slow, "services.lb.target_errors.504") == 7);
  REQUIRE(metric(slow, "services.lb.late_replies") == 6);
  REQUIRE(balanced(slow));
  // A Lambda target takes bodies up to 1 MB: larger ones never reach the function.
  const Json big = run_scenario_text(
      "name: t\nduration: 10s\nworkloads: [{name: w, target: lb, payload: 2MB, arrival: {process: constant, "
      "rate: 10/s}}]\nservices:\n  lb: {type: alb, target: fn}\n  fn: {type: lambda, duration: 10ms}\n");
  REQUIRE(metric(big, "services.lb.rejected") == 100);
  REQUIRE(metric(big, "services.fn.invocations") == 0);
}

TEST_CASE("function url: the path costs only the function, and bodies over 6 MB are refused", "[function_url][cost]") {
  const std::string fn = "  fn: {type: lambda, memory: 512MB, duration: 100ms}\n";
  const Json url = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: furl, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n  furl: {type: function_url, function: fn, latency: 0ms}\n" + fn);
  const Json direct = run_scenario_text(
      "name: t\nduration: 100s\n"
      "workloads: [{name: w, target: fn, op: invoke, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n" + fn);
  REQUIRE(metric(url, "services.furl.requests") == 1000);
  REQUIRE(metric(url, "cost.by_service.furl") == 0);
  REQUIRE(metric(url, "cost.total_usd") == metric(url, "cost.by_service.fn"));
  REQUIRE(metric(url, "cost.total_usd") == Approx(metric(direct, "cost.total_usd")).epsilon(1e-12));
  REQUIRE(metric(url, "services.fn.invocations") == metric(direct, "services.fn.invocations"));
  const Json big = run_scenario_text(
      "name: t\nduration: 10s\n"
      "workloads: [{name: w, target: furl, payload: 7MB, arrival: {process: constant, rate: 10/s}}]\n"
      "services:\n  furl: {type: function_url, function: fn}\n" + fn);
  REQUIRE(metric(big, "services.furl.rejected") == 100);
  REQUIRE(metric(big, "services.fn.invocations") == 0);
  REQUIRE(metric(big, "workloads.w.failed") == 100);
}
