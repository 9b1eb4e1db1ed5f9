// The `stepfunctions` schema (one variant per state type) and the compiled
// state machine.
#include <algorithm>
#include <cmath>

#include "models/stepfunctions/definition.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim::models {

std::uint8_t sfn_error_mask(const std::string& errors) {
  if (errors == "error") return kSfnError;
  if (errors == "throttled") return kSfnThrottled;
  if (errors == "timeout") return kSfnTimeout;
  return kSfnAll;
}

double Retrier::delay_ns(int n) const {
  const double d = static_cast<double>(interval) * std::pow(backoff_rate, n - 1);
  return max_delay > 0 ? std::min(d, static_cast<double>(max_delay)) : d;
}

int Definition::index_of(const std::string& name) const {
  for (std::size_t i = 0; i < states.size(); ++i)
    if (states[i].name == name) return static_cast<int>(i);
  return -1;
}

namespace {

ParamSpec errors_param(const char* what) {
  ParamSpec errors = param("errors", ParamType::choice, "", "all",
                           std::string("which failures this ") + what +
                               " handles: all, error (an error answer), throttled (a throttle) or timeout (the "
                               "task's or the callee's timeout)");
  errors.choices = {"all", "error", "throttled", "timeout"};
  return errors;
}

const Schema& retry_schema() {
  static const Schema s = [] {
    ParamSpec interval = param("interval", ParamType::duration, "s", "1s", "delay before the first retry (IntervalSeconds)");
    interval.min = 0;
    ParamSpec attempts = param("max_attempts", ParamType::integer, "", "3",
                               "retries at most (MaxAttempts; 0: never retry)");
    attempts.min = 0;
    attempts.max = 99999999;
    ParamSpec backoff = param("backoff_rate", ParamType::number, "", "2",
                              "each retry's delay is the previous one's times this (BackoffRate)");
    backoff.min = 1;
    backoff.max = 1000;
    ParamSpec max_delay = param("max_delay", ParamType::duration, "s", "",
                                "optional cap on a retry's delay (MaxDelaySeconds); no cap when omitted");
    max_delay.min = 0;
    max_delay.min_exclusive = true;
    ParamSpec jitter = param("jitter", ParamType::choice, "", "none",
                             "none: the computed delay; full: uniform between 0 and the computed delay (JitterStrategy)");
    jitter.choices = {"none", "full"};
    return Schema{"retry",
                  "A retrier: delay before retry n = interval x backoff_rate^(n-1), capped by max_delay.",
                  {errors_param("retrier"), interval, attempts, backoff, max_delay, jitter},
                  {{"error_equals", "write 'errors: all | error | throttled | timeout'"},
                   {"interval_seconds", "write 'interval' with its unit, e.g. interval: 1s"},
                   {"backoff", "write 'backoff_rate', e.g. backoff_rate: 2"},
                   {"max_delay_seconds", "write 'max_delay' with its unit, e.g. max_delay: 10s"},
                   {"jitter_strategy", "write 'jitter: full' or 'jitter: none'"}}};
  }();
  return s;
}

const Schema& catch_schema() {
  static const Schema s = [] {
    ParamSpec next = param("next", ParamType::text, "", "", "the fallback state");
    next.required = true;
    return Schema{"catch", "A catcher: where the execution goes when the state fails after its retries.",
                  {errors_param("catcher"), next},
                  {{"error_equals", "write 'errors: all | error | throttled | timeout'"},
                   {"result_path", "data is not modelled: leave it out"}}};
  }();
  return s;
}

ParamSpec next_param() {
  return param("next", ParamType::text, "", "", "the next state; without it the branch (or the execution) ends here");
}

ParamSpec list_of(const char* name, const Schema& element, std::string help) {
  ParamSpec list = param(name, ParamType::list, "", "", std::move(help));
  ParamSpec item = param(name, ParamType::record, "", "", "one item");
  item.record = &element;
  list.element.push_back(item);
  list.record = &element;
  return list;
}

ParamSpec names_list(const char* name, std::string help) {
  ParamSpec list = param(name, ParamType::list, "", "", std::move(help));
  list.element.push_back(param("state", ParamType::text, "", "", "a state name"));
  return list;
}

std::vector<Alias> state_aliases() {
  return {{"end", "a state without 'next' ends its branch: leave 'end' out"},
          {"input_path", "data is not modelled: leave it out"},
          {"output_path", "data is not modelled: leave it out"},
          {"result_path", "data is not modelled: leave it out"},
          {"parameters", "data is not modelled: leave it out"},
          {"comment", "leave comments as YAML comments (# ...)"}};
}

const Schema& task_schema() {
  static const Schema s = [] {
    ParamSpec resource = param("resource", ParamType::reference, "", "", "the service the task calls");
    resource.required = true;
    resource.edge = "task";
    resource.edge_op = EdgeOp::from_key;
    resource.edge_op_name = "op";
    ParamSpec op = param("op", ParamType::text, "", "",
                         "the operation called (the resource's default when omitted: invoke for a lambda)");
    ParamSpec wait = param("wait", ParamType::boolean, "", "true",
                           "true: wait for the answer (an error, throttle or timeout fails the task); false: "
                           "make the call and go on at once");
    ParamSpec timeout = param("timeout", ParamType::duration, "s", "",
                              "optional: the task fails with a timeout when the answer takes longer (TimeoutSeconds)");
    timeout.min = 0;
    timeout.min_exclusive = true;
    std::vector<Alias> aliases = state_aliases();
    aliases.push_back({"timeout_seconds", "write 'timeout' with its unit, e.g. timeout: 10s"});
    aliases.push_back({"function", "write 'resource: SERVICE' (the service's name under services:)"});
    return Schema{"type: task", "Calls a service.",
                  {resource, op, wait, timeout,
                   list_of("retry", retry_schema(), "retriers, the first whose errors match applies"),
                   list_of("catch", catch_schema(), "catchers, the first whose errors match applies after the retries"),
                   next_param()},
                  aliases};
  }();
  return s;
}

const Schema& choice_rule_schema() {
  static const Schema s = [] {
    ParamSpec next = param("next", ParamType::text, "", "", "the state this choice goes to");
    next.required = true;
    ParamSpec probability = param("probability", ParamType::probability, "", "",
                                  "the share of the executions that take it (the rules' conditions are not modelled)");
    probability.required = true;
    return Schema{"choice rule", "One rule of a choice state.", {next, probability},
                  {{"variable", "conditions are not modelled: give the share that matches as 'probability'"}}};
  }();
  return s;
}

const Schema& choice_schema() {
  static const Schema s = [] {
    ParamSpec def = param("default", ParamType::text, "", "",
                          "the state taken when no rule is drawn; without it that execution fails (States.NoChoiceMatched)");
    return Schema{"type: choice", "Goes to one of several states, drawn with the given probabilities.",
                  {list_of("choices", choice_rule_schema(), "the rules, drawn in order"), def}, state_aliases()};
  }();
  return s;
}

const Schema& parallel_schema() {
  static const Schema s = [] {
    ParamSpec branches = param("branches", ParamType::list, "", "",
                               "the branches, each a list of state names: its first state starts it, its states chain by 'next'");
    branches.required = true;
    branches.element.push_back(names_list("branch", "one branch's states"));
    return Schema{"type: parallel", "Runs its branches at once; ends when all have ended, fails when one fails.",
                  {branches, list_of("retry", retry_schema(), "retriers of the whole state"),
                   list_of("catch", catch_schema(), "catchers of the whole state"), next_param()},
                  state_aliases()};
  }();
  return s;
}

const Schema& map_schema() {
  static const Schema s = [] {
    ParamSpec items = param("items", ParamType::integer, "", "1",
                            "items per execution (with items_max: the smallest number, drawn uniformly)");
    items.min = 0;
    items.max = 1000000;
    ParamSpec items_max = param("items_max", ParamType::integer, "", "",
                                "optional: the items are a whole number drawn uniformly in [items, items_max]");
    items_max.min = 0;
    items_max.max = 1000000;
    ParamSpec conc = param("max_concurrency", ParamType::integer, "", "0",
                           "iterations running at once (0: up to the service's map_concurrency_bound)");
    conc.min = 0;
    conc.max = 1000000;
    ParamSpec branch = names_list("branch", "the states each item runs: the first starts, they chain by 'next'");
    branch.required = true;
    std::vector<Alias> aliases = state_aliases();
    aliases.push_back({"iterator", "write 'branch: [STATE, ...]' (the states each item runs)"});
    aliases.push_back({"item_processor", "write 'branch: [STATE, ...]' (the states each item runs)"});
    aliases.push_back({"items_path", "write 'items' (how many items), e.g. items: 10"});
    return Schema{"type: map", "Runs its branch once per item, at most max_concurrency at once.",
                  {items, items_max, conc, branch, list_of("retry", retry_schema(), "retriers of the whole state"),
                   list_of("catch", catch_schema(), "catchers of the whole state"), next_param()},
                  aliases};
  }();
  return s;
}

const Schema& wait_schema() {
  static const Schema s = [] {
    ParamSpec seconds = param("seconds", ParamType::distribution, "s", "", "how long the state waits");
    seconds.required = true;
    seconds.min = 0;
    return Schema{"type: wait", "Waits, then goes on.", {seconds, next_param()}, state_aliases()};
  }();
  return s;
}

const Schema& pass_schema() {
  static const Schema s = Schema{"type: pass", "Goes on at once.", {next_param()}, state_aliases()};
  return s;
}
const Schema& succeed_schema() {
  static const Schema s = Schema{"type: succeed", "Ends its branch (or the execution) successfully.", {}, state_aliases()};
  return s;
}
const Schema& fail_schema() {
  static const Schema s = Schema{"type: fail", "Ends the execution as failed (inside a branch: fails the parallel or map state).",
                                 {}, [] {
                                   std::vector<Alias> a = state_aliases();
                                   a.push_back({"error", "error names are not modelled: leave it out"});
                                   a.push_back({"cause", "error causes are not modelled: leave it out"});
                                   return a;
                                 }()};
  return s;
}

std::vector<Retrier> retriers(const Record& r) {
  std::vector<Retrier> out;
  for (const Value& v : r.list("retry")) {
    const Record& x = *v.record;
    Retrier t;
    t.errors = sfn_error_mask(x.text("errors"));
    t.interval = x.duration("interval");
    t.max_attempts = static_cast<int>(x.integer("max_attempts"));
    t.backoff_rate = x.number("backoff_rate");
    t.max_delay = x.has("max_delay") ? x.duration("max_delay") : 0;
    t.full_jitter = x.text("jitter") == "full";
    out.push_back(t);
  }
  return out;
}

}  // namespace

