// `slsim import`: AWS SAM and CloudFormation templates (tests/data/templates/,
// shaped like the public SAM examples) become scenarios that load, with the
// templates' settings in place and placeholders where a template says nothing.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "models/import/template.hpp"
#include "sim/scenario/registry.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/template_import.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

const std::string kTemplates = std::string(SLSIM_SOURCE_DIR) + "/tests/data/templates/";

ImportedScenario import_file(const std::string& name) {
  return import_aws_template(kTemplates + name, "scenario.yaml");
}

Scenario load(const ImportedScenario& imported) {
  return load_scenario_text(imported.yaml, "scenario.yaml", builtin_services());
}

const Record& service(const Scenario& sc, const std::string& name) {
  const ServiceDecl* s = sc.find_service(name);
  if (s == nullptr) FAIL("no service " << name);
  return s->params;
}

const WorkloadDecl& workload(const Scenario& sc, const std::string& name) {
  for (const auto& w : sc.workloads)
    if (w.name == name) return w;
  FAIL("no workload " << name);
  throw std::logic_error("unreachable");
}

// The routes of an API as "ROUTE -> FUNCTION".
std::vector<std::string> routes(const Record& api) {
  std::vector<std::string> out;
  for (const auto& r : api.list("routes")) out.push_back(r.record->text("route") + " -> " + r.record->text("to"));
  return out;
}

