#include "models/sns/sns.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
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

// Publishes are billed per started 64 KB of payload (docs/model-assumptions.md §3).
constexpr std::uint64_t kChunkBytes = 64 * 1024;

// The delivery retry policy for AWS-managed endpoints (SQS, Lambda), docs/model-assumptions.md §3:
// fixed, not configurable. Retry k (0-based) waits retry_delay(k) after the failed attempt.
constexpr std::uint32_t kImmediateRetries = 3;     // no delay
constexpr std::uint32_t kPreBackoffRetries = 2;    // 1 s apart
constexpr std::uint32_t kBackoffRetries = 10;      // exponential from 1 s to 20 s
constexpr std::uint32_t kPostBackoffRetries = 100000;  // 20 s apart
constexpr std::uint32_t kPolicyRetries = kImmediateRetries + kPreBackoffRetries + kBackoffRetries + kPostBackoffRetries;
constexpr SimTime kMinDelay = kSecond;
constexpr SimTime kMaxDelay = 20 * kSecond;

// The operation a subscriber of each type is sent (copies are asynchronous hand-offs).
const char* delivery_op(const std::string& type) { return type == "lambda" ? "invoke_async" : "send"; }

bool is_fifo_queue(const ServiceDecl& d) {
  return d.type != nullptr && d.type->name == "sqs" && d.params.schema != nullptr &&
         d.params.schema->find("fifo") != nullptr && d.params.flag("fifo");
}

const Schema& subscriber_schema() {
  static const Schema s = [] {
    ParamSpec to = param("to", ParamType::reference, "", "",
                         "the subscribed endpoint: an sqs queue (gets a send) or a lambda function (gets an "
                         "asynchronous invoke_async)");
    to.required = true;
    to.ref_types = {"sqs", "lambda"};
    to.edge = "subscriber";
    to.edge_op = EdgeOp::target_async;
    ParamSpec filter = param("filter", ParamType::probability, "", "1",
                             "fraction of the messages that match the subscription's filter policy (one draw per "
                             "subscription per message)");
    ParamSpec dlq = param("dlq", ParamType::reference, "", "",
                          "optional: the subscription's dead-letter queue, which gets the copies whose delivery "
                          "retries ran out (without it they are dropped)");
    dlq.ref_types = {"sqs"};
    dlq.edge = "dlq";
    dlq.edge_op = EdgeOp::fixed;
    dlq.edge_op_name = "send";
    return Schema{"subscriber", "One subscription of the topic.", {to, filter, dlq},
                  {{"endpoint", "write 'to: SERVICE' (the queue or function by its name under services:)"},
                   {"protocol", "leave it out: the protocol follows from the endpoint's type (sqs or lambda)"},
                   {"filter_policy", "write 'filter', the fraction of the messages the policy matches, e.g. filter: 0.3"},
                   {"redrive_policy", "write 'dlq: QUEUE'"},
                   {"dead_letter_queue", "write 'dlq: QUEUE'"},
                   {"raw_message_delivery", "not modelled: leave it out"}}};
  }();
  return s;
}