const Schema& stepfunctions_schema() {
  static const Schema s = [] {
    ParamSpec workflow = param("workflow", ParamType::choice, "", "standard",
                               "standard (billed per state transition, up to 1 year) or express (billed per "
                               "request and GB-s, up to 5 minutes)");
    workflow.choices = {"standard", "express"};
    ParamSpec start = param("start_at", ParamType::text, "", "", "the first state of an execution");
    start.required = true;
    ParamSpec states = param("states", ParamType::map, "", "",
                             "the states, by name: each a mapping with its type (task, choice, parallel, map, wait, pass, "
                             "succeed, fail) and that type's keys below");
    states.required = true;
    ParamSpec state = param("state", ParamType::variant, "", "", "a state");
    state.discriminator = "type";
    state.variants = {{"task", &task_schema()},         {"choice", &choice_schema()}, {"parallel", &parallel_schema()},
                      {"map", &map_schema()},           {"wait", &wait_schema()},     {"pass", &pass_schema()},
                      {"succeed", &succeed_schema()},   {"fail", &fail_schema()}};
    states.element.push_back(state);
    ParamSpec timeout = param("timeout", ParamType::duration, "s", "",
                              "optional: an execution still running after this ends timed out (TimeoutSeconds); "
                              "standard: up to 1 year (none when omitted), express: at most 5 minutes (the default)");
    timeout.min = 0;
    timeout.min_exclusive = true;
    timeout.max = 365.0 * static_cast<double>(kDay);
    timeout.range_hint = "a standard execution lasts at most 1 year";
    ParamSpec transition = param("transition_latency", ParamType::distribution, "ms", "0ms",
                                 "time between one state ending and the next starting. UNCONFIRMED: AWS publishes "
                                 "no figure; 0 leaves it out, set it from your measurements");
    transition.min = 0;
    ParamSpec max_transitions = param("max_transitions", ParamType::integer, "", "25000",
                                      "state transitions one execution may make; it fails when it needs more (AWS "
                                      "limits a standard execution's history to 25,000 events, UNCONFIRMED)");
    max_transitions.min = 1;
    max_transitions.max = 1e9;
    ParamSpec memory = param("billed_memory", ParamType::size, "MB", "64MB",
                             "express: the memory an execution is billed for, rounded up to 64 MB steps "
                             "(UNCONFIRMED: AWS bills the memory the execution uses, which is not modelled)");
    memory.min = 1;
    memory.max = 1024.0 * 1024 * 1024 * 1024;
    ParamSpec bound = param("map_concurrency_bound", ParamType::integer, "", "40",
                            "iterations a map state with max_concurrency 0 runs at once (UNCONFIRMED: AWS "
                            "documents no fixed figure for an inline map)");
    bound.min = 1;
    bound.max = 1000000;
    return Schema{"stepfunctions",
                  "An AWS Step Functions state machine (standard or express) whose states call services.",
                  {workflow, start, states, timeout, transition, max_transitions, memory, bound},
                  {{"type_of_workflow", "write 'workflow: standard' or 'workflow: express'"},
                   {"state_machine_type", "write 'workflow: standard' or 'workflow: express'"},
                   {"definition", "write the states under 'states:' and the first one as 'start_at'"},
                   {"start", "write 'start_at: STATE'"},
                   {"startat", "write 'start_at: STATE'"},
                   {"timeout_seconds", "write 'timeout' with its unit, e.g. timeout: 1h"},
                   {"role_arn", "permissions are not modelled: leave it out"},
                   {"logging_configuration", "logging is not modelled: leave it out"},
                   {"tracing_configuration", "tracing is not modelled: leave it out"}}};
  }();
  return s;
}

