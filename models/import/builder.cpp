#include "models/import/builder.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/scenario/document.hpp"
#include "sim/scenario/units.hpp"

namespace slsim::cfn {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string scenario_name_of(std::string_view id) {
  std::string out;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (!is_alpha(c) && !is_digit(c)) {
      if (!out.empty() && out.back() != '_') out += '_';
      continue;
    }
    if (is_upper(c) && i > 0) {
      const char p = id[i - 1];
      const bool next_lower = i + 1 < id.size() && is_lower(id[i + 1]);
      if ((is_lower(p) || is_digit(p) || (is_upper(p) && next_lower)) && !out.empty() && out.back() != '_') out += '_';
    }
    out += is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty() || !is_alpha(out[0])) out = "r_" + out;
  if (out.size() > 56) out.resize(56);
  while (out.back() == '_') out.pop_back();
  return out;
}

namespace {

// The property that holds a resource's own name (QueueName...), by type.
const char* name_property(const std::string& type) {
  if (type == "AWS::SQS::Queue") return "QueueName";
  if (type == "AWS::SNS::Topic") return "TopicName";
  if (type == "AWS::DynamoDB::Table" || type == "AWS::Serverless::SimpleTable") return "TableName";
  if (type == "AWS::S3::Bucket") return "BucketName";
  if (type == "AWS::Kinesis::Stream") return "Name";
  if (type == "AWS::Serverless::Function" || type == "AWS::Lambda::Function") return "FunctionName";
  return nullptr;
}

struct Arn {
  std::string kind;  // the scenario type it names
  std::string name;  // the resource's own name
};

// Splits at `sep`, but not inside ${...} (a !Sub's unknown parts, such as ${AWS::AccountId}).
std::vector<std::string> split_outside_subs(const std::string& s, char sep) {
  std::vector<std::string> parts(1);
  int depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "${") == 0) ++depth;
    if (s[i] == '}' && depth > 0) --depth;
    if (s[i] == sep && depth == 0)
      parts.emplace_back();
    else
      parts.back() += s[i];
  }
  return parts;
}

std::optional<Arn> parse_arn(const std::string& text) {
  if (!text.starts_with("arn:")) return std::nullopt;
  const auto parts = split_outside_subs(text, ':');
  if (parts.size() < 6) return std::nullopt;
  const std::string& service = parts[2];
  const std::string& resource = parts[5];
  const auto before_slash = [](const std::string& s) { return s.substr(0, s.find('/')); };
  const auto after = [](const std::string& s, const std::string& prefix) -> std::string {
    return s.starts_with(prefix) ? s.substr(prefix.size()) : std::string{};
  };
  if (service == "sqs") return Arn{"sqs", resource};
  if (service == "sns") return Arn{"sns", resource};
  if (service == "s3") return Arn{"s3", before_slash(resource)};
  if (service == "lambda" && resource == "function" && parts.size() > 6) return Arn{"lambda", parts[6]};
  if (service == "dynamodb") return Arn{"dynamodb", before_slash(after(resource, "table/"))};
  if (service == "kinesis") return Arn{"kinesis", before_slash(after(resource, "stream/"))};
  return Arn{service, resource};
}

// A policy written as a JSON string (CloudFormation accepts both forms) as a mapping of its
// scalars, each at the string's position; anything else stays as it is.
TValue json_object(const TValue& text) {
  Diagnostics ignored;
  const DocNode doc = parse_yaml(text.text, "", ignored);
  if (ignored.has_errors() || !doc.is_map()) return text;
  TValue out;
  out.kind = TValue::Kind::map;
  out.loc = text.loc;
  out.path = text.path;
  for (const auto& [key, value] : doc.entries) {
    if (!value.is_scalar()) return text;
    TValue item;
    item.kind = TValue::Kind::scalar;
    item.text = value.scalar;
    item.loc = text.loc;
    item.path = text.path + "." + key;
    out.entries.emplace_back(key, std::move(item));
  }
  return out;
}

// Every resource a value names, however deep.
void collect_mentions(const TValue& v, std::vector<std::string>& out) {
  for (const auto& m : v.mentions) out.push_back(m);
  for (const auto& e : v.entries) collect_mentions(e.second, out);
  for (const auto& item : v.items) collect_mentions(item, out);
}

