#pragma once
// The Lambda function service's class, shared by the files that implement it:
// lambda.cpp (the call path, environments, asynchronous events),
// provisioned_concurrency.cpp (provisioned environments and their auto
// scaling) and report.cpp (statistics, the result and the bill). Nothing
// outside models/lambda includes it; the registry sees only lambda.hpp.
#include <memory>
#include <optional>
#include <vector>
#include "models/lambda/environments.hpp"
#include "models/lambda/lambda_account.hpp"
#include "models/lambda/provisioned_scaling.hpp"
#include "models/lambda/schema.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/core/simulation.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/stats/counter.hpp"
#include "sim/stats/gauge.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/core/service.hpp"

namespace slsim::models::lambda_function {

inline constexpr double kMB = 1048576.0;

struct DownstreamCall {
  ComponentId target = 0;
  std::uint16_t op = 0;
  double probability = 1;
  bool chains = false;  // an asynchronous hand-off (invoke_async, send, publish): one more link in the chain
  bool per_record = false;  // made once per record of a batch invocation
};

struct Invocation {
  CallHandle call;           // the synchronous caller (invalid for an asynchronous event)
  Handle async;              // the asynchronous event (invalid for a synchronous call)
  RequestHandle request;
  std::uint32_t env = kNoEnv;
  std::uint32_t items = 1;   // records in a batch invocation
  SimTime began = 0;          // its environment started on it (init, or the handler when warm)
  SimTime handler_start = 0;
  SimTime init_ns = 0;
  std::uint16_t next_call = 0;
  std::uint32_t repeats_left = 0;  // further calls of a per-record call still to make
  bool cold = false;
};

// An event accepted by invoke_async, waiting in Lambda's internal queue or running.
struct AsyncEvent {
  RequestHandle request;
  SimTime accepted = 0;            // for max_event_age
  std::uint16_t error_retries = 0; // function errors retried so far
  std::uint16_t throttles = 0;     // consecutive throttles (the backoff doubles)
  bool expired = false;
};

// Replies to on-failure deliveries carry the event's handle with this bit set,
// to tell them from replies to the handler's own calls (invocation handles).
// Pool generations stay below 2^31 in any run (a slot reused 2^31 times).
inline constexpr std::uint64_t kOnFailureTag = std::uint64_t{1} << 63;

enum : std::uint16_t { kOpInvoke = 0, kOpInvokeAsync = 1 };

class Lambda final : public Service {
 public:
  explicit Lambda(const ServiceBuildContext& ctx);

  void start(Simulation& sim) override;
  void handle(Simulation& sim, const Event& e) override;
  void reset_statistics(SimTime now) override;
  void finish(Simulation& sim) override;
  void report(Json& out, double measured_seconds) const override;
  void bill(CostLedger& ledger, const BillingPeriod& period) const override;
  void sample(TimeSeriesRow& row) override;

 private:
  enum : std::uint16_t {
    kInitDone = kFirstComponentEvent,
    kComputeDone,
    kTimeout,
    kExpire,
    kAsyncAttempt,
    kPcTick,    // a utilisation datapoint of the provisioned-concurrency policy
    kPcAction,  // a scheduled action (data: its index)
    kPcReady,   // an allocation is done (data: its batch id)
  };

  void on_call(Simulation& sim, CallHandle call);
  // The environment for a new invocation, or kNoEnv (throttled); `cold`: it must initialise.
  std::uint32_t acquire(Simulation& sim, bool& cold);
  // Why the last acquire() found no environment: the pool (reserved or the
  // account's unreserved one) was full, or no scaling token was left.
  enum class Refusal { reserved, account_pool, scaling_rate };
  Refusal refusal_ = Refusal::account_pool;
  void start_invocation(Simulation& sim, std::uint32_t env, bool cold, CallHandle call, Handle async,
                        RequestHandle request, std::uint32_t items);
  void on_async_attempt(Simulation& sim, Handle event);
  void async_finished(Simulation& sim, Handle event, CallStatus status);
  void async_give_up(Simulation& sim, Handle event);
  // False when an event-driven invocation would be one too many in the
  // request's chain (a recursive loop to stop); counts the stop.
  bool within_chain(Simulation& sim, RequestHandle request);
  bool on_demand_slot_free() const;
  void take_on_demand_slot();
  void release_on_demand_slot();
  bool scaling_token(SimTime now);
  std::uint32_t create_environment(Simulation& sim, bool provisioned);
  void begin_handler(Simulation& sim, Handle inv_handle);
  void continue_calls(Simulation& sim, Handle inv_handle);
  void complete(Simulation& sim, Handle inv_handle, CallStatus status);
  void environment_idle(Simulation& sim, Environment& env);
  void destroy_environment(Simulation& sim, Environment& env);
  void set_busy(SimTime now, std::int64_t delta);
  // Provisioned concurrency auto scaling (docs/model-assumptions.md §1.8).
  bool pc_enabled() const { return provisioned_ > 0 || pc_scaling_.has_value(); }
  void pc_accrue(SimTime now);  // call before any change of the counts below
  void pc_gauges(SimTime now);  // call after
  void set_provisioned(Simulation& sim, std::int64_t wanted);
  void pc_tick(Simulation& sim);
  void pc_action(Simulation& sim, std::size_t index);
  void schedule_pc_action(Simulation& sim, std::size_t index, SimTime at_or_after);
  void pc_ready(Simulation& sim, std::uint64_t batch);
  void add_pc_environment(Simulation& sim);
  // GB-s billed for an invocation's time inside the measured window, from
  // max(began, window start) to `until`: init (billed since August 2025) plus
  // the handler, rounded up to 1 ms (docs/model-assumptions.md §1.3, §1.5).
  // An invocation that straddles the warm-up or the end pays for its part inside.
  double billed_gb_s(const Invocation& inv, SimTime until) const;

