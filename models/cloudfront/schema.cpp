// The cloudfront parameters, declared once (docs, loader and errors come from
// here), and the checks that need more than one value. Defaults, limits and
// prices: docs/model-assumptions.md §15.
#include "models/cloudfront/schema.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/lambda/schema.hpp"
#include "sim/cache/cache_params.hpp"
#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

constexpr double kMB = 1048576.0;

const std::vector<std::string>& trigger_names() {
  static const std::vector<std::string> names = {"viewer_request", "origin_request", "origin_response", "viewer_response"};
  return names;
}

// A Lambda parameter's declaration, reused so that the edge pool's defaults are the Lambda model's.
ParamSpec lambda_param(const std::string& name, const std::string& help_suffix) {
  const ParamSpec* p = lambda_schema().find(name);
  ParamSpec copy = *p;
  copy.help += help_suffix;
  return copy;
}

const Schema& function_schema() {
  static const Schema s = [] {
    ParamSpec trigger = param("trigger", ParamType::choice, "", "",
                              "where the function runs: viewer_request (every request, before the cache), "
                              "origin_request (edge-cache misses, before the origin), origin_response (the "
                              "origin's answer to a miss, before it is cached), viewer_response (every answer)");
    trigger.choices = trigger_names();
    trigger.required = true;
    ParamSpec kind = param("kind", ParamType::choice, "", "",
                           "cloudfront_function (viewer triggers only, sub-millisecond, no environments) or "
                           "lambda_edge (a Lambda function replicated to the edge: environments, cold starts, "
                           "concurrency)");
    kind.choices = {"cloudfront_function", "lambda_edge"};
    kind.required = true;
    ParamSpec duration = param("duration", ParamType::distribution, "ms", "",
                               "the function's run time per invocation (required unless 'function' names one)");
    duration.min = 0;
    ParamSpec function = param("function", ParamType::reference, "", "",
                               "lambda_edge only, instead of the inline keys: a `lambda` service declared with "
                               "`edge: true` runs as this trigger's function (its own memory, duration, calls, "
                               "environments and report; Lambda@Edge prices)");
    function.ref_types = {"lambda"};
    function.edge = "function";
    function.edge_op = EdgeOp::fixed;
    function.edge_op_name = "invoke";
    ParamSpec compute = param("compute_limit", ParamType::duration, "ms", "1ms",
                              "cloudfront_function only: a run longer than this fails the request (AWS: under 1 ms "
                              "of compute; the exact cut-off is UNCONFIRMED)");
    compute.min = 1e3;
    compute.max = 1e9;
    ParamSpec memory = param("memory", ParamType::size, "MB", "128MB",
                             "lambda_edge only: memory (viewer triggers at most 128 MB, origin triggers up to 10,240 MB)");
    memory.min = 128 * kMB;
    memory.max = 10240 * kMB;
    ParamSpec timeout = param("timeout", ParamType::duration, "s", "",
                              "lambda_edge only: the run's time limit; a longer run fails the request (default and "
                              "maximum: 5 s on viewer triggers, 30 s on origin triggers)");
    timeout.min = 1e6;
    timeout.max = 30e9;
    ParamSpec concurrency = param("concurrency", ParamType::integer, "", "1000",
                                  "lambda_edge only: environments that may run at once; a request beyond them is "
                                  "throttled (CloudFront answers 503). UNCONFIRMED: Lambda@Edge counts against the "
                                  "Lambda concurrency of each Region it runs in (1,000 by default)");
    concurrency.min = 1;
    concurrency.max = 1e6;
    ParamSpec errors = param("errors", ParamType::probability, "", "0",
                             "probability that a run fails (CloudFront answers 502 or 503)");
    const std::string edge_only = "; lambda_edge only";
    return Schema{"edge function",
                  "Code CloudFront runs on a request or response: a CloudFront Function or a Lambda@Edge function.",
                  {trigger, kind, duration, function, compute, memory, timeout, lambda_param("cold_start", edge_only),
                   lambda_param("idle_timeout", edge_only), lambda_param("warm_selection", edge_only), concurrency, errors},
                  {{"event_type", "write 'trigger', e.g. trigger: viewer_request"},
                   {"event", "write 'trigger', e.g. trigger: viewer_request"},
                   {"function_arn", "write the function inline: kind, duration (and memory for lambda_edge)"},
                   {"lambda_function_arn", "write the function inline: kind: lambda_edge, duration, memory"},
                   {"memory_size", "write 'memory' with its unit, e.g. memory: 128MB"},
                   {"include_body", "not modelled: leave it out"},
                   {"runtime", "not modelled: give the init time you measure as 'cold_start'"},
                   {"code", "the code is not modelled: give its run time as 'duration'"}}};
  }();
  return s;
}