// "a queue or a topic" (with `article`), "queue or topic" (without).
std::string kinds_text(const std::vector<std::string>& kinds, bool article = true) {
  std::vector<std::string> names;
  for (const auto& k : kinds) {
    const std::string noun = k == "lambda"     ? "function"
                             : k == "sqs"      ? "queue"
                             : k == "sns"      ? "topic"
                             : k == "dynamodb" ? "table"
                             : k == "kinesis"  ? "stream"
                             : k == "s3"       ? "bucket"
                                               : "API";
    names.push_back(!article ? noun : noun == "API" ? "an API" : "a " + noun);
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

}  // namespace

// ---- services ----------------------------------------------------------------------------------

std::string Builder::kind_of(const std::string& type) {
  if (type == "AWS::Serverless::Function" || type == "AWS::Lambda::Function") return "lambda";
  if (type == "AWS::SQS::Queue") return "sqs";
  if (type == "AWS::SNS::Topic") return "sns";
  if (type == "AWS::DynamoDB::Table" || type == "AWS::Serverless::SimpleTable") return "dynamodb";
  if (type == "AWS::S3::Bucket") return "s3";
  if (type == "AWS::Kinesis::Stream") return "kinesis";
  if (type == "AWS::Serverless::Api" || type == "AWS::ApiGateway::RestApi" || type == "AWS::Serverless::HttpApi")
    return "apigateway";
  return {};
}

std::string Builder::unique_name(const std::string& base, std::set<std::string>& used) {
  std::string name = base;
  for (int n = 2; used.contains(name); ++n) name = fmt::format("{}_{}", base, n);
  used.insert(name);
  return name;
}

Service& Builder::add_service(const std::string& id, const std::string& kind, const Origin& origin, std::string about,
                              std::optional<std::size_t> before, const std::string& name) {
  Service& s = services_.emplace_back();
  s.id = id;
  s.kind = kind;
  s.node.key = unique_name(scenario_name_of(name.empty() ? id : name), service_names_);
  s.node.origin = origin;
  s.node.above = {std::move(about)};
  s.node.set("type", kind);
  order_.insert(before ? order_.begin() + static_cast<std::ptrdiff_t>(*before) : order_.end(), &s);
  return s;
}

Service* Builder::by_id(const std::string& id) {
  if (id.empty()) return nullptr;
  for (auto& s : services_)
    if (s.id == id) return &s;
  return nullptr;
}

Service* Builder::by_name(const std::string& name) {
  for (auto& s : services_)
    if (s.name() == name) return &s;
  return nullptr;
}

// ---- values ------------------------------------------------------------------------------------

void Builder::unknown_value(const TValue& v, Service& s, const std::string& key) {
  const std::string property = v.path.substr(v.path.rfind('.') + 1);
  notes_.todo.push_back(
      fmt::format("services.{}.{}: {} is not known from the template ({}): slsim's default applies "
                  "until you set it",
                  s.name(), key, property, v.why));
  s.node.below.push_back(fmt::format("TODO: {}: the template's {} is {} ({})", key, property, v.text, v.why));
}

std::optional<double> Builder::number(const TValue* v, const std::string& unit, Service& s, const std::string& key) {
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->kind == TValue::Kind::unknown) {
    unknown_value(*v, s, key);
    return std::nullopt;
  }
  const auto x = v->is_scalar() ? parse_plain_number(v->text) : std::nullopt;
  if (!x || !std::isfinite(*x)) {
    diags_.error(v->loc, v->path,
                 fmt::format("expected a number{}, found {}", unit.empty() ? "" : " of " + unit, v->describe()));
    return std::nullopt;
  }
  return x;
}

std::optional<long long> Builder::whole(const TValue* v, const std::string& unit, Service& s, const std::string& key) {
  if (v == nullptr || v->is_null() || v->kind == TValue::Kind::unknown) {
    if (v != nullptr && v->kind == TValue::Kind::unknown) unknown_value(*v, s, key);
    return std::nullopt;
  }
  const auto x = v->is_scalar() ? parse_plain_number(v->text) : std::nullopt;
  if (!x || *x != std::floor(*x) || std::fabs(*x) > 1e15) {
    diags_.error(v->loc, v->path,
                 fmt::format("expected a whole number{}, found {}", unit.empty() ? "" : " of " + unit, v->describe()));
    return std::nullopt;
  }
  return static_cast<long long>(*x);
}

std::optional<std::string> Builder::text(const TValue* v, Service& s, const std::string& key) {
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->kind == TValue::Kind::unknown) {
    unknown_value(*v, s, key);
    return std::nullopt;
  }
  if (!v->is_scalar()) {
    diags_.error(v->loc, v->path, fmt::format("expected a text, found {}", v->describe()));
    return std::nullopt;
  }
  return v->text;
}

std::optional<bool> Builder::flag(const TValue* v, Service& s, const std::string& key) {
  const auto t = text(v, s, key);
  if (!t) return std::nullopt;
  if (*t == "true" || *t == "True" || *t == "TRUE") return true;
  if (*t == "false" || *t == "False" || *t == "FALSE") return false;
  diags_.error(v->loc, v->path, fmt::format("expected true or false, found {}", v->describe()));
  return std::nullopt;
}

