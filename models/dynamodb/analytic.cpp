// The analytic estimate of a DynamoDB table (docs/analyze.md): capacity units
// per operation, the table's capacity (provisioned buckets or the on-demand
// table's twice its previous peak) as a rate cap, SDK retries of throttled
// attempts to a fixed point, DAX hits (configured, or Che's approximation
// over the workloads' keys), the stream's consumer, and cost. Partitions are
// taken as evenly loaded.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/dynamodb/capacity.hpp"
#include "models/dynamodb/dynamodb.hpp"
#include "models/pricing/catalog.hpp"
#include "models/streams/analytic.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/analysis/queueing.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

using dynamodb::Consistency;

enum Op { kGet, kPut, kUpdate, kDelete, kQuery, kBatchGet, kBatchWrite, kTransact, kOps };
constexpr std::array<const char*, kOps> kNames = {"get", "put", "update", "delete", "query", "batch_get", "batch_write", "transact"};
bool is_read(int op) { return op == kGet || op == kQuery || op == kBatchGet; }

struct OpState {
  double calls = 0;
  double units = 0;     // half-RCU (reads) or WCU (writes) of one table attempt
  double items = 1;     // items one call reads or writes
  bool via_dax = false;
  double hit = 0;       // DAX answers the attempt alone
  double throttle = 0;  // P(an attempt is throttled)
  double attempts = 1;  // per call
  double latency_s = 0;
};

}  // namespace

