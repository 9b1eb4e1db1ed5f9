#include "sim/analysis/compare.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "sim/scenario/diagnostics.hpp"

namespace slsim {

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::same: return "same";
    case Verdict::within_tolerance: return "within tolerance";
    case Verdict::within_ci95: return "within ci95";
    case Verdict::changed: return "changed";
    case Verdict::regression: return "regression";
    case Verdict::improvement: return "improvement";
  }
  return "?";
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Full match of `text` by `pattern` (`*` any run, `?` one character).
bool wildcard(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p, ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const auto dot = path.find('.', start);
    out.push_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

bool contains_any(std::string_view word, std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](std::string_view n) { return word.find(n) != word.npos; });
}

// A word naming a bad outcome or a price: more of it is worse.
bool bad_word(std::string_view word) {
  return contains_any(word, {"throttl", "error", "fail", "timeout", "timed_out", "dropped", "expired", "dead_letter",
                             "retr", "cold_start", "to_dlq", "rejected", "lost", "repeated", "usd", "recursive_loops"});
}

// One leaf of a result: its path for people (array elements by name where
// they have one, so that an added item does not shift the others) and its
// path by index (to find its ci95).
struct Leaf {
  std::string label;
  std::string index_path;
  const Json* value = nullptr;
};

std::string element_name(const Json& e) {
  if (!e.is_object()) return {};
  const Json* service = e.find("service");
  const Json* item = e.find("item");
  if (service != nullptr && item != nullptr && service->is_string() && item->is_string())
    return service->as_string() + "/" + item->as_string();
  const Json* name = e.find("name");
  if (name != nullptr && name->is_string()) return name->as_string();
  return {};
}

void collect(const Json& node, const std::string& label, const std::string& index, std::vector<Leaf>& out) {
  const auto join = [](const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; };
  if (node.is_object()) {
    for (const auto& [k, v] : node.items()) {
      // Not metrics: the version, the intervals (used beside their metric),
      // the expectations (their actual values are metrics already), wall-clock time.
      if (label.empty() && (k == "version" || k == "ci95" || k == "expect")) continue;
      const std::string l = join(label, k);
      if (l == "run.wall_s" || l == "run.events_per_s") continue;
      collect(v, l, join(index, k), out);
    }
  } else if (node.is_array()) {
    std::vector<std::string> names;
    std::unordered_set<std::string> seen;
    bool named = true;
    for (const auto& e : node.elements()) {
      names.push_back(element_name(e));
      named = named && !names.back().empty() && seen.insert(names.back()).second;
    }
    for (std::size_t i = 0; i < node.elements().size(); ++i)
      collect(node.elements()[i], join(label, named ? names[i] : std::to_string(i)), join(index, std::to_string(i)),
              out);
  } else {
    out.push_back({label, index, &node});
  }
}

std::vector<Leaf> leaves_of(const Json& result) {
  std::vector<Leaf> out;
  collect(result, "", "", out);
  return out;
}

double interval_of(const Json& result, const std::string& index_path) {
  const Json* ci = result.find("ci95");
  if (ci == nullptr) return kNaN;
  const Json* v = ci->find_path(index_path);
  return v != nullptr && v->is_number() ? v->as_double() : kNaN;
}