std::string import_error(const std::string& text) {
  try {
    (void)import_aws_template_text(text, "t.yaml", "<stdout>");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

constexpr double kMB = 1048576.0;

}  // namespace

TEST_CASE("import: a SAM template with every supported type loads with its settings in place", "[import]") {
  const ImportedScenario imported = import_file("sam-orders.yaml");
  const Scenario sc = load(imported);
  CHECK(imported.resources == 17);
  CHECK(imported.services == 17);  // 16 of its own (not the log group) and the HTTP API SAM makes
  CHECK(sc.services.size() == 17);
  CHECK(sc.warnings.all().empty());

  // An API with the stage throttle from MethodSettings (through !FindInMap of the parameter's default).
  const Record& api = service(sc, "orders_api");
  CHECK(api.text("kind") == "rest");
  CHECK(api.record("throttle").rate("rate") == 200);
  CHECK(api.record("throttle").integer("burst") == 100);
  CHECK(routes(api) ==
        std::vector<std::string>{"POST /orders -> create_order_function", "GET /orders/{id} -> create_order_function"});
  // The HTTP API SAM creates for an HttpApi event.
  const Record& http = service(sc, "serverless_http_api");
  CHECK(http.text("kind") == "http");
  CHECK(routes(http) == std::vector<std::string>{"GET /health -> health_function"});

  // Functions: Globals fill in what a function does not set; !If decided from the parameters' defaults.
  const Record& create = service(sc, "create_order_function");
  CHECK(create.size("memory") == 256 * kMB);
  CHECK(create.duration("timeout") == 10 * kSecond);
  CHECK(create.text("architecture") == "arm64");
  CHECK(create.integer("reserved_concurrency") == 50);
  CHECK(create.integer("provisioned_concurrency") == 5);
  CHECK(service(sc, "health_function").text("architecture") == "x86_64");  // its own list wins
  const Record& worker = service(sc, "process_order_function");
  CHECK(worker.size("memory") == 1024 * kMB);  // !Ref WorkerMemory
  CHECK(worker.duration("timeout") == 20 * kSecond);
  CHECK(service(sc, "nightly_report_function").duration("timeout") == 5 * kMinute);

  // The queue, its redrive policy and its consumer (the SQS event).
  const Record& queue = service(sc, "order_queue");
  CHECK(queue.duration("visibility_timeout") == 2 * kMinute);
  CHECK(queue.duration("retention") == 4 * kDay);
  CHECK(queue.integer("max_receive_count") == 5);
  CHECK(queue.text("dlq") == "order_dlq");
  const Record& consumer = queue.record("consumer");
  CHECK(consumer.text("function") == "process_order_function");
  CHECK(consumer.integer("batch_size") == 10);
  CHECK(consumer.integer("max_concurrency") == 20);
  CHECK(consumer.flag("report_batch_item_failures"));
  CHECK(service(sc, "order_dlq").duration("retention") == 14 * kDay);

  // The topic and its filtered subscription.
  const Record& topic = service(sc, "order_events");
  REQUIRE(topic.list("subscribers").size() == 1);
  CHECK(topic.list("subscribers")[0].record->text("to") == "notify_function");
  CHECK(topic.list("subscribers")[0].record->number("filter") == 1);

  // Tables: provisioned throughput and a stream consumer; a SimpleTable on demand.
  const Record& table = service(sc, "orders_table");
  CHECK(table.record("capacity").variant == "provisioned");
  CHECK(table.record("capacity").integer("rcu") == 50);
  CHECK(table.record("capacity").integer("wcu") == 20);
  const Record& stream = table.record("stream").record("consumer");
  CHECK(stream.text("function") == "audit_function");
  CHECK(stream.integer("batch_size") == 25);
  CHECK(stream.integer("max_retry_attempts") == 3);
  CHECK(stream.flag("bisect_batch_on_error"));
  CHECK(stream.text("on_failure") == "order_dlq");
  CHECK(service(sc, "sessions_table").record("capacity").variant == "on_demand");

  // The bucket notification and the Kinesis consumer.
  const Record& bucket = service(sc, "receipts_bucket");
  REQUIRE(bucket.list("notifications").size() == 1);
  CHECK(bucket.list("notifications")[0].record->text("function") == "thumbnail_function");
  const Record& clicks = service(sc, "click_stream");
  CHECK(clicks.integer("shards") == 2);
  CHECK(clicks.duration("retention") == 48 * kHour);
  CHECK(clicks.record("consumer").integer("parallelization_factor") == 2);
  CHECK(clicks.record("consumer").duration("batch_window") == 5 * kSecond);

  // One workload per route and event source; schedules keep their expressions.
  std::vector<std::string> names;
  for (const auto& w : sc.workloads) names.push_back(w.name);
  CHECK(names == std::vector<std::string>{"create_order", "get_order", "health", "to_order_queue", "to_order_events",
                                          "to_orders_table", "to_receipts_bucket", "to_click_stream", "nightly",
                                          "cleanup"});
  CHECK(workload(sc, "get_order").params.text("route") == "GET /orders/{id}");
  CHECK(workload(sc, "to_order_queue").op == "send");
  CHECK(workload(sc, "to_orders_table").op == "put");
  const WorkloadDecl& nightly = workload(sc, "nightly");
  CHECK(nightly.params.text("invoke") == "async");
  CHECK(nightly.params.record("arrival").variant == "schedule");
  CHECK(nightly.params.record("arrival").text("expression") == "cron(0 2 * * ? *)");
  CHECK(workload(sc, "cleanup").params.record("arrival").text("expression") == "rate(6 hours)");
  CHECK(workload(sc, "health").params.record("arrival").rate("rate") == 1);

  CHECK(imported.skipped ==
        std::vector<std::string>{"AppLogGroup (AWS::Logs::LogGroup): monitoring: nothing to simulate"});
}

TEST_CASE("import: plain CloudFormation (long forms, API Gateway methods, mappings, aliases, rules)", "[import]") {
  const ImportedScenario imported = import_file("cfn-rest-api.yaml");
  const Scenario sc = load(imported);
  const Record& fn = service(sc, "items_function");
  CHECK(fn.size("memory") == 512 * kMB);
  CHECK(fn.duration("timeout") == 6 * kSecond);
  CHECK(fn.integer("reserved_concurrency") == 25);
  CHECK(fn.integer("provisioned_concurrency") == 3);  // from the alias
  CHECK(fn.text("architecture") == "arm64");

  // Paths are built from the resources' PathParts; the MOCK method has no function behind it.
  const Record& api = service(sc, "api");
  CHECK(routes(api) == std::vector<std::string>{"GET /items/{id} -> items_function", "GET /items -> items_function"});
  CHECK(api.record("throttle").rate("rate") == 500);  // the stage-wide MethodSettings entry
  CHECK(api.record("throttle").integer("burst") == 250);

  const Record& jobs = service(sc, "jobs_queue");
  CHECK(jobs.flag("fifo"));
  CHECK(jobs.duration("visibility_timeout") == kMinute);
  CHECK(jobs.integer("max_receive_count") == 3);
  CHECK(jobs.text("dlq") == "jobs_dead_letters");
  CHECK(service(sc, "jobs_dead_letters").flag("fifo"));
  CHECK(jobs.record("consumer").text("function") == "jobs_function");  // AWS::Lambda::EventSourceMapping
  CHECK(jobs.record("consumer").integer("batch_size") == 5);

  const Record& alerts = service(sc, "alerts");  // AWS::SNS::Subscription with protocol lambda
  REQUIRE(alerts.list("subscribers").size() == 1);
  CHECK(alerts.list("subscribers")[0].record->text("to") == "jobs_function");

  const Record& changes = service(sc, "changes_table");
  CHECK(changes.record("capacity").variant == "on_demand");
  CHECK(changes.record("stream").record("consumer").text("function") == "jobs_function");
  CHECK_FALSE(changes.record("stream").record("consumer").has("max_record_age"));  // -1: no limit

  // A stream named only by its ARN: a service with slsim's defaults, said so.
  CHECK(service(sc, "partner_feed").record("consumer").integer("batch_size") == 50);
  CHECK(contains(imported.assumed,
                 "partner_feed: outside this template "
                 "(arn:aws:kinesis:us-east-1:123456789012:stream/partner-feed), imported with "
                 "slsim's defaults"));
  CHECK(workload(sc, "hourly_rule").params.record("arrival").text("expression") == "rate(1 hour)");

  CHECK(imported.skipped ==
        std::vector<std::string>{
            "ErrorAlarm (AWS::CloudWatch::Alarm): not created: its Condition 'CreateAlarms' is false with the "
            "parameters' defaults",
            "LambdaRole (AWS::IAM::Role): permissions: nothing to simulate",
            "PingMethod (AWS::ApiGateway::Method): GET / does not call a function of this template",
            "ApiPermission (AWS::Lambda::Permission): permissions: nothing to simulate",
            "AlertsByMail (AWS::SNS::Subscription): protocol 'email': only sqs and lambda subscriptions are modelled"});
  CHECK(contains(imported.assumed,
                 "Resources.ProdStage.Properties.MethodSettings.1: throttling of one method is not "
                 "modelled: only the stage-wide setting (ResourcePath '/*', HttpMethod '*') is "
                 "imported"));
  // What was not imported is in the scenario too, as comments.
  CHECK(imported.yaml.find("#   - LambdaRole (AWS::IAM::Role): permissions: nothing to simulate\n") !=
        std::string::npos);
  // A loader warning is said at the template's line.
  const std::string warnings = imported.warnings.str();
  CHECK(warnings.starts_with(kTemplates + "cfn-rest-api.yaml:139:26: warning: "
                                          "Resources.JobsQueue.Properties.VisibilityTimeout: the visibility timeout "
                                          "(1min) is less than 6x the timeout of the consumer 'jobs_function' (30s)"));
}

TEST_CASE("import: SAM's generated queue, implicit APIs with Globals, destinations, what stays out", "[import]") {
  const ImportedScenario imported = import_file("sam-fanout.yaml");
  const Scenario sc = load(imported);
  // SqsSubscription: SAM puts a queue between the topic and the function.
  CHECK(service(sc, "upload_events").list("subscribers")[0].record->text("to") == "resize_function_uploaded_queue");
  CHECK(service(sc, "resize_function_uploaded_queue").record("consumer").integer("batch_size") == 5);
  CHECK(service(sc, "serverless_http_api").record("throttle").rate("rate") == 30);      // Globals.HttpApi
  CHECK(service(sc, "serverless_rest_api").record("throttle").integer("burst") == 40);  // Globals.Api
  CHECK(routes(service(sc, "serverless_http_api")) == std::vector<std::string>{"$default -> resize_function"});
  CHECK(routes(service(sc, "serverless_rest_api")) == std::vector<std::string>{"ANY /resize -> resize_function"});
  const Record& async = service(sc, "resize_function").record("async");
  CHECK(async.integer("max_retry_attempts") == 1);
  CHECK(async.duration("max_event_age") == kHour);
  CHECK(async.text("on_failure") == "shared_failures");  // a parameter's default ARN
  CHECK(imported.skipped ==
        std::vector<std::string>{"the SQS event 'Partner' of ResizeFunction: Queue is an output of another stack "
                                 "(!ImportValue partner-stack-QueueArn): not imported",
                                 "the EventBridgeRule event 'Rules' of ResizeFunction: events of type EventBridgeRule "
                                 "are not imported"});
}

TEST_CASE("import: the hello-world template, placeholders and all", "[import]") {
  const ImportedScenario imported = import_aws_template(kTemplates + "sam-hello-world.yaml", "hello.yaml");
  CHECK(imported.yaml ==
        "# Imported from " + kTemplates +
            "sam-hello-world.yaml by slsim import (an AWS SAM template).\n"
            "# A template tells how the services are configured and wired, not how much traffic they get\n"
            "# nor how long their handlers run: each value marked TODO is a placeholder to replace.\n"
            "name: hello\n"
            "description: \"hello-world\\nA greeting API: one function behind the REST API that SAM creates.\"\n"
            "duration: 10min  # how long to simulate: long enough for the traffic patterns you want to see\n"
            "workloads:\n"
            "  - name: hello_world\n"
            "    target: serverless_rest_api\n"
            "    route: \"GET /hello\"\n"
            "    arrival:\n"
            "      process: poisson\n"
            "      rate: 1/s  # TODO: the requests per second on GET /hello of serverless_rest_api\n"
            "services:\n"
            "  # ServerlessRestApi: the REST API SAM creates for the functions' Api events\n"
            "  serverless_rest_api:\n"
            "    type: apigateway\n"
            "    routes:\n"
            "      - route: \"GET /hello\"\n"
            "        to: hello_world_function\n"
            "  # HelloWorldFunction (AWS::Serverless::Function), runtime python3.13\n"
            "  hello_world_function:\n"
            "    type: lambda\n"
            "    memory: 128MB\n"
            "    architecture: x86_64\n"
            "    timeout: 3s\n"
            "    duration: 100ms  # TODO: measure the handler's time, e.g. {dist: lognormal, median: 80ms, p99: "
            "400ms}\n");
  CHECK(imported.todo ==
        std::vector<std::string>{"services.hello_world_function.duration: 100ms is a placeholder for the handler's "
                                 "time (its CloudWatch Duration: a median and a p99 make a lognormal)",
                                 "workloads.hello_world.arrival.rate: 1/s is a placeholder for the requests per second "
                                 "on GET /hello of serverless_rest_api"});
  CHECK(imported.skipped.empty());
  CHECK(imported.assumed.empty());
}

TEST_CASE("import: every template in tests/data/templates/ gives a scenario that validates", "[import]") {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kTemplates)) {
    INFO(entry.path().string());
    const ImportedScenario imported = import_aws_template(entry.path().string(), "scenario.yaml");
    CHECK_NOTHROW(load(imported));
    // Every function has its duration placeholder, every workload without a schedule its rate placeholder.
    const Scenario sc = load(imported);
    std::size_t functions = 0, rated = 0;
    for (const auto& s : sc.services) functions += s.type->name == "lambda" ? 1 : 0;
    for (const auto& w : sc.workloads) rated += w.params.record("arrival").variant == "poisson" ? 1 : 0;
    const auto count = [&](const std::string& needle) {
      std::size_t n = 0;
      for (auto at = imported.yaml.find(needle); at != std::string::npos; at = imported.yaml.find(needle, at + 1)) ++n;
      return n;
    };
    CHECK(count("duration: 100ms  # TODO: measure") == functions);
    CHECK(count("rate: 1/s  # TODO: ") == rated);
    ++checked;
  }
  CHECK(checked == 4);
}

