#include "models/s3/s3.hpp"

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

const std::vector<std::string>& storage_classes() {
  static const std::vector<std::string> c{"standard", "standard_ia", "onezone_ia",
                                          "glacier_instant", "glacier_flexible", "deep_archive"};
  return c;
}

const Schema& s3_schema() {
  static const Schema s = [] {
    static const Schema latency_schema = [] {
      ParamSpec get = param("get", ParamType::distribution, "ms", "{dist: lognormal, median: 20ms, p99: 150ms}",
                            "GET latency (UNCONFIRMED; for Glacier Flexible Retrieval and Deep Archive set the restore time, hours)");
      get.min = 0;
      ParamSpec put = param("put", ParamType::distribution, "ms", "{dist: lognormal, median: 30ms, p99: 200ms}",
                            "PUT latency (UNCONFIRMED)");
      put.min = 0;
      return Schema{"s3 latency", "Request latency by operation.", {get, put}};
    }();
    ParamSpec latency = param("latency", ParamType::record, "", "", "request latency by operation");
    latency.record = &latency_schema;
    static const Schema notification_schema = [] {
      // One destination per notification: a function, a queue, a topic or an event bus
      // (docs/model-assumptions.md §18.2); the check hook asks for exactly one.
      const auto destination = [](const char* key, const char* type, const char* op, const char* help) {
        ParamSpec d = param(key, ParamType::reference, "", "", help);
        d.ref_types = {type};
        d.edge = "notification";
        d.edge_op = EdgeOp::fixed;
        d.edge_op_name = op;
        return d;
      };
      ParamSpec function = destination("function", "lambda", "invoke_async", "a function invoked asynchronously");
      ParamSpec queue = destination("queue", "sqs", "send", "a queue the event is sent to (an SQS send)");
      ParamSpec topic = destination("topic", "sns", "publish", "a topic the event is published to (an SNS publish)");
      ParamSpec bus = destination("bus", "eventbridge", "service_event",
                                  "an EventBridge bus the event goes to as an AWS service event (not billed)");
      ParamSpec filter = param("filter", ParamType::probability, "", "1",
                               "fraction of put objects that match the notification's prefix/suffix filter");
      return Schema{"s3 notification", "An object-created notification to one destination (give exactly one of "
                                       "function, queue, topic, bus).",
                    {function, queue, topic, bus, filter},
                    {{"lambda_function_arn", "write 'function: FUNCTION' (its name under services:)"},
                     {"function_name", "write 'function: FUNCTION' (its name under services:)"},
                     {"queue_arn", "write 'queue: QUEUE' (its name under services:)"},
                     {"topic_arn", "write 'topic: TOPIC' (its name under services:)"},
                     {"event_bridge_configuration", "write 'bus: BUS' (an eventbridge service's name)"},
                     {"eventbridge", "write 'bus: BUS' (an eventbridge service's name)"},
                     {"events", "leave it out: notifications are for created objects (puts)"},
                     {"filter_prefix", "write 'filter', the fraction of the objects the prefix and suffix match"},
                     {"filter_suffix", "write 'filter', the fraction of the objects the prefix and suffix match"}}};
    }();
    ParamSpec notifications = param("notifications", ParamType::list, "", "", "object-created notifications");
    ParamSpec item = param("notification", ParamType::record, "", "", "a notification");
    item.record = &notification_schema;
    notifications.element.push_back(item);
    notifications.record = &notification_schema;
    ParamSpec delay = param("notification_delay", ParamType::distribution, "s", "{dist: lognormal, median: 1s, p99: 10s}",
                            "time from a put to the delivery of its event to the destination (AWS: usually seconds, sometimes a "
                            "minute or longer; UNCONFIRMED)");
    delay.min = 0;
    ParamSpec storage_class = param("storage_class", ParamType::choice, "", "standard", "the class objects are stored in");
    storage_class.choices = storage_classes();
    ParamSpec stored = param("stored", ParamType::size, "GB", "0GB", "bytes already stored when the run starts");
    stored.min = 0;
    const std::string notify =
        "write 'notifications: [{function: FUNCTION}]' (or queue:, topic:, bus:; object-created events)";
    return Schema{"s3", "An S3 bucket.", {latency, notifications, delay, storage_class, stored},
                  {{"bucket_name", "a service's name is its key under services:, e.g. services: {photos: {type: s3}}"},
                   {"notification_configuration", notify},
                   {"lambda_configurations", notify},
                   {"lambda_function", notify},
                   {"queue_configurations", notify},
                   {"topic_configurations", notify},
                   {"notification", notify},
                   {"lifecycle_configuration", "not modelled: leave it out"},
                   {"versioning_configuration", "not modelled: leave it out"}}};
  }();
  return s;
}

