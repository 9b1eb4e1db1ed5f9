#include "models/rds/instances.hpp"

#include <algorithm>
#include <cmath>

namespace slsim::models::rds {

namespace {
constexpr std::uint64_t kGiB = 1024ull * 1024ull * 1024ull;
}

// vCPUs and memory of each class (docs/model-assumptions.md §17.1); Aurora
// MySQL's default connections per class are AWS's published table (§17.2).
const std::vector<InstanceClass>& instance_classes() {
  static const std::vector<InstanceClass> classes = {
      {"db.t3.micro", 2, 1 * kGiB, false, true, 0},
      {"db.t4g.micro", 2, 1 * kGiB, false, true, 0},
      {"db.t3.medium", 2, 4 * kGiB, true, true, 90},
      {"db.t4g.medium", 2, 4 * kGiB, true, true, 90},
      {"db.r6g.large", 2, 16 * kGiB, true, true, 1000},
      {"db.r6g.xlarge", 4, 32 * kGiB, true, true, 2000},
      {"db.r6g.2xlarge", 8, 64 * kGiB, true, true, 3000},
      {"db.r6g.4xlarge", 16, 128 * kGiB, true, true, 4000},
      // Aurora Serverless v2: vCPUs and memory follow its capacity (§17.5).
      {std::string(kServerlessClass), 0, 0, true, false, 0, true},
  };
  return classes;
}

std::vector<std::string> instance_class_names() {
  std::vector<std::string> out;
  for (const auto& c : instance_classes()) out.push_back(c.name);
  return out;
}

const InstanceClass* find_instance_class(std::string_view name) {
  for (const auto& c : instance_classes())
    if (c.name == name) return &c;
  return nullptr;
}

bool is_aurora(std::string_view engine) { return engine.substr(0, 6) == "aurora"; }

std::int64_t default_max_connections(std::string_view engine, const InstanceClass& cls) {
  const auto memory = static_cast<std::int64_t>(cls.memory_bytes);
  if (engine == "mysql") return memory / 12582880;
  if (engine == "aurora-mysql") return cls.aurora_mysql_max_connections;
  return std::min<std::int64_t>(memory / 9531392, 5000);  // postgres, aurora-postgresql
}

std::int64_t serverless_max_connections(std::string_view engine, double max_acu) {
  const auto memory = static_cast<std::int64_t>(max_acu * 2.0 * static_cast<double>(kGiB));
  if (engine == "aurora-mysql" || engine == "mysql") return std::max<std::int64_t>(1, memory / 12582880);
  return std::clamp<std::int64_t>(memory / 9531392, 1, 5000);
}

double ceil_half_acu(double acu) { return std::ceil(acu * 2.0 - 1e-9) / 2.0; }

double proxy_billed_vcpus(double instance_vcpus, double min_vcpus) { return std::max(instance_vcpus, min_vcpus); }

}  // namespace slsim::models::rds
