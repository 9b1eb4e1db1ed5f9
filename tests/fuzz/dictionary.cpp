// Writes the libFuzzer dictionary of the scenario format to stdout, generated
// from the declared schemas: every key, choice, variant, service type,
// operation and price item, plus units and YAML punctuation.
#include <cstdio>
#include <set>
#include <string>

#include "sim/scenario/scenario.hpp"
#include "sim/workload/arrival.hpp"

namespace {

using namespace slsim;

class DictionaryWriter {
 public:
  void token(const std::string& text) {
    if (text.empty() || !seen_.insert(text).second) return;
    // libFuzzer's format: quoted, with \\, \" and \xNN escapes.
    std::string escaped;
    for (const char c : text) {
      if (c == '"' || c == '\\') {
        escaped += '\\';
        escaped += c;
      } else if (c < ' ' || c > '~') {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
        escaped += hex;
      } else {
        escaped += c;
      }
    }
    std::printf("\"%s\"\n", escaped.c_str());
  }

  void schema(const Schema& s) {
    if (!schemas_.insert(&s).second) return;
    for (const ParamSpec& p : s.params) spec(p);
  }

  void spec(const ParamSpec& p) {
    token(p.name + ": ");
    for (const auto& c : p.choices) token(c);
    for (const auto& t : p.ref_types) token(t);
    if (!p.default_text.empty()) token(p.default_text);
    if (p.record != nullptr) schema(*p.record);
    for (const ParamSpec& e : p.element) spec(e);
    for (const auto& [name, variant] : p.variants) {
      token(p.discriminator + ": " + name);
      schema(*variant);
    }
  }

 private:
  std::set<std::string> seen_;
  std::set<const Schema*> schemas_;
};

}  // namespace

int main() {
  const ServiceRegistry& reg = builtin_services();
  DictionaryWriter w;
  w.schema(top_level_schema(reg));
  w.schema(*reg.account);
  w.schema(workload_schema());
  w.schema(distribution_schema());
  for (const ServiceType& t : reg.types) {
    w.token("type: " + t.name);
    for (const auto& op : t.ops) w.token(op);
    w.schema(*t.schema);
  }
  for (const auto& item : reg.price_items) w.token(item);
  for (const char* unit : {"ns", "us", "ms", "s", "min", "h", "d", "/s", "/min", "/h", "/d", "B", "KB", "MB", "GB"})
    w.token(unit);
  for (const char* piece : {"cron(", "rate(", "at(", " minutes)", " hour)", " days)", " ? ", " * ", "MON-FRI", "JAN",
                            "L", "W", "#", "/", "2026-01-05T00:00:00Z", "1e400", "-1", "0", "1", "1e6", "true", "false"})
    w.token(piece);
  for (const char* yaml : {"\n  - ", "\n    ", ": ", "{", "}", "[", "]", ", ", "&a ", "*a", "<<: ", "\"", "'", "|"})
    w.token(yaml);
  return 0;
}
