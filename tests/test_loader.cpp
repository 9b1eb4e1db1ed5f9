// The scenario loader: one test per error class, asserting the exact message
// (file:line:column, key path, expected vs found, hint), plus overrides.
#include <string>

#include <catch2/catch.hpp>

#include "support.hpp"

#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

// A scenario whose line 8 onwards can be replaced by each test.
std::string scenario_with(const std::string& service_body, const std::string& workload_extra = "") {
  return "name: t\n"                                      // 1
         "duration: 1min\n"                               // 2
         "workloads:\n"                                   // 3
         "  - name: visitors\n"                           // 4
         "    target: partner_api\n"                      // 5
         "    arrival: {process: poisson, rate: 5/s}\n" +  // 6
         workload_extra +
         "services:\n"
         "  partner_api:\n"
         "    type: external\n" +
         service_body;
}

}  // namespace

TEST_CASE("loader: a valid scenario loads with its defaults", "[loader]") {
  const Scenario sc = load_scenario_text(scenario_with("    concurrency: 4\n"), "t.yaml", builtin_services());
  REQUIRE(sc.name == "t");
  REQUIRE(sc.duration == kMinute);
  REQUIRE(sc.warmup == 0);
  REQUIRE(sc.seed == 1);
  REQUIRE(sc.services.size() == 1);
  REQUIRE(sc.services[0].params.integer("concurrency") == 4);
  REQUIRE(sc.services[0].params.dist("latency").mean() == Approx(50e6));  // default 50ms, in ns
  REQUIRE(sc.workloads[0].op == "call");
  REQUIRE(sc.account.integer("lambda_concurrency") == 1000);
}

TEST_CASE("loader: unknown key / with a did-you-mean", "[loader]") {
  REQUIRE(load_error(scenario_with("    concurency: 4\n")) ==
          "t.yaml:10:5: error: services.partner_api.concurency: unknown key 'concurency'\n"
          "    hint: did you mean 'concurrency'?\n");
}

TEST_CASE("loader: unknown key with nothing close lists the keys", "[loader]") {
  REQUIRE(load_error(scenario_with("    colour: red\n")) ==
          "t.yaml:10:5: error: services.partner_api.colour: unknown key 'colour'\n"
          "    hint: expected one of: 'latency', 'errors', 'concurrency', 'price_per_call'\n");
}

TEST_CASE("loader: duplicate key", "[loader]") {
  REQUIRE(load_error(scenario_with("    errors: 0.1\n    errors: 0.2\n")) ==
          "t.yaml:11:5: error: services.partner_api.errors: duplicate key 'errors' (first given at line 10)\n");
}

TEST_CASE("loader: a duration without its unit", "[loader]") {
  REQUIRE(load_error(scenario_with("    latency: 30\n")) ==
          "t.yaml:10:14: error: services.partner_api.latency: expected a duration with a unit (ns, us, ms, s, "
          "min, h, d), e.g. 250ms, found '30'\n"
          "    hint: write the unit, e.g. 30ms or 30s\n");
}

TEST_CASE("loader: a rate without its unit", "[loader]") {
  std::string text = scenario_with("");
  text.replace(text.find("rate: 5/s"), 9, "rate: 5");
  REQUIRE(load_error(text) ==
          "t.yaml:6:39: error: workloads.visitors.arrival.rate: expected a rate like 50/s, 3000/min, 1e6/h or 1/d, "
          "found '5'\n"
          "    hint: write the unit, e.g. 5/s\n");
}

TEST_CASE("loader: out-of-range values", "[loader]") {
  REQUIRE(load_error(scenario_with("    errors: 1.5\n")) ==
          "t.yaml:10:13: error: services.partner_api.errors: expected a probability between 0 and 1, found '1.5'\n");
  REQUIRE(load_error(scenario_with("    concurrency: 0\n")) ==
          "t.yaml:10:18: error: services.partner_api.concurrency: expected a whole number between 1 and 1000000000, "
          "found '0'\n");
}