void Builder::set_whole(YNode& node, const std::string& key, const TValue* v, Service& s, const std::string& unit) {
  const std::string word = unit == "MB" ? "MB" : unit == "s" ? "seconds" : "";
  const auto n = whole(v, word, s, key);
  if (!n) return;
  node.set(key, unit == "s" ? seconds_text(*n) : fmt::format("{}{}", *n, unit), origin_of(*v));
}

// ---- references ----------------------------------------------------------------------------------

Service* Builder::resolve(const TValue* v, const std::vector<std::string>& kinds, const std::string& what) {
  if (v == nullptr || v->is_null()) {
    notes_.skipped.push_back(fmt::format("{}: names no {}: not imported", what, kinds_text(kinds, false)));
    return nullptr;
  }
  const std::string property = v->path.substr(v->path.rfind('.') + 1);
  const auto accepts = [&](const std::string& kind) {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
  };
  for (const std::string& id : v->mentions) {
    Service* s = by_id(id);
    if (s != nullptr && accepts(s->kind)) return s;
  }
  if (!v->mentions.empty()) {
    const std::string& id = v->mentions.front();
    const Resource* r = t_.find(id);
    if (v->kind == TValue::Kind::ref && r != nullptr && r->created && !kind_of(r->type).empty()) {
      diags_.error(v->loc, v->path,
                   fmt::format("expected {}, found a reference to '{}' ({})", kinds_text(kinds), id, r->type));
      return nullptr;
    }
    notes_.skipped.push_back(fmt::format("{}: {} names '{}', which {}: not imported", what, property, id,
                                         r == nullptr  ? "SAM makes (it is not written in the template)"
                                         : !r->created ? "is not created with the parameters' defaults"
                                                       : "is a " + r->type + ", which slsim does not model"));
    return nullptr;
  }
  if (v->is_scalar() || v->kind == TValue::Kind::unknown) {
    // An ARN, or a function's own name.
    const auto arn = parse_arn(v->text);
    const bool function_name =
        !arn && kinds.size() == 1 && kinds[0] == "lambda" && !v->text.empty() && v->text.find(':') == std::string::npos;
    const std::string name = arn ? arn->name : function_name ? v->text : std::string{};
    const std::string kind = arn ? arn->kind : function_name ? "lambda" : std::string{};
    if (!kind.empty() && !accepts(kind)) {
      diags_.error(v->loc, v->path, fmt::format("expected {}, found {}", kinds_text(kinds), v->describe()));
      return nullptr;
    }
    if (!name.empty()) {
      // A resource of the template under its own name (QueueName...)?
      for (const auto& r : t_.resources) {
        const char* prop = name_property(r.type);
        const TValue* own = prop != nullptr ? r.properties.find(prop) : nullptr;
        if (own != nullptr && own->text == name && kind_of(r.type) == kind)
          if (Service* s = by_id(r.id)) return s;
      }
      // Otherwise a resource of another stack or of the account, when its name is known.
      if (name.find("${") == std::string::npos) return outside(v->text, kind, origin_of(*v));
    }
  }
  notes_.skipped.push_back(fmt::format("{}: {} is {}: not imported", what, property,
                                       v->kind == TValue::Kind::unknown ? v->why : v->describe()));
  return nullptr;
}

Service* Builder::outside(const std::string& arn_or_name, const std::string& kind, const Origin& origin) {
  const auto arn = parse_arn(arn_or_name);
  const std::string name = arn ? arn->name : arn_or_name;
  const std::string key = kind + ":" + name;
  if (const auto it = outside_.find(key); it != outside_.end()) return it->second;
  Service& s = add_service("", kind, origin, fmt::format("not in this template: {} (slsim's defaults)", arn_or_name),
                           std::nullopt, name);
  if (kind == "lambda") {
    s.node.set("duration", "100ms", {}, "TODO: measure the handler's time");
    notes_.todo.push_back(fmt::format("services.{}.duration: 100ms is a placeholder for the handler's time", s.name()));
  }
  if (kind == "sns") s.node.child("subscribers").list = true;
  notes_.assumed.push_back(
      fmt::format("{}: outside this template ({}), imported with slsim's defaults", s.name(), arn_or_name));
  outside_[key] = &s;
  return &s;
}

// ---- settings ----------------------------------------------------------------------------------

void Builder::configure(const Resource& r, Service& s) {
  if (s.kind == "lambda")
    configure_function(r, s);
  else if (s.kind == "sqs")
    configure_queue(r, s);
  else if (s.kind == "sns")
    configure_topic(r, s);
  else if (s.kind == "dynamodb")
    configure_table(r, s);
  else if (s.kind == "s3")
    configure_bucket(r, s);
  else if (s.kind == "kinesis")
    configure_stream(r, s);
  else if (r.type == "AWS::Serverless::Api" || r.type == "AWS::Serverless::HttpApi") {
    const bool http = r.type == "AWS::Serverless::HttpApi";
    TValue props = r.properties;
    if (const TValue* g = t_.globals.find(http ? "HttpApi" : "Api"); g != nullptr && g->is_map())
      for (const auto& [k, v] : g->entries)
        if (props.find(k) == nullptr) props.entries.emplace_back(k, v);
    configure_api(props, s, http);
  } else {
    configure_api(r.properties, s, false);
  }
}