TEST_CASE("import: the CLI writes the scenario and says what to fill in", "[import][cli]") {
  const std::string out = fmt::format("/tmp/slsim_import_{}.yaml", ::getpid());
  const Ran r = run_slsim("import tests/data/templates/sam-hello-world.yaml -o " + out);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out == "slsim import: wrote " + out +
                     " from tests/data/templates/sam-hello-world.yaml: 2 services and 1 workload from 1 resource\n"
                     "To fill in (each is marked TODO in the scenario):\n"
                     "  - services.hello_world_function.duration: 100ms is a placeholder for the handler's time (its "
                     "CloudWatch Duration: a median and a p99 make a lognormal)\n"
                     "  - workloads.hello_world.arrival.rate: 1/s is a placeholder for the requests per second on GET "
                     "/hello of serverless_rest_api\n"
                     "Then: slsim validate " +
                     out + " && slsim run " + out + "\n");
  const Ran v = run_slsim("validate " + out);
  CHECK(v.exit_code == 0);
  std::remove(out.c_str());
  // Without -o the scenario goes to standard output and the report to standard error.
  const Ran s = run_slsim("import tests/data/templates/sam-hello-world.yaml");
  CHECK(s.exit_code == 0);
  CHECK(s.out.starts_with("# Imported from tests/data/templates/sam-hello-world.yaml"));
  CHECK(s.err.starts_with("slsim import: wrote the scenario from tests/data/templates/sam-hello-world.yaml"));
  const Ran bad = run_slsim("import scenarios/getting-started/first-run.yaml");
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err ==
        "scenarios/getting-started/first-run.yaml:1:1: error: expected an AWS CloudFormation or SAM template (a mapping "
        "with 'Resources'), found a mapping without 'Resources'\n"
        "    hint: this looks like an slsim scenario already: run it with 'slsim run'\n");
  const Ran missing = run_slsim("import no-such-template.yaml");
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "no-such-template.yaml: error: cannot read the file (does it exist?)\n");
}

