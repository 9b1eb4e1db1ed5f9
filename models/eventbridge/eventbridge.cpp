#include "models/eventbridge/eventbridge.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

// The target retry policy (docs/model-assumptions.md §8): up to 185 retries within 24 h with
// exponential backoff and jitter. AWS does not publish the schedule: here retry
// k (0-based) waits 1 s x 2^k, capped at 5 min, without jitter (UNCONFIRMED).
constexpr SimTime kFirstRetryDelay = kSecond;
constexpr SimTime kMaxRetryDelay = 5 * kMinute;

// The operation a target of each type is sent (every delivery is an asynchronous hand-off).
const char* delivery_op(const std::string& type) {
  if (type == "lambda") return "invoke_async";
  if (type == "sns") return "publish";
  if (type == "stepfunctions") return "start";
  return "send";
}

const Schema& rule_schema() {
  static const Schema s = [] {
    ParamSpec to = param("to", ParamType::reference, "", "",
                         "the rule's target: a lambda function (asynchronous invoke_async), an sqs queue (send), "
                         "an sns topic (publish) or a stepfunctions state machine (start)");
    to.required = true;
    to.ref_types = {"lambda", "sqs", "sns", "stepfunctions"};
    to.edge = "rule";
    to.edge_op = EdgeOp::target_async;
    ParamSpec match = param("match", ParamType::probability, "", "1",
                            "fraction of the events the rule's event pattern matches (one draw per rule per event)");
    ParamSpec attempts = param("max_retry_attempts", ParamType::integer, "", "185",
                               "retries of a refused delivery (throttled or error) before the event goes to the "
                               "dead-letter queue or is dropped");
    attempts.min = 0;
    attempts.max = 185;
    ParamSpec age = param("max_event_age", ParamType::duration, "s", "24h",
                          "no retry is made once the event would be this old (measured from the put)");
    age.min = 60.0 * kSecond;
    age.max = static_cast<double>(kDay);
    ParamSpec dlq = param("dlq", ParamType::reference, "", "",
                          "optional: the rule target's dead-letter queue, which gets the events whose retries ran "
                          "out (without it they are dropped)");
    dlq.ref_types = {"sqs"};
    dlq.edge = "dlq";
    dlq.edge_op = EdgeOp::fixed;
    dlq.edge_op_name = "send";
    return Schema{"rule", "One rule of the bus with its target.", {to, match, attempts, age, dlq},
                  {{"targets", "write 'to: SERVICE' (one target per rule; write a rule per target)"},
                   {"target", "write 'to: SERVICE' (the target's name under services:)"},
                   {"arn", "write 'to: SERVICE' (the target's name under services:)"},
                   {"event_pattern", "write 'match', the fraction of the events the pattern matches, e.g. match: 0.3"},
                   {"retry_policy", "write 'max_retry_attempts' and 'max_event_age', e.g. max_retry_attempts: 10"},
                   {"maximum_retry_attempts", "write 'max_retry_attempts', e.g. max_retry_attempts: 10"},
                   {"maximum_event_age_in_seconds", "write 'max_event_age' with its unit, e.g. max_event_age: 1h"},
                   {"dead_letter_config", "write 'dlq: QUEUE'"},
                   {"schedule_expression",
                    "a schedule is a workload's arrival process, not a rule: arrival: {process: schedule, expression: "
                    "\"rate(5 minutes)\"} with the function as the workload's target"}}};
  }();
  return s;
}

const Schema& eventbridge_schema() {
  static const Schema s = [] {
    ParamSpec rules = param("rules", ParamType::list, "", "",
                            "the bus's rules; each matching event is delivered to the rule's target");
    rules.required = true;
    ParamSpec item = param("rule", ParamType::record, "", "", "a rule");
    item.record = &rule_schema();
    rules.element.push_back(item);
    rules.record = &rule_schema();
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "10ms",
                              "time to acknowledge a put (rule matching and delivery start then). UNCONFIRMED: AWS "
                              "publishes no figure");
    latency.min = 0;
    return Schema{"eventbridge",
                  "An Amazon EventBridge event bus: rules with match fractions deliver events to Lambda functions "
                  "(asynchronously), SQS queues and SNS topics; refused deliveries are retried with exponential "
                  "backoff (1 s doubling, capped at 5 min: UNCONFIRMED) within max_retry_attempts and "
                  "max_event_age, then go to the rule's dead-letter queue or are dropped.",
                  {rules, latency},
                  {{"targets", "write 'rules: [{to: SERVICE, match: 0.3}]' (each rule with its target)"},
                   {"event_pattern", "a pattern belongs to a rule: rules: [{to: SERVICE, match: 0.3}] (the fraction "
                                     "of the events it matches)"},
                   {"event_bus_name", "a service's name is its key under services:, e.g. services: {bus: {type: "
                                      "eventbridge}}"},
                   {"schedule_expression",
                    "a schedule is a workload's arrival process, not a bus: arrival: {process: schedule, expression: "
                    "\"rate(5 minutes)\"} with the function as the workload's target"}}};
  }();
  return s;
}