// A SAM function's properties with Globals.Function filled in where the function sets none
// (a mapping set in both is merged, the function's keys winning).
TValue Builder::function_properties(const Resource& r) const {
  TValue props = r.properties;
  const TValue* g = r.type == "AWS::Serverless::Function" ? t_.globals.find("Function") : nullptr;
  if (g == nullptr || !g->is_map()) return props;
  for (const auto& [k, v] : g->entries) {
    const std::string& key = k;  // (clang 14 cannot capture a structured binding)
    auto own = std::find_if(props.entries.begin(), props.entries.end(), [&](const auto& e) { return e.first == key; });
    if (own == props.entries.end()) {
      props.entries.emplace_back(k, v);
    } else if (own->second.is_map() && v.is_map()) {
      for (const auto& [gk, gv] : v.entries)
        if (own->second.find(gk) == nullptr) own->second.entries.emplace_back(gk, gv);
    }
  }
  return props;
}

void Builder::configure_function(const Resource& r, Service& s) {
  const TValue props = function_properties(r);
  YNode& n = s.node;
  if (const TValue* runtime = props.find("Runtime"); runtime != nullptr && runtime->is_scalar())
    n.above.back() += ", runtime " + runtime->text;
  set_whole(n, "memory", props.find("MemorySize"), s, "MB");
  if (const TValue* arch = props.find("Architectures")) {
    if (arch->is_seq() && arch->items.size() == 1) {
      if (const auto a = text(&arch->items[0], s, "architecture"))
        n.set("architecture", yaml_scalar(*a), origin_of(arch->items[0]));
    } else if (arch->kind == TValue::Kind::unknown) {
      unknown_value(*arch, s, "architecture");
    } else {
      diags_.error(arch->loc, arch->path,
                   fmt::format("expected a list of one architecture (x86_64 or arm64), found {}",
                               arch->is_seq() ? fmt::format("a list of {}", arch->items.size()) : arch->describe()));
    }
  }
  set_whole(n, "timeout", props.find("Timeout"), s, "s");
  n.set("duration", "100ms", {}, "TODO: measure the handler's time, e.g. {dist: lognormal, median: 80ms, p99: 400ms}");
  notes_.todo.push_back(
      fmt::format("services.{}.duration: 100ms is a placeholder for the handler's time (its "
                  "CloudWatch Duration: a median and a p99 make a lognormal)",
                  s.name()));
  set_whole(n, "reserved_concurrency", props.find("ReservedConcurrentExecutions"), s, "");
  if (const TValue* pc = props.find("ProvisionedConcurrencyConfig"); pc != nullptr && pc->is_map())
    set_whole(n, "provisioned_concurrency", pc->find("ProvisionedConcurrentExecutions"), s, "");
  if (const TValue* snap = props.find("SnapStart"); snap != nullptr && snap->is_map()) {
    const TValue* apply = snap->find("ApplyOn");
    if (apply != nullptr && apply->is_scalar() && apply->text == "PublishedVersions")
      notes_.todo.push_back(
          fmt::format("services.{}: SnapStart is on in the template: add snapstart: {{restore: ...}} "
                      "with the restore time you measure",
                      s.name()));
  }
}

void Builder::async_config(Service& fn, const TValue& config) {
  if (!config.is_map()) return;
  YNode& async = fn.node.child("async", origin_of(config));
  set_whole(async, "max_retry_attempts", config.find("MaximumRetryAttempts"), fn, "");
  set_whole(async, "max_event_age", config.find("MaximumEventAgeInSeconds"), fn, "s");
  const TValue* dest = config.find("DestinationConfig");
  if (dest != nullptr && dest->is_map()) {
    if (const TValue* failure = dest->find("OnFailure"); failure != nullptr && failure->is_map()) {
      const TValue* type = failure->find("Type");
      if (type != nullptr && type->is_scalar() && type->text == "EventBridge") {
        notes_.skipped.push_back(
            fmt::format("{}: an on-failure destination on an EventBridge bus: not imported", failure->path));
      } else if (Service* target = resolve(failure->find("Destination"), {"sqs", "sns", "lambda"}, failure->path)) {
        async.set("on_failure", target->name(), origin_of(*failure->find("Destination")));
        target->fed = target->invoked = true;
      }
    }
    if (dest->find("OnSuccess") != nullptr)
      notes_.skipped.push_back(fmt::format("{}.OnSuccess: on-success destinations are not modelled", dest->path));
  }
  if (async.children.empty()) {
    fn.node.children.erase(std::find_if(fn.node.children.begin(), fn.node.children.end(),
                                        [](const YNode& c) { return c.key == "async"; }));
  }
}