TEST_CASE("import: bad templates are said at their line and column", "[import][errors]") {
  CHECK(import_error("Resources:\n  Q: [a, b\n") ==
        "t.yaml:3:1: error: invalid YAML: end of sequence flow not found\n");
  CHECK(import_error("- a\n- b\n") ==
        "t.yaml:1:1: error: expected an AWS CloudFormation or SAM template (a mapping with 'Resources'), found a "
        "list\n    hint: a template has a 'Resources' mapping: the AWS resources it creates\n");
  CHECK(import_error("Resource:\n  Q: {Type: AWS::SQS::Queue}\n") ==
        "t.yaml:1:1: error: expected an AWS CloudFormation or SAM template (a mapping with 'Resources'), found a "
        "mapping without 'Resources'\n    hint: did you mean 'Resources'?\n");
  CHECK(import_error("Resources:\n  Q: {Typ: AWS::SQS::Queue}\n") ==
        "t.yaml:2:6: error: Resources.Q: a resource needs a 'Type' (e.g. AWS::SQS::Queue), found none\n"
        "t.yaml:2:7: error: Resources.Q.Typ: unknown key 'Typ' in a resource\n    hint: did you mean 'Type'?\n");
  // A dangling reference, in the short and the long forms and inside !Sub.
  CHECK(import_error("Resources:\n"
                     "  OrderQueue: {Type: AWS::SQS::Queue}\n"
                     "  Fn:\n"
                     "    Type: AWS::Lambda::Function\n"
                     "    Properties:\n"
                     "      Role: !GetAtt OrderQeue.Arn\n"
                     "      Handler: {Ref: OrderQueues}\n"
                     "      Runtime: !Sub '${Stage}-x'\n") ==
        "t.yaml:6:13: error: Resources.Fn.Properties.Role: !GetAtt refers to 'OrderQeue.Arn', which is not a resource "
        "of the template\n    hint: did you mean 'OrderQueue'?\n"
        "t.yaml:7:16: error: Resources.Fn.Properties.Handler: Ref refers to 'OrderQueues', which is not a resource or "
        "parameter of the template\n    hint: did you mean 'OrderQueue'?\n"
        "t.yaml:8:16: error: Resources.Fn.Properties.Runtime: !Sub refers to 'Stage', which is not a resource or "
        "parameter of the template\n");
  CHECK(import_error("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {DelaySeconds: !Reff X}\n") ==
        "t.yaml:4:32: error: Resources.Q.Properties.DelaySeconds: unknown intrinsic function '!Reff'\n"
        "    hint: did you mean '!Ref'?\n");
  CHECK(import_error("Parameters:\n  Size: {Type: Number}\n"
                     "Mappings:\n  Sizes:\n    small: {Memory: 256}\n"
                     "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                     "      Timeout: !FindInMap [Sizes, small, Timeout]\n"
                     "      MemorySize: !GetAtt Size.Value\n"
                     "      Architectures: !If [Missing, [arm64], [x86_64]]\n") ==
        "t.yaml:10:42: error: Resources.Fn.Properties.Timeout: !FindInMap: Mappings.Sizes.small has no key 'Timeout'\n"
        "t.yaml:11:19: error: Resources.Fn.Properties.MemorySize: !GetAtt needs a resource, and 'Size' is a parameter\n"
        "t.yaml:12:27: error: Resources.Fn.Properties.Architectures: no condition 'Missing' under Conditions\n");
  // Values of the wrong kind, and values out of the scenario's range (said at the template's line).
  CHECK(import_error("Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n"
                     "    Properties: {MemorySize: big, Timeout: 2.5}\n") ==
        "t.yaml:4:30: error: Resources.Fn.Properties.MemorySize: expected a whole number of MB, found 'big'\n"
        "t.yaml:4:44: error: Resources.Fn.Properties.Timeout: expected a whole number of seconds, found '2.5'\n");
  CHECK(import_error("Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n"
                     "    Properties:\n      MemorySize: 20000\n      ReservedConcurrentExecutions: -1\n") ==
        "t.yaml:5:19: error: Resources.Fn.Properties.MemorySize: expected a size between 128MB and 10240MB, found "
        "'20000MB' (imported as services.fn.memory)\n"
        "t.yaml:6:37: error: Resources.Fn.Properties.ReservedConcurrentExecutions: expected a whole number between 0 "
        "and 1000000, found '-1' (imported as services.fn.reserved_concurrency)\n");
  CHECK(import_error("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
                     "    Properties: {RedrivePolicy: {deadLetterTargetArn: !Ref T, maxReceiveCount: 3}}\n"
                     "  T: {Type: AWS::SNS::Topic}\n") ==
        "t.yaml:4:55: error: Resources.Q.Properties.RedrivePolicy.deadLetterTargetArn: expected a queue, found a "
        "reference to 'T' (AWS::SNS::Topic)\n");
  CHECK(import_error("Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties: {KeySchema: []}\n") ==
        "t.yaml:2:3: error: Resources.T.Properties: a table with provisioned capacity (BillingMode PROVISIONED, "
        "CloudFormation's "
        "default) needs ProvisionedThroughput\n"
        "    hint: give ProvisionedThroughput: {ReadCapacityUnits: N, WriteCapacityUnits: N}, or BillingMode: "
        "PAY_PER_REQUEST\n");
  CHECK(import_error("Resources:\n  Role: {Type: AWS::IAM::Role}\n") ==
        "t.yaml: error: none of the template's 1 resource is a service slsim models (functions, queues, topics, "
        "tables, buckets, streams, APIs)\n"
        "    hint: Role (AWS::IAM::Role): permissions: nothing to simulate\n");
}

