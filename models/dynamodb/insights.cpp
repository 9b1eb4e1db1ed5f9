// The insights of one DynamoDB table (docs/insights.md): a provisioned table
// whose throttles the SDK retries, which keeps its callers waiting (and, for
// Lambda functions, billed).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/dynamodb/dynamodb.hpp"
#include "sim/analysis/insights.hpp"
#include "sim/report/number_text.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

void dynamodb_insights(const InsightInput& in, std::vector<InsightCandidate>& out) {
  if (in.decl == nullptr) return;
  const ServiceDecl& decl = *in.decl;
  const Json* me = service_result(in.result, decl.name);
  if (me == nullptr) return;
  const Json* mode = me->find_path("capacity.mode");
  if (mode == nullptr || !mode->is_string() || mode->as_string() != "provisioned") return;
  const double requests = number_at(*me, "requests"), throttles = number_at(*me, "throttles");
  const double by_table = number_at(*me, "throttled_by.table"), retries = number_at(*me, "retries");
  // The table's capacity, not one hot partition (which on-demand would not cure), and retried by the SDK.
  if (requests <= 0 || throttles < 0.01 * requests || by_table < 0.5 * throttles || retries <= 0) return;
  // The Lambda function that calls it and bills the most: its cost carries the retries' waits.
  std::string caller;
  double caller_gb_s = -1;
  for (const auto& e : in.scenario.edges) {
    if (e.to != decl.name || e.label != "calls") continue;
    const ServiceDecl* from = in.scenario.find_service(e.from);
    if (from == nullptr || from->type == nullptr || from->type->name != "lambda") continue;
    const Json* f = service_result(in.result, from->name);
    const double gb_s = f != nullptr ? number_at(*f, "billed_gb_s") : 0.0;
    if (gb_s > caller_gb_s) caller = from->name, caller_gb_s = gb_s;
  }
  InsightCandidate c;
  c.id = "dynamodb-throttles-retried";
  c.service = decl.name;
  c.severity = InsightSeverity::high;
  c.evidence["requests"] = requests;
  c.evidence["throttles"] = throttles;
  c.evidence["throttled_share"] = throttles / requests;
  c.evidence["retries"] = retries;
  c.evidence["failed"] = number_at(*me, "failed");
  c.evidence["wcu_mean"] = number_at(*me, "capacity.wcu.mean");
  c.evidence["rcu_mean"] = number_at(*me, "capacity.rcu.mean");
  std::string cost_part;
  if (!caller.empty()) {
    c.evidence["caller"] = caller;
    c.evidence["caller_billed_gb_s"] = caller_gb_s;
    c.evidence["caller_usd"] = number_at(in.result, "cost.by_service." + caller);
    c.metric = "cost.by_service." + caller;
    c.metric_label = "cost of " + caller + " (USD)";
    cost_part = fmt::format("; {} waits for them, billed: {} in the window", caller,
                            usd_text(number_at(in.result, "cost.by_service." + caller)));
  } else {
    c.metric = "services." + decl.name + ".throttles";
    c.metric_label = "throttles of " + decl.name;
  }
  c.weight = throttles / requests;
  c.title = fmt::format("{} of the {} requests to {} were throttled by its provisioned capacity and the SDK retried "
                        "{} times ({} failed after its last attempt){}",
                        percent_text(throttles / requests), number_text(requests), decl.name, number_text(retries),
                        number_text(number_at(*me, "failed")), cost_part);
  c.fix = {fmt::format("services.{}.capacity={{mode: on_demand}}", decl.name)};
  c.fix_summary = "on-demand capacity";
  c.fix_note = "on-demand serves up to twice the previous peak at once and bills per request; raising the provisioned "
               "capacity (or its auto scaling's max) is the other way";
  out.push_back(std::move(c));
}

}  // namespace slsim::models