void Builder::suggest_calls(const TValue& props, Service& s) {
  std::vector<std::pair<std::string, std::string>> calls;  // (service, op)
  const auto add = [&](const std::string& id, const std::string& op) {
    const Service* target = by_id(id);
    if (target == nullptr || target == &s || target->kind == "apigateway") return;
    for (auto& [name, existing] : calls)
      if (name == target->name()) {
        if (existing.empty()) existing = op;
        return;
      }
    calls.emplace_back(target->name(), op);
  };
  // A SAM policy template's name says what the function does with the resource.
  const auto op_for = [&](const std::string& policy, const std::string& id) -> std::string {
    const Service* target = by_id(id);
    if (target == nullptr) return {};
    const bool reads = policy.find("Read") != std::string::npos || policy.find("Poller") != std::string::npos;
    if (target->kind == "dynamodb" || target->kind == "s3") return reads ? "get" : "put";
    if (target->kind == "sqs") return policy.find("Send") != std::string::npos ? "send" : "-";
    if (target->kind == "sns") return "publish";
    if (target->kind == "kinesis") return reads ? "-" : "put";
    if (target->kind == "lambda") return "invoke";
    return {};
  };
  if (const TValue* policies = props.find("Policies"); policies != nullptr && policies->is_seq()) {
    for (const TValue& p : policies->items) {
      if (!p.is_map()) continue;
      for (const auto& [name, params] : p.entries) {
        std::vector<std::string> ids;
        collect_mentions(params, ids);
        for (const auto& id : ids)
          if (const std::string op = op_for(name, id); op != "-") add(id, op);
      }
    }
  }
  if (const TValue* env = props.find("Environment"); env != nullptr && env->is_map())
    if (const TValue* vars = env->find("Variables"); vars != nullptr && vars->is_map())
      for (const auto& [k, v] : vars->entries)
        for (const auto& id : v.mentions) add(id, "");
  if (calls.empty()) return;
  s.node.below.push_back("TODO: the calls the handler makes; its policies and environment name these services:");
  s.node.below.push_back("calls:");
  // Calls that put messages or items in a service may feed it instead of its placeholder workload.
  for (const auto& [name, op] : calls)
    if (op == "send" || op == "publish" || op == "put") callers_[name].push_back(s.name());
  for (const auto& [name, op] : calls)
    s.node.below.push_back(op.empty() ? fmt::format("  - {{to: {}}}", name)
                                      : fmt::format("  - {{to: {}, op: {}}}", name, op));
  notes_.todo.push_back(
      fmt::format("services.{}.calls: what the handler calls (a commented suggestion from its "
                  "policies and environment: {} service{})",
                  s.name(), calls.size(), calls.size() == 1 ? "" : "s"));
}

void Builder::configure_queue(const Resource& r, Service& s) {
  const TValue& p = r.properties;
  if (const auto fifo = flag(p.find("FifoQueue"), s, "fifo"); fifo && *fifo)
    s.node.set("fifo", "true", origin_of(*p.find("FifoQueue")));
  set_whole(s.node, "visibility_timeout", p.find("VisibilityTimeout"), s, "s");
  set_whole(s.node, "retention", p.find("MessageRetentionPeriod"), s, "s");
  set_whole(s.node, "delay", p.find("DelaySeconds"), s, "s");
  const TValue* redrive = p.find("RedrivePolicy");
  if (redrive == nullptr) return;
  const TValue parsed = redrive->is_scalar() ? json_object(*redrive) : TValue{};
  if (parsed.is_map()) redrive = &parsed;
  if (redrive->kind == TValue::Kind::unknown) {
    unknown_value(*redrive, s, "dlq");
    return;
  }
  if (!redrive->is_map()) {
    diags_.error(
        redrive->loc, redrive->path,
        fmt::format("expected a mapping with deadLetterTargetArn and maxReceiveCount, found {}", redrive->describe()));
    return;
  }
  set_whole(s.node, "max_receive_count", redrive->find("maxReceiveCount"), s, "");
  if (Service* dlq = resolve(redrive->find("deadLetterTargetArn"), {"sqs"}, redrive->path)) {
    s.node.set("dlq", dlq->name(), origin_of(*redrive->find("deadLetterTargetArn")));
    dlq->fed = true;
  }
}

void Builder::configure_topic(const Resource& r, Service& s) {
  const TValue& p = r.properties;
  if (const auto fifo = flag(p.find("FifoTopic"), s, "fifo"); fifo && *fifo)
    s.node.set("fifo", "true", origin_of(*p.find("FifoTopic")));
  s.node.child("subscribers").list = true;
}