void dynamodb_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const Scenario& sc = view.scenario();
  const std::string& consistency_text = p.text("consistency");
  const Consistency consistency = consistency_text == "strong"          ? Consistency::strong
                                  : consistency_text == "transactional" ? Consistency::transactional
                                                                        : Consistency::eventual;
  const bool transactional = consistency == Consistency::transactional;
  const auto item = static_cast<std::uint64_t>(p.size("item_size"));
  const double per_query = static_cast<double>(p.integer("items_per_query"));
  const double per_batch = static_cast<double>(p.integer("items_per_batch"));
  const double per_transaction = static_cast<double>(p.integer("items_per_transaction"));
  const Record& retries = p.record("client_retries");
  const auto max_attempts = static_cast<double>(retries.integer("max_attempts"));
  const double base_s = static_cast<double>(retries.duration("base")) / 1e9;
  const double cap_s = static_cast<double>(retries.duration("cap")) / 1e9;
  const double injected = p.number("injected_throttles");
  const Record& latency = p.record("latency");
  const bool dax = p.has("dax");

  std::array<OpState, kOps> ops;
  const double read_unit = static_cast<double>(dynamodb::read_half_units(item, consistency));
  const double write_unit = static_cast<double>(dynamodb::write_units(item, transactional));
  for (int o = 0; o < kOps; ++o) {
    OpState& s = ops[static_cast<std::size_t>(o)];
    s.calls = view.calls(kNames[static_cast<std::size_t>(o)]);
    s.latency_s = latency.dist(kNames[static_cast<std::size_t>(o)]).mean() / 1e9;
    s.via_dax = dax && is_read(o) && consistency == Consistency::eventual;
  }
  ops[kGet].units = read_unit;
  ops[kQuery].units = static_cast<double>(dynamodb::read_half_units(item * static_cast<std::uint64_t>(per_query), consistency));
  ops[kBatchGet].items = per_batch;
  ops[kBatchGet].units = per_batch * read_unit;
  for (const int o : {kPut, kUpdate, kDelete}) ops[static_cast<std::size_t>(o)].units = write_unit;
  ops[kBatchWrite].items = std::min(per_batch, 25.0);
  ops[kBatchWrite].units = ops[kBatchWrite].items * write_unit;
  ops[kTransact].items = per_transaction;
  ops[kTransact].units = per_transaction * static_cast<double>(dynamodb::write_units(item, true));

  // DAX: the item cache holds gets and every item of a batch_get (item i of a
  // batch has keys of its own, as popular as the request's), the query cache queries.
  double item_hit = 0, query_hit = 0, batch_item_hit = 0, dax_rate = 0, dax_latency_s = 0;
  std::string dax_how;
  if (dax) {
    const Record& d = p.record("dax");
    const CacheConfig items = cache_config(d);
    CacheConfig queries = items;
    queries.ttl = d.duration("query_ttl");
    KeyedLookups item_lookups, query_lookups;
    item_lookups.add(sc, view.calls_by_workload("get"));
    item_lookups.add(sc, view.calls_by_workload("batch_get"));
    KeyedLookups batch;
    batch.add(sc, view.calls_by_workload("batch_get"));
    // Items 1.. of a batch: per_batch - 1 more key sets, each as popular as the requests' keys.
    if (per_batch > 1) {
      for (KeyPopularity law : batch.laws) {
        law.copies = per_batch - 1;
        item_lookups.laws.push_back(law);
      }
      item_lookups.unkeyed += batch.unkeyed * (per_batch - 1);
    }
    query_lookups.add(sc, view.calls_by_workload("query"));
    item_hit = cache_hit_ratio(items, item_lookups);
    query_hit = cache_hit_ratio(queries, query_lookups);
    ops[kGet].hit = item_hit;
    ops[kQuery].hit = query_hit;
    batch_item_hit = item_hit;
    ops[kBatchGet].hit = std::pow(item_hit, per_batch);
    if (items.hit_ratio < 0) {
      // Keys hit by how often they are looked up: a request key by its gets and
      // the first items of batches (one law, merged), the other items of a
      // batch by their batches alone. A batch's items are looked up and
      // loaded together, so they are held together: the batch hits when its
      // other items do (the first is looked up at least as often).
      const double t = che_characteristic_time(item_lookups.laws, static_cast<double>(items.capacity_items));
      const double ttl = static_cast<double>(items.ttl) / 1e9;
      const auto merged = [&](const KeyPopularity& law) {
        for (const KeyPopularity& m : item_lookups.laws)
          if (m.copies == 1 && m.keys == law.keys && m.zipf == law.zipf) return m;
        return law;
      };
      KeyedLookups gets;
      gets.add(sc, view.calls_by_workload("get"));
      if (gets.total() > 0) {
        double h = 0;
        for (const KeyPopularity& law : gets.laws) h += law.rate * che_hit_moment(merged(law), t, ttl);
        ops[kGet].hit = h / gets.total();
      }
      if (batch.total() > 0) {
        double all = 0, each = 0;
        for (const KeyPopularity& law : batch.laws) {
          all += law.rate * (per_batch > 1 ? che_hit_moment(law, t, ttl) : che_hit_moment(merged(law), t, ttl));
          each += law.rate * (che_hit_moment(merged(law), t, ttl) + (per_batch - 1) * che_hit_moment(law, t, ttl)) / per_batch;
        }
        ops[kBatchGet].hit = all / batch.total();
        batch_item_hit = each / batch.total();
      }
    }
    dax_rate = d.rate("node_reads_per_second") * static_cast<double>(d.integer("nodes"));
    dax_latency_s = d.dist("latency").mean() / 1e9;
    dax_how = items.hit_ratio >= 0 ? fmt::format("the configured hit_ratio {}", items.hit_ratio)
                                   : fmt::format("Che's approximation: {} items, ttl {}s, query_ttl {}s, over the keys",
                                                 items.capacity_items, static_cast<double>(items.ttl) / 1e9,
                                                 static_cast<double>(queries.ttl) / 1e9);
    out.note("writes through DAX refresh items, which the hit ratio estimate leaves out");
  }
  // What a batch_get through DAX reads from the table on a miss: the items DAX lacked.
  const double missed_items = per_batch * (1.0 - batch_item_hit) / std::max(1e-12, 1.0 - ops[kBatchGet].hit);
  const auto table_units = [&](int o) {
    const OpState& s = ops[static_cast<std::size_t>(o)];
    return o == kBatchGet && s.via_dax ? missed_items * read_unit : s.units;
  };

  // The table's capacity, in half-RCU (reads) and WCU (writes) per second.
  const Record& capacity = p.record("capacity");
  const bool provisioned = capacity.variant == "provisioned";
  double read_capacity = 0, write_capacity = 0, ready = 0;
  std::uint32_t partitions = 0;
  if (provisioned) {
    read_capacity = 2.0 * static_cast<double>(capacity.integer("rcu"));
    write_capacity = static_cast<double>(capacity.integer("wcu"));
    partitions = dynamodb::partitions_for(static_cast<double>(capacity.integer("rcu")), static_cast<double>(capacity.integer("wcu")));
  } else {
    const Record& peak = capacity.record("previous_peak");
    ready = std::max(1.0, 2.0 * std::max(2.0 * peak.rate("rru"), 6.0 * peak.rate("wru")));
    partitions = dynamodb::partitions_for_ready(static_cast<std::uint64_t>(ready));
  }
  if (p.has("partitions")) partitions = static_cast<std::uint32_t>(p.integer("partitions"));

  // A provisioned bucket starts full with `burst_seconds` of capacity: while
  // it lasts, demand beyond the capacity is served. As a fluid, it empties at
  // t* = credit / (first demand - capacity), the demand before any throttle
  // (and retry); the window gets the part before t*.
  const double burst_seconds = provisioned && capacity.flag("burst") ? 300.0 : 1.0;
  bool credit_used = false;
  double first_read = 0, first_write = 0;
  const auto throttle_share = [&](double demand, double rate, double first) {
    if (!(demand > rate)) return 0.0;
    const double empty_at = first > rate ? rate * burst_seconds / (first - rate) : 0.0;
    const double from = view.warmup_seconds(), to = from + view.seconds();
    const double overlap = std::max(0.0, std::min(to, empty_at) - from);
    if (overlap > 0) credit_used = true;
    const double served = rate + (first - rate) * overlap / view.seconds();
    return std::max(0.0, 1.0 - served / demand);
  };
  // Throttles and retries feed each other: attempts raise the demand, which
  // raises the throttles. A fixed point, damped.
  double dax_throttle = 0, read_throttle = 0, write_throttle = 0, demand_read = 0, demand_write = 0, dax_attempts = 0;
  for (int round = 0; round < 200; ++round) {
    demand_read = demand_write = dax_attempts = 0;
    for (int o = 0; o < kOps; ++o) {
      OpState& s = ops[static_cast<std::size_t>(o)];
      const double table = 1.0 - (1.0 - injected) * (1.0 - (is_read(o) ? read_throttle : write_throttle));
      s.throttle = s.via_dax ? dax_throttle + (1.0 - dax_throttle) * (1.0 - s.hit) * table : table;
      s.attempts = s.throttle < 1 ? (1.0 - std::pow(s.throttle, max_attempts)) / (1.0 - s.throttle) : max_attempts;
      const double attempts = s.calls * s.attempts;
      // Units are asked for by the attempts that reach the table (past DAX and the injected throttles).
      const double reaching = s.via_dax ? attempts * (1.0 - dax_throttle) * (1.0 - s.hit) : attempts;
      if (s.via_dax) dax_attempts += attempts;
      (is_read(o) ? demand_read : demand_write) += reaching * (1.0 - injected) * table_units(o);
    }
    double next_read = 0, next_write = 0;
    if (provisioned) {
      if (round == 0) {
        first_read = demand_read;
        first_write = demand_write;
      }
      next_read = throttle_share(demand_read, read_capacity, first_read);
      next_write = throttle_share(demand_write, write_capacity, first_write);
    } else {
      const double mixed = demand_read + 6.0 * demand_write;
      next_read = next_write = mixed > ready ? 1.0 - ready / mixed : 0.0;
    }
    const double next_dax = dax_attempts > dax_rate && dax ? 1.0 - dax_rate / dax_attempts : 0.0;
    const double change = std::fabs(next_read - read_throttle) + std::fabs(next_write - write_throttle) +
                          std::fabs(next_dax - dax_throttle);
    const double mix = round < 20 ? 1.0 : 0.5;
    read_throttle += mix * (next_read - read_throttle);
    write_throttle += mix * (next_write - write_throttle);
    dax_throttle += mix * (next_dax - dax_throttle);
    if (change < 1e-12) break;
  }

  double requests = 0, reads = 0, writes = 0, throttles = 0, retried = 0, failed = 0, rcu = 0, wcu = 0;
  double dax_hits = 0, dax_misses = 0, ok_calls = 0, ok_time = 0, written_items = 0;
  // The mean backoff before retry k: half of min(cap, base x 2^(k-1)).
  const auto backoff = [&](double k) { return 0.5 * std::min(cap_s, std::ldexp(base_s, static_cast<int>(k) - 1)); };
  for (int o = 0; o < kOps; ++o) {
    const OpState& s = ops[static_cast<std::size_t>(o)];
    const double attempts = s.calls * s.attempts;
    const double give_up = std::pow(s.throttle, max_attempts);
    requests += s.calls;
    (is_read(o) ? reads : writes) += s.calls;
    throttles += attempts * s.throttle;
    retried += attempts - s.calls;
    failed += s.calls * give_up;
    const double table_throttle = 1.0 - (1.0 - injected) * (1.0 - (is_read(o) ? read_throttle : write_throttle));
    const double reaching = s.via_dax ? attempts * (1.0 - dax_throttle) * (1.0 - s.hit) : attempts;
    const double served = reaching * (1.0 - table_throttle);
    (is_read(o) ? rcu : wcu) += served * table_units(o);
    if (!is_read(o)) written_items += s.calls * (1.0 - give_up) * s.items;
    if (s.via_dax) {
      const double looked_up = attempts * (1.0 - dax_throttle) * (o == kBatchGet ? per_batch : 1.0);
      const double h = o == kQuery ? query_hit : o == kBatchGet ? batch_item_hit : s.hit;
      dax_hits += looked_up * h;
      dax_misses += looked_up * (1.0 - h);
    }
    // The ok answer: the last attempt (through DAX: its latency, plus the table's on a miss), after the throttled ones.
    double last = s.latency_s;
    if (s.via_dax) last = dax_latency_s + (1.0 - s.hit) * s.latency_s;
    double before = 0;
    for (double k = 1; k < s.attempts + 1e-9 && k < max_attempts; ++k)
      before += std::pow(s.throttle, k) * (s.latency_s + backoff(k));
    const double answer_s = last + before;
    AnalyticAnswer a;
    a.ok = 1.0 - give_up;
    a.throttled = give_up;
    a.seconds = answer_s;
    a.ok_seconds = answer_s;
    out.answer(kNames[static_cast<std::size_t>(o)], a);
    ok_calls += s.calls * a.ok;
    ok_time += s.calls * a.ok * answer_s;
  }

  const std::string capacity_how =
      provisioned ? fmt::format("attempts beyond {} RCU / {} WCU, as rate caps, with {} attempts per call",
                                read_capacity / 2, write_capacity, max_attempts)
                  : fmt::format("attempts beyond twice the previous peak ({} half-RCU/s), with {} attempts per call", ready,
                                max_attempts);
  const bool scaling = provisioned && capacity.has("auto_scaling");
  const ReasonClass capacity_reason = scaling || !provisioned || credit_used ? ReasonClass::warm_up : ReasonClass::bursts;
  const std::string capacity_detail =
      scaling        ? "auto scaling changes the capacity during the run"
      : !provisioned ? "the on-demand table's peak rises after peak_delay"
      : credit_used  ? "the burst credit the table starts with lasts into the window (a fluid estimate)"
                     : "the capacity is a token bucket, and hot partitions throttle below it";
  out.rate("requests", requests, "calls");
  out.rate("reads", reads, "get, query and batch_get calls");
  out.rate("writes", writes, "put, update, delete, batch_write and transact calls");
  out.rate("throttles", throttles, capacity_how, capacity_reason, capacity_detail);
  out.rate("retries", retried, "attempts beyond the first", capacity_reason, capacity_detail);
  out.rate("failed", failed, "calls throttled on every attempt", capacity_reason, capacity_detail);
  // Emergent DAX hits take the cache's filling time; without throttles that is what can differ.
  const bool dax_emergent = dax && p.record("dax").get("capacity_items").present;
  const ReasonClass read_reason = dax_emergent && throttles == 0 ? ReasonClass::warm_up : capacity_reason;
  const std::string read_detail = dax_emergent && throttles == 0 ? kCacheWarmUp : capacity_detail;
  const ReasonClass cache_reason = dax_emergent ? ReasonClass::warm_up : ReasonClass::none;
  const std::string cache_detail = dax_emergent ? kCacheWarmUp : "";
  out.rate("consumed_rcu", rcu / 2.0, "table reads served x read units", read_reason, read_detail);
  out.rate("consumed_wcu", wcu, "writes served x write units", capacity_reason, capacity_detail);
  if (dax) {
    out.rate("dax.hits", dax_hits, "DAX lookups x hit ratio (" + dax_how + ")", cache_reason, cache_detail);
    out.rate("dax.misses", dax_misses, "DAX lookups x (1 - hit ratio)", cache_reason, cache_detail);
    if (dax_hits + dax_misses > 0)
      out.level("dax.hit_ratio", dax_hits / (dax_hits + dax_misses), dax_how, cache_reason, cache_detail);
  }
  if (ok_calls > 0)
    out.level("latency_ms.mean", ok_time / ok_calls * 1e3, "the operation's latency, DAX's, and throttled attempts' backoff",
              read_reason, read_detail);
  out.note("partitions are taken as evenly loaded: hot keys are not in the estimate");

  if (p.has("stream")) {
    const Record& c = p.record("stream").record("consumer");
    const double lanes = static_cast<double>(partitions) * static_cast<double>(c.integer("parallelization_factor"));
    const StreamConsumerFlows f = stream_consumer_analytic(view, c, written_items, lanes, static_cast<double>(item), "stream.", out);
    for (int o = 0; o < kOps; ++o) {
      if (is_read(o)) continue;
      const OpState& s = ops[static_cast<std::size_t>(o)];
      const double per_call = (1.0 - std::pow(s.throttle, max_attempts)) * s.items;
      out.flow(kNames[static_cast<std::size_t>(o)], {f.function, "invoke", per_call * f.invocations, f.records_per_batch});
      if (!f.on_failure.empty())
        out.flow(kNames[static_cast<std::size_t>(o)], {f.on_failure, f.on_failure_op, per_call * f.discards, 1});
    }
  }

  // Cost: request units on demand, capacity-hours when provisioned (at the configured capacity), DAX nodes.
  const PriceCatalog price(sc);
  const double s = view.seconds();
  if (provisioned) {
    const double hours = s / 3600.0;
    const double rcu_hours = static_cast<double>(capacity.integer("rcu")) * hours;
    const double wcu_hours = static_cast<double>(capacity.integer("wcu")) * hours;
    out.cost("read capacity", rcu_hours, "RCU-hours", rcu_hours * price("dynamodb.rcu_hour"), true);
    out.cost("write capacity", wcu_hours, "WCU-hours", wcu_hours * price("dynamodb.wcu_hour"), true);
    if (scaling) out.note("auto scaling is not in the estimate: capacity is priced as configured");
  } else {
    out.cost("read request units", rcu / 2.0 * s, "RRU", rcu / 2.0 * s * price("dynamodb.read_request_unit"));
    out.cost("write request units", wcu * s, "WRU", wcu * s * price("dynamodb.write_request_unit"));
  }
  if (dax) {
    const Record& d = p.record("dax");
    const double node_hours = static_cast<double>(d.integer("nodes")) * s / 3600.0;
    out.cost("DAX node hours", node_hours, "node-hours", node_hours * price(d.text("node_type") + ".hour"), true);
  }
}

}  // namespace slsim::models
