// The analytic estimate of an RDS instance or Aurora cluster: each instance an
// M/G/c queue on its vCPUs (Erlang-C with the Allen-Cunneen correction); with
// a proxy, the borrow queue in front of it (see `estimate`); instance and
// proxy cost.
#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "models/rds/instances.hpp"
#include "models/rds/serverless.hpp"
#include "models/rds/rds.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/analysis/queueing.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

// One instance's estimate at `rate` transactions per second.
struct InstanceLoad {
  double rate = 0;
  double acu = 0;         // db.serverless: the capacity it settles at
  std::int64_t servers = 0;
  double service = 0;     // s: one transaction's time on one of its servers
  bool unstable = false;  // the vCPUs cannot keep up
  double cpu_wait = 0;    // s
  double borrow_p = 0;    // P(a borrow waits)
  double borrow_wait = 0; // mean wait of all borrows, s
  bool pool_full = false; // the pool is offered as many erlangs as it has connections
  double time() const { return cpu_wait + borrow_wait; }
};

}  // namespace

void rds_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const std::string& engine = p.text("engine");
  const rds::InstanceClass* cls = rds::find_instance_class(p.text("instance"));
  const std::int64_t readers = rds::is_aurora(engine) ? p.integer("readers") : 0;
  const double instances = 1.0 + static_cast<double>(readers);
  const std::int64_t max_connections = rds::instance_max_connections(p);
  const bool serverless = cls->serverless;
  const rds::ServerlessConfig sv = rds::serverless_config(p.record("serverless"));
  const bool proxy = p.has("proxy");
  const std::int64_t pool = proxy ? max_connections * p.record("proxy").integer("max_connections_percent") / 100 : 0;
  const Distribution& query = p.dist("query");
  const double s = query.mean() / 1e9;
  const double cv2 = query.mean() > 0 ? query.variance() / (query.mean() * query.mean()) : 0.0;
  const auto vcpus = static_cast<std::int64_t>(cls->vcpus);

  const double reads = view.calls("read");
  const double writes = view.calls("query") + view.calls("write");
  const double total = reads + writes;
  // Borrow queue and vCPU queue together (both first come, first served): with
  // a pool at least as large as the vCPUs, the transactions waiting anywhere are
  // those of an M/M/c queue on the vCPUs, and the borrow queue holds those
  // beyond the pool: N - pool when N > pool, where P(N = n) = pi_c rho^(n-c).
  // A pool smaller than the vCPUs never lets the vCPUs queue: an M/M/pool queue.
  // General service times scale the waits by (1 + cv^2) / 2 (Allen-Cunneen).
  const double pool_d = static_cast<double>(pool);
  const auto estimate = [&](double rate) {
    InstanceLoad l;
    l.rate = rate;
    l.servers = vcpus;
    l.service = s;
    if (serverless) {
      // Aurora Serverless v2 settles where the ACUs in use are the target
      // share of its capacity; the vCPUs of that capacity, rounded up to whole
      // servers, each serve at the fraction (§17.5).
      l.acu = sv.desired(rate * s / sv.vcpus_per_acu);
      const rds::ServingCapacity c = rds::serving_capacity(l.acu, sv.vcpus_per_acu);
      l.servers = c.servers;
      l.service = s / c.speed;
    }
    const std::int64_t servers = l.servers;
    const double servers_d = static_cast<double>(servers);
    const double service = l.service;
    const double offered = rate * service;
    if (proxy && pool < servers) {
      l.pool_full = offered >= pool_d;
      if (l.pool_full || rate <= 0) return l;
      l.borrow_p = erlang_c(pool, offered);
      l.borrow_wait = mgc_wait_s(pool, rate, service, cv2);
      return l;
    }
    l.unstable = offered >= servers_d;
    if (l.unstable || rate <= 0) return l;
    const double wait = mgc_wait_s(servers, rate, service, cv2);  // in both queues together
    l.cpu_wait = wait;
    if (proxy) {
      const double rho = offered / servers_d;
      l.borrow_p = erlang_c(servers, offered) * std::pow(rho, pool_d - servers_d);  // P(N >= pool)
      l.borrow_wait = std::min(wait, (1.0 + cv2) / 2.0 * l.borrow_p * rho / (1.0 - rho) / rate);
      l.cpu_wait = wait - l.borrow_wait;
    }
    return l;
  };
  const InstanceLoad writer = estimate(writes + (readers == 0 ? reads : 0.0));
  const InstanceLoad reader = estimate(readers > 0 ? reads / static_cast<double>(readers) : 0.0);
  const double on_readers = readers > 0 ? reads : 0.0;
  const double on_writer = total - on_readers;

  out.rate("requests", total, "transactions arriving");
  const double acus = writer.acu + static_cast<double>(readers) * reader.acu;
  if (serverless) {
    out.level("utilization", std::min(1.0, total * s / sv.vcpus_per_acu / acus),
              fmt::format("ACUs in use (transactions x query mean / {} vCPUs per ACU) / ACUs", sv.vcpus_per_acu));
    out.level("capacity.acu_mean", acus,
              fmt::format("per instance: ACUs in use / target {}, rounded up to 0.5, within [{}, {}]", sv.target,
                          sv.floor_acu(), sv.max_acu));
    out.note("Aurora Serverless v2: the capacity it settles at for a steady load; scaling transients and "
             "auto-pause (min_capacity 0 with idle periods) are not estimated");
  } else {
    out.level("utilization", std::min(1.0, total * s / (static_cast<double>(vcpus) * instances)),
              fmt::format("transactions x query mean / ({} vCPUs x {} instances)", vcpus, instances));
  }
  const std::int64_t servers = writer.servers;  // the class's vCPUs, or the writer's at its capacity
  const bool unstable = writer.unstable || (readers > 0 && reader.unstable);
  const bool pool_full = writer.pool_full || (readers > 0 && reader.pool_full);
  const std::string mgc = "Erlang-C with Allen-Cunneen's correction approximates an M/G/c queue";
  const double cpu_wait = total > 0 ? (on_writer * writer.cpu_wait + on_readers * reader.cpu_wait) / total : 0.0;
  if (unstable) {
    const std::string why = fmt::format("an instance's {} vCPUs cannot keep up: transactions queue without end", servers);
    out.not_estimated("cpu_wait_ms.mean", why);
    out.not_estimated("latency_ms.mean", why);
    out.note(why);
  } else {
    out.level("cpu_wait_ms.mean", cpu_wait * 1e3, fmt::format("M/G/c wait on {} vCPUs per instance", servers),
              ReasonClass::queueing, mgc);
  }
  const double pinned = proxy ? p.record("proxy").number("pinned") : 0.0;
  if (!proxy) {
    out.not_estimated("connections_in_use.mean",
                      "one connection per caller environment while it lives: compare the functions' environments.mean");
    out.not_estimated("connection_failures", "depends on how many caller environments live at once");
  } else if (pinned > 0 || unstable || pool_full) {
    const std::string why = pinned > 0 ? "pinned sessions hold connections for their life"
                                       : "the pool or the vCPUs cannot keep up: borrows queue without end";
    out.not_estimated("connections_in_use.mean", why);
    out.not_estimated("borrow_waits", why);
    if (!unstable) out.not_estimated("latency_ms.mean", why);
  } else {
    const std::string how =
        pool < servers ? fmt::format("Erlang-C on the pool of {} per instance (fewer than the {} vCPUs)", pool, servers)
                     : fmt::format("P(more than the pool of {} in an M/M/c queue on {} vCPUs)", pool, servers);
    out.level("connections_in_use.mean",
              on_writer * (writer.service + writer.cpu_wait) + on_readers * (reader.service + reader.cpu_wait),
              "Little's law: transactions x (query + vCPU wait)");
    out.rate("borrow_waits", on_writer * writer.borrow_p + on_readers * reader.borrow_p, how, ReasonClass::queueing,
             "exact for exponential query times and Poisson arrivals, else an approximation");
    out.rate("connection_failures", 0.0, "a proxy makes transactions wait rather than refuse them");
  }
  const double service =
      total > 0 ? (on_writer * writer.service + on_readers * reader.service) / total : writer.service;
  const double borrow = total > 0 ? (on_writer * writer.borrow_wait + on_readers * reader.borrow_wait) / total : 0.0;
  if (!unstable && !(proxy && (pinned > 0 || pool_full)))
    out.level("latency_ms.mean", (service + cpu_wait + borrow) * 1e3,
              proxy ? "query + vCPU wait + borrow wait" : "query + vCPU wait", ReasonClass::queueing, mgc);
  out.note("connection set-up (once per caller environment) is left out of the latency estimate");
  // Answers: ok after the instance's time (an unstable instance: the query alone, flagged above).
  const double w_time = writer.service + (writer.unstable ? 0.0 : writer.time());
  const double r_time = readers > 0 ? reader.service + (reader.unstable ? 0.0 : reader.time()) : w_time;
  for (const char* op : {"query", "write"}) out.answer(op, AnalyticAnswer{1, 0, 0, w_time, 0, w_time});
  out.answer("read", AnalyticAnswer{1, 0, 0, r_time, 0, r_time});
  // Cost (docs/model-assumptions.md §17.4).
  const PriceCatalog price(view.scenario());
  const double hours = view.seconds() / 3600.0;
  if (serverless) {
    // ACU-hours at the settled capacity (§17.5); the proxy per ACU with its minimum.
    const double acu_price = price(sv.io_optimized ? "rds.serverless.io_optimized.acu_hour" : "rds.serverless.acu_hour");
    out.cost("ACU hours", acus * hours, "ACU-hours", acus * hours * acu_price, false);
    if (proxy) {
      const double a = std::max(acus, price("rds.proxy.min_acus"));
      out.cost("proxy ACU hours", a * hours, "ACU-hours", a * hours * price("rds.proxy.acu_hour"), false);
    }
    return;
  }
  out.cost("instance hours", instances * hours, "instance-hours",
           instances * hours * price(fmt::format("rds.{}.{}", engine, cls->name)), true);
  if (proxy) {
    const double v = rds::proxy_billed_vcpus(static_cast<double>(vcpus) * instances, price("rds.proxy.min_vcpus"));
    out.cost("proxy vCPU hours", v * hours, "vCPU-hours", v * hours * price("rds.proxy.vcpu_hour"), true);
  }
}

}  // namespace slsim::models
