// The analytic estimate of an S3 bucket: puts (the objects they create) and
// gets, object-created notifications in proportion to their filters, the
// stored bytes growing with the puts, and cost.
#include <string>

#include <fmt/format.h>

#include "models/pricing/catalog.hpp"
#include "models/s3/s3.hpp"
#include "sim/analysis/analytic.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {
constexpr double kGB = 1073741824.0;
}

void s3_analytic(const AnalyticView& view, ServiceEstimate& out) {
  const Record& p = view.service().params;
  const double put_s = p.record("latency").dist("put").mean() / 1e9;
  const double get_s = p.record("latency").dist("get").mean() / 1e9;
  const double put_calls = view.calls("put");
  const double objects = view.items("put");  // a delivery stream writes one object over several puts
  const double objects_per_put = put_calls > 0 ? objects / put_calls : 1.0;
  const double gets = view.calls("get");
  double notified = 0;
  for (const Value& v : p.list("notifications")) {
    const Record& n = *v.record;
    static const char* const keys[] = {"function", "queue", "topic", "bus"};
    static const char* const ops[] = {"invoke_async", "send", "publish", "service_event"};
    for (std::size_t k = 0; k < 4; ++k)
      if (n.has(keys[k])) out.flow("put", {n.text(keys[k]), ops[k], objects_per_put * n.number("filter"), 1});
    notified += objects * n.number("filter");
  }
  out.answer("put", AnalyticAnswer{1, 0, 0, put_s, 0, put_s});
  out.answer("get", AnalyticAnswer{1, 0, 0, get_s, 0, get_s});
  out.rate("puts", objects, "objects put");
  out.rate("gets", gets, "gets");
  out.rate("notifications", notified, "objects x filter, per notification");
  out.rate("failed_notifications", 0, "destinations accept asynchronous events at once");
  const double calls = put_calls + gets;
  out.level("latency_ms.mean", calls > 0 ? (put_calls * put_s + gets * get_s) / calls * 1e3 : put_s * 1e3,
            "the mean put and get latencies, weighted by their calls");
  // Stored bytes grow by each put's payload from the start (warm-up included).
  const double bytes_per_s = put_calls * view.mean_payload("put");
  const double stored_gb = (p.size("stored") + bytes_per_s * (view.warmup_seconds() + view.seconds() / 2)) / kGB;
  out.level("stored_gb.mean", stored_gb, "stored + put bytes per second x (warm-up + half the window)");

  const PriceCatalog price(view.scenario());
  const std::string k = "s3." + p.text("storage_class") + ".";
  const double gb_months = stored_gb * view.seconds() / kMonthSeconds;
  out.cost("storage", gb_months, "GB-month", gb_months * price(k + "gb_month"), true);
  out.cost("put requests", objects * view.seconds(), "requests", objects * view.seconds() * price(k + "put"));
  out.cost("get requests", gets * view.seconds(), "requests", gets * view.seconds() * price(k + "get"));
  if (p.text("storage_class") != "standard") {
    const double gb = gets * view.mean_payload("get") * view.seconds() / kGB;
    out.cost("retrieval", gb, "GB", gb * price(k + "retrieval_gb"));
  }
}

}  // namespace slsim::models