const Schema& sns_schema() {
  static const Schema s = [] {
    ParamSpec subscribers = param("subscribers", ParamType::list, "", "",
                                  "the subscriptions; each matching message is copied to every one of them");
    subscribers.required = true;
    ParamSpec item = param("subscriber", ParamType::record, "", "", "a subscription");
    item.record = &subscriber_schema();
    subscribers.element.push_back(item);
    subscribers.record = &subscriber_schema();
    ParamSpec fifo = param("fifo", ParamType::boolean, "", "false",
                           "a FIFO topic: subscribers must be SQS queues (not functions); ordering, deduplication and "
                           "the FIFO throughput limits are not modelled");
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "20ms",
                              "time to acknowledge a publish (fan-out starts then). UNCONFIRMED: AWS publishes no figure");
    latency.min = 0;
    ParamSpec jitter = param("jitter", ParamType::boolean, "", "false",
                             "randomise every non-zero retry delay uniformly in [0.5, 1.5) times its nominal value "
                             "(AWS adds jitter but does not publish it: UNCONFIRMED); false keeps the exact schedule");
    ParamSpec max_size = param("max_size", ParamType::size, "KB", "256KB",
                               "largest accepted publish payload; larger publishes are rejected with an error "
                               "(256 KB historically; whether SNS was raised to 1 MB is UNCONFIRMED)");
    max_size.min = 1;
    max_size.max = 1048576;
    return Schema{"sns", "An Amazon SNS topic: fan-out to SQS queues and Lambda functions with filters, the AWS-managed "
                         "delivery retry policy and subscription dead-letter queues.",
                  {subscribers, fifo, latency, jitter, max_size},
                  {{"subscriptions", "write 'subscribers:', e.g. subscribers: [{to: QUEUE}, {to: FUNCTION}]"},
                   {"subscription", "write 'subscribers:', e.g. subscribers: [{to: QUEUE}, {to: FUNCTION}]"},
                   {"topic_name", "a service's name is its key under services:, e.g. services: {orders: {type: sns, ...}}"},
                   {"fifo_topic", "write 'fifo: true'"},
                   {"filter_policy", "a filter belongs to a subscriber: subscribers: [{to: QUEUE, filter: 0.3}]"},
                   {"content_based_deduplication", "not modelled: leave it out"}}};
  }();
  return s;
}

void check(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Record& p = d.params;
  const bool fifo_topic = p.flag("fifo");
  const Value& subscribers = p.get("subscribers");
  if (subscribers.present && subscribers.items.empty())
    diags.warning(subscribers.loc, subscribers.path, "a topic without subscribers delivers nothing",
                  "publishes still succeed and are billed");
  std::vector<std::string> seen;
  for (const Value& item : subscribers.items) {
    if (!item.record) continue;
    const Record& s = *item.record;
    const Value& to = s.get("to");
    if (std::find(seen.begin(), seen.end(), to.text) != seen.end())
      diags.error(to.loc, to.path, fmt::format("'{}' is already subscribed to this topic", to.text),
                  "SNS keeps one subscription per endpoint; combine the filters into one fraction");
    seen.push_back(to.text);
    const ServiceDecl* target = sc.find_service(to.text);
    if (target == nullptr || target->type == nullptr) continue;
    const std::string& type = target->type->name;
    const std::string op = delivery_op(type);
    const auto& ops = target->type->ops;
    if (std::find(ops.begin(), ops.end(), op) == ops.end())
      diags.error(to.loc, to.path,
                  fmt::format("SNS delivers to a {} with '{}', which this {} model does not accept (it has {})", type,
                              op, type, quoted_list(ops)));
    if (fifo_topic && type != "sqs") {
      diags.error(to.loc, to.path,
                  fmt::format("a FIFO topic delivers only to SQS queues, but '{}' is a {}", to.text, type),
                  "subscribe a queue and let it trigger the function");
    } else if (type == "sqs" && is_fifo_queue(*target) && !fifo_topic) {
      diags.error(to.loc, to.path,
                  fmt::format("'{}' is a FIFO queue, which only a FIFO topic can deliver to", to.text),
                  "set 'fifo: true' on the topic, or subscribe a standard queue");
    } else if (fifo_topic && type == "sqs" && !is_fifo_queue(*target)) {
      diags.warning(to.loc, to.path,
                    fmt::format("'{}' is a standard queue: a FIFO topic delivers to it with best-effort ordering "
                                "and at-least-once delivery",
                                to.text),
                    "subscribe a FIFO queue for strict ordering and deduplication");
    }
    const Value& dlq = s.get("dlq");
    if (!dlq.present) continue;
    const ServiceDecl* dq = sc.find_service(dlq.text);
    if (dq == nullptr || dq->type == nullptr) continue;
    if (std::find(dq->type->ops.begin(), dq->type->ops.end(), "send") == dq->type->ops.end())
      diags.error(dlq.loc, dlq.path,
                  fmt::format("a dead-letter queue gets 'send', which this {} model does not accept", dq->type->name));
    if (dq->params.schema != nullptr && dq->params.schema->find("fifo") != nullptr &&
        is_fifo_queue(*dq) != fifo_topic)
      diags.error(dlq.loc, dlq.path,
                  fmt::format("the dead-letter queue of a {} topic's subscription must be a {} queue, but '{}' is {}",
                              fifo_topic ? "FIFO" : "standard", fifo_topic ? "FIFO" : "standard", dlq.text,
                              is_fifo_queue(*dq) ? "a FIFO queue" : "a standard queue"));
  }
}