const Schema& shield_schema() {
  static const Schema s = [] {
    ParamSpec enabled = param("enabled", ParamType::boolean, "", "true", "false turns Origin Shield off");
    ParamSpec latency = param("latency", ParamType::distribution, "ms", "{dist: lognormal, median: 20ms, p99: 60ms}",
                              "added to an edge-cache miss for the round trip to the shield's Region (UNCONFIRMED: "
                              "AWS publishes no figure)");
    latency.min = 0;
    std::vector<ParamSpec> params = {enabled, latency};
    for (ParamSpec& p : cache_params("1d", "response")) {
      if (p.name == "ttl") continue;  // the distribution's cache policy gives the TTL of both layers
      p.help = p.name == "hit_ratio"
                   ? "configured hits of the shield: each lookup hits with this probability (default: as the edge cache)"
                   : "emergent hits of the shield: it holds at most this many responses, least recently used evicted "
                     "first, with the edge cache's ttl (default: as the edge cache)";
      params.push_back(p);
    }
    return Schema{"origin_shield",
                  "Origin Shield: a second cache layer between the edge caches and the origin; edge misses go to it.",
                  params};
  }();
  return s;
}

std::vector<Alias> cloudfront_aliases() {
  const std::string not_modelled = "not modelled: leave it out";
  const std::string ttl = "write 'ttl' with its unit, e.g. ttl: 1d (the cache policy's default TTL)";
  return {
      {"origins", "write 'origin: SERVICE' (one origin per distribution)"},
      {"origin_domain", "write 'origin: SERVICE' (the service's name under services:)"},
      {"domain_name", "write 'origin: SERVICE' (the service's name under services:)"},
      {"target_origin_id", "write 'origin: SERVICE' (the service's name under services:)"},
      {"default_ttl", ttl},
      {"max_ttl", ttl},
      {"min_ttl", ttl},
      {"cache_policy", ttl},
      {"hit_rate", "write 'hit_ratio', e.g. hit_ratio: 0.9"},
      {"function_associations", "write 'functions: [{trigger: viewer_request, kind: cloudfront_function, duration: 300us}]'"},
      {"lambda_function_associations",
       "write 'functions: [{trigger: origin_request, kind: lambda_edge, memory: 128MB, duration: 20ms}]'"},
      {"origin_read_timeout", "write 'origin_timeout' with its unit, e.g. origin_timeout: 30s"},
      {"response_timeout", "write 'origin_timeout' with its unit, e.g. origin_timeout: 30s"},
      {"viewer_protocol_policy", "write 'protocol: https' or 'protocol: http' (the request price differs)"},
      {"price_class", not_modelled},
      {"aliases", not_modelled},
      {"viewer_certificate", not_modelled},
      {"web_acl_id", not_modelled},
      {"logging", not_modelled},
      {"enabled", not_modelled},
      {"compress", not_modelled},
  };
}

// An edge function given as `function: NAME` (a lambda service with `edge: true`).
void check_named_function(const Record& f, Trigger trigger, const Scenario& sc, Diagnostics& diags) {
  const Value& function = f.get("function");
  if (f.text("kind") != "lambda_edge") {
    diags.error(function.loc, function.path, "'function' names a Lambda@Edge function: it needs kind: lambda_edge",
                "a CloudFront Function is declared inline: kind: cloudfront_function, duration: 300us");
    return;
  }
  for (const char* key : {"duration", "memory", "timeout", "cold_start", "idle_timeout", "warm_selection",
                          "concurrency", "errors", "compute_limit"}) {
    const Value& x = f.get(key);
    if (x.given)
      diags.error(x.loc, x.path, fmt::format("'{}' belongs to the function '{}' when 'function' names it", key, function.text),
                  fmt::format("set it on services.{}, or leave 'function' out and declare the function inline",
                              function.text));
  }
  const ServiceDecl* target = sc.find_service(function.text);
  if (target == nullptr || target->type == nullptr || target->type->name != "lambda") return;
  const Record& lp = target->params;
  if (!lp.flag("edge")) {
    diags.error(function.loc, function.path,
                fmt::format("'{}' is not declared as a Lambda@Edge function", function.text),
                fmt::format("add 'edge: true' to services.{} (Lambda@Edge prices and limits then apply to it)",
                            function.text));
    return;
  }
  const Value& memory = lp.get("memory");
  if (memory.number > lambda_edge_memory_limit_bytes(trigger))
    diags.error(function.loc, function.path,
                fmt::format("'{}' has {} of memory, but a Lambda@Edge function on {} has at most 128MB",
                            function.text, memory.present ? memory.text : "128MB", trigger_name(trigger)),
                fmt::format("set services.{}.memory to 128MB, or run it on an origin trigger (up to 10,240 MB)",
                            function.text));
  const Value& timeout = lp.get("timeout");
  if (round_ns(timeout.number) > lambda_edge_time_limit(trigger))
    diags.error(function.loc, function.path,
                fmt::format("'{}' has a timeout of {}, but a Lambda@Edge function on {} runs at most {}", function.text,
                            timeout.text, trigger_name(trigger), viewer_trigger(trigger) ? "5s" : "30s"),
                fmt::format("set services.{}.timeout within the trigger's limit", function.text));
}

}  // namespace