TEST_CASE("loader: a wrong kind of node", "[loader]") {
  REQUIRE(load_error(scenario_with("    errors: [0.1]\n")) ==
          "t.yaml:10:13: error: services.partner_api.errors: expected a probability, found a list\n");
}

TEST_CASE("loader: missing required keys", "[loader]") {
  REQUIRE(load_error("name: t\nworkloads: []\nservices: {}\n") ==
          "t.yaml:1:1: error: duration: missing required key 'duration' (simulated time measured after warm-up)\n"
          "t.yaml:2:12: error: workloads: expected at least one workload\n"
          "t.yaml:3:11: error: services: expected at least one service\n");
}

TEST_CASE("loader: a dangling service reference / with a did-you-mean", "[loader]") {
  std::string text = scenario_with("");
  text.replace(text.find("target: partner_api"), 19, "target: partner_apj");
  REQUIRE(load_error(text) ==
          "t.yaml:5:13: error: workloads.visitors.target: unknown service 'partner_apj'\n"
          "    hint: did you mean 'partner_api'?\n");
}

TEST_CASE("loader: an unknown service type / with a did-you-mean", "[loader]") {
  std::string text = scenario_with("");
  text.replace(text.find("type: external"), 14, "type: externel");
  // The list names every registered type, so it grows as services are added.
  REQUIRE(load_error(text) == "t.yaml:9:11: error: services.partner_api.type: expected one of " +
                                  quoted_list(builtin_services().type_names()) + ", found 'externel'\n"
                                  "    hint: did you mean 'external'?\n");
}

TEST_CASE("loader: an operation the target does not have", "[loader]") {
  REQUIRE(load_error(scenario_with("", "    op: cal\n")) ==
          "t.yaml:7:9: error: workloads.visitors.op: 'partner_api' (external) has no operation 'cal' (it has 'call')\n"
          "    hint: did you mean 'call'?\n");
}

TEST_CASE("loader: YAML syntax errors carry their position", "[loader]") {
  REQUIRE(load_error("name: t\nduration: [1s\nservices: {}\n") ==
          "t.yaml:3:9: error: invalid YAML: end of sequence flow not found\n");
}

TEST_CASE("loader: distributions are checked field by field", "[loader]") {
  REQUIRE(load_error(scenario_with("    latency: {dist: lognormal, mean: 100ms}\n")) ==
          "t.yaml:10:14: error: services.partner_api.latency: expected either 'mean' and 'cv', or 'median' and "
          "'p99'\n");
  REQUIRE(load_error(scenario_with("    latency: {dist: lognormal, median: 100ms, p99: 50ms}\n")) ==
          "t.yaml:10:52: error: services.partner_api.latency.p99: expected p99 above the median '100ms', found "
          "'50ms'\n");
  REQUIRE(load_error(scenario_with("    latency: {dist: exponentail, mean: 1s}\n")) ==
          "t.yaml:10:21: error: services.partner_api.latency.dist: expected one of 'constant', 'exponential', "
          "'uniform', 'lognormal', 'gamma', 'pareto', 'empirical', found 'exponentail'\n"
          "    hint: did you mean 'exponential'?\n");
}

TEST_CASE("loader: several errors are reported together", "[loader]") {
  const std::string err = load_error(scenario_with("    errors: 2\n    concurency: 3\n"));
  REQUIRE(err ==
          "t.yaml:10:13: error: services.partner_api.errors: expected a probability between 0 and 1, found '2'\n"
          "t.yaml:11:5: error: services.partner_api.concurency: unknown key 'concurency'\n"
          "    hint: did you mean 'concurrency'?\n");
}

TEST_CASE("loader: --set overrides values by dotted path", "[loader][set]") {
  LoadOptions o;
  o.overrides = {"services.partner_api.concurrency=7", "workloads.visitors.payload=4KB", "seed=9",
                 "workloads.0.arrival={process: constant, rate: 2/s}"};
  const Scenario sc = load_scenario_text(scenario_with(""), "t.yaml", builtin_services(), o);
  REQUIRE(sc.services[0].params.integer("concurrency") == 7);
  REQUIRE(sc.workloads[0].params.size("payload") == 4096);
  REQUIRE(sc.seed == 9);
  REQUIRE(sc.workloads[0].params.record("arrival").variant == "constant");
}

