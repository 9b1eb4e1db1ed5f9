// The analytic estimate of a Kinesis stream: puts capped per shard at 1000
// records and 1 MB per second (as rate caps over shards loaded evenly), the
// consumer's batches (models/streams/analytic.hpp) and cost.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/kinesis/kinesis.hpp"
#include "models/pricing/catalog.hpp"
#include "models/streams/analytic.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {
constexpr double kShardRecordsPerSecond = 1000.0;       // docs/model-assumptions.md §5.1
constexpr double kShardBytesPerSecond = 1024.0 * 1024;  // docs/model-assumptions.md §5.1
constexpr double kPayloadUnitBytes = 25 * 1024;
constexpr double kBaseRetentionSeconds = 24 * 3600.0;
}  // namespace

void kinesis_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const double shards = static_cast<double>(p.integer("shards"));
  const double puts = view.calls("put");
  const double bytes = view.mean_payload("put");
  const double per_shard = puts / shards;
  const double capacity = std::min(kShardRecordsPerSecond, bytes > 0 ? kShardBytesPerSecond / bytes : kShardRecordsPerSecond);
  const double throttle = per_shard > capacity ? 1.0 - capacity / per_shard : 0.0;
  const double records = puts * (1.0 - throttle);
  out.answer("put", AnalyticAnswer{1.0 - throttle, throttle, 0, 0, 0, 0});
  out.rate("puts", puts, "puts");
  out.rate("throttles", puts * throttle,
           fmt::format("puts beyond {:.4g} per shard per second (records or bytes), shards loaded evenly", capacity),
           ReasonClass::bursts, "the shard limits are one-second buckets, and keys may load shards unevenly");
  out.rate("records", records, "puts accepted");
  const double units = std::max(1.0, std::ceil(bytes / kPayloadUnitBytes));
  out.rate("payload_units", records * units, "records x 25 KB units");
  if (p.has("consumer")) {
    const Record& c = p.record("consumer");
    const double lanes = shards * static_cast<double>(c.integer("parallelization_factor"));
    const StreamConsumerFlows f = stream_consumer_analytic(view, c, records, lanes, bytes, "", out);
    out.flow("put", {f.function, "invoke", (1.0 - throttle) * f.invocations, f.records_per_batch});
    if (!f.on_failure.empty()) out.flow("put", {f.on_failure, f.on_failure_op, (1.0 - throttle) * f.discards, 1});
  }
  const PriceCatalog price(view.scenario());
  const double shard_hours = shards * view.seconds() / 3600.0;
  out.cost("shard hours", shard_hours, "shard-hours", shard_hours * price("kinesis.shard_hour"), true);
  if (static_cast<double>(p.duration("retention")) / 1e9 > kBaseRetentionSeconds)
    out.cost("extended retention", shard_hours, "shard-hours", shard_hours * price("kinesis.extended_retention_shard_hour"),
             true);
  const double payload_units = records * units * view.seconds();
  out.cost("PUT payload units", payload_units, "25 KB units", payload_units * price("kinesis.put_payload_unit"));
}

}  // namespace slsim::models
