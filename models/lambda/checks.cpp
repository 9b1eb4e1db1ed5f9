// Load-time checks of a function that need the whole scenario, and warnings
// for a handler that cannot finish within its timeout.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include <boost/math/special_functions/gamma.hpp>
#include <fmt/format.h>

#include "models/lambda/provisioned_scaling.hpp"
#include "models/lambda/schema.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"

namespace slsim::models {

namespace {

// A duration for messages, to 3 significant digits in the largest unit that
// keeps it at least 1 ("13.8s", "600ms", "1.5min").
std::string approx(double ns) {
  static constexpr std::pair<double, const char*> kUnits[] = {
      {86400e9, "d"}, {3600e9, "h"}, {60e9, "min"}, {1e9, "s"}, {1e6, "ms"}, {1e3, "us"}};
  for (const auto& [factor, name] : kUnits)
    if (ns >= factor) return fmt::format("{:.3g}{}", ns / factor, name);
  return fmt::format("{:.3g}ns", ns);
}

// The smallest value a draw can take.
double lower_bound(const Distribution& d) { return d.kind() == DistKind::gamma ? 0.0 : d.quantile(0.0); }

// P(X >= x), the share of the draws at or above x.
double share_at_or_above(const Distribution& d, double x) {
  if (d.kind() == DistKind::gamma) {
    const double mean = d.mean(), variance = d.variance();
    return boost::math::gamma_q(mean * mean / variance, x * mean / variance);
  }
  // The quantile function inverted by bisection: the largest q with quantile(q) < x.
  if (!(d.quantile(0.0) < x)) return 1.0;
  double lo = 0.0, hi = 1.0;
  for (int i = 0; i < 64; ++i) {
    const double mid = 0.5 * (lo + hi);
    (d.quantile(mid) < x ? lo : hi) = mid;
  }
  return 1.0 - lo;
}

double median(const Distribution& d) {
  if (d.kind() != DistKind::gamma) return d.quantile(0.5);
  const double mean = d.mean(), variance = d.variance();
  return boost::math::gamma_p_inv(mean * mean / variance, 0.5) * variance / mean;
}

std::string percent(double share) {
  if (share >= 0.995) return "more than 99%";
  return fmt::format("about {:.0f}%", 100.0 * share);
}

}  // namespace

void warn_impossible_timeouts(const ServiceDecl& decl, const Scenario& sc, Diagnostics& diags) {
  const Record& p = decl.params;
  const Value& duration = p.get("duration");
  if (!duration.present) return;
  const Distribution& d = duration.dist;
  const double scale = duration_scale(p);
  const SimTime timeout = p.duration("timeout");
  const std::string timeout_text = format_duration(static_cast<double>(timeout));
  const std::string path = "services." + decl.name + ".duration";
  const bool scaled = p.has("cpu_scaling");
  const std::string source =
      scaled ? fmt::format("'duration' measured at {}, scaled x{:.3g} by cpu_scaling to {}",
                           format_size(p.record("cpu_scaling").size("reference_memory"), "MB"), scale,
                           format_size(p.size("memory"), "MB"))
             : std::string("'duration'");
  const std::string more_memory = scaled ? ", or give the function more memory" : "";
  const double max_timeout = lambda_schema().find("timeout")->max;  // the declared limit
  // The model times out an invocation whose handler time, rounded to ns, reaches the timeout.
  const double lowest = lower_bound(d) * scale;
  if (round_ns(lowest) >= timeout) {
    diags.warning(duration.loc, path,
                  fmt::format("every invocation will time out: the handler takes at least {} ({}), at or above the "
                              "timeout of {}",
                              approx(lowest), source, timeout_text),
                  lowest < max_timeout
                      ? fmt::format("raise 'timeout' above {} (at most {}), or make 'duration' shorter{}",
                                    approx(lowest), format_duration(max_timeout), more_memory)
                      : fmt::format("no timeout is long enough (at most {}): make 'duration' shorter{}",
                                    format_duration(max_timeout), more_memory));
    return;
  }
  const double share = share_at_or_above(d, static_cast<double>(timeout) / scale);
  if (share > 0.5) {
    diags.warning(duration.loc, path,
                  fmt::format("{} of invocations will time out: the median handler time is {} ({}), above the "
                              "timeout of {}",
                              percent(share), approx(median(d) * scale), source, timeout_text),
                  fmt::format("raise 'timeout', or check 'duration'{}", more_memory));
  }
  // An event source's batch runs one draw of `duration` per record.
  if (lowest <= 0) return;
  for (const auto& s : sc.services) {
    if (s.params.schema == nullptr || s.params.schema->find("consumer") == nullptr || !s.params.has("consumer"))
      continue;
    const Record& consumer = s.params.record("consumer");
    if (consumer.schema->find("function") == nullptr || consumer.schema->find("batch_size") == nullptr ||
        consumer.text("function") != decl.name)
      continue;
    const Value& batch = consumer.get("batch_size");
    const std::int64_t size = consumer.integer("batch_size");
    if (size <= 1 || round_ns(static_cast<double>(size) * lowest) < timeout) continue;
    std::int64_t fits = 1;
    while (fits + 1 < size && round_ns(static_cast<double>(fits + 1) * lowest) < timeout) ++fits;
    diags.warning(batch.given ? batch.loc : consumer.loc, "services." + s.name + ".consumer.batch_size",
                  fmt::format("a full batch of {} records will time out in '{}': each record takes at least {} ({}), "
                              "{} in all, at or above the timeout of {}",
                              size, decl.name, approx(lowest), source, approx(static_cast<double>(size) * lowest),
                              timeout_text),
                  fmt::format("a batch runs the handler once per record: lower batch_size to {} or less, or raise "
                              "the timeout of '{}'",
                              fits, decl.name));
  }
}

void check_lambda(const ServiceDecl& decl, const Scenario& sc, Diagnostics& diags) {
  const Record& p = decl.params;
  const std::string path = "services." + decl.name;
  const double memory_mb = p.size("memory") / 1048576.0;  // bytes -> MB
  if (memory_mb != std::floor(memory_mb))
    diags.error(p.get("memory").loc, path + ".memory",
                fmt::format("expected a whole number of MB (Lambda memory is set in 1 MB steps), found '{}'", p.get("memory").text));
  if ((p.has("provisioned_concurrency") || p.has("provisioned_scaling")) && p.has("snapstart"))
    diags.error(p.get("snapstart").loc, path + ".snapstart", "SnapStart cannot be combined with provisioned concurrency");
  if (p.has("provisioned_concurrency") && p.has("reserved_concurrency") &&
      p.integer("provisioned_concurrency") > p.integer("reserved_concurrency"))
    diags.error(p.get("provisioned_concurrency").loc, path + ".provisioned_concurrency",
                fmt::format("provisioned concurrency {} exceeds the reserved concurrency {}", p.integer("provisioned_concurrency"),
                            p.integer("reserved_concurrency")));
  check_provisioned_scaling(decl, diags);
  for (const Value& v : p.list("calls")) {
    const Record& c = *v.record;
    const ServiceDecl* target = sc.find_service(c.text("to"));
    if (target == nullptr || target->type == nullptr || !c.has("op")) continue;
    const auto& ops = target->type->ops;
    if (std::find(ops.begin(), ops.end(), c.text("op")) == ops.end())
      diags.error(c.get("op").loc, v.path + ".op",
                  fmt::format("'{}' ({}) has no operation '{}' (it has {})", target->name, target->type->name, c.text("op"),
                              quoted_list(ops)),
                  target->type->op_hint(c.text("op")));
  }
  // Account-wide: reservations must leave `unreserved_min` unreserved. Reported once, at the first function.
  const ServiceDecl* first = nullptr;
  std::int64_t carved = 0;
  for (const auto& s : sc.services) {
    if (s.type == nullptr || s.type->name != "lambda") continue;
    if (first == nullptr) first = &s;
    if (s.params.has("reserved_concurrency")) carved += s.params.integer("reserved_concurrency");
    else carved += initial_provisioned(s.params);
  }
  if (first == &decl) {
    const std::int64_t limit = sc.account.integer("lambda_concurrency");
    const std::int64_t floor = sc.account.integer("unreserved_min");
    if (carved > limit - floor)
      diags.error(decl.loc, "services",
                  fmt::format("reserved and provisioned concurrency add up to {}, but the account ({} in "
                              "account.lambda_concurrency) must keep {} unreserved (account.unreserved_min): at most {} "
                              "can be reserved",
                              carved, limit, floor, limit - floor));
  }
  warn_impossible_timeouts(decl, sc, diags);
}

}  // namespace slsim::models