TEST_CASE("loader: --set errors name the override", "[loader][set]") {
  LoadOptions bad_value;
  bad_value.overrides = {"services.partner_api.concurrency=lots"};
  REQUIRE(load_error(scenario_with(""), bad_value) ==
          "--set services.partner_api.concurrency=lots: error: services.partner_api.concurrency: expected a whole "
          "number, found 'lots'\n");
  LoadOptions bad_key;
  bad_key.overrides = {"services.partner_api.concurency=3"};
  REQUIRE(load_error(scenario_with(""), bad_key) ==
          "--set services.partner_api.concurency=3: error: services.partner_api.concurency: unknown key 'concurency'\n"
          "    hint: did you mean 'concurrency'?\n");
  LoadOptions bad_service;
  bad_service.overrides = {"services.partner=3"};
  REQUIRE(load_error(scenario_with(""), bad_service) ==
          "--set services.partner=3: error: services.partner: there is no service 'partner'\n"
          "    hint: did you mean 'partner_api'?\n");
  LoadOptions bad_workload;
  bad_workload.overrides = {"workloads.visitor.payload=2KB"};
  REQUIRE(load_error(scenario_with(""), bad_workload) ==
          "--set workloads.visitor.payload=2KB: error: workloads.visitor: 'visitor' is not an item of workloads "
          "(items: 'visitors')\n"
          "    hint: did you mean 'visitors'?\n");
  LoadOptions no_equals;
  no_equals.overrides = {"seed"};
  REQUIRE(load_error(scenario_with(""), no_equals) ==
          "--set seed: error: expected PATH=VALUE, e.g. --set services.worker.memory=2048MB\n");
}

TEST_CASE("loader: expectations name real result sections / workloads and services", "[loader]") {
  REQUIRE(load_error(scenario_with("", "") + "expect:\n  - {metric: workloads.visitor.throttled, \"<\": 1}\n") ==
          "t.yaml:11:14: error: expect.0.metric: there is no workload named 'visitor'\n"
          "    hint: did you mean 'visitors'?\n");
  REQUIRE(load_error(scenario_with("", "") + "expect:\n  - {metric: costs.total_usd, \"<\": 1, \">\": 0}\n") ==
          "t.yaml:11:5: error: expect.0: expected exactly one comparison ('<', '<=', '>', '>=', '==', 'between'), "
          "found 2\n");
}

TEST_CASE("loader: a reference to a service of the wrong type is rejected", "[loader]") {
  // A registry of two test types: a "queue" whose dlq must be another queue.
  static const Schema queue_schema = [] {
    ParamSpec dlq;
    dlq.name = "dlq";
    dlq.type = ParamType::reference;
    dlq.ref_types = {"queue"};
    dlq.edge = "dlq";
    dlq.help = "dead-letter queue";
    return Schema{"queue", "a test queue", {dlq}};
  }();
  static const Schema empty_schema{"sink", "a test sink", {}};
  ServiceRegistry reg;
  reg.account = builtin_services().account;
  ServiceType queue;
  queue.name = "queue";
  queue.schema = &queue_schema;
  queue.ops = {"send"};
  queue.forwards = {{"send", {"dlq"}}};
  ServiceType sink;
  sink.name = "sink";
  sink.schema = &empty_schema;
  sink.ops = {"call"};
  reg.types = {queue, sink};
  const std::string text =
      "name: t\nduration: 1s\n"
      "workloads: [{name: w, target: jobs, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  jobs: {type: queue, dlq: store}\n"
      "  store: {type: sink}\n";
  try {
    load_scenario_text(text, "t.yaml", reg);
    FAIL("expected an error");
  } catch (const InputError& e) {
    REQUIRE(std::string(e.what()) == "t.yaml:5:28: error: services.jobs.dlq: 'store' is a sink, but dlq must be a queue\n");
  }
  // A queue whose DLQ is itself forms a cycle: accepted, with a warning.
  const std::string loop =
      "name: t\nduration: 1s\n"
      "workloads: [{name: w, target: jobs, arrival: {process: constant, rate: 1/s}}]\n"
      "services:\n"
      "  jobs: {type: queue, dlq: jobs}\n";
  const Scenario sc = load_scenario_text(loop, "t.yaml", reg);
  REQUIRE(sc.warnings.str() ==
          "t.yaml:5:9: warning: services: the services 'jobs' form a cycle: requests may loop (jobs -[dlq: send]-> "
          "jobs)\n");
}

