// The analytic estimate of a Step Functions state machine: the expected
// visits of each state per execution (choices by their probabilities, a task's
// attempts from its callee's answer: q = P(not ok), attempts = sum_{k<=m} q^k
// with m the first retrier's max_attempts), so the transitions, the calls each
// task sends on, the share of executions that fail, a rough mean duration and
// the cost. Loops (through a choice) are followed until their weight is tiny.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "models/stepfunctions/definition.hpp"
#include "models/stepfunctions/stepfunctions.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

struct Outcome_ {
  double ok = 1;       // P(the branch ends successfully)
  double seconds = 0;  // mean time to its end
};

class Walk {
 public:
  Walk(const Definition& def, const AnalyticView& view, std::uint64_t map_bound)
      : entries(def.states.size(), 0.0), retries(def.states.size(), 0.0), calls(def.states.size(), 0.0),
        def_(def), view_(view), map_bound_(map_bound) {}

  // From state `at` reached with weight `w` (visits per execution).
  Outcome_ walk(int at, double w, int depth) {
    if (at < 0) return {};
    if (++steps_ > kMaxSteps) {
      truncated = true;
      return {};
    }
    if (depth > kMaxDepth || w < 1e-12) {  // a loop's tail: too rare to matter
      return {};
    }
    const StateDef& s = def_.states[static_cast<std::size_t>(at)];
    const std::size_t i = static_cast<std::size_t>(at);
    entries[i] += w;
    switch (s.kind) {
      case StateKind::succeed: return {};
      case StateKind::fail: return {0, 0};
      case StateKind::pass: return walk(s.next, w, depth + 1);
      case StateKind::wait: {
        Outcome_ o = walk(s.next, w, depth + 1);
        o.seconds += s.seconds.mean() / 1e9;
        return o;
      }
      case StateKind::choice: {
        Outcome_ total{0, 0};
        double left = 1;
        for (const auto& [to, p] : s.choices) {
          const Outcome_ o = walk(to, w * p, depth + 1);
          total.ok += p * o.ok;
          total.seconds += p * o.seconds;
          left -= p;
        }
        if (left > 1e-12 && s.default_next >= 0) {
          const Outcome_ o = walk(s.default_next, w * left, depth + 1);
          total.ok += left * o.ok;
          total.seconds += left * o.seconds;
        }
        return total;
      }
      case StateKind::task: {
        const AnalyticAnswer a = s.wait ? view_.answer(s.resource, s.op) : AnalyticAnswer{};
        const Try t = attempts(s, 1.0 - std::clamp(a.all_ok(1.0), 0.0, 1.0));
        calls[i] += w * t.attempts;
        retries[i] += w * (t.attempts - 1);
        // The failed attempts take the answer's mean time too (a.seconds covers every answer).
        const double own = (s.wait ? t.attempts * a.seconds : 0.0) + t.delay_s;
        return after(s, w, depth, t, own);
      }
      case StateKind::parallel: {
        // One walk per branch gives P(all ok); the retries' extra attempts walk them again.
        double ok = 1, slowest = 0;
        for (int b : s.branches) {
          const Outcome_ o = walk(b, w, depth + 1);
          ok *= o.ok;
          slowest = std::max(slowest, o.seconds);  // the max of the means: below the mean of the max
        }
        const Try t = attempts(s, 1.0 - ok);
        if (t.attempts > 1)
          for (int b : s.branches) walk(b, w * (t.attempts - 1), depth + 1);
        retries[i] += w * (t.attempts - 1);
        return after(s, w, depth, t, t.attempts * slowest + t.delay_s);
      }
      case StateKind::map: {
        const double n_mean = 0.5 * static_cast<double>(s.items_min + s.items_max);
        const Outcome_ o = walk(s.branches.front(), w * n_mean, depth + 1);
        // P(every item ok), averaged over the uniform item count.
        double ok = 0, rounds = 0;
        const std::int64_t span = s.items_max - s.items_min + 1;
        const std::uint64_t c = s.max_concurrency > 0 ? static_cast<std::uint64_t>(s.max_concurrency) : map_bound_;
        for (std::int64_t k = 0; k < std::min<std::int64_t>(span, 10000); ++k) {
          const double n = static_cast<double>(s.items_min + k);
          ok += std::pow(o.ok, n);
          rounds += std::ceil(n / static_cast<double>(c));
        }
        const double m = static_cast<double>(std::min<std::int64_t>(span, 10000));
        ok /= m;
        rounds /= m;
        const Try t = attempts(s, 1.0 - ok);
        if (t.attempts > 1) walk(s.branches.front(), w * n_mean * (t.attempts - 1), depth + 1);
        retries[i] += w * (t.attempts - 1);
        return after(s, w, depth, t, t.attempts * rounds * o.seconds + t.delay_s);
      }
    }
    return {};
  }

  std::vector<double> entries, retries, calls;
  bool truncated = false;

 private:
  static constexpr long kMaxSteps = 200000;
  static constexpr int kMaxDepth = 400;

  struct Try {
    double attempts = 1;  // expected attempts
    double fail = 0;      // P(every attempt fails)
    double delay_s = 0;   // expected time spent waiting between attempts
  };