std::string_view trigger_name(Trigger t) { return trigger_names()[static_cast<std::size_t>(t)]; }

Trigger trigger_of(std::string_view name) {
  const auto& names = trigger_names();
  return static_cast<Trigger>(std::find(names.begin(), names.end(), name) - names.begin());
}

CacheConfig distribution_cache_config(const Record& p) {
  if (p.duration("ttl") == 0) return CacheConfig{0.0, 0, 0};  // docs/model-assumptions.md §15.1
  return cache_config(p);
}

// docs/model-assumptions.md §15.3.
SimTime lambda_edge_time_limit(Trigger t) { return viewer_trigger(t) ? 5 * kSecond : 30 * kSecond; }
double lambda_edge_memory_limit_bytes(Trigger t) { return (viewer_trigger(t) ? 128.0 : 10240.0) * kMB; }

const Schema& cloudfront_schema() {
  static const Schema s = [] {
    ParamSpec origin = param("origin", ParamType::reference, "", "",
                             "the service a cache miss is forwarded to (an s3 bucket, an apigateway, a lambda, an "
                             "external server...); CloudFront waits for its answer");
    origin.required = true;
    origin.edge = "origin";
    origin.edge_op = EdgeOp::from_key;
    origin.edge_op_name = "origin_op";
    origin.edge_op_prefer = origin_preferred_ops();
    ParamSpec origin_op = param("origin_op", ParamType::text, "", "",
                                "the operation a miss sends to the origin (default: get when it has one, else its "
                                "default operation)");
    ParamSpec origin_timeout = param("origin_timeout", ParamType::duration, "s", "30s",
                                     "how long CloudFront waits for the origin; then the viewer gets 504 (AWS: 30 s by "
                                     "default, 1-60 s, more on request; UNCONFIRMED)");
    origin_timeout.min = 1e9;
    origin_timeout.max = 180e9;
    ParamSpec edge_latency = param("edge_latency", ParamType::distribution, "ms",
                                   "{dist: lognormal, median: 15ms, p99: 80ms}",
                                   "the viewer's round trip to the edge location and its handling there, on every "
                                   "request (UNCONFIRMED: AWS publishes no figure; set it from your measurements)");
    edge_latency.min = 0;
    std::vector<ParamSpec> params = {origin, origin_op, origin_timeout, edge_latency};
    for (ParamSpec& p : cache_params("1d", "response")) {
      if (p.name == "ttl") {
        // The cache policy's DefaultTTL (86,400 s) and MaxTTL (31,536,000 s).
        p.help = "emergent hits: a cached response expires this long after it was loaded (0s: nothing is cached, "
                 "with hit_ratio too); CloudFront's default TTL is 1 day, its maximum 365 days";
        p.max = 31536000e9;
        p.range_hint = "CloudFront's MaxTTL is 31,536,000 s (365 days)";
      }
      params.push_back(p);
    }
    ParamSpec shield = param("origin_shield", ParamType::record, "", "", "optional Origin Shield (a second cache layer)");
    shield.record = &shield_schema();
    ParamSpec response_size = param("response_size", ParamType::size, "MB", "",
                                    "bytes sent to the viewer per answer, for data transfer out (default: the "
                                    "request's payload, the workload's `payload:`)");
    response_size.min = 0;
    response_size.max = 30.0 * 1024 * 1024 * 1024;
    ParamSpec protocol = param("protocol", ParamType::choice, "", "https",
                               "https or http: the request price (HTTP's is UNCONFIRMED)");
    protocol.choices = {"https", "http"};
    ParamSpec functions = param("functions", ParamType::list, "", "",
                                "edge functions: at most one per trigger, run in the order a request meets them");
    ParamSpec item = param("function", ParamType::record, "", "", "an edge function");
    item.record = &function_schema();
    functions.element.push_back(item);
    functions.record = &function_schema();
    params.insert(params.end(), {shield, response_size, protocol, functions});
    return Schema{"cloudfront",
                  "An Amazon CloudFront distribution: edge caches, optional Origin Shield, edge functions, one origin.",
                  params, cloudfront_aliases()};
  }();
  return s;
}