TEST_CASE("import: intrinsic functions are evaluated as far as the template allows", "[import]") {
  const cfn::Template t = cfn::read_template(
      "Parameters:\n"
      "  Env: {Type: String, Default: prod}\n"
      "  Zones: {Type: CommaDelimitedList, Default: 'a, b, c'}\n"
      "  Secret: {Type: String}\n"
      "  Loop: {Type: String, Default: [!Ref Loop]}\n"
      "Mappings:\n"
      "  ByEnv: {prod: {Memory: 2048}, dev: {Memory: 128}}\n"
      "Conditions:\n"
      "  IsProd: !Equals [!Ref Env, prod]\n"
      "  IsDev: !Not [!Condition IsProd]\n"
      "  Unknown: !Equals [!Ref Secret, x]\n"
      "Resources:\n"
      "  Q: {Type: AWS::SQS::Queue}\n"
      "  Fn:\n"
      "    Type: AWS::Lambda::Function\n"
      "    Properties:\n"
      "      A: !FindInMap [ByEnv, !Ref Env, Memory]\n"
      "      B: !If [IsDev, 1, 2]\n"
      "      C: !Select [1, !Ref Zones]\n"
      "      D: !Join ['-', [x, !Ref Env, !GetAtt Q.Arn]]\n"
      "      E: !Sub ['${Name}:${Q.QueueName}:${AWS::Region}', {Name: !Ref Env}]\n"
      "      F: !ImportValue other-stack-Out\n"
      "      G: !Ref Secret\n"
      "      H: !If [Unknown, yes, no]\n"
      "      I: !If [IsProd, !Ref AWS::NoValue, 3]\n"
      "      J: {'Fn::Sub': 'arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q'}\n"
      "      K: !Ref Loop\n",
      "t.yaml");
  const cfn::TValue& p = t.find("Fn")->properties;
  const auto text = [&](const char* key) {
    return p.find(key) != nullptr ? p.find(key)->text : std::string("(absent)");
  };
  CHECK(text("A") == "2048");
  CHECK(text("B") == "2");
  CHECK(text("C") == "b");
  CHECK(text("D") == "x-prod-${Q.Arn}");
  CHECK(p.find("D")->mentions == std::vector<std::string>{"Q"});
  CHECK(text("E") == "prod:${Q.QueueName}:us-east-1");
  CHECK(p.find("F")->kind == cfn::TValue::Kind::unknown);
  CHECK(p.find("F")->why == "an output of another stack (!ImportValue other-stack-Out)");
  CHECK(p.find("G")->why == "the parameter 'Secret' has no Default");
  CHECK(text("H") == "yes");  // undecided: taken as true, and said so
  CHECK(t.assumptions == std::vector<std::string>{"the condition 'Unknown' depends on values only a deployment gives: "
                                                  "it was taken as true"});
  CHECK(text("I") == "(absent)");  // AWS::NoValue removes the key
  CHECK(p.find("J")->kind == cfn::TValue::Kind::unknown);
  CHECK(text("J") == "arn:aws:sqs:us-east-1:${AWS::AccountId}:q");
  // Defaults are taken as written: one that refers to its own parameter is no value, not a loop.
  CHECK(p.find("K")->why ==
        "the Default of the parameter 'Loop' is not a plain value (a text, a number or a list of them)");
}

