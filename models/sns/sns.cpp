#include "models/sns/sns.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
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

// A delivery retry policy (docs/model-assumptions.md §3, §18.1): retry k (0-based) waits
// delay(k) after the failed attempt. Phases: immediate (no delay), pre-backoff
// (min_delay apart), backoff (from min_delay to max_delay), post-backoff (max_delay apart).
struct RetryPolicy {
  std::uint32_t immediate = 0, pre = 0, post = 0;
  SimTime min_delay = 0, max_delay = 0;
  std::vector<SimTime> backoff;  // the backoff phase's delays

  std::uint32_t retries() const { return immediate + pre + static_cast<std::uint32_t>(backoff.size()) + post; }
  SimTime delay(std::uint32_t k) const {
    if (k < immediate) return 0;
    k -= immediate;
    if (k < pre) return min_delay;
    k -= pre;
    if (k < backoff.size()) return backoff[k];
    return max_delay;
  }
  // The sum of every retry's nominal delay.
  SimTime total() const {
    SimTime t = static_cast<SimTime>(pre) * min_delay + static_cast<SimTime>(post) * max_delay;
    for (SimTime d : backoff) t += d;
    return t;
  }
};

// The backoff phase's n delays from lo to hi: j = 0..n-1, f = j/(n-1), by the
// named function (docs/model-assumptions.md §18.1: AWS names the functions
// without publishing their curves, so these shapes are the model's reading).
std::vector<SimTime> backoff_delays(std::uint32_t n, SimTime lo, SimTime hi, const std::string& function) {
  std::vector<SimTime> out;
  const double a = static_cast<double>(lo), b = static_cast<double>(hi);
  for (std::uint32_t j = 0; j < n; ++j) {
    const double f = n > 1 ? static_cast<double>(j) / (n - 1) : 0.0;
    double d = a + (b - a) * f;  // linear
    if (function == "arithmetic") {
      d = a + (b - a) * f * f;
    } else if (function == "geometric" && a > 0) {
      d = a * std::pow(b / a, f);
    } else if (function == "exponential" && n > 1) {
      const double steps = static_cast<double>(n - 1);
      d = a + (b - a) * (std::exp2(steps * f) - 1.0) / (std::exp2(steps) - 1.0);
    }
    out.push_back(round_ns(d));
  }
  return out;
}

// The fixed policy for AWS-managed endpoints (SQS, Lambda): 3 at once, 2 after 1 s,
// 10 from 1 s to 20 s, then 100,000 every 20 s.
RetryPolicy aws_managed_policy() {
  return RetryPolicy{3, 2, 100000, kSecond, 20 * kSecond, backoff_delays(10, kSecond, 20 * kSecond, "geometric")};
}

// The fixed policy for customer-managed endpoints (e-mail, SMS): none at once, 2 after
// 10 s, 10 from 10 s to 600 s, then 38 every 600 s: 50 retries over more than 6 h.
RetryPolicy customer_managed_policy() {
  return RetryPolicy{0, 2, 38, 10 * kSecond, 600 * kSecond,
                     backoff_delays(10, 10 * kSecond, 600 * kSecond, "geometric")};
}

// AWS's default HTTP/S policy: 3 retries 20 s apart (linear backoff from 20 s to 20 s).
RetryPolicy default_http_policy() {
  return RetryPolicy{0, 0, 0, 20 * kSecond, 20 * kSecond, backoff_delays(3, 20 * kSecond, 20 * kSecond, "linear")};
}

// An HTTP/S subscription's delivery policy from its `delivery_policy` record.
RetryPolicy http_policy(const Record& p) {
  const auto count = [&](const char* key) { return static_cast<std::uint32_t>(p.integer(key)); };
  RetryPolicy r;
  r.immediate = count("num_no_delay_retries");
  r.pre = count("num_min_delay_retries");
  r.post = count("num_max_delay_retries");
  r.min_delay = p.duration("min_delay");
  r.max_delay = p.duration("max_delay");
  const std::uint32_t total = count("num_retries");
  const std::uint32_t fixed = r.immediate + r.pre + r.post;
  r.backoff = backoff_delays(total > fixed ? total - fixed : 0, r.min_delay, r.max_delay, p.text("backoff"));
  return r;
}