MetricComparison compare_leaf(const std::string& metric, const Json& base, const Json& now, double ci_base,
                              double ci_now, const CompareOptions& options) {
  MetricComparison m;
  m.metric = metric;
  m.base = base;
  m.now = now;
  m.change = m.relative = m.ci95 = kNaN;
  m.higher_is_worse = higher_is_worse(metric);
  if (base.is_number() && now.is_number()) {
    const double a = base.as_double(), b = now.as_double();
    m.change = b - a;
    m.relative = a != 0 ? m.change / std::fabs(a) : (m.change == 0 ? 0.0 : std::numeric_limits<double>::infinity());
    if (!std::isnan(ci_base) && !std::isnan(ci_now)) m.ci95 = std::sqrt(ci_base * ci_base + ci_now * ci_now);
    // Values that differ only in the last bits of a double (a sum taken in
    // another order) are the same figure.
    const double rounding = 1e-12 * std::max(std::fabs(a), std::fabs(b));
    if (a == b || std::fabs(m.change) <= rounding) m.verdict = Verdict::same;
    else if (std::fabs(m.change) <= options.tolerance * std::fabs(a)) m.verdict = Verdict::within_tolerance;
    else if (std::fabs(m.change) <= m.ci95) m.verdict = Verdict::within_ci95;
    else if (m.higher_is_worse) m.verdict = m.change > 0 ? Verdict::regression : Verdict::improvement;
    else m.verdict = Verdict::changed;
    return m;
  }
  if (base.dump(-1) == now.dump(-1)) {
    m.verdict = Verdict::same;
  } else if (base.is_bool() && now.is_bool() && metric.ends_with("balanced")) {
    // The accounting stopped balancing: requests were lost or counted twice.
    m.verdict = base.as_bool() ? Verdict::regression : Verdict::improvement;
  } else {
    m.verdict = Verdict::changed;
  }
  return m;
}

int severity(Verdict v) {
  switch (v) {
    case Verdict::regression: return 0;
    case Verdict::improvement: return 1;
    case Verdict::changed: return 2;
    case Verdict::within_ci95: return 3;
    case Verdict::within_tolerance: return 4;
    case Verdict::same: return 5;
  }
  return 5;
}

double size_of(const MetricComparison& m) {
  return std::isnan(m.relative) ? std::numeric_limits<double>::infinity() : std::fabs(m.relative);
}

enum class Kind { run, sweep, other };

Kind kind_of(const Json& j) {
  if (!j.is_object()) return Kind::other;
  const Json* version = j.find("version");
  const Json* scenario = j.find("scenario");
  if (version != nullptr && version->is_string() && scenario != nullptr && scenario->is_object()) return Kind::run;
  const Json* sweep = j.find("sweep");
  const Json* points = j.find("points");
  if (sweep != nullptr && sweep->is_object() && points != nullptr && points->is_array()) return Kind::sweep;
  return Kind::other;
}

[[noreturn]] void bad_input(std::string origin, std::string message, std::string hint = {}) {
  throw CompareInputError{std::move(origin), std::move(message), std::move(hint)};
}

const std::string kWhatResults =
    "the JSON that `slsim run --json` or `slsim sweep --json` writes (an object with \"version\" and "
    "\"scenario\", or with \"sweep\" and \"points\")";

// "PATH=VALUE, PATH=VALUE" for a sweep point's `set` object.
std::string settings_text(const Json& set) {
  if (!set.is_object()) return set.is_null() ? "none" : set.dump(-1);
  std::string out;
  for (const auto& [k, v] : set.items()) {
    if (!out.empty()) out += ", ";
    out += k + "=" + (v.is_string() ? v.as_string() : v.dump(-1));
  }
  return out;
}

// The points of a sweep, each checked to hold a run result.
std::vector<std::pair<const Json*, const Json*>> sweep_points(const Json& sweep, const std::string& name) {
  std::vector<std::pair<const Json*, const Json*>> out;
  const auto& points = sweep.find("points")->elements();
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Json* set = points[i].find("set");
    const Json* result = points[i].find("result");
    if (set == nullptr || result == nullptr || kind_of(*result) != Kind::run)
      bad_input(name, fmt::format("points.{}: expected an object with \"set\" and \"result\" (a run's result)", i),
                "is the file a whole sweep result from `slsim sweep --json` (or `slsim merge`)?");
    out.emplace_back(set, result);
  }
  return out;
}

