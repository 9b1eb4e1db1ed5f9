#include "models/sqs/sqs.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/fargate/fargate.hpp"
#include "models/pricing/catalog.hpp"
#include "models/sqs/schema.hpp"
#include "sim/core/pool.hpp"
#include "sim/core/simulation.hpp"
#include "sim/core/timer.hpp"
#include "sim/core/token_bucket.hpp"
#include "sim/scenario/build.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/workload/workload.hpp"

namespace slsim::models {

namespace {

// The mapping's scaling and the API limits: models/sqs/schema.hpp.
constexpr std::int64_t kStartBatches = kSqsStartBatches;
constexpr std::int64_t kMaxBatches = kSqsMaxBatches;
constexpr SimTime kScaleStep = 200 * kMillisecond;
// Scale-down: after a whole minute without a message waiting for a poller the
// limit returns to the starting level (AWS does not publish the rule).
constexpr SimTime kScaleDownAfter = kMinute;
constexpr SimTime kLongPoll = kSqsLongPoll;
constexpr std::uint64_t kChunkBytes = kSqsChunkBytes;
constexpr std::uint64_t kApiBatch = kSqsApiBatch;
constexpr double kFifoApiRate = kSqsFifoApiRate;
constexpr std::int64_t kFifoApiBurst = 300;
// A redrive the dead-letter queue refused is retried after this long.
constexpr SimTime kRedriveRetryDelay = kSecond;
constexpr std::uint32_t kNone = 0xffffffffu;
// Tokens of calls to the dead-letter queue carry this bit (batch tokens do not).
constexpr std::uint64_t kRedriveTokenBit = std::uint64_t{1} << 31;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

enum class State : std::uint8_t {
  delayed,    // sent, not visible before `delay` ends
  visible,    // waiting for a poller
  in_flight,  // received: in a batch (forming or invoked)
  returning,  // its batch failed: invisible until its visibility timeout ends
  moving,     // being sent to the dead-letter queue
  gone,       // ended (deleted, expired, dead-lettered); kept while a worker still processes a receive of it
};

struct Message {
  RequestHandle request;
  SimTime sent_at = 0;      // enqueue time: retention and age count from it
  SimTime received_at = 0;  // last receive: the visibility timeout counts from it
  std::uint32_t age_prev = kNone, age_next = kNone;  // every message, in send order (retention)
  std::uint32_t q_prev = kNone, q_next = kNone;      // standard: the visible list; FIFO: its group, in send order
  std::uint32_t group = 0;
  std::uint32_t receives = 0;
  std::uint32_t receipts = 0;   // receives still being processed (more than one once a visibility timeout lapsed)
  std::uint32_t processed = 0;  // processings that succeeded (beyond the first: duplicates)
  State state = State::delayed;
  bool in_age_list = false;
  bool expire_due = false;  // retention passed while in flight: it expires when it would next be visible
};

struct List {
  std::uint32_t head = kNone, tail = kNone;
  std::uint64_t size = 0;
};

struct Group {
  List messages;          // every message of the group not yet deleted, in send order
  std::uint32_t gen = 0;  // generation of its pending return event
  bool locked = false;    // a batch is in flight, or its failed messages are not visible yet
  bool ready = false;     // listed in ready_
};

// One receive of a message, in its batch: a message whose visibility timeout
// ends while a worker still processes it can be received again, so it may be
// in several batches at once (docs/model-assumptions.md §2.5).
struct Receipt {
  Handle message;
  SimTime at = 0;              // the receive: its visibility timeout counts from here
  std::uint32_t receive = 0;   // the message's receive count at this receive
  std::uint32_t next = kNone;  // the next receipt of its batch
  bool lapsed = false;         // its visibility timeout ended while in flight
};

struct Batch {
  std::uint32_t head = kNone, tail = kNone;  // receipts
  std::uint32_t count = 0;
  std::uint32_t group = 0;
  bool forming = false;  // still collecting during the batching window
};

class Sqs;

// Every queue of one simulation: monthly tiers and the free tier apply to the account's volume.
struct SqsAccount final : SimulationExtension {
  std::vector<const Sqs*> queues;
};

class Sqs final : public Service, public WorkerQueue {
 public:
  explicit Sqs(const ServiceBuildContext& ctx);

  void start(Simulation& sim) override {
    if (workers_) fargate_attach_queue(sim, sim.component(function_), *this);
  }
  // A fargate consumer's running slots: the batches that may be in flight.
  void set_workers(Simulation& sim, std::int64_t slots) override {
    set_limit(sim, std::min(cap_, slots));
    dispatch(sim);
  }
  std::int64_t backlog() const override { return visible_count_; }

  void handle(Simulation& sim, const Event& e) override;
  void reset_statistics(SimTime now) override;
  void finish(Simulation& sim) override;
  void report(Json& out, double measured_seconds) const override;
  void bill(CostLedger& ledger, const BillingPeriod& period) const override;
  void sample(TimeSeriesRow& row) override;

  bool fifo() const { return fifo_; }
  double billable_requests() const { return billable_total_; }
  void observe(std::vector<SqsDeletion>* sink) { sink_ = sink; }

 private:
  enum : std::uint16_t {
    kVisible = kFirstComponentEvent,  // data: message handle (end of the delay)
    kReturn,                          // data: message handle (standard: end of its visibility timeout)
    kGroupReturn,                     // data: gen << 32 | group (FIFO: the failed messages are visible again)
    kExpire,                          // the oldest message reaches its retention
    kWindow,                          // data: batch handle (the batching window ended)
    kScaleUp,
    kScaleDown,
    kRedriveRetry,                    // data: message handle
    kLapse,                           // workers: the earliest watched visibility timeout ends
  };