// The subscription's protocol: given, or from the endpoint's type.
std::string protocol_of(const Record& s, const Scenario& sc) {
  if (s.has("protocol")) return s.text("protocol");
  if (!s.has("to")) return "";
  const ServiceDecl* d = sc.find_service(s.text("to"));
  return d != nullptr && d->type != nullptr ? d->type->name : "";
}

bool outside_aws(const std::string& protocol) { return protocol == "email" || protocol == "email-json" || protocol == "sms"; }
bool is_http(const std::string& protocol) { return protocol == "http" || protocol == "https"; }

// The operation a subscriber of each type is sent (copies are asynchronous hand-offs).
const char* delivery_op(const std::string& type) {
  if (type == "lambda") return "invoke_async";
  if (type == "external") return "call";
  return "send";
}

bool is_fifo_queue(const ServiceDecl& d) {
  return d.type != nullptr && d.type->name == "sqs" && d.params.schema != nullptr &&
         d.params.schema->find("fifo") != nullptr && d.params.flag("fifo");
}

const Schema& delivery_policy_schema() {
  static const Schema s = [] {
    const auto count = [](const char* key, const char* def, const char* help) {
      ParamSpec c = param(key, ParamType::integer, "", def, help);
      c.min = 0;
      c.max = 100;
      return c;
    };
    ParamSpec retries = count("num_retries", "3", "retries after the first attempt, all phases together");
    ParamSpec no_delay = count("num_no_delay_retries", "0", "retries made at once (the immediate phase)");
    ParamSpec min_retries = count("num_min_delay_retries", "0", "retries min_delay apart (the pre-backoff phase)");
    ParamSpec max_retries = count("num_max_delay_retries", "0", "retries max_delay apart (the post-backoff phase)");
    ParamSpec min_delay = param("min_delay", ParamType::duration, "s", "20s", "the shortest delay (pre-backoff phase)");
    min_delay.min = 0;
    min_delay.max = 3600e9;
    ParamSpec max_delay = param("max_delay", ParamType::duration, "s", "20s",
                                "the longest delay (post-backoff phase); AWS allows at most 3600s");
    max_delay.min = 0;
    max_delay.max = 3600e9;
    max_delay.range_hint = "an SNS delivery policy's maxDelayTarget is at most 3600 seconds";
    ParamSpec backoff = param("backoff", ParamType::choice, "", "linear",
                              "how the backoff phase's delays grow from min_delay to max_delay (the curves are the "
                              "model's reading: docs/model-assumptions.md §18.1)");
    backoff.choices = {"linear", "arithmetic", "geometric", "exponential"};
    return Schema{"delivery policy",
                  "An HTTP/S subscription's delivery retry policy (AWS's healthyRetryPolicy). The retries' delays "
                  "together may not exceed 3600s.",
                  {retries, no_delay, min_retries, max_retries, min_delay, max_delay, backoff},
                  {{"healthy_retry_policy", "write the policy's keys directly under delivery_policy"},
                   {"min_delay_target", "write 'min_delay' with its unit, e.g. min_delay: 20s"},
                   {"max_delay_target", "write 'max_delay' with its unit, e.g. max_delay: 20s"},
                   {"backoff_function", "write 'backoff', e.g. backoff: exponential"},
                   {"throttle_policy", "not modelled: leave it out"},
                   {"max_receives_per_second", "not modelled: leave it out"}}};
  }();
  return s;
}