void Builder::configure_table(const Resource& r, Service& s) {
  const TValue& p = r.properties;
  const TValue* mode = p.find("BillingMode");
  const TValue* throughput = p.find("ProvisionedThroughput");
  std::string billing =
      r.type == "AWS::Serverless::SimpleTable" ? (throughput ? "PROVISIONED" : "PAY_PER_REQUEST") : "PROVISIONED";
  if (const auto m = text(mode, s, "capacity.mode")) billing = *m;
  YNode& capacity = s.node.child("capacity", mode != nullptr ? origin_of(*mode) : Origin{r.loc, r.path});
  if (billing == "PAY_PER_REQUEST") {
    capacity.set("mode", "on_demand", mode != nullptr ? origin_of(*mode) : Origin{});
  } else if (billing == "PROVISIONED") {
    capacity.set("mode", "provisioned", mode != nullptr ? origin_of(*mode) : Origin{});
    if (throughput == nullptr || !throughput->is_map()) {
      diags_.error(mode != nullptr ? mode->loc : r.loc, mode != nullptr ? mode->path : r.path + ".Properties",
                   "a table with provisioned capacity (BillingMode PROVISIONED, CloudFormation's default) needs "
                   "ProvisionedThroughput",
                   "give ProvisionedThroughput: {ReadCapacityUnits: N, WriteCapacityUnits: N}, or BillingMode: "
                   "PAY_PER_REQUEST");
    } else {
      set_whole(capacity, "rcu", throughput->find("ReadCapacityUnits"), s, "");
      set_whole(capacity, "wcu", throughput->find("WriteCapacityUnits"), s, "");
    }
  } else {
    diags_.error(mode->loc, mode->path,
                 fmt::format("expected PROVISIONED or PAY_PER_REQUEST, found {}", mode->describe()),
                 did_you_mean(billing, {"PROVISIONED", "PAY_PER_REQUEST"}));
  }
  if (const TValue* gsi = p.find("GlobalSecondaryIndexes"); gsi != nullptr && gsi->is_seq() && !gsi->items.empty())
    notes_.assumed.push_back(fmt::format("{}: its {} global secondary index{} are not modelled (nor their capacity)",
                                         s.name(), gsi->items.size(), gsi->items.size() == 1 ? "" : "es"));
}

void Builder::configure_bucket(const Resource& r, Service& s) {
  const TValue* config = r.properties.find("NotificationConfiguration");
  if (config == nullptr || !config->is_map()) return;
  if (const TValue* lambdas = config->find("LambdaConfigurations"); lambdas != nullptr && lambdas->is_seq())
    for (const TValue& c : lambdas->items) {
      if (!c.is_map()) continue;
      if (Service* fn = resolve(c.find("Function"), {"lambda"}, c.path))
        notify(s, *fn, c.find("Event"), c.find("Filter"), origin_of(c));
    }
  for (const char* other : {"QueueConfigurations", "TopicConfigurations", "EventBridgeConfiguration"})
    if (const TValue* c = config->find(other))
      notes_.skipped.push_back(
          fmt::format("{}: bucket notifications to queues, topics or EventBridge are not "
                      "modelled (only to functions)",
                      c->path));
}

void Builder::configure_stream(const Resource& r, Service& s) {
  const TValue& p = r.properties;
  const TValue* mode = p.find("StreamModeDetails");
  const TValue* on_demand = mode != nullptr && mode->is_map() ? mode->find("StreamMode") : nullptr;
  if (on_demand != nullptr && on_demand->is_scalar() && on_demand->text == "ON_DEMAND") {
    s.node.set("shards", "1", origin_of(*on_demand),
               "TODO: on-demand streams are not modelled: give the shards it uses");
    notes_.todo.push_back(
        fmt::format("services.{}.shards: the stream is ON_DEMAND, which slsim does not model: give "
                    "the shards your traffic needs (1000 records/s and 1 MB/s each)",
                    s.name()));
  } else {
    set_whole(s.node, "shards", p.find("ShardCount"), s, "");
  }
  if (const auto hours = whole(p.find("RetentionPeriodHours"), "hours", s, "retention"))
    s.node.set("retention", fmt::format("{}h", *hours), origin_of(*p.find("RetentionPeriodHours")));
}