enum : std::uint16_t { kOpPut = 0, kOpGet = 1 };

// The keys of a notification's destinations and the operation each is sent.
constexpr const char* kDestinations[] = {"function", "queue", "topic", "bus"};

void check(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  for (const Value& item : d.params.get("notifications").items) {
    if (!item.record) continue;
    // A queue or topic gets the event with the put's payload size (docs/model-assumptions.md §18.2).
    for (const char* k : {"queue", "topic"}) {
      const Value& to = item.record->get(k);
      if (!to.present) continue;
      for (const WorkloadDecl& w : sc.workloads) {
        if (!w.params.has("target") || w.params.text("target") != d.name || !w.params.has("payload") ||
            w.params.size("payload") <= 64.0 * 1024)
          continue;
        diags.warning(to.loc, to.path,
                      fmt::format("'{}' gets each event with the object's size ({} from workload '{}'), not the "
                                  "1 KB or so of a real S3 event: its request count and size limit see the object",
                                  to.text, w.params.get("payload").text, w.name),
                      "where the queue's or topic's cost matters more than the bucket's, give the workload the "
                      "event's size as its payload, e.g. payload: 1KB");
        break;
      }
    }
    int given = 0;
    for (const char* k : kDestinations) given += item.record->get(k).present ? 1 : 0;
    if (given != 1)
      diags.error(item.loc, item.path,
                  given == 0 ? "a notification needs a destination: one of 'function', 'queue', 'topic', 'bus'"
                             : "a notification has one destination: give only one of 'function', 'queue', 'topic', "
                               "'bus'",
                  "write one notification per destination, e.g. notifications: [{queue: QUEUE}, {function: FN}]");
  }
}

struct Notification {
  ComponentId function = 0;  // the destination (a function, queue, topic or bus)
  std::uint16_t op = 0;
  double filter = 1;
};

class S3 final : public Service {
 public:
  explicit S3(const ServiceBuildContext& ctx)
      : Service(ctx.name(), "s3"),
        scenario_(ctx.scenario()),
        storage_class_(ctx.params().text("storage_class")),
        get_latency_(ctx.params().record("latency").dist("get")),
        put_latency_(ctx.params().record("latency").dist("put")),
        notification_delay_(ctx.params().dist("notification_delay")),
        stored_bytes_(ctx.params().size("stored")),
        latency_rng_(0),
        notify_rng_(0) {
    for (const Value& v : ctx.params().list("notifications")) {
      const Record& n = *v.record;
      static const char* const ops[] = {"invoke_async", "send", "publish", "service_event"};
      for (std::size_t k = 0; k < 4; ++k) {
        if (!n.has(kDestinations[k])) continue;
        const std::string to = n.text(kDestinations[k]);
        notifications_.push_back({ctx.id_of(to), ctx.op_index(to, ops[k]), n.number("filter")});
        break;
      }
    }
  }

  void start(Simulation& sim) override {
    latency_rng_ = sim.rng("service." + name() + ".latency");
    notify_rng_ = sim.rng("service." + name() + ".notifications");
    stored_gauge_.set(sim.now(), stored_bytes_);
  }

  void handle(Simulation& sim, const Event& e) override {
    if (e.kind == kCallEvent) {
      const CallHandle call{e.data};
      const Call& c = sim.call_info(call);
      if (c.op == kOpGet) {
        gets_.add();
        const SimTime latency = get_latency_.sample_ns(latency_rng_);
        latency_hist_.record(latency);
        retrieved_bytes_ += sim.request(c.request).payload_bytes;
        sim.reply(call, CallStatus::ok, latency);
        return;
      }
      // `items` is the number of objects the put creates (a delivery stream
      // writes one object over several puts: 1 for the first part, 0 after).
      puts_.add(c.items);
      const SimTime latency = put_latency_.sample_ns(latency_rng_);
      latency_hist_.record(latency);
      stored_bytes_ += sim.request(c.request).payload_bytes;
      stored_gauge_.set(sim.now(), stored_bytes_);
      // Notifications are asynchronous branches of the request: each is settled
      // when the destination has accepted its event (it opens its own branch).
      for (std::size_t i = 0; c.items > 0 && i < notifications_.size(); ++i) {  // once per object
        // One draw per notification per put, whatever the outcome.
        if (!notify_rng_.bernoulli(notifications_[i].filter)) continue;
        sim.open_branch(c.request);
        const SimTime delay = latency + notification_delay_.sample_ns(notify_rng_);
        const Handle pending = pending_.alloc(c.request);
        sim.call(id(), notifications_[i].function, notifications_[i].op, c.request, pending.bits, delay);
        notified_.add();
      }
      sim.reply(call, CallStatus::ok, latency);
      return;
    }
    if (e.kind == kReplyEvent) {
      // The destination accepted (it opened its own branch) or refused a notification.
      const Handle pending{e.data};
      const RequestHandle request = pending_.at(pending);
      pending_.free(pending);
      const bool accepted = reply_status(e) == CallStatus::ok;
      if (!accepted) failed_notifications_.add();
      sim.close_branch(request, accepted ? Outcome::succeeded : Outcome::dropped);
    }
  }

