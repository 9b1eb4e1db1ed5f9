#include "sim/cache/cache_params.hpp"

#include <deque>
#include <map>
#include <set>

#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace slsim {

std::vector<ParamSpec> cache_params(const std::string& default_ttl, const std::string& what) {
  ParamSpec hit_ratio = param("hit_ratio", ParamType::probability, "", "",
                              fmt::format("configured hits: each lookup hits with this probability and the keys are "
                                          "ignored (give this or capacity_items)"));
  ParamSpec capacity = param("capacity_items", ParamType::integer, "", "",
                             fmt::format("emergent hits: the cache holds at most this many {}s, least recently used "
                                         "evicted first; hits come from the workloads' `keys:` (give this or hit_ratio)",
                                         what));
  capacity.min = 1;
  capacity.max = 1e7;
  capacity.range_hint = "the simulated cache keeps about 40 bytes per item it holds (10 million: 400 MB)";
  ParamSpec ttl = param("ttl", ParamType::duration, "s", default_ttl,
                        fmt::format("emergent hits: a cached {} expires this long after it was loaded (0s: never)", what));
  ttl.min = 0;
  return {hit_ratio, capacity, ttl};
}

CacheConfig cache_config(const Record& r) {
  CacheConfig c;
  if (r.has("hit_ratio")) c.hit_ratio = r.number("hit_ratio");
  if (r.has("capacity_items")) c.capacity_items = static_cast<std::uint64_t>(r.integer("capacity_items"));
  c.ttl = r.duration("ttl");
  return c;
}

void check_cache_params(const Record& r, Diagnostics& diags) {
  const Value& ratio = r.get("hit_ratio");
  const Value& capacity = r.get("capacity_items");
  if (ratio.given && capacity.given) {
    diags.error(capacity.loc, capacity.path, "give either hit_ratio or capacity_items, not both",
                "hit_ratio fixes the hits; capacity_items lets them emerge from the workloads' keys");
  } else if (!ratio.given && !capacity.given) {
    diags.error(r.loc, r.path, "a cache needs hit_ratio or capacity_items",
                "e.g. hit_ratio: 0.8, or capacity_items: 100000 with the workloads' keys: {count, zipf}");
  }
}

namespace {

// The `capacity_items` values given in a record and the records inside it.
void find_emergent(const Record& r, std::vector<const Value*>& out) {
  for (const auto& [name, v] : r.fields) {
    if (!v.given) continue;
    // (With a hit_ratio too, the record has its own error.)
    const bool ratio_too = r.schema != nullptr && r.schema->find("hit_ratio") != nullptr && r.get("hit_ratio").given;
    if (name == "capacity_items" && v.type == ParamType::integer && !ratio_too) out.push_back(&v);
    else if (v.record) find_emergent(*v.record, out);
  }
}

// The service a workload's `route:` leads to through its target's `routes:`
// list, or "" when the workload names no route (or the route is unknown: the
// loader reports that).
std::string routed_target(const Scenario& sc, const WorkloadDecl& w) {
  if (!w.params.has("route")) return {};
  const ServiceDecl* target = sc.find_service(w.params.text("target"));
  if (target == nullptr) return {};
  for (const auto& [name, v] : target->params.fields) {
    if (name != "routes") continue;
    for (const Value& item : v.items)
      if (item.record && item.record->schema != nullptr && item.record->schema->find("route") != nullptr &&
          item.record->schema->find("to") != nullptr && item.record->text("route") == w.params.text("route"))
        return item.record->text("to");
  }
  return {};
}

}  // namespace

void warn_caches_without_keys(const Scenario& sc, Diagnostics& diags) {
  std::map<std::string, std::vector<std::string>> next;
  for (const auto& e : sc.edges) next[e.from].push_back(e.to);
  for (const auto& d : sc.services) {
    std::vector<const Value*> caches;
    find_emergent(d.params, caches);
    if (caches.empty()) continue;
    for (const auto& w : sc.workloads) {
      if (w.params.has("keys")) continue;
      // Does this workload's traffic reach the service? A workload with a
      // `route:` enters its target's routes through that route's `to` only.
      std::set<std::string> seen;
      std::deque<std::string> frontier{"workload:" + w.name};
      if (const std::string route_target = routed_target(sc, w); !route_target.empty()) {
        seen.insert(route_target);
        frontier = {route_target};
      }
      while (!frontier.empty() && seen.count(d.name) == 0) {
        const std::string v = frontier.front();
        frontier.pop_front();
        for (const auto& n : next[v])
          if (seen.insert(n).second) frontier.push_back(n);
      }
      if (seen.count(d.name) == 0) continue;
      for (const Value* c : caches)
        diags.warning(c->loc, c->path,
                      fmt::format("workload '{}' reaches this cache without `keys:`: each of its requests is an item "
                                  "of its own, so it never hits",
                                  w.name),
                      "give the workload keys, e.g. keys: {count: 100000, zipf: 1.0}, or the cache a hit_ratio");
    }
  }
}

}  // namespace slsim