void Builder::configure_api(const TValue& props, Service& s, bool http) {
  if (http) {
    s.node.set("kind", "http");
    if (const TValue* d = props.find("DefaultRouteSettings"); d != nullptr && d->is_map()) {
      if (const auto rate = number(d->find("ThrottlingRateLimit"), "requests per second", s, "throttle.rate"))
        s.node.child("throttle").set("rate", format_number(*rate) + "/s", origin_of(*d->find("ThrottlingRateLimit")));
      set_whole(s.node.child("throttle"), "burst", d->find("ThrottlingBurstLimit"), s, "");
    }
    if (const TValue* rs = props.find("RouteSettings"))
      notes_.assumed.push_back(
          fmt::format("{}: per-route throttling is not modelled: only DefaultRouteSettings is "
                      "imported",
                      rs->path));
  } else {
    if (const TValue* ms = props.find("MethodSettings")) method_settings(s, *ms);
    const auto cache = flag(props.find("CacheClusterEnabled"), s, "cache");
    if (cache && *cache) {
      YNode& c = s.node.child("cache", origin_of(*props.find("CacheClusterEnabled")));
      if (const TValue* size = props.find("CacheClusterSize"); size != nullptr && size->is_scalar())
        c.set("size", size->text + "GB", origin_of(*size));
      c.set("hit_ratio", "0.5", {}, "TODO: the hit ratio you see (CloudWatch CacheHitCount / requests)");
      notes_.todo.push_back(
          fmt::format("services.{}.cache.hit_ratio: 0.5 is a placeholder for the stage cache's hit "
                      "ratio",
                      s.name()));
    }
  }
  if (const TValue* uri = props.find("DefinitionUri"))
    notes_.assumed.push_back(
        fmt::format("{}: the API definition in another file is not read: the routes come from "
                    "the functions' events",
                    uri->path));
}

// API Gateway's MethodSettings: the stage-wide entry (ResourcePath "/*", HttpMethod "*") is the stage throttle.
void Builder::method_settings(Service& api, const TValue& settings) {
  if (!settings.is_seq()) return;
  for (const TValue& m : settings.items) {
    if (!m.is_map()) continue;
    const TValue* path = m.find("ResourcePath");
    const TValue* method = m.find("HttpMethod");
    const TValue* rate = m.find("ThrottlingRateLimit");
    const TValue* burst = m.find("ThrottlingBurstLimit");
    if (rate == nullptr && burst == nullptr) continue;
    const bool stage_wide = path != nullptr && path->is_scalar() && path->text == "/*" && method != nullptr &&
                            method->is_scalar() && method->text == "*";
    if (!stage_wide) {
      notes_.assumed.push_back(
          fmt::format("{}: throttling of one method is not modelled: only the stage-wide "
                      "setting (ResourcePath '/*', HttpMethod '*') is imported",
                      m.path));
      continue;
    }
    if (const auto r = number(rate, "requests per second", api, "throttle.rate"))
      api.node.child("throttle").set("rate", format_number(*r) + "/s", origin_of(*rate));
    set_whole(api.node.child("throttle"), "burst", burst, api, "");
  }
}

Service& Builder::implicit_api(bool http, const Service& before) {
  const std::string id = http ? "ServerlessHttpApi" : "ServerlessRestApi";
  if (Service* s = by_id(id)) return *s;
  const auto at = std::find(order_.begin(), order_.end(), &before) - order_.begin();
  Service& s = add_service(id, "apigateway", before.node.origin,
                           fmt::format("{}: the {} API SAM creates for the functions' {} events", id,
                                       http ? "HTTP" : "REST", http ? "HttpApi" : "Api"),
                           static_cast<std::size_t>(at));
  TValue props;
  props.kind = TValue::Kind::map;
  if (const TValue* g = t_.globals.find(http ? "HttpApi" : "Api"); g != nullptr && g->is_map()) props = *g;
  configure_api(props, s, http);
  return s;
}

void Builder::not_imported(const Resource& r) {
  const std::string& t = r.type;
  std::string why = "not a service slsim models";
  if (t.starts_with("AWS::IAM::") || t.ends_with("Policy") || t == "AWS::Lambda::Permission")
    why = "permissions: nothing to simulate";
  else if (t.starts_with("AWS::Logs::") || t.starts_with("AWS::CloudWatch::"))
    why = "monitoring: nothing to simulate";
  else if (t == "AWS::Lambda::LayerVersion" || t == "AWS::Serverless::LayerVersion")
    why = "code: nothing to simulate";
  notes_.skipped.push_back(fmt::format("{} ({}): {}", r.id, t, why));
}

// ---- workloads ---------------------------------------------------------------------------------

void Builder::workload(const std::string& base_name, const Service& target, const Origin& origin, const std::string& op,
                       const std::string& traffic, const std::string& route) {
  YNode w;
  w.origin = origin;
  const std::string name = unique_name(scenario_name_of(base_name), workload_names_);
  w.set("name", name);
  w.set("target", target.name());
  if (!route.empty()) w.set("route", yaml_scalar(route));
  if (!op.empty()) w.set("op", op);
  YNode& arrival = w.child("arrival");
  arrival.set("process", "poisson");
  arrival.set("rate", "1/s", {}, "TODO: " + traffic);
  notes_.todo.push_back(fmt::format("workloads.{}.arrival.rate: 1/s is a placeholder for {}", name, traffic));
  workloads_.push_back(std::move(w));
}