bool has_op(const ServiceDecl& d, const std::string& op) {
  return std::find(d.type->ops.begin(), d.type->ops.end(), op) != d.type->ops.end();
}

void check(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Value& rules = d.params.get("rules");
  if (rules.present && rules.items.empty())
    diags.warning(rules.loc, rules.path, "a bus without rules delivers nothing", "puts still succeed and are billed");
  for (const Value& item : rules.items) {
    if (!item.record) continue;
    const Value& to = item.record->get("to");
    const ServiceDecl* target = sc.find_service(to.text);
    if (target != nullptr && target->type != nullptr && !has_op(*target, delivery_op(target->type->name)))
      diags.error(to.loc, to.path,
                  fmt::format("EventBridge delivers to a {} with '{}', which this {} model does not accept (it has {})",
                              target->type->name, delivery_op(target->type->name), target->type->name,
                              quoted_list(target->type->ops)));
    const Value& dlq = item.record->get("dlq");
    if (!dlq.present) continue;
    const ServiceDecl* dq = sc.find_service(dlq.text);
    if (dq != nullptr && dq->type != nullptr && !has_op(*dq, "send"))
      diags.error(dlq.loc, dlq.path,
                  fmt::format("a dead-letter queue gets 'send', which this {} model does not accept", dq->type->name));
  }
}

// Operation indices: `put` (a custom event) and `service_event` (an event an
// AWS service such as S3 sends to the bus).
enum : std::uint16_t { kOpServiceEvent = 1 };

struct Rule {
  ComponentId target = 0;
  std::uint16_t op = 0;
  double match = 1;
  std::uint32_t max_retries = 185;
  SimTime max_age = kDay;
  bool has_dlq = false;
  ComponentId dlq = 0;
  std::uint16_t dlq_op = 0;
};

// A put event: the producer's call until the ack, then the bus's branch.
struct Event_ {
  CallHandle call;
  RequestHandle request;
  SimTime arrival = 0;
  FanoutFate deliveries;  // one copy per matched rule
  bool service = false;   // from an AWS service (service_event): not billed
};

// One matched event on its way to one rule's target (or, after the policy, to its DLQ).
struct Delivery {
  Handle event;
  std::uint32_t rule = 0;
  std::uint32_t retries = 0;
  bool dead_lettering = false;
};

class EventBridge final : public Service {
 public:
  explicit EventBridge(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "eventbridge"),
        scenario_(ctx.scenario()),
        latency_(ctx.params().dist("latency")),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")),
        match_rng_(ctx.sim().rng("service." + ctx.name() + ".match")) {
    for (const Value& v : ctx.params().list("rules")) {
      const Record& r = *v.record;
      Rule rule;
      const std::string to = r.text("to");
      rule.target = ctx.id_of(to);
      rule.op = ctx.op_index(to, delivery_op(ctx.scenario().find_service(to)->type->name));
      rule.match = r.number("match");
      rule.max_retries = static_cast<std::uint32_t>(r.integer("max_retry_attempts"));
      rule.max_age = r.duration("max_event_age");
      if (r.has("dlq")) {
        rule.has_dlq = true;
        rule.dlq = ctx.id_of(r.text("dlq"));
        rule.dlq_op = ctx.op_index(r.text("dlq"), "send");
      }
      rules_.push_back(rule);
    }
  }

