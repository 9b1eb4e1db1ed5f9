#include "models/rds/serverless.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "models/rds/instances.hpp"

namespace slsim::models::rds {

namespace {
// Whole 0.5-ACU steps in `acu` (the schema keeps rate x interval >= 0.5).
double whole_steps(double acu) { return std::max(kAcuStep, std::floor(acu / kAcuStep + 1e-9) * kAcuStep); }
}  // namespace

double ServerlessConfig::up_step() const { return whole_steps(up_rate * static_cast<double>(interval) / 1e9); }
double ServerlessConfig::down_step() const { return whole_steps(down_rate * static_cast<double>(interval) / 1e9); }

double ServerlessConfig::desired(double acu_in_use) const {
  return std::clamp(ceil_half_acu(acu_in_use / target), floor_acu(), max_acu);
}

ServerlessConfig serverless_config(const Record& s) {
  ServerlessConfig c;
  c.min_acu = s.number("min_capacity");
  c.max_acu = s.number("max_capacity");
  c.auto_pause = s.duration("auto_pause");
  c.resume = s.dist("resume");
  c.target = s.number("target_utilization");
  c.interval = s.duration("scaling_interval");
  c.up_rate = s.number("scale_up_rate");
  c.down_rate = s.number("scale_down_rate");
  c.vcpus_per_acu = s.number("vcpus_per_acu");
  c.proxy_prevents_pause = s.flag("proxy_prevents_pause");
  c.io_optimized = s.flag("io_optimized");
  return c;
}

ServingCapacity serving_capacity(double acu, double vcpus_per_acu) {
  const double vcpus = acu * vcpus_per_acu;
  ServingCapacity c;
  c.servers = std::max(1, static_cast<int>(std::ceil(vcpus - 1e-9)));
  c.speed = std::min(1.0, vcpus / static_cast<double>(c.servers));
  return c;
}

std::int64_t instance_max_connections(const Record& p) {
  if (p.has("max_connections")) return p.integer("max_connections");
  const std::string& engine = p.text("engine");
  const InstanceClass* cls = find_instance_class(p.text("instance"));
  if (cls->serverless) return serverless_max_connections(engine, p.record("serverless").number("max_capacity"));
  return default_max_connections(engine, *cls);
}

}  // namespace slsim::models::rds
