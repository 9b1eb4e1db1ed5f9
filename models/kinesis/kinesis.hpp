#pragma once
// `kinesis`: an Amazon Kinesis data stream in provisioned mode: shards with
// their write limits (1000 records/s and 1 MB/s each, excess throttled),
// retention, partition keys hashed to shards, and an optional Lambda event
// source mapping (`consumer`): one batch in flight per shard and
// parallelization lane, records in order, a failed batch retried while its
// lane stays blocked, bisection, maximum retries and record age, an on-failure
// destination. Cost: shard-hours, extended retention and PUT payload units.
// See models/kinesis/README.md.
#include <cstdint>
#include <vector>

#include "sim/core/request.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim::models {

ServiceType kinesis_type();

// --- Test accessor (for tests only; the CLI never uses it) -----------------
// The end of one accepted record: its request id (ids grow in arrival order),
// its partition key, shard and lane (shard x parallelization_factor + sub-lane),
// its fate (succeeded = processed by the consumer, expired, dead_lettered,
// dropped), when that fate was settled and the record's age then (from its put).
struct KinesisRecordEnd {
  std::uint64_t request_id = 0;
  std::uint64_t partition_key = 0;
  std::uint32_t shard = 0;
  std::uint32_t lane = 0;
  Outcome fate = Outcome::in_flight;
  SimTime at = 0;
  SimTime age = 0;
};
// Makes `stream` (a service built from a `kinesis` declaration) append every
// record end to `sink`, in the order they happen; nullptr stops it. The sink
// must outlive the run. Throws std::logic_error if `stream` is not a kinesis.
void kinesis_observe(Service& stream, std::vector<KinesisRecordEnd>* sink);

}  // namespace slsim::models