void Builder::add_workloads() {
  for (Service* s : order_) {
    if (s->kind == "apigateway") {
      for (const Route& r : s->routes) {
        std::string base = r.event;
        if (base.empty()) {
          base = r.key;
          if (base == "$default") base = s->name() + "_default";
        }
        workload(base, *s, r.origin, "", fmt::format("the requests per second on {} of {}", r.key, s->name()), r.key);
      }
    } else if (s->has_source && !s->fed) {
      const std::string base = "to_" + s->name();
      std::string also;
      if (const auto it = callers_.find(s->name()); it != callers_.end())
        also = fmt::format(" (or uncomment the call in {} and remove this workload)", fmt::join(it->second, ", "));
      if (s->kind == "sqs")
        workload(base, *s, s->source_origin, "send", "the messages per second sent to " + s->name() + also);
      else if (s->kind == "sns")
        workload(base, *s, s->source_origin, "publish", "the messages per second published to " + s->name() + also);
      else if (s->kind == "s3")
        workload(base, *s, s->source_origin, "put", "the objects per second put into " + s->name() + also);
      else if (s->kind == "dynamodb")
        workload(base, *s, s->source_origin, "put",
                 "the writes per second to " + s->name() + ", which feed its stream" + also);
      else if (s->kind == "kinesis")
        workload(base, *s, s->source_origin, "put", "the records per second put on " + s->name() + also);
    }
  }
  workloads_.insert(workloads_.end(), schedules_.begin(), schedules_.end());
  for (Service* s : order_)
    if (s->kind == "lambda" && !s->invoked)
      notes_.todo.push_back(
          fmt::format("services.{}: nothing in the template invokes it: add a workload (or a call) "
                      "if something outside the template does",
                      s->name()));
}

// ---- the draft ---------------------------------------------------------------------------------

Draft Builder::build(const std::string& scenario_name) {
  for (const Resource& r : t_.resources) {
    if (!r.created) {
      notes_.skipped.push_back(
          fmt::format("{} ({}): not created: its Condition '{}' is false with the parameters' "
                      "defaults",
                      r.id, r.type, r.condition));
      continue;
    }
    const std::string kind = kind_of(r.type);
    if (!kind.empty()) add_service(r.id, kind, {r.loc, r.path}, fmt::format("{} ({})", r.id, r.type));
  }
  for (const Resource& r : t_.resources)
    if (Service* s = r.created ? by_id(r.id) : nullptr) configure(r, *s);
  for (const Resource& r : t_.resources)
    if (r.created) wire(r);
  for (const Resource& r : t_.resources)
    if (Service* s = r.created ? by_id(r.id) : nullptr; s != nullptr && s->kind == "lambda") {
      const TValue props = function_properties(r);
      if (const TValue* invoke = props.find("EventInvokeConfig")) async_config(*s, *invoke);
      const TValue* dlq = props.find("DeadLetterQueue");
      if (dlq == nullptr) dlq = props.find("DeadLetterConfig");
      if (dlq != nullptr && dlq->is_map() && s->node.find("async") == nullptr) {
        if (Service* target = resolve(dlq->find("TargetArn"), {"sqs", "sns"}, dlq->path)) {
          s->node.child("async").set("on_failure", target->name(), origin_of(*dlq->find("TargetArn")));
          target->fed = true;
          notes_.assumed.push_back(
              fmt::format("{}: its dead-letter queue is imported as the on-failure destination "
                          "of its asynchronous invocations",
                          s->name()));
        }
      }
      suggest_calls(props, *s);
    }
  // An API without routes has nothing to call.
  for (auto it = order_.begin(); it != order_.end();) {
    Service& s = **it;
    if (s.kind == "apigateway" && s.routes.empty()) {
      notes_.skipped.push_back(
          fmt::format("{}: an API without routes to a function in this template: not imported", s.id));
      it = order_.erase(it);
      continue;
    }
    if (s.kind == "apigateway") {
      for (const Route& r : s.routes) {
        YNode& item = s.node.append("routes", r.origin);
        item.set("route", yaml_scalar(r.key));
        item.set("to", r.to);
      }
    }
    ++it;
  }
  add_workloads();
  if (workloads_.empty()) {
    const auto fn = std::find_if(order_.begin(), order_.end(), [](const Service* s) { return s->kind == "lambda"; });
    if (fn != order_.end())
      workload("invocations", **fn, {}, "", "the invocations per second of " + (*fn)->name());
    else if (!order_.empty())
      workload("traffic", *order_.front(), {}, "", "the requests per second to " + order_.front()->name());
  }
  Draft d;
  d.name = scenario_name;
  d.description = t_.description;
  while (!d.description.empty() && (d.description.back() == '\n' || d.description.back() == ' '))
    d.description.pop_back();
  d.workloads = workloads_;
  for (const Service* s : order_) d.services.push_back(s->node);
  return d;
}

}  // namespace slsim::cfn