Definition compile_definition(const Record& p, const Scenario& scenario) {
  Definition d;
  d.express = p.text("workflow") == "express";
  const auto& entries = p.get("states").entries;
  for (const auto& [name, v] : entries) {
    StateDef s;
    s.name = name;
    d.states.push_back(std::move(s));
  }
  const auto index = [&](const std::string& name) { return d.index_of(name); };
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Value& v = entries[i].second;
    StateDef& s = d.states[i];
    if (!v.record) continue;
    const Record& r = *v.record;
    const std::string& kind = r.variant;
    s.kind = kind == "task"       ? StateKind::task
             : kind == "choice"   ? StateKind::choice
             : kind == "parallel" ? StateKind::parallel
             : kind == "map"      ? StateKind::map
             : kind == "wait"     ? StateKind::wait
             : kind == "succeed"  ? StateKind::succeed
             : kind == "fail"     ? StateKind::fail
                                  : StateKind::pass;
    if (r.schema->find("next") != nullptr && r.has("next")) s.next = index(r.text("next"));
    if (r.schema->find("retry") != nullptr) {
      s.retry = retriers(r);
      for (const Value& c : r.list("catch"))
        s.catches.push_back({sfn_error_mask(c.record->text("errors")), index(c.record->text("next"))});
    }
    switch (s.kind) {
      case StateKind::task: {
        s.resource = r.text("resource");
        const ServiceDecl* target = scenario.find_service(s.resource);
        s.op = r.has("op") ? r.text("op")
               : (target != nullptr && target->type != nullptr && !target->type->ops.empty()) ? target->type->ops.front()
                                                                                               : std::string{};
        s.wait = r.flag("wait");
        s.timeout = r.has("timeout") ? r.duration("timeout") : 0;
        break;
      }
      case StateKind::choice:
        for (const Value& c : r.list("choices"))
          s.choices.emplace_back(index(c.record->text("next")), c.record->number("probability"));
        s.default_next = r.has("default") ? index(r.text("default")) : -1;
        break;
      case StateKind::parallel:
        for (const Value& b : r.list("branches"))
          s.branches.push_back(b.items.empty() ? -1 : index(b.items.front().text));
        break;
      case StateKind::map: {
        const auto& names = r.list("branch");
        s.branches.push_back(names.empty() ? -1 : index(names.front().text));
        s.items_min = r.integer("items");
        s.items_max = r.has("items_max") ? std::max(s.items_min, r.integer("items_max")) : s.items_min;
        s.max_concurrency = r.integer("max_concurrency");
        break;
      }
      case StateKind::wait: s.seconds = r.dist("seconds"); break;
      default: break;
    }
  }
  d.start = index(p.text("start_at"));
  return d;
}

}  // namespace slsim::models