TEST_CASE("loader: units parse strictly", "[loader][units]") {
  REQUIRE(*parse_duration("250us").value == Approx(250e3));
  REQUIRE(*parse_duration("1.5s").value == Approx(1.5e9));
  REQUIRE(*parse_duration("10min").value == Approx(600e9));
  REQUIRE(*parse_duration("2h").value == Approx(7200e9));
  REQUIRE(*parse_duration("1d").value == Approx(86400e9));
  REQUIRE_FALSE(parse_duration("5").value);
  REQUIRE_FALSE(parse_duration("5 s").value);
  REQUIRE_FALSE(parse_duration("5sec").value);
  REQUIRE_FALSE(parse_duration("-1s").value);
  REQUIRE(*parse_rate("3000/min").value == Approx(50));
  REQUIRE(*parse_rate("1e6/h").value == Approx(1e6 / 3600));
  REQUIRE(*parse_rate("1/d").value == Approx(1.0 / 86400));
  REQUIRE_FALSE(parse_rate("5/sec").value);
  REQUIRE(*parse_size("1KB").value == 1024);
  REQUIRE(*parse_size("512MB").value == 512.0 * 1048576);
  REQUIRE(*parse_size("0.5GB").value == 536870912.0);
  REQUIRE_FALSE(parse_size("512").value);
  REQUIRE_FALSE(parse_size("1kb").value);
  REQUIRE(format_duration(900e9) == "15min");
  REQUIRE(format_duration(250e6) == "250ms");
  REQUIRE(format_size(128.0 * 1048576, "MB") == "128MB");
}

TEST_CASE("loader: did-you-mean only suggests close words", "[loader]") {
  REQUIRE(did_you_mean("reserved_concurency", {"reserved_concurrency", "provisioned_concurrency"}) ==
          "did you mean 'reserved_concurrency'?");
  REQUIRE(did_you_mean("timeuot", {"timeout", "memory"}) == "did you mean 'timeout'?");
  REQUIRE(did_you_mean("zebra", {"timeout", "memory"}).empty());
}

TEST_CASE("loader: every declared default parses and lies in its range", "[loader][schema]") {
  // Building the docs walks every schema and parses every default (a bad one throws).
  const ServiceRegistry& reg = builtin_services();
  REQUIRE_NOTHROW(schema_markdown(top_level_schema(reg)));
  for (const auto& t : reg.types) {
    Diagnostics d;
    SchemaChecker checker(d, ".");
    DocNode empty;
    empty.kind = DocNode::Kind::map;
    const Record r = checker.check_record(empty, *t.schema, "services.x");
    for (const auto& p : t.schema->params)
      if (!p.required && !p.default_text.empty()) REQUIRE(r.get(p.name).present);
  }
}

TEST_CASE("loader: a pricing override must name a catalog item", "[loader]") {
  REQUIRE(load_error(scenario_with("") + "pricing: {lambda.requests: 1.0e-7}\n") ==
          "t.yaml:10:28: error: pricing.lambda.requests: unknown price item 'lambda.requests'\n"
          "    hint: did you mean 'lambda.request'?\n");
  REQUIRE(load_error(scenario_with("") + "region: us-east-2\n") ==
          "t.yaml:10:9: error: region: no price catalog for region 'us-east-2' (available: 'us-east-1')\n"
          "    hint: did you mean 'us-east-1'?\n");
}