  Message& msg(std::uint32_t i) { return msgs_.live_at(i); }

  // Intrusive lists.
  void age_push(std::uint32_t i);
  void age_unlink(SimTime now, std::uint32_t i);
  void q_push(List& l, std::uint32_t i);
  void q_unlink(List& l, std::uint32_t i);
  std::uint32_t q_pop(List& l);

  void on_send(Simulation& sim, CallHandle call);
  void on_visible(Simulation& sim, Handle h);
  void on_return(Simulation& sim, Handle h);
  void on_group_return(Simulation& sim, std::uint64_t data);
  void on_expire(Simulation& sim);
  void on_window(Simulation& sim, Handle b);
  void on_batch_reply(Simulation& sim, Handle b, const Event& e);
  void on_redrive_reply(Simulation& sim, Handle h, CallStatus status);
  void on_scale_up(Simulation& sim);
  void on_scale_down(Simulation& sim);
  void on_lapse(Simulation& sim);
  void watch_lapse(Simulation& sim, Handle b);
  void arm_lapse(Simulation& sim);

  std::uint32_t pick_group(Simulation& sim, RequestHandle r);
  void arm_expiry(Simulation& sim);
  void make_visible(Simulation& sim, std::uint32_t i);
  void resurface(Simulation& sim, std::uint32_t i);
  void remove_from_queue(Simulation& sim, std::uint32_t i);
  void end_message(Simulation& sim, std::uint32_t i, Outcome fate);
  void start_redrive(Simulation& sim, std::uint32_t i);
  void push_ready(std::uint32_t g);
  void ready_if_available(std::uint32_t g);
  bool group_available(std::uint32_t g);
  void prune_ready();
  bool backlog_waiting();

  void dispatch(Simulation& sim);
  void note_backlog(Simulation& sim);
  void take(Simulation& sim, Batch& b, std::uint32_t i);
  void launch(Simulation& sim, Handle b);
  void set_active(SimTime now, std::int64_t delta);
  void set_limit(Simulation& sim, std::int64_t limit);
  void set_visible(SimTime now, std::int64_t delta);
  void set_depth(SimTime now, std::int64_t delta);

  // Configuration.
  const Scenario& scenario_;
  bool fifo_;
  SimTime visibility_;
  SimTime retention_;
  SimTime delay_;
  std::uint32_t max_receives_ = 0;  // 0: no redrive
  ComponentId dlq_ = 0;
  std::uint16_t dlq_op_ = 0;
  bool consumer_ = false;
  bool workers_ = false;     // the consumer is a fargate service's slots
  ComponentId function_ = 0;  // the consumer: a lambda, or the fargate service
  std::uint16_t invoke_op_ = 0;
  std::uint32_t batch_size_ = 10;
  SimTime window_ = 0;
  bool partial_ = false;
  bool stale_deletes_ = true;  // workers: a delete with an earlier receive's handle deletes (§2.5)
  std::int64_t cap_ = 0;    // most concurrent batches
  std::int64_t start_ = 0;  // the starting level
  std::uint32_t group_count_ = 1;
  std::vector<bool> keyed_workload_;       // per workload index: the workload draws keys
  std::vector<ComponentId> redrive_from_;  // queues whose dead-letter queue this is
  std::vector<Tier> tiers_;
  double free_per_month_ = 0;
  SqsAccount* account_ = nullptr;

  // State.
  Pool<Message> msgs_;
  Pool<Batch> batches_;
  Pool<Receipt> receipts_;
  List age_;                       // every message in send order (the head is the oldest)
  List visible_;                   // standard: visible messages, oldest first
  std::vector<Group> groups_;      // FIFO
  std::deque<std::uint32_t> ready_;  // FIFO: groups that may have a batch taken (checked when popped)
  std::uint64_t next_group_ = 0;
  TokenBucket send_bucket_{kFifoApiRate, kFifoApiBurst};
  SimTime expiry_at_ = -1;         // time of the pending kExpire event, -1: none
  Handle forming_;                 // the batch collecting during its window
  std::int64_t active_ = 0;        // batches in flight (forming included)
  std::int64_t limit_ = 0;         // concurrent batches allowed now
  std::int64_t depth_ = 0;
  std::int64_t visible_count_ = 0;
  SimTime last_backlog_ = 0;
  Timer scale_up_, scale_down_;
  // Workers: (visibility timeout end of a batch's earliest receive, batch handle), earliest first.
  std::priority_queue<std::pair<SimTime, std::uint64_t>, std::vector<std::pair<SimTime, std::uint64_t>>,
                      std::greater<>>
      lapses_;
  SimTime lapse_at_ = -1;  // time of the pending kLapse event, -1: none
  std::vector<SqsDeletion>* sink_ = nullptr;

