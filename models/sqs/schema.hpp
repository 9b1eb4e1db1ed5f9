#pragma once
// The sqs parameters, declared once, and the load-time checks that need the
// whole scenario (visibility timeout against the consumer's timeout, redrive,
// FIFO limits).
#include <cstdint>

#include "sim/core/time.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim::models {

// Limits the queue and its analytic estimate share.
// An event source mapping starts with 5 concurrent batches and adds up to 300
// per minute (here one every 200 ms while messages wait for a poller), up to
// 1000 (docs/model-assumptions.md §2.4).
inline constexpr std::int64_t kSqsStartBatches = 5;
inline constexpr std::int64_t kSqsMaxBatches = 1000;
// Lambda's pollers long-poll: one empty ReceiveMessage per idle poller per 20 s.
inline constexpr SimTime kSqsLongPoll = 20 * kSecond;
// docs/model-assumptions.md §2.3: each 64 KB chunk of a payload is one request.
inline constexpr std::uint64_t kSqsChunkBytes = 64 * 1024;
// ReceiveMessage and DeleteMessageBatch carry at most 10 messages (docs/model-assumptions.md §2.1).
inline constexpr std::uint64_t kSqsApiBatch = 10;
// docs/model-assumptions.md §2.2: FIFO queues without high throughput: 300 calls/s per action.
inline constexpr double kSqsFifoApiRate = 300.0;

const Schema& sqs_schema();
void check_sqs(const ServiceDecl& decl, const Scenario& scenario, Diagnostics& diags);
}  // namespace slsim::models
