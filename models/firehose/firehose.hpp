#pragma once
// `firehose`: an Amazon Data Firehose delivery stream into an S3 bucket.
// Records are acknowledged at once and buffered; the buffer is delivered when
// it reaches buffer_size or buffer_interval after its first record.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType firehose_type();
// The analytic estimate of one service of the type (analytic.cpp).
void firehose_analytic(const AnalyticView& view, ServiceEstimate& out);
}