TEST_CASE("import: names are valid scenario names, unique, from the logical ids", "[import]") {
  const ImportedScenario imported = import_aws_template_text(
      "Resources:\n"
      "  SQSQueue: {Type: AWS::SQS::Queue}\n"
      "  ABTest: {Type: AWS::SQS::Queue}\n"
      "  AbTest: {Type: AWS::SQS::Queue}\n"
      "  S3Bucket: {Type: AWS::S3::Bucket}\n"
      "  9Lives: {Type: AWS::SNS::Topic}\n"
      "  AVeryLongLogicalIdForAQueueThatKeepsGoingAndGoingBeyondAnyReasonableLength: {Type: AWS::SQS::Queue}\n",
      "t.yaml", "<stdout>");
  const Scenario sc = load(imported);
  std::vector<std::string> names;
  for (const auto& s : sc.services) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"sqs_queue", "ab_test", "ab_test_2", "s3_bucket", "r_9_lives",
                                          "a_very_long_logical_id_for_a_queue_that_keeps_going_and"});
  // Nothing feeds them and nothing consumes them: one placeholder workload keeps the scenario valid.
  REQUIRE(sc.workloads.size() == 1);
  CHECK(sc.workloads[0].name == "traffic");
}

TEST_CASE("import: a template in JSON, with a redrive policy written as JSON text", "[import]") {
  const ImportedScenario imported = import_aws_template_text(
      "{\"Resources\": {\n"
      "  \"Jobs\": {\"Type\": \"AWS::SQS::Queue\", \"Properties\": {\"VisibilityTimeout\": 45, \"RedrivePolicy\":\n"
      "    \"{\\\"deadLetterTargetArn\\\": \\\"arn:aws:sqs:us-east-1:123456789012:jobs-dlq\\\", "
      "\\\"maxReceiveCount\\\": 2}\"}},\n"
      "  \"Worker\": {\"Type\": \"AWS::Lambda::Function\", \"Properties\": {\"MemorySize\": \"256\"}},\n"
      "  \"Mapping\": {\"Type\": \"AWS::Lambda::EventSourceMapping\", \"Properties\": {\n"
      "    \"EventSourceArn\": {\"Fn::GetAtt\": [\"Jobs\", \"Arn\"]}, \"FunctionName\": {\"Ref\": \"Worker\"}}}}}\n",
      "t.json", "<stdout>");
  const Scenario sc = load(imported);
  const Record& jobs = service(sc, "jobs");
  CHECK(jobs.duration("visibility_timeout") == 45 * kSecond);
  CHECK(jobs.integer("max_receive_count") == 2);
  CHECK(jobs.text("dlq") == "jobs_dlq");  // a queue of another stack, by its ARN
  CHECK(jobs.record("consumer").text("function") == "worker");
  CHECK(service(sc, "worker").size("memory") == 256 * kMB);
}

TEST_CASE("import: the example in docs/import.md is what the command writes", "[import][docs]") {
  std::ifstream in(std::string(SLSIM_SOURCE_DIR) + "/docs/import.md");
  std::stringstream s;
  s << in.rdbuf();
  const std::string md = s.str();
  // The template is the ```yml block; the scenario the ```yaml block after it.
  const std::regex block("```yml\n([\\s\\S]*?)```[\\s\\S]*?```yaml\n([\\s\\S]*?)```");
  std::smatch m;
  REQUIRE(std::regex_search(md, m, block));
  const ImportedScenario imported = import_aws_template_text(m[1].str(), "template.yaml", "hello.yaml");
  CHECK(imported.yaml == m[2].str());
}
