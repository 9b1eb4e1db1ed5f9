#pragma once
// Aurora Serverless v2 (`instance: db.serverless`): the `serverless:` block
// read once, and the arithmetic the model and its analytic estimate share
// (docs/model-assumptions.md §17.5).
#include <cstdint>

#include "sim/core/distribution.hpp"
#include "sim/core/time.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim::models::rds {

// AWS's capacity step, ACU.
inline constexpr double kAcuStep = 0.5;

struct ServerlessConfig {
  double min_acu = 0.5;          // MinCapacity; 0: auto-pause
  double max_acu = 16;           // MaxCapacity
  SimTime auto_pause = 0;        // SecondsUntilAutoPause, ns (with min_acu 0)
  Distribution resume;           // time from the first request after a pause to serving, ns
  double target = 0.7;           // utilisation the scaling aims at
  SimTime interval = 0;          // how often capacity is re-evaluated, ns
  double up_rate = 2;            // ACU/s at most added
  double down_rate = 0.5;        // ACU/s at most removed
  double vcpus_per_acu = 0.25;   // vCPUs of one ACU
  bool proxy_prevents_pause = true;
  bool io_optimized = false;

  bool pauses() const { return min_acu == 0; }
  // Lowest capacity while running: the minimum, at least 0.5 ACU (min 0 means paused).
  double floor_acu() const { return min_acu > kAcuStep ? min_acu : kAcuStep; }
  // The most capacity may move per evaluation, in whole 0.5-ACU steps (at least one).
  double up_step() const;
  double down_step() const;
  // The capacity to move towards when `acu_in_use` ACUs are busy: in use /
  // target, rounded up to 0.5, within [floor_acu, max_acu].
  double desired(double acu_in_use) const;
};

// Reads the `serverless:` record (its defaults when the block is absent).
ServerlessConfig serverless_config(const Record& serverless);

// Servers (vCPUs rounded up, at least 1) of `acu` ACUs, each at `speed` (<= 1)
// of a full vCPU so that servers x speed = acu x vcpus_per_acu.
struct ServingCapacity {
  int servers = 1;
  double speed = 1.0;
};
ServingCapacity serving_capacity(double acu, double vcpus_per_acu);

// The instance's max_connections: given, the class's default, or for
// db.serverless the formula on its maximum capacity.
std::int64_t instance_max_connections(const Record& rds_params);

}  // namespace slsim::models::rds
