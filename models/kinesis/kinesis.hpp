#pragma once
// `kinesis`: an Amazon Kinesis data stream in provisioned mode: shards with
// their write limits (1000 records/s and 1 MB/s each, excess throttled),
// retention, partition keys hashed to shards, and an optional Lambda event
// source mapping (`consumer`, the shared StreamMapping of models/streams/):
// one batch in flight per shard and parallelization lane, records in order, a
// failed batch retried while its lane stays blocked, bisection, maximum
// retries and record age, an on-failure destination. Cost: shard-hours,
// extended retention and PUT payload units. See models/kinesis/README.md.
#include <cstdint>
#include <vector>

#include "models/streams/stream_mapping.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim::models {

ServiceType kinesis_type();
// The analytic estimate of one service of the type (analytic.cpp).
void kinesis_analytic(const AnalyticView& view, ServiceEstimate& out);

// --- Test accessor (for tests only; the CLI never uses it) -----------------
// The end of one accepted record (see StreamRecordEnd: the stream's records
// are kept by its event source mapping, models/streams/).
using KinesisRecordEnd = StreamRecordEnd;
// Makes `stream` (a service built from a `kinesis` declaration) append every
// record end to `sink`, in the order they happen; nullptr stops it. The sink
// must outlive the run. Throws std::logic_error if `stream` is not a kinesis.
void kinesis_observe(Service& stream, std::vector<KinesisRecordEnd>* sink);

}  // namespace slsim::models