void check_cloudfront(const ServiceDecl& d, const Scenario& sc, Diagnostics& diags) {
  const Record& p = d.params;
  check_cache_params(p, diags);
  if (p.has("origin_shield")) {
    const Record& shield = p.record("origin_shield");
    const Value& capacity = shield.get("capacity_items");
    if (shield.get("hit_ratio").given && capacity.given)
      diags.error(capacity.loc, capacity.path, "give either hit_ratio or capacity_items, not both",
                  "hit_ratio fixes the hits; capacity_items lets them emerge from the workloads' keys");
  }
  // The origin.
  const Value& origin = p.get("origin");
  const Value& op = p.get("origin_op");
  if (origin.present && origin.text == d.name) {
    diags.error(origin.loc, origin.path, fmt::format("'{}' cannot be its own origin", d.name),
                "name the service a miss goes to (a bucket, an API, a function, an external server)");
  } else if (const ServiceDecl* target = origin.present ? sc.find_service(origin.text) : nullptr;
             target != nullptr && target->type != nullptr) {
    const auto& ops = target->type->ops;
    if (ops.empty()) {
      diags.error(origin.loc, origin.path,
                  fmt::format("'{}' is {} service, which takes no requests", origin.text, a_or_an(target->type->name)));
    } else if (op.present && std::find(ops.begin(), ops.end(), op.text) == ops.end()) {
      diags.error(op.loc, op.path,
                  fmt::format("'{}' ({}) has no operation '{}' (it has {})", target->name, target->type->name, op.text,
                              quoted_list(ops)),
                  target->type->op_hint(op.text));
    }
  }
  // The edge functions.
  std::vector<const Value*> by_trigger(kTriggers, nullptr);
  for (const Value& v : p.list("functions")) {
    if (!v.record) continue;
    const Record& f = *v.record;
    const Trigger trigger = trigger_of(f.text("trigger"));
    const std::string& kind = f.text("kind");
    const Value*& first = by_trigger[static_cast<std::size_t>(trigger)];
    if (first != nullptr) {
      diags.error(f.get("trigger").loc, f.get("trigger").path,
                  fmt::format("a second function on {} (one function per trigger; the first is {})",
                              trigger_name(trigger), first->path),
                  "CloudFront runs at most one function per trigger: merge their work into one");
    } else {
      first = &v;
    }
    const Value& duration = f.get("duration");
    const Value& function = f.get("function");
    if (function.present) {
      check_named_function(f, trigger, sc, diags);
      continue;
    }
    if (!duration.present)
      diags.error(f.loc, f.path, "an edge function needs 'duration'",
                  kind == "lambda_edge" ? "give its run time, e.g. duration: 20ms, or name a lambda service with "
                                          "function: NAME"
                                        : "give its run time, e.g. duration: 300us");
    if (kind == "cloudfront_function") {
      if (!viewer_trigger(trigger))
        diags.error(f.get("kind").loc, f.get("kind").path,
                    fmt::format("a CloudFront Function cannot run on {} (only viewer_request and viewer_response)",
                                trigger_name(trigger)),
                    "use kind: lambda_edge for origin_request and origin_response");
      for (const char* key : {"memory", "timeout", "cold_start", "idle_timeout", "warm_selection", "concurrency"}) {
        const Value& x = f.get(key);
        if (x.given)
          diags.error(x.loc, x.path, fmt::format("'{}' applies to lambda_edge functions only", key),
                      "a CloudFront Function has 2 MB of memory, no environments to keep warm, and fails past its "
                      "compute_limit");
      }
      continue;
    }
    const Value& compute = f.get("compute_limit");
    if (compute.given)
      diags.error(compute.loc, compute.path, "'compute_limit' applies to cloudfront_function functions only",
                  "a Lambda@Edge function's limit is its 'timeout' (5 s on viewer triggers, 30 s on origin triggers)");
    const Value& memory = f.get("memory");
    const double memory_mb = memory.number / kMB;
    if (memory.given && memory_mb != std::floor(memory_mb))
      diags.error(memory.loc, memory.path,
                  fmt::format("expected a whole number of MB (Lambda memory is set in 1 MB steps), found '{}'", memory.text));
    if (memory.number > lambda_edge_memory_limit_bytes(trigger))
      diags.error(memory.loc, memory.path,
                  fmt::format("a Lambda@Edge function on {} has at most 128MB of memory, found '{}'", trigger_name(trigger),
                              memory.text),
                  "viewer triggers allow 128 MB; origin_request and origin_response allow up to 10,240 MB");
    const Value& timeout = f.get("timeout");
    if (timeout.given && round_ns(timeout.number) > lambda_edge_time_limit(trigger))
      diags.error(timeout.loc, timeout.path,
                  fmt::format("a Lambda@Edge function on {} runs at most {}, found '{}'", trigger_name(trigger),
                              viewer_trigger(trigger) ? "5s" : "30s", timeout.text),
                  "viewer triggers allow 5 s, origin triggers 30 s");
  }
}

}  // namespace slsim::models
