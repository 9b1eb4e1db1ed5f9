// The human table: the verdict first (how requests ended, their latency, the
// accounting, the cost, the expectations), then one compact line per service,
// the engine's own figures last. Everything here is read from the result JSON
// (so replications show their means, with the 95% half-width beside them);
// the JSON keeps every figure the table leaves out.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/analysis/insights.hpp"
#include "sim/report/number_text.hpp"
#include "sim/report/result.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"

namespace slsim {

// One number format for the whole table: whole numbers with thousands
// separators; other values with 4 significant digits, and one decimal from 100 up.
std::string group_thousands(const std::string& digits) {
  std::string out;
  const std::size_t first = digits[0] == '-' ? 1 : 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Fixed notation (never an exponent) with `significant` digits, thousands grouped.
std::string fixed_significant(double v, int significant) {
  if (v == 0) return "0";
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  const int decimals = std::clamp(significant - 1 - magnitude, 0, 12);
  // Above the units, round to the significant digits too (1,121 at 2 digits: 1,100).
  const int above = magnitude + 1 - significant;
  const double shown = above > 0 ? std::round(std::fabs(v) / std::pow(10.0, above)) * std::pow(10.0, above) : std::fabs(v);
  const std::string fixed = fmt::format("{:.{}f}", shown, decimals);
  const auto dot = fixed.find('.');
  const std::string grouped =
      dot == std::string::npos ? group_thousands(fixed) : group_thousands(fixed.substr(0, dot)) + fixed.substr(dot);
  return v < 0 ? fmt::format("-{}", grouped) : grouped;
}

std::string number_text(double v) {
  if (!std::isfinite(v)) return "-";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return group_thousands(fmt::format("{}", static_cast<long long>(v)));
  if (std::fabs(v) >= 100) return fixed_significant(v, static_cast<int>(std::floor(std::log10(std::fabs(v)))) + 2);
  return fixed_significant(v, 4);
}

// Dollars: cents from $1 up, 4 significant digits below.
std::string usd_text(double v) {
  if (v == 0) return "$0";
  const std::string digits = std::fabs(v) >= 1 ? fixed_significant(std::fabs(v), static_cast<int>(std::floor(std::log10(std::fabs(v)))) + 3)
                                               : fixed_significant(std::fabs(v), 4);
  return fmt::format("{}${}", v < 0 ? "-" : "", digits);
}

// A 95% half-width: two significant digits are all it can tell.
std::string ci_text(double h, bool money) { return fmt::format("{}{}", money ? "$" : "", fixed_significant(h, 2)); }

namespace {

const Json* at(const Json& r, std::string_view path) { return r.find_path(path); }

double num(const Json& r, std::string_view path) {
  const Json* v = at(r, path);
  return v != nullptr && v->is_number() ? v->as_double() : 0.0;
}

// A number from the result, with its 95% half-width when there is one
// (replications): "12.5 ±0.3".
class Figures {
 public:
  explicit Figures(const Json& r) : r_(r), ci_(r.find("ci95")) {}
  std::string text(const std::string& path) const { return with_ci(number_text(num(r_, path)), path, false); }
  std::string usd(const std::string& path) const { return with_ci(usd_text(num(r_, path)), path, true); }
  double value(const std::string& path) const { return num(r_, path); }
  bool replicated() const { return ci_ != nullptr; }

 private:
  std::string with_ci(std::string shown, const std::string& path, bool money) const {
    if (ci_ == nullptr) return shown;
    const Json* h = ci_->find_path(path);
    if (h == nullptr || !h->is_number() || h->as_double() == 0) return shown;
    return fmt::format("{} ±{}", shown, ci_text(h->as_double(), money));
  }
  const Json& r_;
  const Json* ci_;
};

// Columns aligned to their widest cell: long names never push a row out of line.
struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  std::string render(const std::string& indent) const {
    std::vector<std::size_t> width(header.size(), 0);
    const auto measure = [&](const std::vector<std::string>& row) {
      for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
    };
    measure(header);
    for (const auto& row : rows) measure(row);
    const auto line = [&](const std::vector<std::string>& row) {
      std::string out = indent;
      for (std::size_t c = 0; c < row.size(); ++c) {
        // The first column (names) is left-aligned, figures right-aligned.
        out += c == 0 ? fmt::format("{:<{}}", row[c], width[c]) : fmt::format("  {:>{}}", row[c], width[c]);
      }
      while (!out.empty() && out.back() == ' ') out.pop_back();
      return out + "\n";
    };
    std::string out = line(header);
    for (const auto& row : rows) out += line(row);
    return out;
  }
};

// "a + b + c" of the non-zero terms (the first always shown).
std::string sum_of(const Figures& f, const std::string& base,
                   const std::vector<std::pair<std::string, std::string>>& terms) {
  std::string out;
  for (const auto& [key, label] : terms) {
    if (f.value(base + key) == 0) continue;
    out += (out.empty() ? "" : " + ") + f.text(base + key) + " " + label;
  }
  return out.empty() ? "0" : out;
}

bool is_histogram(const Json& v) { return v.is_object() && v.find("p50") != nullptr && v.find("count") != nullptr; }

// One service's compact line: the figures its type lists, zeros left out.
std::string service_line(const Figures& f, const Json& metrics, const std::string& base,
                         const std::vector<std::string>& wanted, std::size_t indent) {
  std::vector<std::string> cells;
  const auto add_scalar = [&](const std::string& key) {
    if (f.value(base + key) == 0) return;
    cells.push_back(key + " " + f.text(base + key));
  };
  const auto add_histogram = [&](const std::string& key, const Json& h) {
    if (num(h, "count") == 0) return;
    cells.push_back(fmt::format("{} p50 {} p99 {}", key, f.text(base + key + ".p50"), f.text(base + key + ".p99")));
  };
  if (!wanted.empty()) {
    for (const auto& key : wanted) {
      const Json* v = metrics.find_path(key);
      if (v == nullptr) continue;
      if (is_histogram(*v)) add_histogram(key, *v);
      else if (v->is_number()) add_scalar(key);
    }
  } else {
    // No list declared: every non-zero number.
    std::vector<std::pair<std::string, const Json*>> frontier{{"", &metrics}};
    while (!frontier.empty()) {
      const auto [prefix, node] = frontier.back();
      frontier.pop_back();
      std::vector<std::pair<std::string, const Json*>> children;
      for (const auto& [k, v] : node->items()) {
        const std::string key = prefix.empty() ? k : prefix + "." + k;
        if (is_histogram(v)) add_histogram(key, v);
        else if (v.is_object()) children.emplace_back(key, &v);
        else if (v.is_number()) add_scalar(key);
      }
      frontier.insert(frontier.end(), children.rbegin(), children.rend());
    }
  }
  if (cells.empty()) return "idle (no activity in the window)";
  std::string out, line;
  for (const auto& c : cells) {
    if (!line.empty() && indent + line.size() + c.size() + 3 > 110) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " | ") + c;
  }
  return out + line;
}

}  // namespace