  // The first retrier is taken for every failure (its `errors:` filter is not estimated).
  static Try attempts(const StateDef& s, double q) {
    Try t;
    q = std::clamp(q, 0.0, 1.0);
    const int m = s.retry.empty() ? 0 : s.retry.front().max_attempts;
    double reach = 1;  // P(attempt k happens)
    t.attempts = 0;
    for (int k = 0; k <= m && reach > 1e-15; ++k) {
      t.attempts += reach;
      if (k > 0) {
        const Retrier& r = s.retry.front();
        t.delay_s += reach * r.delay_ns(k) / 1e9 * (r.full_jitter ? 0.5 : 1.0);
      }
      reach *= q;
    }
    t.fail = m >= 0 ? std::pow(q, m + 1) : q;
    return t;
  }

  Outcome_ after(const StateDef& s, double w, int depth, const Try& t, double own_s) {
    Outcome_ total{0, own_s};
    const Outcome_ ok = walk(s.next, w * (1 - t.fail), depth + 1);
    total.ok += (1 - t.fail) * ok.ok;
    total.seconds += (1 - t.fail) * ok.seconds;
    if (t.fail > 0 && !s.catches.empty()) {
      const Outcome_ caught = walk(s.catches.front().next, w * t.fail, depth + 1);
      total.ok += t.fail * caught.ok;
      total.seconds += t.fail * caught.seconds;
    }
    return total;
  }

  const Definition& def_;
  const AnalyticView& view_;
  std::uint64_t map_bound_;
  long steps_ = 0;
};

}  // namespace

void stepfunctions_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Definition def = compile_definition(p, view.scenario());
  if (def.start < 0) {
    out.unavailable("the state machine's start_at names no state");
    return;
  }
  Walk walk(def, view, static_cast<std::uint64_t>(p.integer("map_concurrency_bound")));
  const Outcome_ o = walk.walk(def.start, 1.0, 0);
  if (walk.truncated) {
    out.unavailable("the state machine has too many paths to follow");
    return;
  }
  const double async = view.calls("start");
  const double sync = def.express ? view.calls("start_sync") : 0.0;
  const double started = async + sync;
  double per_exec = 0;
  for (std::size_t i = 0; i < def.states.size(); ++i) {
    per_exec += walk.entries[i] + walk.retries[i];
    const StateDef& s = def.states[i];
    if (s.kind == StateKind::task && walk.calls[i] > 0) {
      out.flow("start", {s.resource, s.op, walk.calls[i], 1});
      if (def.express) out.flow("start_sync", {s.resource, s.op, walk.calls[i], 1});
    }
    out.rate("states." + s.name + ".entered", started * walk.entries[i], "executions x expected entries per execution");
    out.rate("states." + s.name + ".retried", started * walk.retries[i],
             "executions x expected retries (first retrier, q = 1 - the callee's ok share)");
  }
  const double transition_s = p.dist("transition_latency").mean() / 1e9;
  double seconds = o.seconds;
  seconds += transition_s * per_exec;  // an upper bound: parallel branches overlap
  out.answer("start", AnalyticAnswer{});  // acknowledged at once
  AnalyticAnswer a;
  a.ok = o.ok;
  a.seconds = seconds;
  a.ok_seconds = seconds;
  out.answer("start_sync", a);
  out.rate("executions.started", started, "start calls (+ start_sync on an express workflow)");
  out.rate("executions.succeeded", started * o.ok, "executions x P(the walk ends successfully)");
  out.rate("executions.failed", started * (1 - o.ok), "executions x P(the walk ends on a failure)");
  out.rate("transitions", started * per_exec,
           fmt::format("executions x {:.4g} expected transitions (state entries + retries)", per_exec));
  out.level("latency_ms.mean", seconds * 1e3,
            "serial sum of the answers, retry delays and waits; a parallel as its slowest branch's mean",
            ReasonClass::queueing, "the mean of a maximum is above the maximum of the means");
  out.note("execution timeouts and the retriers' errors filters are not in the estimate");
  const PriceCatalog prices(view.scenario());
  const double window = started * view.seconds();
  if (def.express) {
    out.cost("requests", window, "requests", window * prices("stepfunctions.express.request"));
    const double gb_s = window * express_billed_gb_s(seconds * 1e9 + 0.05e9, p.size("billed_memory"));
    out.cost("duration", gb_s, "GB-s", gb_s * prices("stepfunctions.express.gb_s"));
    out.note("express duration: the mean duration plus 50 ms for the rounding up to 100 ms");
  } else {
    const double transitions = started * per_exec * view.seconds();
    const double free = view.scenario().account.flag("free_tier") ? prices("stepfunctions.free_tier.transitions") : 0.0;
    const double to_month = view.seconds() > 0 ? kMonthSeconds / view.seconds() : 1.0;
    const double usd = shared_tiered_cost(transitions, {{transitions, to_month}},
                                          {{kUnbounded, prices("stepfunctions.standard.transition")}}, free);
    out.cost("state transitions", transitions, "transitions", usd);
  }
}

}  // namespace slsim::models