  void reset_statistics(SimTime now) override {
    for (Counter* c : {&puts_, &gets_, &notified_, &failed_notifications_}) c->reset();
    latency_hist_.reset();
    stored_gauge_.reset(now);
    retrieved_bytes_ = 0;
  }
  void finish(Simulation& sim) override { end_ = sim.now(); }

  void report(Json& out, double /*measured_seconds*/) const override {
    out["puts"] = puts_.value;
    out["gets"] = gets_.value;
    out["notifications"] = notified_.value;
    out["failed_notifications"] = failed_notifications_.value;
    out["storage_class"] = storage_class_;
    Json& stored = out["stored_gb"];
    stored["mean"] = stored_gauge_.mean(end_) / kGB;
    stored["max"] = stored_gauge_.max() / kGB;
    out["latency_ms"] = latency_json(latency_hist_);
  }

  void sample(TimeSeriesRow& row) override {
    row.count("puts", static_cast<double>(puts_.value));
    row.count("gets", static_cast<double>(gets_.value));
    row.count("notifications", static_cast<double>(notified_.value));
    row.count("failed_notifications", static_cast<double>(failed_notifications_.value));
    row.latency("latency_ms", latency_hist_);
  }

  void bill(CostLedger& ledger, const BillingPeriod& period) const override {
    const PriceCatalog price(scenario_);
    const std::string k = "s3." + storage_class_ + ".";
    const double gb_months = stored_gauge_.mean(end_) / kGB * period.measured_seconds() / kMonthSeconds;
    ledger.add(name(), "storage", gb_months, "GB-month", gb_months * price(k + "gb_month"), CostBasis::time,
               "the mean stored GB over the window, for the window's part of a month");
    ledger.add(name(), "put requests", static_cast<double>(puts_.value), "requests",
               static_cast<double>(puts_.value) * price(k + "put"));
    ledger.add(name(), "get requests", static_cast<double>(gets_.value), "requests",
               static_cast<double>(gets_.value) * price(k + "get"));
    if (storage_class_ != "standard") {
      const double gb = retrieved_bytes_ / kGB;
      ledger.add(name(), "retrieval", gb, "GB", gb * price(k + "retrieval_gb"));
    }
  }

 private:
  static constexpr double kGB = 1073741824.0;
  const Scenario& scenario_;
  std::string storage_class_;
  Distribution get_latency_, put_latency_, notification_delay_;
  std::vector<Notification> notifications_;
  Pool<RequestHandle> pending_;  // notifications waiting for the function's answer
  double stored_bytes_;
  double retrieved_bytes_ = 0;
  Rng latency_rng_, notify_rng_;
  Counter puts_, gets_, notified_, failed_notifications_;
  LatencyHistogram latency_hist_;
  TimeWeightedGauge stored_gauge_;
  SimTime end_ = 0;
};

}  // namespace

ServiceType s3_type() {
  ServiceType t;
  t.name = "s3";
  t.summary = "an S3 bucket: put/get latency, storage classes and their prices, notifications to functions, queues, "
              "topics and event buses";
  t.table = {"puts", "gets", "notifications", "failed_notifications", "stored_gb.mean", "latency_ms"};
  t.schema = &s3_schema();
  t.ops = {"put", "get"};  // indices kOpPut, kOpGet
  t.op_aliases = {{"PutObject", "write 'put'"},
                  {"CopyObject", "write 'put'"},
                  {"CompleteMultipartUpload", "write 'put' (one per object)"},
                  {"GetObject", "write 'get'"},
                  {"HeadObject", "write 'get'"}};
  t.forwards = {{"put", {"notification"}}};  // a GET notifies nobody
  t.build = &make_service<S3>;
  t.analytic = &s3_analytic;
  t.check = &check;
  return t;
}

}  // namespace slsim::models
