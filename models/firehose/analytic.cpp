// The analytic estimate of a Firehose delivery stream: records are buffered
// until the size or the interval hint, then written to the bucket as one
// object (a put per record, the first of each delivery creating the object).
#include <algorithm>
#include <cmath>

#include "models/firehose/firehose.hpp"
#include "models/pricing/catalog.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {
constexpr double kBillingStep = 5 * 1024;  // records are billed in 5 KB steps (docs/model-assumptions.md §6)
constexpr double kGB = 1073741824.0;
}  // namespace

void firehose_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const double records = view.calls("put");
  const double bytes = view.mean_payload("put");
  const double interval_s = static_cast<double>(p.duration("buffer_interval")) / 1e9;
  // Records per delivery: the buffer fills to its size, or the interval ends
  // after its first record (which then holds the ones that came meanwhile).
  const double to_fill = bytes > 0 ? std::ceil(p.size("buffer_size") / bytes) : 1e18;
  const double per_delivery = interval_s > 0 ? std::max(1.0, std::min(to_fill, 1.0 + records * interval_s)) : 1.0;
  out.flow("put", {p.text("destination"), "put", 1.0, 1.0 / per_delivery});
  out.answer("put", AnalyticAnswer{});
  out.rate("records", records, "puts");
  out.rate("bytes", records * bytes, "puts x payload");
  out.rate("deliveries", records / per_delivery, "records / min(records to fill the buffer, 1 + rate x interval)");
  out.rate("failed", 0, "the bucket accepts every put");
  const double gb = records * std::max(1.0, std::ceil(bytes / kBillingStep)) * kBillingStep / kGB * view.seconds();
  out.cost("ingestion", gb, "GB (records rounded up to 5 KB)", gb * PriceCatalog(view.scenario())("firehose.ingest_gb"));
}

}  // namespace slsim::models
