#pragma once
// `sqs`: an Amazon SQS queue, standard or FIFO, with its retention, delay,
// visibility timeout, redrive to a dead-letter queue, FIFO message groups and
// API throttle, and an optional Lambda event source mapping (`consumer`) whose
// pollers scale from 5 concurrent batches by up to 300 per minute. Cost:
// requests (sends in 64 KB chunks, receives, empty long-poll receives,
// deletes) with monthly tiers and the free tier. See models/sqs/README.md.
#include <cstdint>
#include <vector>

#include "sim/scenario/registry.hpp"

namespace slsim::models {

ServiceType sqs_type();
// The analytic estimate of one service of the type (analytic.cpp).
void sqs_analytic(const AnalyticView& view, ServiceEstimate& out);
// The insights of one queue (insights.cpp): a growing backlog, dead-lettered messages.
void sqs_insights(const InsightInput& in, std::vector<InsightCandidate>& out);

// --- Test accessor (for tests only; the CLI never uses it) -----------------
// One deleted message: its FIFO message group (0 for a standard queue), the
// id of its request (ids grow in arrival order) and how many times it was
// received before its deletion.
struct SqsDeletion {
  std::uint32_t group = 0;
  std::uint64_t request_id = 0;
  std::uint32_t receives = 0;
};
// Makes `queue` (a service built from an `sqs` declaration) append every
// deletion to `sink`, in the order they happen; nullptr stops it. The sink
// must outlive the run. Throws std::logic_error if `queue` is not an sqs.
void sqs_observe_deletions(Service& queue, std::vector<SqsDeletion>* sink);

}  // namespace slsim::models