  // Configuration (resolved at build time).
  const Scenario& scenario_;
  double memory_gb_;
  bool arm_;
  SimTime timeout_;
  Distribution duration_;
  double duration_scale_ = 1.0;
  Distribution init_;
  Distribution idle_timeout_;
  std::optional<std::int64_t> reserved_;
  std::int64_t provisioned_ = 0;
  double error_probability_;
  std::vector<DownstreamCall> calls_;
  std::vector<ComponentId> call_targets_;  // the distinct targets of calls_: told when an environment ends
  std::uint16_t max_async_retries_ = 2;
  SimTime max_event_age_ = 6 * kHour;
  std::optional<DownstreamCall> on_failure_;
  bool stop_loops_ = true;
  bool edge_ = false;  // a Lambda@Edge function: its own prices, no free tier (docs/model-assumptions.md §15.3)
  std::vector<ComponentId> event_sources_;  // queues and streams whose consumer this function is
  LambdaAccount& account_;
  // 1000 new environments per 10 s per function: 100/s, burst 1000 (docs/model-assumptions.md §1.2).
  TokenBucket function_scaling_{100.0, 1000};

  // Random streams, one per purpose, so changing one parameter leaves the others' draws alone.
  Rng duration_rng_, init_rng_, idle_rng_, error_rng_, call_rng_, select_rng_, async_rng_;

  // State.
  Pool<Environment> envs_;
  IdleSet idle_;                         // on-demand idle environments
  std::vector<std::uint32_t> pc_idle_;   // provisioned idle environments (never expire)
  Pool<Invocation> invocations_;
  Pool<AsyncEvent> async_events_;
  std::uint64_t created_seq_ = 0;
  std::int64_t busy_ = 0;                // busy environments (the function's concurrency)
  std::int64_t on_demand_busy_ = 0;
  std::int64_t environments_ = 0;
  std::int64_t idle_count_ = 0;

  // Provisioned concurrency. Invariant: pc_envs_ - pc_excess_ + pending = pc_configured_.
  std::optional<ProvisionedScalingConfig> pc_scaling_;
  TargetTracker tracker_;
  Rng allocation_rng_{0};
  TokenBucket allocation_bucket_;  // allocation_burst, then allocation_rate (docs/model-assumptions.md §1.8)
  std::int64_t pc_configured_ = 0;  // what the configuration asks for (billed from when it is applied)
  std::int64_t pc_envs_ = 0;        // provisioned environments that exist, busy or idle
  std::int64_t pc_busy_ = 0;        // of which busy
  std::int64_t pc_excess_ = 0;      // busy ones to remove when their invocation ends (a scale-in)
  // What the provisioned concurrency takes from the function's reservation or the account's pool.
  std::int64_t pc_claimed_ = 0;
  struct PcBatch {
    std::uint64_t id;
    std::int64_t count;
  };
  std::vector<PcBatch> pc_batches_;  // allocations in progress
  std::uint64_t pc_batch_seq_ = 0;
  // The policy's current datapoint: the integral of busy / configured over the
  // part of the period with a configuration (ns), and that part's length.
  long double pc_util_area_ = 0;
  SimTime pc_util_covered_ = 0;
  SimTime pc_util_last_ = 0;

  // Statistics of the measured period.
  Counter invocations_count_, cold_starts_, throttles_, errors_, timeouts_, provisioned_invocations_;
  Counter async_queued_, async_retries_, async_expired_, async_to_on_failure_, async_dropped_, async_throttles_;
  Counter recursive_loops_;
  Counter throttles_reserved_, throttles_account_pool_, throttles_scaling_;  // synchronous throttles by cause
  TimeWeightedGauge concurrency_, environments_gauge_, idle_gauge_;
  TimeWeightedGauge pc_allocated_gauge_, pc_ready_gauge_, pc_busy_gauge_;
  std::int64_t pc_allocated_min_ = 0;
  Counter pc_scale_outs_, pc_scale_ins_, pc_scheduled_actions_;
  // The allocated provisioned concurrency over the window: at most kPcTimelineSteps steps of whole minutes.
  std::vector<long double> pc_timeline_area_;
  SimTime pc_timeline_step_ = kMinute;
  SimTime pc_timeline_to_ = 0;
  LatencyHistogram duration_hist_, init_hist_;
  double on_demand_gb_s_ = 0;
  double provisioned_gb_s_ = 0;
  SimTime end_ = 0;
  SimTime window_start_ = 0;  // the measured window's start (the end of warm-up)
};

}  // namespace slsim::models::lambda_function
