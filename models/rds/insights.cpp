// The insights of one RDS database (docs/insights.md): connections at their
// limit without an RDS Proxy.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/rds/rds.hpp"
#include "sim/analysis/insights.hpp"
#include "sim/report/number_text.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void rds_insights(const InsightInput& in, std::vector<InsightCandidate>& out) {
  if (in.decl == nullptr || in.decl->params.has("proxy")) return;
  const ServiceDecl& decl = *in.decl;
  const Json* me = service_result(in.result, decl.name);
  if (me == nullptr) return;
  const double limit = number_at(*me, "max_connections"), peak = number_at(*me, "connections_in_use.max");
  const double failures = number_at(*me, "connection_failures"), requests = number_at(*me, "requests");
  // Refused connections, or a peak within 10% of the limit.
  if (limit <= 0 || (failures <= 0 && peak < 0.9 * limit)) return;
  InsightCandidate c;
  c.id = "database-connections-exhausted";
  c.service = decl.name;
  c.severity = failures > 0 ? InsightSeverity::high : InsightSeverity::medium;
  c.evidence["max_connections"] = limit;
  c.evidence["connections_max"] = peak;
  c.evidence["connections_mean"] = number_at(*me, "connections_in_use.mean");
  c.evidence["connection_failures"] = failures;
  c.evidence["requests"] = requests;
  c.evidence["failed_share"] = requests + failures > 0 ? failures / (requests + failures) : 0.0;
  c.weight = failures > 0 ? failures / (requests + failures) : peak / limit;
  if (failures > 0) {
    c.metric = "services." + decl.name + ".connection_failures";
    c.metric_label = "refused connections of " + decl.name;
    c.title = fmt::format("{} connections to {} were refused: its {} connections were all held (peak {}, each "
                          "caller keeps its own)",
                          number_text(failures), decl.name, number_text(limit), number_text(peak));
  } else {
    c.metric = "services." + decl.name + ".connections_in_use.max";
    c.metric_label = "peak connections of " + decl.name;
    c.title = fmt::format("{} peaked at {} of its {} connections: a little more traffic and new ones are refused",
                          decl.name, number_text(peak), number_text(limit));
  }
  c.fix = {fmt::format("services.{}.proxy={{max_connections_percent: 100}}", decl.name)};
  c.fix_summary = "an RDS Proxy";
  c.fix_note = "the proxy pools the connections and lends one per transaction (billed per vCPU-hour of the "
               "database); callers wait for a free one instead of being refused";
  out.push_back(std::move(c));
}

}  // namespace slsim::models