void compare_pair(const Json& base, const Json& now, const std::string& point, const CompareOptions& options,
                  Comparison& out) {
  const std::vector<Leaf> a = leaves_of(base);
  const std::vector<Leaf> b = leaves_of(now);
  const auto selected = [&](const std::string& label) {
    if (options.metrics.empty()) return true;
    return std::any_of(options.metrics.begin(), options.metrics.end(),
                       [&](const std::string& g) { return metric_glob_match(g, label); });
  };
  const auto shown = [&](const std::string& label) { return point.empty() ? label : "{" + point + "} " + label; };
  std::unordered_map<std::string, std::size_t> in_new;
  for (std::size_t i = 0; i < b.size(); ++i) in_new.emplace(b[i].label, i);
  std::vector<bool> matched(b.size(), false);
  for (const Leaf& leaf : a) {
    if (!selected(leaf.label)) continue;
    const auto it = in_new.find(leaf.label);
    if (it == in_new.end()) {
      out.missing.push_back(shown(leaf.label));
      continue;
    }
    matched[it->second] = true;
    const Leaf& other = b[it->second];
    MetricComparison m = compare_leaf(leaf.label, *leaf.value, *other.value, interval_of(base, leaf.index_path),
                                      interval_of(now, other.index_path), options);
    m.point = point;
    out.metrics.push_back(std::move(m));
  }
  for (std::size_t i = 0; i < b.size(); ++i)
    if (!matched[i] && selected(b[i].label)) out.added.push_back(shown(b[i].label));
}

// The pattern's first segment that matches nothing, with the names found there instead.
std::string glob_hint(const std::string& pattern, const std::vector<std::string>& labels) {
  const auto parts = segments(pattern);
  std::string prefix;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const std::string longer = prefix.empty() ? std::string(parts[k]) : prefix + "." + std::string(parts[k]);
    bool any = false;
    for (const auto& l : labels) any = any || metric_glob_match(longer, l);
    if (!any) {
      std::vector<std::string> candidates;
      std::unordered_set<std::string> seen;
      for (const auto& l : labels) {
        const auto ls = segments(l);
        if (ls.size() <= k || (!prefix.empty() && !metric_glob_match(prefix, l))) continue;
        const std::string c(ls[k]);
        if (seen.insert(c).second) candidates.push_back(c);
      }
      return did_you_mean(parts[k], candidates);
    }
    prefix = longer;
  }
  return {};
}

void note_context(const Json& base, const Json& now, const std::string& base_name, const std::string& new_name,
                  Comparison& out) {
  const Json* name_a = base.find_path("scenario.name");
  const Json* name_b = now.find_path("scenario.name");
  if (name_a != nullptr && name_b != nullptr && name_a->dump(-1) != name_b->dump(-1))
    out.notes.push_back(fmt::format("the results come from different scenarios: {} in {}, {} in {}", name_a->dump(-1),
                                    base_name, name_b->dump(-1), new_name));
  const Json* seed_a = base.find_path("scenario.seed");
  const Json* seed_b = now.find_path("scenario.seed");
  const bool intervals = base.find("ci95") != nullptr && now.find("ci95") != nullptr;
  if (seed_a != nullptr && seed_b != nullptr && seed_a->dump(-1) != seed_b->dump(-1) && !intervals)
    out.notes.push_back(
        "the seeds differ, so the differences include randomness: compare runs with --replications on both sides "
        "so that their intervals apply");
}

}  // namespace

bool metric_glob_match(std::string_view pattern, std::string_view path) {
  if (wildcard(pattern, path)) return true;
  for (std::size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1))
    if (wildcard(pattern, path.substr(0, dot))) return true;
  return false;
}

bool higher_is_worse(std::string_view path) {
  const auto parts = segments(path);
  if (parts.front() == "cost") return parts.back() != "quantity";  // money, by service and by item
  const std::string_view leaf = parts.back();
  const std::string_view parent = parts.size() > 1 ? parts[parts.size() - 2] : std::string_view{};
  // A latency object: its times are worse when longer; its count is a count
  // of failures only under a failure's name (latency_failed_ms).
  if (parent.ends_with("_ms")) return leaf != "count" || bad_word(parent);
  if (parent == "throttled_by") return true;
  return leaf.ends_with("_ms") || bad_word(leaf);
}