class Sns;

// Every topic of one simulation: the free tier and prices apply to the account's publishes.
struct SnsAccount final : SimulationExtension {
  std::vector<const Sns*> topics;
};

struct Subscriber {
  std::string name;
  ComponentId id = 0;
  std::uint16_t op = 0;
  double filter = 1;
  bool has_dlq = false;
  ComponentId dlq = 0;
  std::uint16_t dlq_op = 0;
};

struct SubscriberStats {
  Counter delivered, filtered, failed, retries, to_dlq;
};

// A published message: the publisher's call until the ack, then the topic's branch.
struct Message {
  CallHandle call;
  RequestHandle request;
  SimTime arrival = 0;
  FanoutFate copies;  // one per matching subscription
};

// One copy on its way to one subscriber (or, after the policy, to its DLQ).
struct Copy {
  Handle message;
  std::uint32_t subscriber = 0;
  std::uint32_t retries = 0;  // retries made so far
  bool dead_lettering = false;
};

class Sns final : public Service {
 public:
  explicit Sns(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "sns"),
        scenario_(ctx.scenario()),
        latency_(ctx.params().dist("latency")),
        jitter_(ctx.params().flag("jitter")),
        max_size_(static_cast<std::uint64_t>(ctx.params().size("max_size"))),
        latency_rng_(ctx.sim().rng("service." + ctx.name() + ".latency")),
        filter_rng_(ctx.sim().rng("service." + ctx.name() + ".filter")),
        jitter_rng_(ctx.sim().rng("service." + ctx.name() + ".jitter")) {
    for (const Value& v : ctx.params().list("subscribers")) {
      const Record& s = *v.record;
      Subscriber sub;
      sub.name = s.text("to");
      const ServiceDecl* d = ctx.scenario().find_service(sub.name);
      sub.id = ctx.id_of(sub.name);
      sub.op = ctx.op_index(sub.name, delivery_op(d->type->name));
      sub.filter = s.number("filter");
      if (s.has("dlq")) {
        sub.has_dlq = true;
        sub.dlq = ctx.id_of(s.text("dlq"));
        sub.dlq_op = ctx.op_index(s.text("dlq"), "send");
      }
      subscribers_.push_back(sub);
    }
    stats_.resize(subscribers_.size());
    // The backoff phase: 10 delays growing geometrically from 1 s to 20 s.
    for (std::uint32_t j = 0; j < kBackoffRetries; ++j)
      backoff_[j] = round_ns(static_cast<double>(kMinDelay) *
                             std::pow(static_cast<double>(kMaxDelay) / static_cast<double>(kMinDelay),
                                      static_cast<double>(j) / (kBackoffRetries - 1)));
    SnsAccount& account = ctx.sim().extension<SnsAccount>();
    account.topics.push_back(this);
    account_ = &account;
  }

  std::uint64_t billable() const { return billable_.value; }