  // The wait before retry k (0-based): 1 s doubling, capped at 5 min.
  static SimTime retry_delay(std::uint32_t k) {
    SimTime d = kFirstRetryDelay;
    for (std::uint32_t i = 0; i < k && d < kMaxRetryDelay; ++i) d *= 2;
    return std::min(d, kMaxRetryDelay);
  }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_put(sim, CallHandle{e.data}); return;
      case kAck: on_ack(sim, Handle{e.data}); return;
      case kRetry: deliver(sim, Handle{e.data}); return;
      case kReplyEvent: on_delivery_reply(sim, Handle{e.data}, reply_status(e)); return;
      default: return;
    }
  }

  void reset_statistics(SimTime /*now*/) override {
    for (Counter* c : {&events_, &service_events_, &matched_, &delivered_, &retries_, &to_dlq_, &dropped_}) c->reset();
    latency_hist_.reset();
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["events"] = events_.value;
    out["service_events"] = service_events_.value;
    out["matched"] = matched_.value;
    out["delivered"] = delivered_.value;
    out["retries"] = retries_.value;
    out["to_dlq"] = to_dlq_.value;
    out["dropped"] = dropped_.value;
    out["latency_ms"] = latency_json(latency_hist_);
  }

  void sample(TimeSeriesRow& row) override {
    row.count("events", static_cast<double>(events_.value));
    row.count("matched", static_cast<double>(matched_.value));
    row.count("delivered", static_cast<double>(delivered_.value));
    row.count("retries", static_cast<double>(retries_.value));
    row.count("to_dlq", static_cast<double>(to_dlq_.value));
    row.count("dropped", static_cast<double>(dropped_.value));
  }

  void bill(CostLedger& ledger, const BillingPeriod& /*period*/) const override {
    const PriceCatalog price(scenario_);
    // Custom events only: events AWS services send to the bus are free.
    const double n = static_cast<double>(events_.value - service_events_.value);
    ledger.add(name(), "events", n, "events", n * price("eventbridge.event"));
  }

 private:
  enum : std::uint16_t { kAck = kFirstComponentEvent, kRetry };

  void on_put(Simulation& sim, CallHandle call) {
    const RequestHandle request = sim.call_info(call).request;
    // An event from an AWS service (an S3 notification) is not billed (docs/model-assumptions.md §18.2).
    const bool service = sim.call_info(call).op == kOpServiceEvent;
    const Handle ev = events_pool_.alloc(Event_{call, request, sim.now(), {0, Outcome::succeeded}, service});
    sim.schedule_in(latency_.sample_ns(latency_rng_), id(), kAck, ev.bits);
  }

  // The put is accepted: acknowledge it, then deliver it to every matching rule's target.
  void on_ack(Simulation& sim, Handle ev) {
    Event_& event = events_pool_.at(ev);
    const RequestHandle request = event.request;
    events_.add();
    if (event.service) service_events_.add();
    latency_hist_.record(sim.now() - event.arrival);
    event.arrival = sim.now();  // the event's age counts from its acceptance
    sim.open_branch(request);
    sim.reply(event.call, CallStatus::ok);
    for (std::uint32_t i = 0; i < rules_.size(); ++i) {
      if (!match_rng_.bernoulli(rules_[i].match)) continue;  // one draw per rule per event
      matched_.add();
      ++events_pool_.at(ev).deliveries.pending;
      deliver(sim, deliveries_.alloc(Delivery{ev, i, 0, false}));
    }
    if (events_pool_.at(ev).deliveries.pending == 0) {  // no rule matched: the put still succeeded
      events_pool_.free(ev);
      sim.close_branch(request, Outcome::succeeded);
    }
  }

  void deliver(Simulation& sim, Handle d) {
    const Delivery& delivery = deliveries_.at(d);
    const Rule& rule = rules_[delivery.rule];
    sim.call(id(), rule.target, rule.op, events_pool_.at(delivery.event).request, d.bits);
  }

  void on_delivery_reply(Simulation& sim, Handle d, CallStatus status) {
    Delivery& delivery = deliveries_.at(d);
    const Rule& rule = rules_[delivery.rule];
    if (delivery.dead_lettering) {
      if (status == CallStatus::ok) {
        to_dlq_.add();
        settle(sim, d, Outcome::dead_lettered);
      } else {  // the DLQ refused it too: the event is lost
        dropped_.add();
        settle(sim, d, Outcome::dropped);
      }
      return;
    }
    if (status == CallStatus::ok) {
      delivered_.add();
      settle(sim, d, Outcome::succeeded);
      return;
    }
    const SimTime delay = retry_delay(delivery.retries);
    const SimTime age_at_retry = sim.now() + delay - events_pool_.at(delivery.event).arrival;
    if (delivery.retries < rule.max_retries && age_at_retry < rule.max_age) {
      ++delivery.retries;
      retries_.add();
      sim.schedule_in(delay, id(), kRetry, d.bits);
      return;
    }
    if (rule.has_dlq) {
      delivery.dead_lettering = true;
      sim.call_detached(id(), rule.dlq, rule.dlq_op, events_pool_.at(delivery.event).request, d.bits);
      return;
    }
    dropped_.add();
    settle(sim, d, Outcome::dropped);
  }

  // A delivery reached its end: the event's branch closes with the last one, with the worst fate.
  void settle(Simulation& sim, Handle d, Outcome fate) {
    const Handle ev = deliveries_.at(d).event;
    deliveries_.free(d);
    Event_& event = events_pool_.at(ev);
    if (!event.deliveries.settle(fate)) return;
    const RequestHandle request = event.request;
    const Outcome outcome = event.deliveries.fate;
    events_pool_.free(ev);
    sim.close_branch(request, outcome);
  }

  const Scenario& scenario_;
  Distribution latency_;
  Rng latency_rng_, match_rng_;
  std::vector<Rule> rules_;
  Pool<Event_> events_pool_;
  Pool<Delivery> deliveries_;
  Counter events_, service_events_, matched_, delivered_, retries_, to_dlq_, dropped_;
  LatencyHistogram latency_hist_;
};

}  // namespace

ServiceType eventbridge_type() {
  ServiceType t;
  t.name = "eventbridge";
  t.summary = "an EventBridge bus: rules with match fractions, targets (lambda async, sqs, sns), retries, DLQs";
  t.table = {"events", "matched", "delivered", "retries", "to_dlq", "dropped"};
  t.schema = &eventbridge_schema();
  t.ops = {"put", "service_event"};  // indices 0, kOpServiceEvent
  t.op_aliases = {{"PutEvents", "write 'put' (one event per request)"}};
  t.forwards = {{"put", {"rule", "dlq"}}, {"service_event", {"rule", "dlq"}}};
  t.build = &make_service<EventBridge>;
  t.analytic = &eventbridge_analytic;
  t.check = &check;
  return t;
}

}  // namespace slsim::models