std::size_t Comparison::count(Verdict v) const {
  return static_cast<std::size_t>(
      std::count_if(metrics.begin(), metrics.end(), [v](const MetricComparison& m) { return m.verdict == v; }));
}

bool Comparison::failed(const CompareOptions& options) const {
  if (count(Verdict::regression) > 0) return true;
  if (!options.strict) return false;
  return count(Verdict::changed) + count(Verdict::improvement) + missing.size() + added.size() > 0;
}

Comparison compare_results(const Json& base, const Json& now, const CompareOptions& options,
                           const std::string& base_name, const std::string& new_name) {
  const Kind ka = kind_of(base), kb = kind_of(now);
  if (ka == Kind::other) bad_input(base_name, "not a slsim result: expected " + kWhatResults);
  if (kb == Kind::other) bad_input(new_name, "not a slsim result: expected " + kWhatResults);
  if (ka != kb)
    bad_input("", fmt::format("{} is {} and {} is {}: compare results of the same kind", base_name,
                              ka == Kind::sweep ? "a sweep" : "a single run", new_name,
                              kb == Kind::sweep ? "a sweep" : "a single run"));
  Comparison out;
  out.sweep = ka == Kind::sweep;
  std::vector<std::pair<const Json*, const Json*>> pa, pb;  // (set, result) per point; one unnamed for runs
  if (out.sweep) {
    pa = sweep_points(base, base_name);
    pb = sweep_points(now, new_name);
    if (pa.size() != pb.size())
      bad_input("", fmt::format("the sweeps' grids differ: {} has {} point{} and {} has {}", base_name, pa.size(),
                                pa.size() == 1 ? "" : "s", new_name, pb.size()),
                "compare sweeps run with the same --vary values");
    for (std::size_t i = 0; i < pa.size(); ++i)
      if (pa[i].first->dump(-1) != pb[i].first->dump(-1))
        bad_input("", fmt::format("the sweeps' grids differ at point {}: {} sets {{{}}} and {} sets {{{}}}", i,
                                  base_name, settings_text(*pa[i].first), new_name, settings_text(*pb[i].first)),
                  "compare sweeps run with the same --vary values");
  } else {
    pa.emplace_back(nullptr, &base);
    pb.emplace_back(nullptr, &now);
  }

  // A glob that selects nothing is a typo, not an empty comparison.
  if (!options.metrics.empty()) {
    std::vector<std::string> labels;
    std::unordered_set<std::string> seen;
    for (const auto* points : {&pa, &pb})
      for (const auto& p : *points)
        for (const Leaf& l : leaves_of(*p.second))
          if (seen.insert(l.label).second) labels.push_back(l.label);
    for (const auto& g : options.metrics) {
      const bool any =
          std::any_of(labels.begin(), labels.end(), [&](const std::string& l) { return metric_glob_match(g, l); });
      if (!any) {
        std::string hint = glob_hint(g, labels);
        if (hint.empty())
          hint = "metric paths look like workloads.NAME.latency_ms.p99, services.NAME.throttles or cost.monthly_usd";
        bad_input("--metrics", fmt::format("'{}' matches no metric of either result", g), hint);
      }
    }
  }

  note_context(*pa.front().second, *pb.front().second, base_name, new_name, out);
  for (std::size_t i = 0; i < pa.size(); ++i)
    compare_pair(*pa[i].second, *pb[i].second, out.sweep ? settings_text(*pa[i].first) : std::string{}, options, out);
  if (out.sweep) {
    const Json* best_a = base.find("best");
    const Json* best_b = now.find("best");
    if (best_a != nullptr && best_b != nullptr) {
      const Json null;
      const Json* set_a = best_a->is_object() ? best_a->find("set") : &null;
      const Json* set_b = best_b->is_object() ? best_b->find("set") : &null;
      if (set_a != nullptr && set_b != nullptr && set_a->dump(-1) != set_b->dump(-1))
        out.notes.push_back(fmt::format("the recommended point changed: {{{}}} in {}, {{{}}} in {}",
                                        settings_text(*set_a), base_name, settings_text(*set_b), new_name));
    }
  }
  std::stable_sort(out.metrics.begin(), out.metrics.end(), [](const MetricComparison& x, const MetricComparison& y) {
    if (severity(x.verdict) != severity(y.verdict)) return severity(x.verdict) < severity(y.verdict);
    if (x.verdict == Verdict::same) return false;  // the rest keep the results' order
    return size_of(x) > size_of(y);
  });
  return out;
}