  // The nominal wait before retry k (0-based) of a copy.
  SimTime retry_delay(std::uint32_t k) const {
    if (k < kImmediateRetries) return 0;
    k -= kImmediateRetries;
    if (k < kPreBackoffRetries) return kMinDelay;
    k -= kPreBackoffRetries;
    if (k < kBackoffRetries) return backoff_[k];
    return kMaxDelay;
  }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_publish(sim, CallHandle{e.data}); return;
      case kAck: on_ack(sim, Handle{e.data}); return;
      case kRetry: deliver(sim, Handle{e.data}); return;
      case kReplyEvent: on_delivery_reply(sim, Handle{e.data}, reply_status(e)); return;
      default: return;
    }
  }

  void reset_statistics(SimTime /*now*/) override {
    for (Counter* c : {&published_, &rejected_, &delivered_, &filtered_, &failed_, &retries_, &to_dlq_, &attempts_,
                       &billable_})
      c->reset();
    for (SubscriberStats& s : stats_)
      for (Counter* c : {&s.delivered, &s.filtered, &s.failed, &s.retries, &s.to_dlq}) c->reset();
    latency_hist_.reset();
  }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["published"] = published_.value;
    out["delivered"] = delivered_.value;
    out["filtered"] = filtered_.value;
    out["failed"] = failed_.value;
    out["retries"] = retries_.value;
    out["to_dlq"] = to_dlq_.value;
    out["attempts"] = attempts_.value;
    out["rejected"] = rejected_.value;
    out["latency_ms"] = latency_json(latency_hist_);
    Json& subs = out["subscribers"];
    subs = Json::object();
    for (std::size_t i = 0; i < subscribers_.size(); ++i) {
      Json& s = subs[subscribers_[i].name];
      s["delivered"] = stats_[i].delivered.value;
      s["filtered"] = stats_[i].filtered.value;
      s["failed"] = stats_[i].failed.value;
      s["retries"] = stats_[i].retries.value;
      s["to_dlq"] = stats_[i].to_dlq.value;
    }
  }

  void sample(TimeSeriesRow& row) override {
    row.count("published", static_cast<double>(published_.value));
    row.count("delivered", static_cast<double>(delivered_.value));
    row.count("filtered", static_cast<double>(filtered_.value));
    row.count("failed", static_cast<double>(failed_.value));
    row.count("retries", static_cast<double>(retries_.value));
    row.count("to_dlq", static_cast<double>(to_dlq_.value));
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    // The free tier applies to the account's publishes: price the total of
    // every topic and charge this one its share. Deliveries to SQS and Lambda are free.
    const PriceCatalog prices(scenario_);
    const double free = scenario_.account.flag("free_tier") ? prices("sns.free_tier.publishes") : 0.0;
    std::vector<TierUsage> shared;
    for (const Sns* t : account_->topics) shared.push_back({static_cast<double>(t->billable()), period.usage_to_month(t->name())});
    const double mine = static_cast<double>(billable_.value);
    const std::vector<Tier> tiers{{std::numeric_limits<double>::infinity(), prices("sns.publish")}};
    ledger.add(name(), "publishes", mine, "64 KB publishes", shared_tiered_cost(mine, shared, tiers, free));
  }

 private:
  enum : std::uint16_t { kAck = kFirstComponentEvent, kRetry };

  void on_publish(Simulation& sim, CallHandle call) {
    const Request& r = sim.request(sim.call_info(call).request);
    if (r.payload_bytes > max_size_) {  // InvalidParameter: nothing is accepted
      rejected_.add();
      sim.reply(call, CallStatus::error);
      return;
    }
    const Handle m = messages_.alloc(Message{call, sim.call_info(call).request, sim.now(), 0, Outcome::succeeded});
    sim.schedule_in(latency_.sample_ns(latency_rng_), id(), kAck, m.bits);
  }

  // The publish is accepted: acknowledge it, then copy it to every matching subscription.
  void on_ack(Simulation& sim, Handle m) {
    Message& msg = messages_.at(m);
    const RequestHandle request = msg.request;
    const std::uint64_t bytes = sim.request(request).payload_bytes;
    billable_.add(bytes > kChunkBytes ? (bytes + kChunkBytes - 1) / kChunkBytes : 1);
    published_.add();
    latency_hist_.record(sim.now() - msg.arrival);
    sim.open_branch(request);
    sim.reply(msg.call, CallStatus::ok);
    for (std::uint32_t i = 0; i < subscribers_.size(); ++i) {
      // One draw per subscription per message, matched or not.
      if (!filter_rng_.bernoulli(subscribers_[i].filter)) {
        filtered_.add();
        stats_[i].filtered.add();
        continue;
      }
      ++messages_.at(m).copies.pending;
      deliver(sim, copies_.alloc(Copy{m, i, 0, false}));
    }
    if (messages_.at(m).copies.pending == 0) {  // nothing matched: the publish still succeeded
      messages_.free(m);
      sim.close_branch(request, Outcome::succeeded);
    }
  }

  void deliver(Simulation& sim, Handle c) {
    const Copy& copy = copies_.at(c);
    const Subscriber& sub = subscribers_[copy.subscriber];
    attempts_.add();
    sim.call(id(), sub.id, sub.op, messages_.at(copy.message).request, c.bits);
  }

  void on_delivery_reply(Simulation& sim, Handle c, CallStatus status) {
    Copy& copy = copies_.at(c);
    const Subscriber& sub = subscribers_[copy.subscriber];
    SubscriberStats& st = stats_[copy.subscriber];
    if (copy.dead_lettering) {
      if (status == CallStatus::ok) {
        to_dlq_.add();
        st.to_dlq.add();
        settle(sim, c, Outcome::dead_lettered);
      } else {  // the DLQ refused it too: the copy is lost
        failed_.add();
        st.failed.add();
        settle(sim, c, Outcome::dropped);
      }
      return;
    }
    if (status == CallStatus::ok) {
      delivered_.add();
      st.delivered.add();
      settle(sim, c, Outcome::succeeded);
      return;
    }
    // Throttles and errors of AWS-managed endpoints are retried under the fixed policy.
    if (copy.retries < kPolicyRetries) {
      SimTime delay = retry_delay(copy.retries);
      if (jitter_ && delay > 0) delay = round_ns(static_cast<double>(delay) * jitter_rng_.uniform(0.5, 1.5));
      ++copy.retries;
      retries_.add();
      st.retries.add();
      sim.schedule_in(delay, id(), kRetry, c.bits);
      return;
    }
    if (sub.has_dlq) {
      copy.dead_lettering = true;
      sim.call_detached(id(), sub.dlq, sub.dlq_op, messages_.at(copy.message).request, c.bits);
      return;
    }
    failed_.add();
    st.failed.add();
    settle(sim, c, Outcome::dropped);
  }

  // A copy reached its end: the message's branch closes with the last one.
  void settle(Simulation& sim, Handle c, Outcome fate) {
    const Handle m = copies_.at(c).message;
    copies_.free(c);
    Message& msg = messages_.at(m);
    if (!msg.copies.settle(fate)) return;
    const RequestHandle request = msg.request;
    const Outcome outcome = msg.copies.fate;
    messages_.free(m);
    sim.close_branch(request, outcome);
  }

  const Scenario& scenario_;
  Distribution latency_;
  bool jitter_;
  std::uint64_t max_size_;
  Rng latency_rng_, filter_rng_, jitter_rng_;
  std::vector<Subscriber> subscribers_;
  SimTime backoff_[kBackoffRetries] = {};
  SnsAccount* account_ = nullptr;
  Pool<Message> messages_;
  Pool<Copy> copies_;
  Counter published_, rejected_, delivered_, filtered_, failed_, retries_, to_dlq_, attempts_, billable_;
  std::vector<SubscriberStats> stats_;
  LatencyHistogram latency_hist_;
};

}  // namespace

ServiceType sns_type() {
  ServiceType t;
  t.name = "sns";
  t.summary = "an SNS topic: fan-out to queues and functions, filters, the AWS-managed delivery retry policy, DLQs";
  t.table = {"published", "delivered", "filtered", "retries", "failed", "to_dlq"};
  t.schema = &sns_schema();
  t.ops = {"publish"};
  t.op_aliases = {{"PublishBatch", "write 'publish' (one message per request)"}};
  t.forwards = {{"publish", {"subscriber", "dlq"}}};
  t.build = &make_service<Sns>;
  t.analytic = &sns_analytic;
  t.check = &check;
  return t;
}

}  // namespace slsim::models