  // Statistics of the measured period.
  Counter sent_, redriven_in_, received_, deleted_, to_dlq_, expired_, throttles_, returned_;
  Counter batches_count_, failed_batches_, throttled_batches_, timed_out_batches_, partial_batches_;
  Counter send_requests_, receive_requests_, delete_requests_;
  Counter duplicates_, duplicated_messages_, lapsed_;
  TimeWeightedGauge depth_gauge_, visible_gauge_, active_gauge_, limit_gauge_, idle_pollers_;
  LatencyHistogram age_hist_;
  SimTime oldest_max_ = 0;
  SimTime end_ = 0;
  double empty_receives_ = 0;
  double billable_total_ = 0;
};

Sqs::Sqs(const ServiceBuildContext& ctx)
    : Service(ctx.name(), "sqs"),
      scenario_(ctx.scenario()),
      fifo_(ctx.params().flag("fifo")),
      visibility_(ctx.params().duration("visibility_timeout")),
      retention_(ctx.params().duration("retention")),
      delay_(ctx.params().duration("delay")) {
  const Record& p = ctx.params();
  const Scenario& sc = ctx.scenario();
  if (p.has("dlq")) {
    max_receives_ = static_cast<std::uint32_t>(p.integer("max_receive_count"));
    dlq_ = ctx.id_of(p.text("dlq"));
    dlq_op_ = ctx.op_index(p.text("dlq"), "send");
  }
  if (fifo_) {
    group_count_ = static_cast<std::uint32_t>(p.integer("groups"));
    groups_.resize(group_count_);
  }
  if (p.has("consumer")) {
    const Record& c = p.record("consumer");
    consumer_ = true;
    batch_size_ = static_cast<std::uint32_t>(c.integer("batch_size"));
    window_ = c.duration("batch_window");
    partial_ = c.flag("report_batch_item_failures");
    if (c.has("workers")) {
      // Workers delete each message they process: only the failed ones return.
      // Their running slots set the limit (set_workers), from none at the start.
      const std::string& svc = c.text("workers");
      workers_ = true;
      partial_ = true;
      stale_deletes_ = c.text("stale_delete") == "deletes";
      function_ = ctx.id_of(svc);
      invoke_op_ = ctx.op_index(svc, "request");
      cap_ = c.has("max_concurrency") ? c.integer("max_concurrency") : std::numeric_limits<std::int64_t>::max();
      start_ = 0;
      limit_ = 0;
    } else {
      const std::string& fn = c.text("function");
      function_ = ctx.id_of(fn);
      invoke_op_ = ctx.op_index(fn, "invoke");
      cap_ = kMaxBatches;
      if (c.has("max_concurrency")) cap_ = std::min(cap_, c.integer("max_concurrency"));
      const ServiceDecl* f = sc.find_service(fn);
      if (f->params.has("reserved_concurrency")) cap_ = std::min(cap_, f->params.integer("reserved_concurrency"));
      start_ = std::min(kStartBatches, cap_);
      limit_ = start_;
    }
  }
  for (const auto& w : sc.workloads) keyed_workload_.push_back(w.params.has("keys"));
  for (const auto& s : sc.services)
    if (s.type != nullptr && s.type->name == "sqs" && s.params.has("dlq") && s.params.text("dlq") == ctx.name())
      redrive_from_.push_back(ctx.id_of(s.name));

  const PriceCatalog prices(sc);
  const std::string k = fifo_ ? "fifo" : "standard";
  tiers_ = {{100e9, prices("sqs.request." + k + ".tier1")},
            {200e9, prices("sqs.request." + k + ".tier2")},
            {std::numeric_limits<double>::infinity(), prices("sqs.request." + k + ".tier3")}};
  free_per_month_ = sc.account.flag("free_tier") ? prices("sqs.free_tier.requests") : 0.0;
  account_ = &ctx.sim().extension<SqsAccount>();
  account_->queues.push_back(this);
  limit_gauge_.set(0, static_cast<double>(limit_));
  idle_pollers_.set(0, static_cast<double>(limit_));
}

// --- intrusive lists ------------------------------------------------------------

void Sqs::age_push(std::uint32_t i) {
  Message& m = msg(i);
  m.age_prev = age_.tail;
  m.age_next = kNone;
  if (age_.tail != kNone) msg(age_.tail).age_next = i;
  else age_.head = i;
  age_.tail = i;
  ++age_.size;
  m.in_age_list = true;
}

void Sqs::age_unlink(SimTime now, std::uint32_t i) {
  Message& m = msg(i);
  if (!m.in_age_list) return;
  // The oldest message's age only grows until it leaves: its maximum is reached here.
  if (age_.head == i) oldest_max_ = std::max(oldest_max_, now - m.sent_at);
  if (m.age_prev != kNone) msg(m.age_prev).age_next = m.age_next;
  else age_.head = m.age_next;
  if (m.age_next != kNone) msg(m.age_next).age_prev = m.age_prev;
  else age_.tail = m.age_prev;
  --age_.size;
  m.in_age_list = false;
  m.age_prev = m.age_next = kNone;
}

void Sqs::q_push(List& l, std::uint32_t i) {
  Message& m = msg(i);
  m.q_prev = l.tail;
  m.q_next = kNone;
  if (l.tail != kNone) msg(l.tail).q_next = i;
  else l.head = i;
  l.tail = i;
  ++l.size;
}

void Sqs::q_unlink(List& l, std::uint32_t i) {
  Message& m = msg(i);
  if (m.q_prev != kNone) msg(m.q_prev).q_next = m.q_next;
  else l.head = m.q_next;
  if (m.q_next != kNone) msg(m.q_next).q_prev = m.q_prev;
  else l.tail = m.q_prev;
  --l.size;
  m.q_prev = m.q_next = kNone;
}

std::uint32_t Sqs::q_pop(List& l) {
  const std::uint32_t i = l.head;
  q_unlink(l, i);
  return i;
}

// --- gauges -------------------------------------------------------------------

void Sqs::set_active(SimTime now, std::int64_t delta) {
  active_ += delta;
  active_gauge_.set(now, static_cast<double>(active_));
  idle_pollers_.set(now, static_cast<double>(std::max<std::int64_t>(0, limit_ - active_)));
}

void Sqs::set_limit(Simulation& sim, std::int64_t limit) {
  limit_ = limit;
  limit_gauge_.set(sim.now(), static_cast<double>(limit_));
  idle_pollers_.set(sim.now(), static_cast<double>(std::max<std::int64_t>(0, limit_ - active_)));
}

void Sqs::set_visible(SimTime now, std::int64_t delta) {
  visible_count_ += delta;
  visible_gauge_.set(now, static_cast<double>(visible_count_));
}

void Sqs::set_depth(SimTime now, std::int64_t delta) {
  depth_ += delta;
  depth_gauge_.set(now, static_cast<double>(depth_));
}

// --- events -------------------------------------------------------------------

void Sqs::handle(Simulation& sim, const Event& e) {
  switch (e.kind) {
    case kCallEvent: on_send(sim, CallHandle{e.data}); return;
    case kReplyEvent:
      if (e.data & kRedriveTokenBit) on_redrive_reply(sim, Handle{e.data & ~kRedriveTokenBit}, reply_status(e));
      else on_batch_reply(sim, Handle{e.data}, e);
      return;
    case kVisible: on_visible(sim, Handle{e.data}); return;
    case kReturn: on_return(sim, Handle{e.data}); return;
    case kGroupReturn: on_group_return(sim, e.data); return;
    case kExpire:
      if (e.time == expiry_at_) on_expire(sim);
      return;
    case kWindow: on_window(sim, Handle{e.data}); return;
    case kScaleUp:
      if (scale_up_.fires(e)) on_scale_up(sim);
      return;
    case kScaleDown:
      if (scale_down_.fires(e)) on_scale_down(sim);
      return;
    case kLapse:
      if (e.time == lapse_at_) on_lapse(sim);
      return;
    case kRedriveRetry: {
      const Handle h{e.data};
      if (msgs_.get(h) != nullptr) sim.call_detached(id(), dlq_, dlq_op_, msgs_.at(h).request, h.bits | kRedriveTokenBit);
      return;
    }
    default: return;
  }
}

std::uint32_t Sqs::pick_group(Simulation& sim, RequestHandle r) {
  if (group_count_ <= 1) return 0;
  const Request& req = sim.request(r);
  if (req.workload < keyed_workload_.size() && keyed_workload_[req.workload])
    return static_cast<std::uint32_t>(req.key % group_count_);
  return static_cast<std::uint32_t>(next_group_++ % group_count_);
}

void Sqs::on_send(Simulation& sim, CallHandle call) {
  const SimTime now = sim.now();
  const Call& c = sim.call_info(call);
  const RequestHandle r = c.request;
  // A redrive from a source queue is internal: neither throttled nor billed as a send.
  const bool redrive = std::find(redrive_from_.begin(), redrive_from_.end(), c.caller) != redrive_from_.end();
  if (fifo_ && !redrive && !send_bucket_.try_take(now)) {
    throttles_.add();
    sim.reply(call, CallStatus::throttled);
    return;
  }
  sim.open_branch(r);
  sent_.add();
  if (redrive) {
    redriven_in_.add();
  } else {
    const std::uint64_t bytes = sim.request(r).payload_bytes;
    send_requests_.add(bytes > kChunkBytes ? ceil_div(bytes, kChunkBytes) : 1);
  }
  Message m;
  m.request = r;
  m.sent_at = now;
  m.group = fifo_ ? pick_group(sim, r) : 0;
  m.state = State::delayed;
  const Handle h = msgs_.alloc(m);
  const std::uint32_t i = h.index();
  age_push(i);
  set_depth(now, +1);
  if (fifo_) q_push(groups_[m.group].messages, i);
  arm_expiry(sim);
  sim.reply(call, CallStatus::ok);
  if (delay_ > 0) {
    sim.schedule_in(delay_, id(), kVisible, h.bits);
    return;
  }
  make_visible(sim, i);
  dispatch(sim);
}

void Sqs::arm_expiry(Simulation& sim) {
  // At most one pending expiry event: for the oldest message. Messages join
  // the age list in send order, so the head's expiry only moves later.
  if (expiry_at_ >= 0 || age_.head == kNone) return;
  expiry_at_ = msg(age_.head).sent_at + retention_;
  sim.schedule_at(expiry_at_, id(), kExpire);
}

void Sqs::make_visible(Simulation& sim, std::uint32_t i) {
  Message& m = msg(i);
  m.state = State::visible;
  set_visible(sim.now(), +1);
  if (fifo_) ready_if_available(m.group);
  else q_push(visible_, i);
}

void Sqs::on_visible(Simulation& sim, Handle h) {
  Message* m = msgs_.get(h);
  if (m == nullptr || m->state != State::delayed) return;  // expired meanwhile
  make_visible(sim, h.index());
  dispatch(sim);
}

// A failed message's visibility timeout ended: it expires, moves to the
// dead-letter queue, or becomes visible again.
void Sqs::resurface(Simulation& sim, std::uint32_t i) {
  Message& m = msg(i);
  if (m.expire_due) {
    remove_from_queue(sim, i);
    end_message(sim, i, Outcome::expired);
  } else if (max_receives_ > 0 && m.receives >= max_receives_) {
    start_redrive(sim, i);
  } else {
    make_visible(sim, i);
  }
}

void Sqs::on_return(Simulation& sim, Handle h) {
  Message* m = msgs_.get(h);
  if (m == nullptr || m->state != State::returning) return;  // expired meanwhile
  resurface(sim, h.index());
  dispatch(sim);
}

void Sqs::on_group_return(Simulation& sim, std::uint64_t data) {
  const auto g = static_cast<std::uint32_t>(data);
  const auto gen = static_cast<std::uint32_t>(data >> 32);
  Group& group = groups_[g];
  if (group.gen != gen || !group.locked) return;
  // The failed messages are the first of the group (the ones before them were deleted).
  std::uint32_t i = group.messages.head;
  while (i != kNone && msg(i).state == State::returning) {
    const std::uint32_t next = msg(i).q_next;
    resurface(sim, i);
    i = next;
  }
  group.locked = false;
  ready_if_available(g);
  dispatch(sim);
}

// Takes a waiting (not in flight) message out of its list.
void Sqs::remove_from_queue(Simulation& sim, std::uint32_t i) {
  Message& m = msg(i);
  if (m.state == State::visible) {
    set_visible(sim.now(), -1);
    if (!fifo_) q_unlink(visible_, i);
  }
  if (fifo_) {
    const bool was_head = groups_[m.group].messages.head == i;
    q_unlink(groups_[m.group].messages, i);
    if (was_head) ready_if_available(m.group);
  }
}

void Sqs::end_message(Simulation& sim, std::uint32_t i, Outcome fate) {
  const SimTime now = sim.now();
  age_unlink(now, i);
  Message& m = msg(i);
  const RequestHandle r = m.request;
  // A worker still processing a receive of it finds it gone when it finishes.
  if (m.receipts > 0) m.state = State::gone;
  else msgs_.free(msgs_.handle_at(i));
  set_depth(now, -1);
  switch (fate) {
    case Outcome::expired: expired_.add(); break;
    case Outcome::dead_lettered: to_dlq_.add(); break;
    default: break;
  }
  sim.close_branch(r, fate);
}

void Sqs::start_redrive(Simulation& sim, std::uint32_t i) {
  remove_from_queue(sim, i);
  age_unlink(sim.now(), i);
  Message& m = msg(i);
  m.state = State::moving;
  sim.call_detached(id(), dlq_, dlq_op_, m.request, msgs_.handle_at(i).bits | kRedriveTokenBit);
}

void Sqs::on_redrive_reply(Simulation& sim, Handle h, CallStatus status) {
  if (msgs_.get(h) == nullptr) return;
  if (status != CallStatus::ok) {
    sim.schedule_in(kRedriveRetryDelay, id(), kRedriveRetry, h.bits);
    return;
  }
  end_message(sim, h.index(), Outcome::dead_lettered);
}

void Sqs::on_expire(Simulation& sim) {
  const SimTime now = sim.now();
  expiry_at_ = -1;
  while (age_.head != kNone && msg(age_.head).sent_at + retention_ <= now) {
    const std::uint32_t i = age_.head;
    Message& m = msg(i);
    switch (m.state) {
      case State::in_flight:
        // It expires when it would next become visible (if its batch fails).
        m.expire_due = true;
        age_unlink(now, i);
        break;
      case State::moving:
      case State::gone: age_unlink(now, i); break;
      case State::delayed:
      case State::visible:
      case State::returning:
        remove_from_queue(sim, i);
        end_message(sim, i, Outcome::expired);
        break;
    }
  }
  arm_expiry(sim);
  dispatch(sim);
}

// --- FIFO groups --------------------------------------------------------------

bool Sqs::group_available(std::uint32_t g) {
  const Group& group = groups_[g];
  return !group.locked && group.messages.head != kNone && msg(group.messages.head).state == State::visible;
}

void Sqs::push_ready(std::uint32_t g) {
  if (groups_[g].ready) return;
  groups_[g].ready = true;
  ready_.push_back(g);
}

void Sqs::ready_if_available(std::uint32_t g) {
  if (group_available(g)) push_ready(g);
}

void Sqs::prune_ready() {
  while (!ready_.empty() && !group_available(ready_.front())) {
    groups_[ready_.front()].ready = false;
    ready_.pop_front();
  }
}

bool Sqs::backlog_waiting() {
  if (!fifo_) return visible_.size > 0;
  prune_ready();
  return !ready_.empty();
}

// --- the event source mapping ---------------------------------------------------

void Sqs::note_backlog(Simulation& sim) {
  last_backlog_ = sim.now();
  if (workers_) return;  // the workers' slots scale with their service, not here
  if (limit_ < cap_ && !scale_up_.armed()) scale_up_.schedule_at(sim, sim.now() + kScaleStep, id(), kScaleUp);
}

void Sqs::on_scale_up(Simulation& sim) {
  if (!backlog_waiting() || active_ < limit_ || limit_ >= cap_) return;
  set_limit(sim, limit_ + 1);
  if (!scale_down_.armed()) scale_down_.schedule_at(sim, sim.now() + kScaleDownAfter, id(), kScaleDown);
  dispatch(sim);
}

void Sqs::on_scale_down(Simulation& sim) {
  const SimTime now = sim.now();
  if (now - last_backlog_ >= kScaleDownAfter && !backlog_waiting())
    set_limit(sim, std::max(start_, active_));
  if (limit_ > start_) scale_down_.schedule_at(sim, now + kScaleDownAfter, id(), kScaleDown);
}

void Sqs::take(Simulation& sim, Batch& b, std::uint32_t i) {
  Message& m = msg(i);
  m.state = State::in_flight;
  m.received_at = sim.now();
  ++m.receives;
  ++m.receipts;
  const Handle rh = receipts_.alloc(Receipt{msgs_.handle_at(i), m.received_at, m.receives, kNone, false});
  if (b.tail != kNone) receipts_.live_at(b.tail).next = rh.index();
  else b.head = rh.index();
  b.tail = rh.index();
  ++b.count;
  received_.add();
  set_visible(sim.now(), -1);
}

void Sqs::dispatch(Simulation& sim) {
  if (!consumer_) return;
  const SimTime now = sim.now();
  if (!fifo_) {
    while (visible_.size > 0) {
      if (forming_.valid()) {
        Batch& b = batches_.at(forming_);
        while (b.count < batch_size_ && visible_.size > 0) take(sim, b, q_pop(visible_));
        if (b.count < batch_size_) break;
        const Handle full = forming_;
        forming_ = Handle{};
        launch(sim, full);
        continue;
      }
      if (active_ >= limit_) {
        note_backlog(sim);
        break;
      }
      const Handle bh = batches_.alloc(Batch{});
      set_active(now, +1);
      Batch& b = batches_.at(bh);
      while (b.count < batch_size_ && visible_.size > 0) take(sim, b, q_pop(visible_));
      if (b.count < batch_size_ && window_ > 0) {
        b.forming = true;
        forming_ = bh;
        sim.schedule_in(window_, id(), kWindow, bh.bits);
      } else {
        launch(sim, bh);
      }
    }
    return;
  }
  for (;;) {
    prune_ready();
    if (ready_.empty()) break;
    if (active_ >= limit_) {
      note_backlog(sim);
      break;
    }
    const std::uint32_t g = ready_.front();
    ready_.pop_front();
    Group& group = groups_[g];
    group.ready = false;
    group.locked = true;
    const Handle bh = batches_.alloc(Batch{});
    set_active(now, +1);
    Batch& b = batches_.at(bh);
    b.group = g;
    // One group per batch, its messages in order: consecutive visible ones from the head.
    std::uint32_t i = group.messages.head;
    while (i != kNone && b.count < batch_size_ && msg(i).state == State::visible) {
      const std::uint32_t next = msg(i).q_next;
      take(sim, b, i);
      i = next;
    }
    launch(sim, bh);
  }
}

void Sqs::on_window(Simulation& sim, Handle bh) {
  if (!(forming_ == bh)) return;  // launched when it filled up
  forming_ = Handle{};
  launch(sim, bh);
}

void Sqs::launch(Simulation& sim, Handle bh) {
  Batch& b = batches_.at(bh);
  b.forming = false;
  batches_count_.add();
  receive_requests_.add(ceil_div(b.count, kApiBatch));
  sim.call(id(), function_, invoke_op_, msgs_.at(receipts_.live_at(b.head).message).request, bh.bits, 0, b.count);
  watch_lapse(sim, bh);
  arm_lapse(sim);
}

// Workers process a batch's messages one after the other and may outlast the
// visibility timeout: watch the batch's earliest receive still in time. A Lambda
// consumer's batch ends within the function's timeout, which the loader keeps
// below the visibility timeout (batching windows aside: not modelled), and FIFO
// queues do not redeliver in flight (simplified).
void Sqs::watch_lapse(Simulation& sim, Handle bh) {
  if (!workers_ || fifo_) return;
  const Batch& b = batches_.at(bh);
  SimTime first = -1;
  for (std::uint32_t r = b.head; r != kNone; r = receipts_.live_at(r).next) {
    const Receipt& rc = receipts_.live_at(r);
    if (!rc.lapsed && (first < 0 || rc.at < first)) first = rc.at;
  }
  if (first >= 0) lapses_.push({std::max(sim.now(), first + visibility_), bh.bits});
}

// One pending event, for the earliest watched batch still in flight: batches
// answered in time leave the heap here, without an event each.
void Sqs::arm_lapse(Simulation& sim) {
  while (!lapses_.empty() && batches_.get(Handle{lapses_.top().second}) == nullptr) lapses_.pop();
  if (lapses_.empty()) return;
  const SimTime at = lapses_.top().first;
  if (lapse_at_ >= 0 && lapse_at_ <= at) return;
  lapse_at_ = at;
  sim.schedule_at(at, id(), kLapse);
}

// A receive's visibility timeout ended while its worker still processes it: the
// message is visible again (or expires, or moves to the DLQ) unless a later
// receive or a delete came first. The worker goes on; its delete comes late.
void Sqs::on_lapse(Simulation& sim) {
  const SimTime now = sim.now();
  lapse_at_ = -1;
  while (!lapses_.empty() && lapses_.top().first <= now) {
    const Handle bh{lapses_.top().second};
    lapses_.pop();
    if (batches_.get(bh) == nullptr) continue;  // answered in time
    for (std::uint32_t r = batches_.at(bh).head; r != kNone; r = receipts_.live_at(r).next) {
      Receipt& rc = receipts_.live_at(r);
      if (rc.lapsed || rc.at + visibility_ > now) continue;
      rc.lapsed = true;
      Message& m = msgs_.at(rc.message);
      if (m.state != State::in_flight || m.receives != rc.receive) continue;
      lapsed_.add();
      resurface(sim, rc.message.index());
    }
    watch_lapse(sim, bh);  // its receives still in time (a batching window spreads them)
  }
  arm_lapse(sim);
  dispatch(sim);
}

void Sqs::on_batch_reply(Simulation& sim, Handle bh, const Event& e) {
  const SimTime now = sim.now();
  const Batch b = batches_.at(bh);
  batches_.free(bh);
  set_active(now, -1);
  const CallStatus status = reply_status(e);
  const std::uint32_t reported = std::min(reply_failed_items(e), b.count);
  // How many of the batch's last messages failed.
  std::uint32_t failed = 0;
  switch (status) {
    case CallStatus::ok: failed = partial_ ? reported : 0; break;
    case CallStatus::error:
      // An error without an item list fails the whole batch (the handler threw).
      failed = partial_ && reported > 0 ? reported : b.count;
      break;
    case CallStatus::throttled: throttled_batches_.add(); failed = b.count; break;
    case CallStatus::timeout: timed_out_batches_.add(); failed = b.count; break;
  }
  if (failed == b.count) failed_batches_.add();
  else if (failed > 0) partial_batches_.add();
  const std::uint32_t succeeded = b.count - failed;
  if (succeeded > 0) delete_requests_.add(ceil_div(succeeded, kApiBatch));
  SimTime first_failed_receive = -1;
  std::uint32_t r = b.head;
  for (std::uint32_t k = 0; k < b.count; ++k) {
    const Receipt rc = receipts_.live_at(r);
    receipts_.free(receipts_.handle_at(r));
    r = rc.next;
    const std::uint32_t i = rc.message.index();
    Message& m = msg(i);
    --m.receipts;
    if (k < succeeded) {
      ++m.processed;
      if (m.processed > 1) {
        // Processed again: a visibility timeout lapsed while an earlier receive was being processed.
        duplicates_.add();
        if (m.processed == 2) duplicated_messages_.add();
      }
      if (m.state == State::gone || m.state == State::moving) {
        // Deleted (or dead-lettered) already: this delete is late and does nothing.
        if (m.state == State::gone && m.receipts == 0) msgs_.free(rc.message);
        continue;
      }
      // A delete with an earlier receive's handle: deleted or ignored (§2.5, UNCONFIRMED).
      if (m.receives != rc.receive && !stale_deletes_) continue;
      deleted_.add();
      age_hist_.record(now - m.sent_at);
      if (sink_ != nullptr) sink_->push_back({m.group, sim.request(m.request).id, m.receives});
      if (m.state == State::visible) remove_from_queue(sim, i);
      else if (fifo_) q_unlink(groups_[m.group].messages, i);
      end_message(sim, i, Outcome::succeeded);
    } else if (m.state == State::in_flight && m.receives == rc.receive) {
      returned_.add();
      m.state = State::returning;
      // Lambda does not change the visibility: it ends one timeout after the receive.
      const SimTime at = std::max(now, m.received_at + visibility_);
      if (first_failed_receive < 0) first_failed_receive = at;
      if (!fifo_) sim.schedule_at(at, id(), kReturn, msgs_.handle_at(i).bits);
    } else if (m.state == State::gone && m.receipts == 0) {
      // A stale receive failed: the message's later receive or its end decides.
      msgs_.free(rc.message);
    }
  }
  if (fifo_) {
    Group& group = groups_[b.group];
    if (failed == 0) {
      group.locked = false;
      ready_if_available(b.group);
    } else {
      // The group stays blocked until its failed messages are visible again.
      ++group.gen;
      sim.schedule_at(first_failed_receive, id(), kGroupReturn,
                      (std::uint64_t{group.gen} << 32) | b.group);
    }
  }
  dispatch(sim);
}

// --- statistics ------------------------------------------------------------------

void Sqs::reset_statistics(SimTime now) {
  for (Counter* c : {&sent_, &redriven_in_, &received_, &deleted_, &to_dlq_, &expired_, &throttles_, &returned_,
                     &batches_count_, &failed_batches_, &throttled_batches_, &timed_out_batches_, &partial_batches_,
                     &send_requests_, &receive_requests_, &delete_requests_, &duplicates_, &duplicated_messages_,
                     &lapsed_})
    c->reset();
  for (TimeWeightedGauge* g : {&depth_gauge_, &visible_gauge_, &active_gauge_, &limit_gauge_, &idle_pollers_})
    g->reset(now);
  age_hist_.reset();
  oldest_max_ = 0;
}

void Sqs::finish(Simulation& sim) {
  end_ = sim.now();
  if (age_.head != kNone) oldest_max_ = std::max(oldest_max_, end_ - msg(age_.head).sent_at);
  empty_receives_ =
      consumer_ ? static_cast<double>(idle_pollers_.integral(end_) / static_cast<long double>(kLongPoll)) : 0.0;
  billable_total_ = static_cast<double>(send_requests_.value + receive_requests_.value + delete_requests_.value) +
                    empty_receives_;
}

void Sqs::sample(TimeSeriesRow& row) {
  row.count("sent", static_cast<double>(sent_.value));
  row.count("received", static_cast<double>(received_.value));
  row.count("deleted", static_cast<double>(deleted_.value));
  row.count("to_dlq", static_cast<double>(to_dlq_.value));
  row.count("expired", static_cast<double>(expired_.value));
  row.count("throttles", static_cast<double>(throttles_.value));
  row.gauge("depth", depth_gauge_);
  row.level("oldest_age_ms", age_.head != kNone ? to_millis(row.time() - msg(age_.head).sent_at) : 0.0);
  row.latency("age_ms", age_hist_);
  if (consumer_) row.gauge("pollers", active_gauge_);
}

void Sqs::report(Json& out, double /*measured_seconds*/) const {
  out["fifo"] = fifo_;
  out["sent"] = sent_.value;
  out["received"] = received_.value;
  out["deleted"] = deleted_.value;
  out["to_dlq"] = to_dlq_.value;
  out["expired"] = expired_.value;
  out["throttles"] = throttles_.value;
  out["returned"] = returned_.value;
  if (!redrive_from_.empty()) out["redriven_in"] = redriven_in_.value;
  if (workers_ && !fifo_) {
    // Workers can outlast the visibility timeout (docs/results.md).
    out["visibility_lapsed"] = lapsed_.value;
    out["duplicates"] = duplicates_.value;
    out["duplicated_messages"] = duplicated_messages_.value;
  }
  Json& depth = out["depth"];
  depth["max"] = depth_gauge_.max();
  depth["mean"] = depth_gauge_.mean(end_);
  depth["final"] = depth_;
  Json& visible = out["visible"];
  visible["max"] = visible_gauge_.max();
  visible["mean"] = visible_gauge_.mean(end_);
  out["age_ms"] = latency_json(age_hist_);
  out["oldest_age_ms"] = to_millis(oldest_max_);
  if (consumer_) {
    Json& batches = out["batches"];
    batches["invoked"] = batches_count_.value;
    batches["failed"] = failed_batches_.value;
    batches["partial"] = partial_batches_.value;
    batches["throttled"] = throttled_batches_.value;
    batches["timed_out"] = timed_out_batches_.value;
    Json& pollers = out["pollers"];
    pollers["max"] = active_gauge_.max();
    pollers["mean"] = active_gauge_.mean(end_);
    pollers["limit_max"] = limit_gauge_.max();
    pollers["limit_final"] = limit_;
  }
  if (fifo_) out["groups"] = group_count_;
  Json& requests = out["requests"];
  requests["send"] = send_requests_.value;
  requests["receive"] = receive_requests_.value;
  requests["empty_receive"] = empty_receives_;
  requests["delete"] = delete_requests_.value;
  requests["total"] = billable_total_;
}

void Sqs::bill(CostLedger& ledger, const BillingPeriod& period) const {
  // Tiers apply to the account's monthly volume of this queue kind; the free
  // tier is shared by standard and FIFO queues in proportion to their monthly volumes.
  std::vector<TierUsage> kind;
  double kind_month = 0, all_month = 0;
  for (const Sqs* q : account_->queues) {
    const TierUsage u{q->billable_requests(), period.usage_to_month(q->name())};
    all_month += u.quantity * u.to_month;
    if (q->fifo() != fifo_) continue;
    kind.push_back(u);
    kind_month += u.quantity * u.to_month;
  }
  if (billable_total_ <= 0 || kind_month <= 0) return;
  const double free = free_per_month_ * kind_month / all_month;
  const double usd_per_request = shared_tiered_cost(billable_total_, kind, tiers_, free) / billable_total_;
  const auto line = [&](const char* item, double quantity, CostBasis basis = CostBasis::usage, std::string note = {}) {
    if (quantity > 0) ledger.add(name(), item, quantity, "requests", quantity * usd_per_request, basis, std::move(note));
  };
  line("send requests", static_cast<double>(send_requests_.value));
  line("receive requests", static_cast<double>(receive_requests_.value));
  // Idle pollers long-poll whether or not work comes: they scale with time.
  line("empty receives", empty_receives_, CostBasis::time,
       "estimated: the pollers' idle time over the 20 s long poll (a fraction of a request on average)");
  line("delete requests", static_cast<double>(delete_requests_.value));
}

}  // namespace

ServiceType sqs_type() {
  ServiceType t;
  t.name = "sqs";
  t.summary = "an SQS queue (standard or FIFO): retention, delay, visibility timeout, DLQ redrive, Lambda event source "
              "mapping, cost";
  t.table = {"sent", "received", "deleted", "returned", "to_dlq", "expired", "throttles", "depth.max", "depth.final", "age_ms", "oldest_age_ms"};
  t.schema = &sqs_schema();
  t.ops = {"send"};
  t.op_aliases = {{"SendMessage", "write 'send'"},
                  {"SendMessageBatch", "write 'send' (one message per request)"},
                  {"ReceiveMessage", "receiving is the consumer's job: give the queue a 'consumer:'"}};
  t.forwards = {{"send", {"consumer", "dlq"}}};
  t.build = &make_service<Sqs>;
  t.analytic = &sqs_analytic;
  t.insights = &sqs_insights;
  t.check = &check_sqs;
  return t;
}

void sqs_observe_deletions(Service& queue, std::vector<SqsDeletion>* sink) {
  auto* q = dynamic_cast<Sqs*>(&queue);
  if (q == nullptr) throw std::logic_error("sqs_observe_deletions: '" + queue.name() + "' is not an sqs queue");
  q->observe(sink);
}

}  // namespace slsim::models