namespace {

std::string value_text(const Json& v) {
  if (v.is_number()) {
    const double d = v.as_double();
    if (v.type() == Json::Type::integer || (d == std::floor(d) && std::fabs(d) < 1e15)) return fmt::format("{:.0f}", d);
    return fmt::format("{:.6g}", d);
  }
  return v.dump(-1);
}

std::string change_text(const MetricComparison& m) {
  if (std::isnan(m.change)) return "";
  std::string out = fmt::format("{:+.6g}", m.change);
  if (std::isfinite(m.relative)) out += fmt::format(" ({:+.3g}%)", m.relative * 100);
  return out;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string tolerance_text(double tolerance) {
  return tolerance == 0 ? "0 (exact)" : fmt::format("{:g}%", tolerance * 100);
}

std::string name_list(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 20;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) out += (i > 0 ? ", " : "") + names[i];
  if (names.size() > kShown) out += fmt::format(", and {} more", names.size() - kShown);
  return out;
}

}  // namespace

std::string format_comparison(const Comparison& c, const CompareOptions& options, const std::string& base_name,
                              const std::string& new_name) {
  std::string out = fmt::format("Comparing {} with {} (the base): {}, tolerance {}{}\n", new_name, base_name,
                                plural(c.metrics.size(), "metric", "metrics"), tolerance_text(options.tolerance),
                                options.strict ? ", strict" : "");
  for (const auto& n : c.notes) out += "note: " + n + "\n";
  struct Row {
    std::string verdict, metric, base, now, change, ci;
  };
  std::vector<Row> rows;
  bool any_ci = false;
  for (const auto& m : c.metrics) {
    if (m.verdict == Verdict::same) continue;
    Row r{std::string(verdict_name(m.verdict)), m.point.empty() ? m.metric : "{" + m.point + "} " + m.metric,
          value_text(m.base), value_text(m.now), change_text(m), ""};
    if (!std::isnan(m.ci95)) {
      r.ci = fmt::format("±{:.3g}", m.ci95);
      any_ci = true;
    }
    rows.push_back(std::move(r));
  }
  if (rows.empty()) {
    out += "no differences\n";
  } else {
    Row head{"verdict", "metric", "base", "new", "change", any_ci ? "ci95 (both)" : ""};
    std::size_t w[5] = {head.verdict.size(), head.metric.size(), head.base.size(), head.now.size(), head.change.size()};
    for (const auto& r : rows) {
      w[0] = std::max(w[0], r.verdict.size());
      w[1] = std::max(w[1], r.metric.size());
      w[2] = std::max(w[2], r.base.size());
      w[3] = std::max(w[3], r.now.size());
      w[4] = std::max(w[4], r.change.size());
    }
    const auto line = [&](const Row& r) {
      std::string l = fmt::format("{:<{}}  {:<{}}  {:>{}}  {:>{}}  {:<{}}", r.verdict, w[0], r.metric, w[1], r.base,
                                  w[2], r.now, w[3], r.change, w[4]);
      if (any_ci) l += "  " + r.ci;
      while (!l.empty() && l.back() == ' ') l.pop_back();
      return l + "\n";
    };
    out += line(head);
    for (const auto& r : rows) out += line(r);
  }
  if (!c.missing.empty())
    out += fmt::format("missing in {} ({}): {}\n", new_name, c.missing.size(), name_list(c.missing));
  if (!c.added.empty()) out += fmt::format("added in {} ({}): {}\n", new_name, c.added.size(), name_list(c.added));
  out += fmt::format("{}: {} same, {} within tolerance, {} within ci95, {} changed, {}, {}; {} missing, {} added\n",
                     plural(c.metrics.size(), "metric", "metrics"), c.count(Verdict::same),
                     c.count(Verdict::within_tolerance), c.count(Verdict::within_ci95), c.count(Verdict::changed),
                     plural(c.count(Verdict::regression), "regression", "regressions"),
                     plural(c.count(Verdict::improvement), "improvement", "improvements"), c.missing.size(),
                     c.added.size());
  if (!c.failed(options)) {
    out += options.strict ? "ok: no difference\n" : "ok: no regression\n";
  } else if (!options.strict) {
    out += fmt::format("FAIL: {}\n", plural(c.count(Verdict::regression), "regression", "regressions"));
  } else {
    std::vector<std::string> parts;
    const auto add = [&](std::size_t n, std::string what) {
      if (n > 0) parts.push_back(fmt::format("{} {}", n, what));
    };
    add(c.count(Verdict::regression), c.count(Verdict::regression) == 1 ? "regression" : "regressions");
    add(c.count(Verdict::improvement), c.count(Verdict::improvement) == 1 ? "improvement" : "improvements");
    add(c.count(Verdict::changed), "changed");
    add(c.missing.size(), "missing");
    add(c.added.size(), "added");
    out += fmt::format("FAIL: {} (--strict fails on any difference)\n", fmt::join(parts, ", "));
  }
  return out;
}

