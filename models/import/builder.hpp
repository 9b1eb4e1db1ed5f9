#pragma once
// Turns an evaluated template into a draft scenario: one service per
// function, queue, topic, table, bucket, stream and API; the wiring of events,
// event source mappings and subscriptions; one workload per API route and
// event source, with placeholder traffic. builder.cpp holds the services and
// their settings, wiring.cpp the connections between them.
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/import/draft.hpp"
#include "models/import/template.hpp"

namespace slsim::cfn {

// A logical id or a resource's name as a scenario name: HelloWorldFunction -> hello_world_function.
std::string scenario_name_of(std::string_view id);

// An API route found in the template.
struct Route {
  std::string key;    // GET /hello
  std::string to;     // the function's service name
  std::string event;  // the SAM event that declared it ("" for other sources)
  Origin origin;
};

struct Service {
  std::string id;             // the logical id; "" for one the template only names (an ARN) or SAM creates
  std::string kind;           // lambda, sqs, sns, dynamodb, s3, kinesis, apigateway
  YNode node;                 // keyed by the service's name
  std::vector<Route> routes;  // apigateway
  bool fed = false;           // something in the template sends to it (a topic, a redrive, a destination)
  bool invoked = false;       // a function that something in the template invokes
  bool has_source = false;    // a queue, stream or table with a consumer; a bucket with notifications
  Origin source_origin;       // the event or mapping that wired its consumer
  const std::string& name() const { return node.key; }
};

struct Notes {
  std::vector<std::string> todo;     // what the user must fill in
  std::vector<std::string> skipped;  // what was not imported, and why
  std::vector<std::string> assumed;  // what the import assumed
};

class Builder {
 public:
  Builder(const Template& t, Diagnostics& diags) : t_(t), diags_(diags) {}
  // The draft, or errors in `diags` (bad values in the template).
  Draft build(const std::string& scenario_name);
  const Notes& notes() const { return notes_; }
  std::size_t service_count() const { return order_.size(); }
  std::size_t workload_count() const { return workloads_.size(); }

 private:
  // builder.cpp: services and their own settings.
  static std::string kind_of(const std::string& type);
  // `name` is what the service's name is made from (default: the logical id).
  Service& add_service(const std::string& id, const std::string& kind, const Origin& origin, std::string about,
                       std::optional<std::size_t> before = std::nullopt, const std::string& name = {});
  Service* by_id(const std::string& id);
  Service* by_name(const std::string& name);
  std::string unique_name(const std::string& base, std::set<std::string>& used);
  void configure(const Resource& r, Service& s);
  void configure_function(const Resource& r, Service& s);
  void configure_queue(const Resource& r, Service& s);
  void configure_topic(const Resource& r, Service& s);
  void configure_table(const Resource& r, Service& s);
  void configure_bucket(const Resource& r, Service& s);
  void configure_stream(const Resource& r, Service& s);
  void configure_api(const TValue& props, Service& s, bool http);
  void method_settings(Service& api, const TValue& settings);
  void async_config(Service& fn, const TValue& config);
  void suggest_calls(const TValue& props, Service& s);
  TValue function_properties(const Resource& r) const;
  Service& implicit_api(bool http, const Service& before);
  void add_workloads();
  void workload(const std::string& base_name, const Service& target, const Origin& origin, const std::string& op,
                const std::string& traffic, const std::string& route = {});
  void not_imported(const Resource& r);

  // Values: a note or an error when a value is missing, unknown or of the wrong kind.
  static Origin origin_of(const TValue& v) { return {v.loc, v.path}; }
  std::optional<long long> whole(const TValue* v, const std::string& unit, Service& s, const std::string& key);
  std::optional<double> number(const TValue* v, const std::string& unit, Service& s, const std::string& key);
  std::optional<std::string> text(const TValue* v, Service& s, const std::string& key);
  std::optional<bool> flag(const TValue* v, Service& s, const std::string& key);
  void unknown_value(const TValue& v, Service& s, const std::string& key);
  // Sets `key` under `node` from a whole number with a unit suffix ("MB", "s" for seconds).
  void set_whole(YNode& node, const std::string& key, const TValue* v, Service& s, const std::string& unit);

  // References: the service a value names (a !Ref, a !GetAtt, an ARN, a physical name),
  // created with defaults when the template only names it by ARN; nullptr with a note otherwise.
  Service* resolve(const TValue* v, const std::vector<std::string>& kinds, const std::string& what);
  Service* outside(const std::string& arn_or_name, const std::string& kind, const Origin& origin);

  // wiring.cpp: what connects the services.
  void wire(const Resource& r);
  void function_events(const Resource& r, Service& fn);
  void event(const std::string& fn_id, Service& fn, const std::string& name, const TValue& e);
  void api_event(Service& fn, const std::string& name, const TValue& props, bool http, const Origin& origin);
  void consumer(Service& source, Service& fn, const TValue& props, const Origin& origin);
  void subscribe(Service& topic, Service& endpoint, const TValue* filter_policy, const TValue* redrive,
                 const Origin& origin);
  void notify(Service& bucket, Service& fn, const TValue* events, const TValue* filter, const Origin& origin);
  // A workload firing on a schedule expression; `rule`: an EventBridge rule's (else Scheduler's).
  void schedule(const std::string& name, Service& target, const TValue* expression, bool enabled, bool rule,
                const Origin& origin, const std::string& what);
  void event_source_mapping(const Resource& r);
  void rest_method(const Resource& r);
  std::optional<std::string> resource_path(const TValue* resource_id, int depth);
  void openapi_routes(Service& api, const TValue& body);
  void add_route(Service& api, const std::string& key, Service& fn, const std::string& event, const Origin& origin);

  const Template& t_;
  Diagnostics& diags_;
  Notes notes_;
  std::deque<Service> services_;             // stable addresses
  std::vector<Service*> order_;              // the order they are written in
  std::map<std::string, Service*> outside_;  // ARNs and names outside the template
  std::set<std::string> service_names_, workload_names_;
  std::vector<YNode> workloads_;
  std::vector<YNode> schedules_;  // workloads that fire on schedules (after the placeholders)
  std::map<std::string, std::vector<std::string>> callers_;  // service -> functions whose suggested calls name it
};

}  // namespace slsim::cfn
