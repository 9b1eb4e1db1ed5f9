#pragma once
// RDS and Aurora instance classes and the arithmetic AWS applies to them:
// vCPUs, memory, the default `max_connections` of each engine's default
// parameter group, and the RDS Proxy's billed vCPUs (docs/model-assumptions.md §17).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slsim::models::rds {

struct InstanceClass {
  std::string name;           // "db.t3.medium"
  int vcpus = 0;
  std::uint64_t memory_bytes;  // nominal memory (GiB x 2^30)
  bool aurora = false;         // offered for the Aurora engines
  bool rds = false;            // offered for RDS for MySQL / PostgreSQL
  int aurora_mysql_max_connections = 0;  // AWS's published default for Aurora MySQL (0: not offered)
  bool serverless = false;     // db.serverless: Aurora Serverless v2, capacity in ACUs (no fixed vCPUs or memory)
};

// Aurora Serverless v2's class name.
inline constexpr std::string_view kServerlessClass = "db.serverless";

const std::vector<InstanceClass>& instance_classes();
// Every class name, in catalog order (the schema's choices).
std::vector<std::string> instance_class_names();
// nullptr for an unknown name.
const InstanceClass* find_instance_class(std::string_view name);

// Engines: "mysql", "postgres", "aurora-mysql", "aurora-postgresql".
bool is_aurora(std::string_view engine);

// The default max_connections of `engine` on `cls` (docs/model-assumptions.md §17.2):
// MySQL {DBInstanceClassMemory/12582880}; PostgreSQL and Aurora PostgreSQL
// LEAST({DBInstanceClassMemory/9531392},5000); Aurora MySQL AWS's per-class table.
// DBInstanceClassMemory is taken as the class's nominal memory (an upper bound:
// AWS subtracts what the OS and RDS processes use, an amount it does not publish).
std::int64_t default_max_connections(std::string_view engine, const InstanceClass& cls);

// The default max_connections of an Aurora Serverless v2 instance whose
// maximum capacity is `max_acu` (docs/model-assumptions.md §17.5): the
// engine's formula on the memory of the maximum capacity, 2 GiB per ACU
// (PostgreSQL LEAST({mem/9531392},5000), MySQL {mem/12582880}; UNCONFIRMED).
std::int64_t serverless_max_connections(std::string_view engine, double max_acu);

// Rounds `acu` up to the next multiple of 0.5 ACU (Aurora Serverless v2's step).
double ceil_half_acu(double acu);

// The RDS Proxy's billed vCPUs: the target instances' vCPUs, at least `min_vcpus`.
double proxy_billed_vcpus(double instance_vcpus, double min_vcpus);

}  // namespace slsim::models::rds