Json comparison_json(const Comparison& c, const CompareOptions& options, const std::string& base_name,
                     const std::string& new_name) {
  Json out = Json::object();
  out["base"] = base_name;
  out["new"] = new_name;
  out["tolerance"] = options.tolerance;
  out["strict"] = options.strict;
  Json globs = Json::array();
  for (const auto& g : options.metrics) globs.push_back(g);
  out["metrics_selected"] = std::move(globs);
  out["pass"] = !c.failed(options);
  Json& summary = out["summary"];
  summary["metrics"] = c.metrics.size();
  for (const Verdict v : {Verdict::same, Verdict::within_tolerance, Verdict::within_ci95, Verdict::changed,
                          Verdict::regression, Verdict::improvement}) {
    std::string key(verdict_name(v));
    std::replace(key.begin(), key.end(), ' ', '_');
    summary[key] = c.count(v);
  }
  summary["missing"] = c.missing.size();
  summary["added"] = c.added.size();
  Json notes = Json::array();
  for (const auto& n : c.notes) notes.push_back(n);
  out["notes"] = std::move(notes);
  Json list = Json::array();
  for (const auto& m : c.metrics) {
    Json j = Json::object();
    j["metric"] = m.metric;
    if (c.sweep) j["point"] = m.point;
    j["verdict"] = verdict_name(m.verdict);
    j["base"] = m.base;
    j["new"] = m.now;
    j["change"] = std::isnan(m.change) ? Json() : Json(m.change);
    j["relative"] = std::isfinite(m.relative) ? Json(m.relative) : Json();
    j["ci95"] = std::isnan(m.ci95) ? Json() : Json(m.ci95);
    j["higher_is_worse"] = m.higher_is_worse;
    list.push_back(std::move(j));
  }
  out["metrics"] = std::move(list);
  Json missing = Json::array(), added = Json::array();
  for (const auto& m : c.missing) missing.push_back(m);
  for (const auto& a : c.added) added.push_back(a);
  out["missing"] = std::move(missing);
  out["added"] = std::move(added);
  return out;
}

}  // namespace slsim
