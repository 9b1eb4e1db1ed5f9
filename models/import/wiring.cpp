// What connects the imported services: SAM events, event source mappings,
// subscriptions, bucket notifications, API methods and routes, schedules.
#include <algorithm>

#include <fmt/format.h>

#include "models/import/builder.hpp"
#include "sim/scenario/units.hpp"

namespace slsim::cfn {

namespace {

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

TValue empty_map(const TValue& at) {
  TValue m;
  m.kind = TValue::Kind::map;
  m.loc = at.loc;
  m.path = at.path;
  return m;
}

bool is_text(const TValue* v, std::string_view text) { return v != nullptr && v->is_scalar() && v->text == text; }

}  // namespace

void Builder::wire(const Resource& r) {
  const std::string& t = r.type;
  const TValue& p = r.properties;
  const Origin at{r.loc, r.path};
  if (Service* s = by_id(r.id)) {
    if (t == "AWS::Serverless::Function") function_events(r, *s);
    if (t == "AWS::SNS::Topic")
      if (const TValue* subs = p.find("Subscription"); subs != nullptr && subs->is_seq())
        for (const TValue& sub : subs->items) {
          const TValue* protocol = sub.find("Protocol");
          if (!is_text(protocol, "sqs") && !is_text(protocol, "lambda")) {
            notes_.skipped.push_back(fmt::format("{}: a subscription of protocol {}: only sqs and lambda are modelled",
                                                 sub.path, protocol != nullptr ? protocol->describe() : "(none)"));
            continue;
          }
          if (Service* e = resolve(sub.find("Endpoint"), {protocol->text}, sub.path))
            subscribe(*s, *e, nullptr, nullptr, origin_of(sub));
        }
    if (s->kind == "apigateway")
      for (const char* key : {"DefinitionBody", "Body"})
        if (const TValue* body = p.find(key)) openapi_routes(*s, *body);
    return;
  }
  if (t == "AWS::Lambda::EventSourceMapping") {
    event_source_mapping(r);
  } else if (t == "AWS::SNS::Subscription") {
    const TValue* protocol = p.find("Protocol");
    if (!is_text(protocol, "sqs") && !is_text(protocol, "lambda")) {
      notes_.skipped.push_back(fmt::format("{} ({}): protocol {}: only sqs and lambda subscriptions are modelled", r.id,
                                           t, protocol != nullptr ? protocol->describe() : "(none)"));
      return;
    }
    Service* topic = resolve(p.find("TopicArn"), {"sns"}, r.id + " (" + r.type + ")");
    Service* endpoint = resolve(p.find("Endpoint"), {protocol->text}, r.id + " (" + r.type + ")");
    if (topic != nullptr && endpoint != nullptr)
      subscribe(*topic, *endpoint, p.find("FilterPolicy"), p.find("RedrivePolicy"), at);
  } else if (t == "AWS::Lambda::Alias" || t == "AWS::Lambda::Version") {
    const TValue* pc = p.find("ProvisionedConcurrencyConfig");
    if (pc == nullptr || !pc->is_map()) return;  // an alias or a version is otherwise the function itself
    if (Service* fn = resolve(p.find("FunctionName"), {"lambda"}, r.id + " (" + r.type + ")"))
      set_whole(fn->node, "provisioned_concurrency", pc->find("ProvisionedConcurrentExecutions"), *fn, "");
  } else if (t == "AWS::Lambda::EventInvokeConfig") {
    if (Service* fn = resolve(p.find("FunctionName"), {"lambda"}, r.id + " (" + r.type + ")")) async_config(*fn, p);
  } else if (t == "AWS::ApiGateway::Method") {
    rest_method(r);
  } else if (t == "AWS::ApiGateway::Stage") {
    if (Service* api = resolve(p.find("RestApiId"), {"apigateway"}, r.id + " (" + r.type + ")"))
      configure_api(p, *api, false);
  } else if (t == "AWS::ApiGateway::Deployment") {
    const TValue* stage = p.find("StageDescription");
    if (stage == nullptr || !stage->is_map()) return;
    Service* api = resolve(p.find("RestApiId"), {"apigateway"}, r.id + " (" + r.type + ")");
    if (api == nullptr) return;
    configure_api(*stage, *api, false);
    if (const auto rate = number(stage->find("ThrottlingRateLimit"), "requests per second", *api, "throttle.rate"))
      api->node.child("throttle")
          .set("rate", format_number(*rate) + "/s", origin_of(*stage->find("ThrottlingRateLimit")));
    set_whole(api->node.child("throttle"), "burst", stage->find("ThrottlingBurstLimit"), *api, "");
  } else if (t == "AWS::ApiGateway::Resource") {
    // Read through the methods that use it.
  } else if (t == "AWS::Events::Rule") {
    const TValue* expression = p.find("ScheduleExpression");
    if (expression == nullptr) {
      notes_.skipped.push_back(
          fmt::format("{} ({}): a rule on an event pattern: not imported (a bus can be modelled "
                      "by hand with type eventbridge)",
                      r.id, t));
      return;
    }
    const TValue* targets = p.find("Targets");
    if (targets == nullptr || !targets->is_seq()) return;
    for (const TValue& target : targets->items)
      if (Service* s = resolve(target.find("Arn"), {"lambda", "sqs", "sns"}, target.path))
        schedule(r.id, *s, expression, !is_text(p.find("State"), "DISABLED"), true, at, r.id);
  } else if (t == "AWS::Scheduler::Schedule") {
    const TValue* target = p.find("Target");
    if (target == nullptr || !target->is_map()) return;
    if (Service* s = resolve(target->find("Arn"), {"lambda", "sqs", "sns"}, target->path)) {
      if (const TValue* zone = p.find("ScheduleExpressionTimezone"); zone != nullptr && !is_text(zone, "UTC"))
        notes_.assumed.push_back(
            fmt::format("{}: the schedule's time zone {} is taken as UTC", r.id, zone->describe()));
      schedule(r.id, *s, p.find("ScheduleExpression"), !is_text(p.find("State"), "DISABLED"), false, at, r.id);
    }
  } else {
    not_imported(r);
  }
}

void Builder::function_events(const Resource& r, Service& fn) {
  const TValue props = function_properties(r);
  const TValue* events = props.find("Events");
  if (events == nullptr) return;
  if (!events->is_map()) {
    diags_.error(events->loc, events->path,
                 fmt::format("expected a mapping of events by name, found {}", events->describe()));
    return;
  }
  for (const auto& [name, e] : events->entries) event(r.id, fn, name, e);
}

void Builder::event(const std::string& fn_id, Service& fn, const std::string& name, const TValue& e) {
  const TValue* type = e.is_map() ? e.find("Type") : nullptr;
  if (type == nullptr || !type->is_scalar()) {
    diags_.error(type != nullptr ? type->loc : e.loc, type != nullptr ? type->path : e.path,
                 fmt::format("an event needs a Type (Api, HttpApi, SQS, SNS, S3, Schedule, DynamoDB, Kinesis...), "
                             "found {}",
                             type != nullptr ? type->describe()
                             : e.is_map()    ? "none"
                                             : e.describe()));
    return;
  }
  const TValue* given = e.find("Properties");
  const TValue props = given != nullptr && given->is_map() ? *given : empty_map(e);
  const Origin origin = origin_of(e);
  const std::string& t = type->text;
  const std::string what = fmt::format("the {} event '{}' of {}", t, name, fn_id);
  const TValue* enabled = props.find("Enabled");
  if (is_text(enabled, "false") || is_text(props.find("State"), "DISABLED")) {
    notes_.skipped.push_back(what + ": disabled in the template");
    return;
  }
  if (t == "Api" || t == "HttpApi") {
    api_event(fn, name, props, t == "HttpApi", origin);
  } else if (t == "SQS") {
    if (Service* q = resolve(props.find("Queue"), {"sqs"}, what)) consumer(*q, fn, props, origin);
  } else if (t == "Kinesis") {
    if (Service* k = resolve(props.find("Stream"), {"kinesis"}, what)) consumer(*k, fn, props, origin);
  } else if (t == "DynamoDB") {
    if (Service* table = resolve(props.find("Stream"), {"dynamodb"}, what)) consumer(*table, fn, props, origin);
  } else if (t == "SNS") {
    Service* topic = resolve(props.find("Topic"), {"sns"}, what);
    if (topic == nullptr) return;
    const TValue* sqs = props.find("SqsSubscription");
    if (sqs == nullptr || is_text(sqs, "false")) {
      subscribe(*topic, fn, props.find("FilterPolicy"), props.find("RedrivePolicy"), origin);
      return;
    }
    // SAM puts a queue between the topic and the function.
    Service* queue =
        sqs->is_map() && sqs->find("QueueArn") != nullptr ? resolve(sqs->find("QueueArn"), {"sqs"}, what) : nullptr;
    if (queue == nullptr)
      queue = &add_service(
          "", "sqs", origin,
          fmt::format("the queue SAM creates between {} and {} (SqsSubscription)", topic->name(), fn.name()),
          std::nullopt, fn.name() + "_" + name + "_queue");
    subscribe(*topic, *queue, props.find("FilterPolicy"), props.find("RedrivePolicy"), origin);
    consumer(*queue, fn, sqs->is_map() ? *sqs : empty_map(*sqs), origin);
  } else if (t == "S3") {
    if (Service* bucket = resolve(props.find("Bucket"), {"s3"}, what))
      notify(*bucket, fn, props.find("Events"), props.find("Filter"), origin);
  } else if (t == "Schedule") {
    schedule(name, fn, props.find("Schedule"), true, true, origin, what);
  } else if (t == "ScheduleV2") {
    if (const TValue* zone = props.find("ScheduleExpressionTimezone"); zone != nullptr && !is_text(zone, "UTC"))
      notes_.assumed.push_back(fmt::format("{}: the time zone {} is taken as UTC", what, zone->describe()));
    schedule(name, fn, props.find("ScheduleExpression"), true, false, origin, what);
  } else {
    notes_.skipped.push_back(fmt::format("{}: events of type {} are not imported", what, t));
  }
}

void Builder::api_event(Service& fn, const std::string& name, const TValue& props, bool http, const Origin& origin) {
  const TValue* api_ref = props.find(http ? "ApiId" : "RestApiId");
  const std::string what = fmt::format("the {} event '{}' of {}", http ? "HttpApi" : "Api", name, fn.id);
  Service* api = api_ref != nullptr ? resolve(api_ref, {"apigateway"}, what) : &implicit_api(http, fn);
  if (api == nullptr) return;
  const TValue* path = props.find("Path");
  const TValue* method = props.find("Method");
  std::string key;
  if (path == nullptr && method == nullptr && http) {
    key = "$default";
  } else {
    if (path == nullptr || method == nullptr) {
      diags_.error(origin.loc, origin.path,
                   fmt::format("an {} event needs Path and Method in its Properties", http ? "HttpApi" : "Api"));
      return;
    }
    const auto p = text(path, fn, "route");
    const auto m = text(method, fn, "route");
    if (!p || !m) return;
    key = upper(*m) + " " + *p;
  }
  add_route(*api, key, fn, name, origin);
}

void Builder::add_route(Service& api, const std::string& key, Service& fn, const std::string& event,
                        const Origin& origin) {
  for (const Route& r : api.routes)
    if (r.key == key) {
      if (r.to != fn.name())
        notes_.skipped.push_back(fmt::format("{}: the route {} of {} goes to {} already: not imported again",
                                             origin.path, key, api.name(), r.to));
      return;
    }
  api.routes.push_back({key, fn.name(), event, origin});
  fn.invoked = true;
}

void Builder::consumer(Service& source, Service& fn, const TValue& props, const Origin& origin) {
  YNode& parent = source.kind == "dynamodb" ? source.node.child("stream", origin) : source.node;
  if (parent.find("consumer") != nullptr) {
    notes_.skipped.push_back(fmt::format("{}: a second consumer of {} (slsim's {} has one): not imported", origin.path,
                                         source.name(), source.kind == "sqs" ? "queue" : "stream"));
    return;
  }
  if (source.kind == "dynamodb") {
    const Resource* table = t_.find(source.id);
    if (table != nullptr && table->properties.find("StreamSpecification") == nullptr)
      notes_.assumed.push_back(
          fmt::format("{}: the table {} has no StreamSpecification (AWS needs one for this "
                      "consumer): imported with a stream",
                      origin.path, table->id));
  }
  YNode& c = parent.child("consumer", origin);
  c.set("function", fn.name(), origin);
  const std::string prefix = (source.kind == "dynamodb" ? "stream.consumer." : "consumer.");
  set_whole(c, "batch_size", props.find("BatchSize"), source, "");
  set_whole(c, "batch_window", props.find("MaximumBatchingWindowInSeconds"), source, "s");
  const TValue* types = props.find("FunctionResponseTypes");
  const bool item_failures = types != nullptr && types->is_seq() &&
                             std::any_of(types->items.begin(), types->items.end(),
                                         [](const TValue& v) { return is_text(&v, "ReportBatchItemFailures"); });
  if (source.kind == "sqs") {
    if (const TValue* scaling = props.find("ScalingConfig"); scaling != nullptr && scaling->is_map())
      set_whole(c, "max_concurrency", scaling->find("MaximumConcurrency"), source, "");
    if (item_failures) c.set("report_batch_item_failures", "true", origin_of(*types));
  } else {
    set_whole(c, "parallelization_factor", props.find("ParallelizationFactor"), source, "");
    set_whole(c, "max_retry_attempts", props.find("MaximumRetryAttempts"), source, "");
    const TValue* age = props.find("MaximumRecordAgeInSeconds");
    if (!is_text(age, "-1")) set_whole(c, "max_record_age", age, source, "s");
    if (const auto bisect = flag(props.find("BisectBatchOnFunctionError"), source, prefix + "bisect_batch_on_error"))
      c.set("bisect_batch_on_error", *bisect ? "true" : "false", origin_of(*props.find("BisectBatchOnFunctionError")));
    const TValue* dest = props.find("DestinationConfig");
    const TValue* failure = dest != nullptr && dest->is_map() ? dest->find("OnFailure") : nullptr;
    if (failure != nullptr && failure->is_map())
      if (Service* target = resolve(failure->find("Destination"), {"sqs", "sns"}, failure->path)) {
        c.set("on_failure", target->name(), origin_of(*failure->find("Destination")));
        target->fed = true;
      }
    if (item_failures)
      notes_.assumed.push_back(
          fmt::format("{}: ReportBatchItemFailures on a stream is not modelled: a failed batch "
                      "is retried whole",
                      origin.path));
  }
  if (const TValue* filter = props.find("FilterCriteria"))
    notes_.assumed.push_back(
        fmt::format("{}: event filtering is not modelled: every record reaches {}", filter->path, fn.name()));
  if (!source.has_source) source.source_origin = origin;
  source.has_source = true;
  fn.invoked = true;
}

void Builder::subscribe(Service& topic, Service& endpoint, const TValue* filter_policy, const TValue* redrive,
                        const Origin& origin) {
  YNode& item = topic.node.append("subscribers", origin);
  item.set("to", endpoint.name(), origin);
  if (filter_policy != nullptr) {
    item.set("filter", "1", origin_of(*filter_policy), "TODO: the fraction of messages its FilterPolicy matches");
    notes_.todo.push_back(
        fmt::format("services.{}.subscribers.{}.filter: the fraction of the messages the "
                    "subscription's FilterPolicy matches (1 lets every message through)",
                    topic.name(), endpoint.name()));
  }
  if (redrive != nullptr && redrive->is_map())
    if (Service* dlq = resolve(redrive->find("deadLetterTargetArn"), {"sqs"}, redrive->path)) {
      item.set("dlq", dlq->name(), origin_of(*redrive->find("deadLetterTargetArn")));
      dlq->fed = true;
    }
  if (!topic.has_source) topic.source_origin = origin;
  topic.has_source = true;
  endpoint.fed = endpoint.invoked = true;
}

void Builder::notify(Service& bucket, Service& fn, const TValue* events, const TValue* filter, const Origin& origin) {
  std::vector<std::string> names;
  if (events != nullptr && events->is_scalar()) names.push_back(events->text);
  if (events != nullptr && events->is_seq())
    for (const TValue& e : events->items)
      if (e.is_scalar()) names.push_back(e.text);
  const bool created = names.empty() || std::any_of(names.begin(), names.end(), [](const std::string& n) {
                         return n.starts_with("s3:ObjectCreated");
                       });
  if (!created) {
    notes_.skipped.push_back(fmt::format("{}: notifications of {} (only object-created notifications are modelled)",
                                         origin.path, names.front()));
    return;
  }
  YNode& item = bucket.node.append("notifications", origin);
  item.set("function", fn.name(), origin);
  if (filter != nullptr) {
    item.set("filter", "1", origin_of(*filter), "TODO: the fraction of objects its key filter matches");
    notes_.todo.push_back(
        fmt::format("services.{}.notifications.{}.filter: the fraction of the objects put that the "
                    "notification's key filter matches (1 lets every object through)",
                    bucket.name(), fn.name()));
  }
  if (!bucket.has_source) bucket.source_origin = origin;
  bucket.has_source = true;
  fn.invoked = true;
}

void Builder::schedule(const std::string& name, Service& target, const TValue* expression, bool enabled, bool rule,
                       const Origin& origin, const std::string& what) {
  if (!enabled) {
    notes_.skipped.push_back(what + ": disabled in the template");
    return;
  }
  if (expression == nullptr) {
    diags_.error(origin.loc, origin.path, "a schedule needs its expression (rate(...) or cron(...))");
    return;
  }
  const auto expr = text(expression, target, "schedule");
  if (!expr) return;
  YNode w;
  w.origin = origin;
  w.set("name", unique_name(scenario_name_of(name), workload_names_));
  w.set("target", target.name());
  if (target.kind == "lambda") w.set("invoke", "async");
  if (target.kind == "sqs") w.set("op", "send");
  if (target.kind == "sns") w.set("op", "publish");
  YNode& arrival = w.child("arrival");
  arrival.set("process", "schedule", {},
              rule ? "an EventBridge rule's schedule (billed here as EventBridge Scheduler invocations)" : "");
  arrival.set("expression", yaml_scalar(*expr), origin_of(*expression));
  target.fed = target.invoked = true;
  schedules_.push_back(std::move(w));
}

void Builder::event_source_mapping(const Resource& r) {
  const TValue& p = r.properties;
  if (is_text(p.find("Enabled"), "false")) {
    notes_.skipped.push_back(fmt::format("{} ({}): disabled in the template", r.id, r.type));
    return;
  }
  Service* source = resolve(p.find("EventSourceArn"), {"sqs", "kinesis", "dynamodb"}, r.id + " (" + r.type + ")");
  Service* fn = resolve(p.find("FunctionName"), {"lambda"}, r.id + " (" + r.type + ")");
  if (source != nullptr && fn != nullptr) consumer(*source, *fn, p, {r.loc, r.path});
}

// The path of an AWS::ApiGateway::Resource, from its PathPart and its parents'.
std::optional<std::string> Builder::resource_path(const TValue* resource_id, int depth) {
  if (resource_id == nullptr || resource_id->kind != TValue::Kind::ref || depth > 64) return std::nullopt;
  if (resource_id->attribute == "RootResourceId") return std::string{};
  const Resource* res = t_.find(resource_id->text);
  if (res == nullptr || res->type != "AWS::ApiGateway::Resource") return std::nullopt;
  const TValue* part = res->properties.find("PathPart");
  const auto parent = resource_path(res->properties.find("ParentId"), depth + 1);
  if (part == nullptr || !part->is_scalar() || !parent) return std::nullopt;
  return *parent + "/" + part->text;
}

void Builder::rest_method(const Resource& r) {
  const TValue& p = r.properties;
  Service* api = resolve(p.find("RestApiId"), {"apigateway"}, r.id + " (" + r.type + ")");
  if (api == nullptr) return;
  const TValue* method = p.find("HttpMethod");
  const auto path = resource_path(p.find("ResourceId"), 0);
  if (method == nullptr || !method->is_scalar() || !path) {
    notes_.skipped.push_back(
        fmt::format("{} ({}): its method or resource path is not known from the template", r.id, r.type));
    return;
  }
  const TValue* integration = p.find("Integration");
  Service* fn = nullptr;
  if (integration != nullptr && integration->is_map())
    if (const TValue* uri = integration->find("Uri"))
      for (const auto& id : uri->mentions)
        if (Service* s = by_id(id); s != nullptr && s->kind == "lambda") fn = s;
  if (fn == nullptr) {
    notes_.skipped.push_back(fmt::format("{} ({}): {} {} does not call a function of this template", r.id, r.type,
                                         upper(method->text), path->empty() ? "/" : *path));
    return;
  }
  add_route(*api, upper(method->text) + " " + (path->empty() ? "/" : *path), *fn, "", {r.loc, r.path});
}

// Routes from an OpenAPI body: each operation whose API Gateway integration names a function.
void Builder::openapi_routes(Service& api, const TValue& body) {
  const TValue* paths = body.is_map() ? body.find("paths") : nullptr;
  if (paths == nullptr || !paths->is_map()) return;
  for (const auto& [path, ops] : paths->entries) {
    if (!ops.is_map()) continue;
    for (const auto& [method, op] : ops.entries) {
      const std::string verb = method == "x-amazon-apigateway-any-method" ? "ANY" : upper(method);
      const TValue* integration = op.is_map() ? op.find("x-amazon-apigateway-integration") : nullptr;
      if (integration == nullptr || !integration->is_map()) continue;
      const TValue* uri = integration->find("uri");
      Service* fn = nullptr;
      if (uri != nullptr)
        for (const auto& id : uri->mentions)
          if (Service* s = by_id(id); s != nullptr && s->kind == "lambda") fn = s;
      if (fn == nullptr) {
        notes_.skipped.push_back(
            fmt::format("{}: {} {} does not call a function of this template", op.path, verb, path));
        continue;
      }
      add_route(api, path == "/$default" ? "$default" : verb + " " + path, *fn, "", origin_of(op));
    }
  }
}

}  // namespace slsim::cfn
