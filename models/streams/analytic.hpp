#pragma once
// The stream event source mapping's part of an analytic estimate, shared by
// the stream types (kinesis, dynamodb streams): batches per lane, their
// retries, what is discarded, and the lanes' load (docs/analyze.md).
#include <string>

#include "sim/analysis/analytic.hpp"
#include "sim/scenario/schema.hpp"

namespace slsim::models {

// Where each record goes on, for the owner's flows (per record appended).
struct StreamConsumerFlows {
  std::string function;
  double invocations = 0;  // batch invocations per record
  double records_per_batch = 1;
  std::string on_failure;  // empty: none
  std::string on_failure_op;
  double discards = 0;     // on-failure messages per record
};

// Adds the consumer's figures under `prefix` ("" or "stream.") for
// `records_per_s` records of `record_bytes` spread evenly over `lanes` lanes.
StreamConsumerFlows stream_consumer_analytic(const AnalyticView& view, const Record& consumer, double records_per_s,
                                             double lanes, double record_bytes, const std::string& prefix,
                                             ServiceEstimate& out);

}  // namespace slsim::models