const Schema& subscriber_schema() {
  static const Schema s = [] {
    ParamSpec to = param("to", ParamType::reference, "", "",
                         "the subscribed endpoint: an sqs queue (gets a send), a lambda function (gets an "
                         "asynchronous invoke_async) or, with protocol http or https, an external service (gets a "
                         "call); leave it out for email and sms");
    to.ref_types = {"sqs", "lambda", "external"};
    to.edge = "subscriber";
    to.edge_op = EdgeOp::target_async;
    ParamSpec protocol = param("protocol", ParamType::choice, "", "",
                               "the subscription's protocol; by default the endpoint's type (sqs or lambda). email, "
                               "email-json and sms deliver outside AWS (no 'to'); http and https deliver to an "
                               "external service");
    protocol.choices = {"sqs", "lambda", "http", "https", "email", "email-json", "sms"};
    ParamSpec sub_name = param("name", ParamType::text, "", "",
                               "the subscription's name in the report (default: its 'to', or PROTOCOL-N for e-mail "
                               "and SMS, N its position in the list)");
    ParamSpec filter = param("filter", ParamType::probability, "", "1",
                             "fraction of the messages that match the subscription's filter policy (one draw per "
                             "subscription per message)");
    ParamSpec latency = param("latency", ParamType::distribution, "s", "{dist: lognormal, median: 2s, p99: 30s}",
                              "email and sms: time from the hand-off to the delivery (or failure) of one attempt. "
                              "UNCONFIRMED: AWS publishes no figure");
    latency.min = 0;
    ParamSpec errors = param("errors", ParamType::probability, "", "0",
                             "email and sms: probability that one delivery attempt fails (retried with the policy "
                             "for customer-managed endpoints)");
    ParamSpec country = param("country", ParamType::text, "", "",
                              "sms: the destination country (ISO code); priced at sns.sms.COUNTRY from the catalog "
                              "(default US) unless sms_price is given");
    ParamSpec sms_price = param("sms_price", ParamType::number, "USD", "",
                                "sms: the price of one message to the country (carrier fees included), which AWS "
                                "sets per country and route; required for a country without a catalog price");
    sms_price.min = 0;
    sms_price.max = 100;
    ParamSpec policy = param("delivery_policy", ParamType::record, "", "",
                             "http and https: the delivery retry policy (default: 3 retries 20 s apart)");
    policy.record = &delivery_policy_schema();
    ParamSpec dlq = param("dlq", ParamType::reference, "", "",
                          "optional: the subscription's dead-letter queue, which gets the copies whose delivery "
                          "retries ran out (without it they are dropped)");
    dlq.ref_types = {"sqs"};
    dlq.edge = "dlq";
    dlq.edge_op = EdgeOp::fixed;
    dlq.edge_op_name = "send";
    return Schema{"subscriber", "One subscription of the topic.",
                  {to, protocol, sub_name, filter, latency, errors, country, sms_price, policy, dlq},
                  {{"endpoint", "write 'to: SERVICE' (the queue, function or external service by its name under "
                                "services:); e-mail and SMS subscriptions have no 'to'"},
                   {"filter_policy", "write 'filter', the fraction of the messages the policy matches, e.g. filter: 0.3"},
                   {"redrive_policy", "write 'dlq: QUEUE'"},
                   {"dead_letter_queue", "write 'dlq: QUEUE'"},
                   {"retry_policy", "write 'delivery_policy:' (HTTP/S subscriptions only)"},
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
    return Schema{"sns", "An Amazon SNS topic: fan-out to SQS queues, Lambda functions, HTTP(S) endpoints, e-mail and "
                         "SMS with filters, each protocol's delivery retry policy and subscription dead-letter queues.",
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

// The checks of one subscription's protocol, endpoint and protocol-specific keys.
// False when the subscription has no AWS endpoint to check further.
bool check_protocol(const Record& s, const Scenario& sc, bool fifo_topic, Diagnostics& diags) {
  const Value& to = s.get("to");
  const Value& protocol = s.get("protocol");
  const std::string proto = protocol_of(s, sc);
  const ServiceDecl* target = to.present ? sc.find_service(to.text) : nullptr;
  const std::string type = target != nullptr && target->type != nullptr ? target->type->name : "";
  const auto only_for = [&](const char* key, const char* what, bool allowed) {
    const Value& v = s.get(key);
    if (v.present && !v.defaulted && !allowed)
      diags.error(v.loc, v.path, fmt::format("'{}' applies to {} subscriptions only", key, what),
                  "leave it out of this subscription");
  };
  only_for("delivery_policy", "http and https", is_http(proto));
  only_for("country", "sms", proto == "sms");
  only_for("sms_price", "sms", proto == "sms");
  only_for("latency", "email, email-json and sms", outside_aws(proto));
  only_for("errors", "email, email-json and sms", outside_aws(proto));
  if (fifo_topic && protocol.present && protocol.text != "sqs") {
    diags.error(protocol.loc, protocol.path,
                fmt::format("a FIFO topic delivers only to SQS queues, not over {}", protocol.text),
                "use a standard topic for this subscription");
    return false;
  }
  if (outside_aws(proto)) {
    if (to.present)
      diags.error(to.loc, to.path,
                  fmt::format("an {} subscription delivers outside AWS and has no 'to'", proto),
                  "leave 'to' out (name the subscription with 'name:' if you like)");
    if (proto == "sms" && s.get("country").present && !s.get("sms_price").present &&
        s.text("country") != "US")
      diags.error(s.get("country").loc, s.get("country").path,
                  fmt::format("no SMS price for country '{}' in the catalog (it has US only)", s.text("country")),
                  "give the price of one message with 'sms_price', e.g. sms_price: 0.05");
    return false;
  }
  if (!to.present) {
    diags.error(s.loc, s.path,
                protocol.present ? fmt::format("an {} subscription needs its endpoint: 'to: SERVICE'", proto)
                                 : "a subscription needs 'to: SERVICE' (an sqs queue or a lambda function) or a "
                                   "'protocol' of email, email-json or sms",
                "e.g. subscribers: [{to: QUEUE}, {protocol: email}]");
    return false;
  }
  if (type.empty()) return false;
  if (is_http(proto) && type != "external") {
    diags.error(to.loc, to.path,
                fmt::format("an {} subscription delivers to an external service, but '{}' is {}", proto, to.text,
                            a_or_an(type)),
                "leave 'protocol' out: the protocol follows from the endpoint's type");
    return false;
  }
  if (!is_http(proto) && type == "external") {
    diags.error(to.loc, to.path,
                fmt::format("SNS reaches an external service over HTTP: add 'protocol: https' (or http) to '{}'",
                            to.text));
    return false;
  }
  if (protocol.present && !is_http(proto) && proto != type) {
    diags.error(protocol.loc, protocol.path,
                fmt::format("protocol '{}' does not match the endpoint '{}', which is {}", proto, to.text,
                            a_or_an(type)),
                "leave 'protocol' out: the protocol follows from the endpoint's type");
    return false;
  }
  return true;
}

// An HTTP/S delivery policy's consistency: the phases fit in num_retries, and the
// retries' delays stay within AWS's 3,600 s (docs/model-assumptions.md §18.1).
void check_policy(const Record& s, Diagnostics& diags) {
  const Value& v = s.get("delivery_policy");
  if (!v.present || !v.record) return;
  const Record& p = *v.record;
  const std::int64_t phases =
      p.integer("num_no_delay_retries") + p.integer("num_min_delay_retries") + p.integer("num_max_delay_retries");
  if (phases > p.integer("num_retries")) {
    diags.error(v.loc, v.path,
                fmt::format("the delivery policy's phases have {} retries, more than num_retries ({})", phases,
                            p.integer("num_retries")),
                "num_no_delay_retries + num_min_delay_retries + num_max_delay_retries must be at most num_retries");
    return;
  }
  if (p.duration("min_delay") > p.duration("max_delay")) {
    diags.error(p.get("min_delay").loc, p.get("min_delay").path,
                fmt::format("min_delay ({}) is longer than max_delay ({})", p.get("min_delay").text,
                            p.get("max_delay").text));
    return;
  }
  const SimTime total = http_policy(p).total();
  if (total > 3600 * kSecond)
    diags.error(v.loc, v.path,
                fmt::format("the delivery policy's retries take {} s in all; SNS allows at most 3600 s",
                            static_cast<double>(total) / 1e9),
                "fewer retries or shorter delays");
}

void check(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Record& p = d.params;
  const bool fifo_topic = p.flag("fifo");
  const Value& subscribers = p.get("subscribers");
  if (subscribers.present && subscribers.items.empty())
    diags.warning(subscribers.loc, subscribers.path, "a topic without subscribers delivers nothing",
                  "publishes still succeed and are billed");
  std::vector<std::string> seen;
  std::vector<std::pair<std::string, bool>> names;  // (the name results use, taken from `to`)
  std::size_t position = 0;
  for (const Value& item : subscribers.items) {
    ++position;
    if (!item.record) continue;
    const Record& s = *item.record;
    check_policy(s, diags);
    // The name the results use for the subscription: unique within the topic.
    const std::string shown = s.has("name") ? s.text("name")
                              : s.has("to") ? s.text("to")
                                            : fmt::format("{}-{}", protocol_of(s, sc), position);
    const bool from_to = !s.has("name") && s.has("to");  // a repeated endpoint is reported below
    const auto same = std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == shown; });
    if (same != names.end() && !(from_to && same->second)) {
      const Value& at = s.has("name") ? s.get("name") : item;
      diags.error(at.loc, at.path, fmt::format("two subscriptions of this topic are named '{}'", shown),
                  "give one of them another 'name'");
    }
    names.emplace_back(shown, from_to);
    const bool aws_endpoint = check_protocol(s, sc, fifo_topic, diags);
    const Value& to = s.get("to");
    if (to.present) {
      if (std::find(seen.begin(), seen.end(), to.text) != seen.end())
        diags.error(to.loc, to.path, fmt::format("'{}' is already subscribed to this topic", to.text),
                    "SNS keeps one subscription per endpoint; combine the filters into one fraction");
      seen.push_back(to.text);
    }
    const ServiceDecl* target = aws_endpoint ? sc.find_service(to.text) : nullptr;
    if (target != nullptr && target->type != nullptr) {
      const std::string& type = target->type->name;
      const std::string op = delivery_op(type);
      const auto& ops = target->type->ops;
      if (std::find(ops.begin(), ops.end(), op) == ops.end())
        diags.error(to.loc, to.path,
                    fmt::format("SNS delivers to a {} with '{}', which this {} model does not accept (it has {})",
                                type, op, type, quoted_list(ops)));
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

// How a subscription's copies are delivered and billed.
enum class Kind : std::uint8_t { aws, http, email, sms };

struct Subscriber {
  std::string name;
  Kind kind = Kind::aws;
  ComponentId id = 0;  // aws and http: the endpoint
  std::uint16_t op = 0;
  double filter = 1;
  bool has_dlq = false;
  ComponentId dlq = 0;
  std::uint16_t dlq_op = 0;
  RetryPolicy policy;
  Distribution latency;   // email and sms: one attempt
  double errors = 0;      // email and sms: P(an attempt fails)
  double sms_price = 0;   // sms: USD per message
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
        jitter_rng_(ctx.sim().rng("service." + ctx.name() + ".jitter")),
        endpoint_rng_(ctx.sim().rng("service." + ctx.name() + ".endpoints")) {
    const PriceCatalog prices(ctx.scenario());
    std::size_t position = 0;
    for (const Value& v : ctx.params().list("subscribers")) {
      const Record& s = *v.record;
      ++position;
      Subscriber sub;
      const std::string protocol = protocol_of(s, ctx.scenario());
      sub.filter = s.number("filter");
      sub.kind = is_http(protocol)       ? Kind::http
                 : protocol == "sms"     ? Kind::sms
                 : outside_aws(protocol) ? Kind::email
                                         : Kind::aws;
      if (s.has("to")) {
        sub.name = s.text("to");
        const ServiceDecl* d = ctx.scenario().find_service(sub.name);
        sub.id = ctx.id_of(sub.name);
        sub.op = ctx.op_index(sub.name, delivery_op(d->type->name));
      } else {
        sub.name = fmt::format("{}-{}", protocol, position);
      }
      if (s.has("name")) sub.name = s.text("name");
      switch (sub.kind) {
        case Kind::aws: sub.policy = aws_managed_policy(); break;
        case Kind::http:
          sub.policy = s.has("delivery_policy") ? http_policy(s.record("delivery_policy")) : default_http_policy();
          break;
        case Kind::email:
        case Kind::sms:
          sub.policy = customer_managed_policy();
          sub.latency = s.dist("latency");
          sub.errors = s.number("errors");
          break;
      }
      if (sub.kind == Kind::sms)
        sub.sms_price = s.has("sms_price") ? s.number("sms_price") : prices("sns.sms.US");
      if (s.has("dlq")) {
        sub.has_dlq = true;
        sub.dlq = ctx.id_of(s.text("dlq"));
        sub.dlq_op = ctx.op_index(s.text("dlq"), "send");
      }
      has_kind_[static_cast<std::size_t>(sub.kind)] = true;
      subscribers_.push_back(std::move(sub));
    }
    stats_.resize(subscribers_.size());
    SnsAccount& account = ctx.sim().extension<SnsAccount>();
    account.topics.push_back(this);
    account_ = &account;
  }

  std::uint64_t billable() const { return billable_.value; }
  // Notifications handed to HTTP/S and e-mail endpoints (each copy once, retries included).
  std::uint64_t http_notifications() const { return notifications_[static_cast<std::size_t>(Kind::http)].value; }
  std::uint64_t email_notifications() const { return notifications_[static_cast<std::size_t>(Kind::email)].value; }
  std::uint64_t sms_notifications() const { return notifications_[static_cast<std::size_t>(Kind::sms)].value; }

  void handle(Simulation& sim, const Event& e) override {
    switch (e.kind) {
      case kCallEvent: on_publish(sim, CallHandle{e.data}); return;
      case kAck: on_ack(sim, Handle{e.data}); return;
      case kRetry: deliver(sim, Handle{e.data}); return;
      case kReplyEvent: on_delivery_reply(sim, Handle{e.data}, reply_status(e)); return;
      case kEndpointDone: on_endpoint_done(sim, Handle{e.data}); return;
      default: return;
    }
  }

  void reset_statistics(SimTime /*now*/) override {
    for (Counter& c : notifications_) c.reset();
    sms_usd_ = 0;
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
    // Copies handed to endpoints outside AWS, by kind (only the kinds the topic has).
    if (has_kind_[1] || has_kind_[2] || has_kind_[3]) {
      Json& n = out["notifications"];
      n = Json::object();
      if (has_kind_[static_cast<std::size_t>(Kind::http)]) n["http"] = http_notifications();
      if (has_kind_[static_cast<std::size_t>(Kind::email)]) n["email"] = email_notifications();
      if (has_kind_[static_cast<std::size_t>(Kind::sms)]) n["sms"] = sms_notifications();
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
    // Deliveries outside AWS (docs/model-assumptions.md §18.1): HTTP/S and e-mail per
    // notification after the account's monthly free tier (UNCONFIRMED), SMS per message.
    const bool free_tier = scenario_.account.flag("free_tier");
    const auto delivery_line = [&](Kind kind, const char* line, const char* unit, const char* price,
                                   const char* free_key, std::uint64_t (Sns::*count)() const) {
      if (!has_kind_[static_cast<std::size_t>(kind)]) return;
      std::vector<TierUsage> usage;
      for (const Sns* t : account_->topics)
        usage.push_back({static_cast<double>((t->*count)()), period.usage_to_month(t->name())});
      const double n = static_cast<double>((this->*count)());
      const std::vector<Tier> per{{std::numeric_limits<double>::infinity(), prices(price)}};
      ledger.add(name(), line, n, unit, shared_tiered_cost(n, usage, per, free_tier ? prices(free_key) : 0.0));
    };
    delivery_line(Kind::http, "http deliveries", "notifications", "sns.delivery.http", "sns.free_tier.http",
                  &Sns::http_notifications);
    delivery_line(Kind::email, "email deliveries", "notifications", "sns.delivery.email", "sns.free_tier.email",
                  &Sns::email_notifications);
    if (has_kind_[static_cast<std::size_t>(Kind::sms)])
      ledger.add(name(), "sms", static_cast<double>(sms_notifications()), "messages", sms_usd_);
  }

 private:
  enum : std::uint16_t { kAck = kFirstComponentEvent, kRetry, kEndpointDone };

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
      const Subscriber& sub = subscribers_[i];
      if (sub.kind != Kind::aws) {  // billed once per notification, retries included
        notifications_[static_cast<std::size_t>(sub.kind)].add();
        if (sub.kind == Kind::sms) sms_usd_ += sub.sms_price;
      }
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
    if (sub.kind == Kind::email || sub.kind == Kind::sms) {  // a terminal delivery outside AWS
      sim.schedule_in(sub.latency.sample_ns(endpoint_rng_), id(), kEndpointDone, c.bits);
      return;
    }
    sim.call(id(), sub.id, sub.op, messages_.at(copy.message).request, c.bits);
  }

  // An e-mail or SMS attempt ended: one draw of the subscription's errors.
  void on_endpoint_done(Simulation& sim, Handle c) {
    const Subscriber& sub = subscribers_[copies_.at(c).subscriber];
    on_delivery_reply(sim, c, endpoint_rng_.bernoulli(sub.errors) ? CallStatus::error : CallStatus::ok);
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
    // Refused or failed attempts are retried under the subscription's policy.
    if (copy.retries < sub.policy.retries()) {
      SimTime delay = sub.policy.delay(copy.retries);
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
  Rng latency_rng_, filter_rng_, jitter_rng_, endpoint_rng_;
  std::vector<Subscriber> subscribers_;
  bool has_kind_[4] = {};
  Counter notifications_[4];  // copies per Kind (the aws entry unused)
  double sms_usd_ = 0;
  SnsAccount* account_ = nullptr;
  Pool<Message> messages_;
  Pool<Copy> copies_;
  Counter published_, rejected_, delivered_, filtered_, failed_, retries_, to_dlq_, attempts_, billable_;
  std::vector<SubscriberStats> stats_;
  LatencyHistogram latency_hist_;
};

}  // namespace

std::string sns_protocol(const Record& subscriber, const Scenario& sc) { return protocol_of(subscriber, sc); }

std::uint32_t sns_policy_retries(const Record& subscriber, const Scenario& sc) {
  const std::string protocol = protocol_of(subscriber, sc);
  if (outside_aws(protocol)) return customer_managed_policy().retries();
  if (is_http(protocol))
    return subscriber.has("delivery_policy") ? http_policy(subscriber.record("delivery_policy")).retries()
                                             : default_http_policy().retries();
  return aws_managed_policy().retries();
}

ServiceType sns_type() {
  ServiceType t;
  t.name = "sns";
  t.summary = "an SNS topic: fan-out to queues, functions, HTTP(S), e-mail and SMS, filters, delivery policies, DLQs";
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
