#include "models/lambda/provisioned_scaling.hpp"

#include <string>

#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

std::optional<ScheduleExpression> parse_expression(const Value& v, Diagnostics* diags) {
  ScheduleExpression::Error error;
  auto parsed = ScheduleExpression::parse(v.text, error);
  if (!parsed && diags != nullptr) {
    SourceLoc loc = v.loc;
    // Point at the offending part when the expression sits on one line.
    if (loc.line > 0 && v.text.find('\n') == std::string::npos)
      loc.column += static_cast<int>(error.offset) + (v.quoted ? 1 : 0);
    diags->error(loc, v.path, error.message, error.hint);
  }
  return parsed;
}

}  // namespace

ProvisionedScalingConfig provisioned_scaling_config(const Record& s) {
  ProvisionedScalingConfig c;
  c.policy.min = s.integer("min");
  c.policy.max = s.integer("max");
  c.policy.target = s.number("target_utilization");
  c.policy.period = s.duration("period");
  c.policy.out_datapoints = static_cast<int>(s.integer("out_datapoints"));
  c.policy.in_datapoints = static_cast<int>(s.integer("in_datapoints"));
  c.policy.in_fraction = 0.9;  // the low alarm: below 90% of the target (§1.8)
  c.policy.scale_out_cooldown = s.duration("scale_out_cooldown");
  c.policy.scale_in_cooldown = s.duration("scale_in_cooldown");
  c.tracking = s.flag("target_tracking");
  c.allocation_delay = s.dist("allocation_delay");
  c.allocation_rate = s.rate("allocation_rate");
  c.allocation_burst = s.integer("allocation_burst");
  c.start_unix_s = parse_utc_instant(s.text("start")).value_or(0);
  for (const Value& v : s.list("schedule")) {
    const Record& a = *v.record;
    ScheduledPcAction action{*parse_expression(a.get("expression"), nullptr), std::nullopt, std::nullopt};
    if (a.has("min")) action.min = a.integer("min");
    if (a.has("max")) action.max = a.integer("max");
    c.schedule.push_back(std::move(action));
  }
  return c;
}

void check_provisioned_scaling(const ServiceDecl& decl, Diagnostics& diags) {
  const Record& p = decl.params;
  if (!p.has("provisioned_scaling")) return;
  const Record& s = p.record("provisioned_scaling");
  const std::int64_t min = s.integer("min"), max = s.integer("max");
  if (min > max) diags.error(s.get("min").loc, s.get("min").path, fmt::format("provisioned_scaling min ({}) is above its max ({})", min, max));
  if (p.has("provisioned_concurrency") && min <= max) {
    const std::int64_t initial = p.integer("provisioned_concurrency");
    if (initial < min || initial > max)
      diags.error(p.get("provisioned_concurrency").loc, p.get("provisioned_concurrency").path,
                  fmt::format("provisioned concurrency {} is outside provisioned_scaling's min {} and max {}", initial,
                              min, max),
                  "provisioned_concurrency is the allocation at the start: leave it out to start at min");
  }
  const bool has_reserved = p.has("reserved_concurrency");
  const std::int64_t reserved = has_reserved ? p.integer("reserved_concurrency") : 0;
  const auto above_reserved = [&](const Value& v, const char* what) {
    if (has_reserved && v.present && static_cast<std::int64_t>(v.number) > reserved)
      diags.error(v.loc, v.path,
                  fmt::format("{} {} exceeds the reserved concurrency {}", what, static_cast<std::int64_t>(v.number),
                              reserved),
                  "provisioned concurrency is carved from the function's reserved concurrency");
  };
  above_reserved(s.get("max"), "provisioned_scaling max");
  const Value& start = s.get("start");
  if (!parse_utc_instant(start.text))
    diags.error(start.loc, start.path,
                fmt::format("expected a UTC date and time from 1970 to 2199 like 2026-01-05T00:00:00Z, found '{}'",
                            echo(start.text)),
                "schedules run in UTC: end the time with Z, e.g. 2026-01-05T00:00:00Z");
  for (const Value& v : s.list("schedule")) {
    if (!v.record) continue;
    const Record& a = *v.record;
    if (a.get("expression").present) parse_expression(a.get("expression"), &diags);
    if (!a.get("min").given && !a.get("max").given)
      diags.error(v.loc, v.path, "a scheduled action needs 'min', 'max' or both",
                  "e.g. {expression: \"cron(0 8 ? * MON-FRI *)\", min: 10, max: 10}");
    if (a.has("min") && a.has("max") && a.integer("min") > a.integer("max"))
      diags.error(a.get("min").loc, a.get("min").path,
                  fmt::format("scheduled action min ({}) is above its max ({})", a.integer("min"), a.integer("max")));
    above_reserved(a.get("max"), "scheduled max");
    if (!a.has("max")) above_reserved(a.get("min"), "scheduled min");
  }
}

}  // namespace slsim::models