std::string format_table(const Scenario& scenario, const Json& r) {
  const Figures f(r);
  std::string out = fmt::format("slsim {} | {} | seed {} | {} measured", kSlsimVersion, scenario.name, scenario.seed,
                                format_duration(static_cast<double>(scenario.duration)));
  if (scenario.warmup > 0) out += fmt::format(" after {} warm-up", format_duration(static_cast<double>(scenario.warmup)));
  out += "\n";
  if (f.replicated())
    out += fmt::format("means over {} replications, ±95% confidence half-widths\n", scenario.replications);

  const Json* workloads = r.find("workloads");
  const bool any_messages = num(r, "accounting.messages.sent") > 0;
  if (workloads != nullptr && workloads->size() > 0) {
    // How each request ended, counting its messages; optional fates only when they occur.
    const std::vector<std::pair<std::string, std::string>> fates{
        {"succeeded", "succeeded"}, {"failed", "failed"},   {"throttled", "throttled"}, {"dead_lettered", "dead-lettered"},
        {"expired", "expired"},     {"dropped", "dropped"}, {"in_flight", "in flight"}};
    TextTable ends;
    ends.header = {"requests", "arrived"};
    std::vector<std::string> shown;
    for (const auto& [key, label] : fates) {
      bool used = key == "succeeded" || key == "failed" || key == "throttled" || key == "in_flight";
      for (const auto& [name, w] : workloads->items()) used = used || num(w, "end_to_end." + key) != 0;
      if (!used) continue;
      shown.push_back(key);
      ends.header.push_back(label);
    }
    if (any_messages) {
      ends.header.push_back("completion p50 ms");
      ends.header.push_back("p99 ms");
    }
    for (const auto& [name, w] : workloads->items()) {
      const std::string base = "workloads." + name + ".";
      std::vector<std::string> row{name, f.text(base + "arrived")};
      for (const auto& key : shown) row.push_back(f.text(base + "end_to_end." + key));
      if (any_messages) {
        const bool done = num(w, "completion_ms.count") > 0;
        row.push_back(done ? f.text(base + "completion_ms.p50") : "-");
        row.push_back(done ? f.text(base + "completion_ms.p99") : "-");
      }
      ends.rows.push_back(std::move(row));
    }
    out += "\n";
    out += ends.render("");
    if (any_messages)
      out += "  (end to end: a request ends when its answer is in and all its messages have ended;\n"
             "   completion runs from arrival to the end of its last message, over requests that succeeded)\n";

    // What the caller saw: the synchronous answer.
    TextTable lat;
    lat.header = {"answers", "ok", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "failed", "failed p99 ms"};
    for (const auto& [name, w] : workloads->items()) {
      const std::string base = "workloads." + name + ".";
      const bool ok = num(w, "latency_ms.count") > 0, failed = num(w, "latency_failed_ms.count") > 0;
      const auto cell = [&](const char* key) { return ok ? f.text(base + "latency_ms." + key) : std::string("-"); };
      lat.rows.push_back({name, f.text(base + "latency_ms.count"), cell("p50"), cell("p90"), cell("p99"), cell("p999"),
                          cell("max"), f.text(base + "latency_failed_ms.count"),
                          failed ? f.text(base + "latency_failed_ms.p99") : "-"});
    }
    out += "\n";
    out += lat.render("");
    out += "  (as the caller saw the first service's answer: latency of the ok answers; failed = errors, timeouts, throttles)\n";
  }

  if (const Json* acc = r.find("accounting")) {
    const Json* balanced = acc->find("balanced");
    const bool ok = balanced != nullptr && balanced->is_bool() && balanced->as_bool();
    out += fmt::format("\naccounting: {} arrived = {}: {}\n", f.text("accounting.arrived"),
                       sum_of(f, "accounting.",
                              {{"succeeded", "succeeded"},
                               {"failed", "failed"},
                               {"throttled", "throttled"},
                               {"dead_lettered", "dead-lettered"},
                               {"expired", "expired"},
                               {"dropped", "dropped"},
                               {"in_flight", "in flight"}}),
                       ok ? "balanced" : "NOT BALANCED (a model lost or double-counted requests)");
    if (any_messages)
      out += fmt::format("messages: {} sent = {}\n", f.text("accounting.messages.sent"),
                         sum_of(f, "accounting.messages.",
                                {{"processed", "processed"},
                                 {"failed", "failed"},
                                 {"dead_lettered", "dead-lettered"},
                                 {"expired", "expired"},
                                 {"dropped", "dropped"},
                                 {"in_flight", "in flight"}}));
  }

  // Cost: the window, the month, and the assumption behind the month.
  const std::string window = format_duration(static_cast<double>(scenario.duration));
  const Json* monthly = r.find_path("cost.monthly_usd");
  const Json* note = r.find_path("cost.projection.note");
  const std::string note_text = note != nullptr && note->is_string() ? note->as_string() : std::string{};
  if (monthly != nullptr && monthly->is_number())
    out += fmt::format("\ncost: {} for the {} window, {} for 30 days\n  {}\n", f.usd("cost.total_usd"), window,
                       f.usd("cost.monthly_usd"), note_text);
  else
    out += fmt::format("\ncost: {} for the {} window; {}\n", f.usd("cost.total_usd"), window, note_text);
  if (const Json* items = r.find_path("cost.items"); items != nullptr && items->is_array() && items->size() > 0) {
    TextTable t;
    t.header = {"  service", "item", "quantity", "unit", "usd", "note"};
    bool any_note = false;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const Json& item = items->elements()[i];
      const std::string base = fmt::format("cost.items.{}.", i);
      if (num(item, "quantity") == 0 && num(item, "usd") == 0) continue;  // nothing used, nothing paid
      const Json* n = item.find("note");
      any_note = any_note || n != nullptr;
      t.rows.push_back({"  " + item.find("service")->as_string(), item.find("item")->as_string(), f.text(base + "quantity"),
                        item.find("unit")->as_string(), f.usd(base + "usd"), n != nullptr ? n->as_string() : ""});
    }
    if (!any_note) {
      t.header.pop_back();
      for (auto& row : t.rows) row.pop_back();
    }
    // Names and units read left to right: render by hand for those columns.
    std::vector<std::size_t> width(t.header.size(), 0);
    for (std::size_t c = 0; c < t.header.size(); ++c) {
      width[c] = t.header[c].size();
      for (const auto& row : t.rows) width[c] = std::max(width[c], row[c].size());
    }
    const auto line = [&](const std::vector<std::string>& row) {
      std::string s;
      for (std::size_t c = 0; c < row.size(); ++c) {
        const bool left = c == 0 || c == 1 || c == 3 || c == 5;
        s += (c == 0 ? "" : "  ") + (left ? fmt::format("{:<{}}", row[c], width[c]) : fmt::format("{:>{}}", row[c], width[c]));
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      return s + "\n";
    };
    out += line(t.header);
    for (const auto& row : t.rows) out += line(row);
  }

  if (const Json* ex = r.find("expect"); ex != nullptr && ex->is_array() && ex->size() > 0) {
    out += "\nexpectations\n";
    for (const auto& e : ex->elements()) {
      const bool pass = e.find("pass")->as_bool();
      const Json* v = e.find("value");
      const auto scalar = [](const Json& x) {
        if (x.is_bool()) return std::string(x.as_bool() ? "true" : "false");
        if (x.is_number()) return number_text(x.as_double());
        return std::string("-");
      };
      const std::string value = v->is_array() ? fmt::format("[{}, {}]", scalar(v->elements()[0]), scalar(v->elements()[1]))
                                              : scalar(*v);
      out += fmt::format("  {} {} {} {} (actual {})", pass ? "PASS" : "FAIL", e.find("metric")->as_string(),
                         e.find("op")->as_string(), value, scalar(*e.find("actual")));
      if (const Json* err = e.find("error")) out += " - " + err->as_string();
      out += "\n";
    }
  }

  if (const Json* services = r.find("services"); services != nullptr && services->size() > 0) {
    out += "\nservices\n";
    std::size_t name_width = 0;
    for (const auto& [name, s] : services->items()) {
      const Json* type = s.find("type");
      name_width = std::max(name_width, name.size() + (type != nullptr ? type->as_string().size() + 3 : 0));
    }
    for (const auto& [name, s] : services->items()) {
      const Json* type = s.find("type");
      const std::string type_name = type != nullptr && type->is_string() ? type->as_string() : "?";
      const ServiceDecl* decl = scenario.find_service(name);
      const std::vector<std::string> none;
      const auto& wanted = decl != nullptr && decl->type != nullptr ? decl->type->table : none;
      out += fmt::format("  {:<{}}  {}\n", name + " (" + type_name + ")", name_width,
                         service_line(f, s, "services." + name + ".", wanted, name_width + 4));
    }
  }

  out += format_insights(r);

  out += fmt::format("\nengine: {} events in {:.3f} s ({} events/s)\n", number_text(num(r, "run.events")),
                     num(r, "run.wall_s"), number_text(std::round(num(r, "run.events_per_s"))));
  return out;
}

}  // namespace slsim
