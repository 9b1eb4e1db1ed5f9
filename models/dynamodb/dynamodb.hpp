#pragma once
// `dynamodb`: an Amazon DynamoDB table. Capacity units from item size and
// consistency; provisioned capacity (token buckets keeping up to 300 s of
// unused capacity, target-tracking auto scaling) or on-demand (twice the
// previous peak at once); partitions that cap a hot key at 3000 RCU / 1000 WCU
// per second; the caller's SDK retries with full-jitter backoff; an optional
// DAX cluster (item and query caches on the shared cache model); cost.
// See models/dynamodb/README.md and docs/model-assumptions.md §13.
#include <vector>

#include "models/streams/stream_mapping.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim::models {

ServiceType dynamodb_type();
// The analytic estimate of one service of the type (analytic.cpp).
void dynamodb_analytic(const AnalyticView& view, ServiceEstimate& out);
// The insights of one table (insights.cpp): throttles retried by the SDK.
void dynamodb_insights(const InsightInput& in, std::vector<InsightCandidate>& out);

// --- Test accessor (for tests only; the CLI never uses it) -----------------
// Makes the stream of `table` (a dynamodb service with `stream:`) append every
// change record's end to `sink`; nullptr stops it. Throws std::logic_error for
// any other service.
void dynamodb_observe_stream(Service& table, std::vector<StreamRecordEnd>* sink);

}  // namespace slsim::models
