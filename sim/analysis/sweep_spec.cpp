// What a sweep is asked to do, read from the command line: --vary values and
// ranges, the grid, --search, --goal, --shard. Every mistake is an InputError
// that names the option as it was given.
#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "sim/analysis/sweep.hpp"
#include "sim/scenario/diagnostics.hpp"
#include "sim/scenario/units.hpp"

namespace slsim {

[[noreturn]] void option_error(const std::string& origin, std::string path, std::string message,
                               std::string hint) {
  Diagnostics d;
  SourceLoc loc;
  loc.origin = std::make_shared<const std::string>(origin);
  loc.from_override = true;
  d.error(loc, std::move(path), std::move(message), std::move(hint));
  throw InputError(d);
}


namespace {


std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Splits at commas outside {}, [] and quotes (a value may be a YAML map or list).
std::vector<std::string> split_items(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(text.substr(start)));
  return out;
}

// A number and the unit written after it: "128MB" -> (128, "MB"), "50/s" -> (50, "/s").
struct Quantity {
  double value = 0;
  std::string unit;
  bool integral = false;  // written without a fraction or an exponent
};

std::optional<Quantity> split_quantity(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  const std::size_t digits_from = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  bool integral = true;
  if (i < text.size() && text[i] == '.') {
    integral = false;
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  }
  if (i == digits_from || (i == digits_from + 1 && text[digits_from] == '.')) return std::nullopt;
  // An exponent only when digits follow (so that a unit may start with 'e').
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < text.size() && (text[j] == '-' || text[j] == '+')) ++j;
    if (j < text.size() && text[j] >= '0' && text[j] <= '9') {
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      i = j;
      integral = false;
    }
  }
  const auto v = parse_plain_number(text.substr(0, i));
  if (!v) return std::nullopt;
  Quantity q{*v, std::string(text.substr(i)), integral};
  if (q.unit.find_first_of(" \t,.:") != std::string::npos) return std::nullopt;
  return q;
}

// How many of `to` make one `from` ("GB" -> "MB": 1024), when both are units of
// the same kind (size, duration, rate).
std::optional<double> unit_factor(const std::string& from, const std::string& to) {
  if (from == to) return 1.0;
  if (from.empty() || to.empty()) return std::nullopt;
  for (const auto parse : {&parse_size, &parse_duration, &parse_rate}) {
    const ParsedNumber a = parse("1" + from), b = parse("1" + to);
    if (a.value && b.value && *b.value > 0) return *a.value / *b.value;
  }
  return std::nullopt;
}

// A value in a unit, written back: 12 significant digits, so that a linear
// step of 0.1 gives 0.3 and not 0.30000000000000004.
std::string quantity_text(double v, const std::string& unit) {
  if (v == 0) v = 0;  // no "-0"
  return fmt::format("{:.12g}{}", v, unit);
}

bool looks_like_range(std::string_view item) {
  if (item.find("..") == std::string_view::npos) return false;
  // A number first: "../a.csv" is a value, not a range.
  std::size_t i = item[0] == '-' || item[0] == '+' ? 1 : 0;
  if (i < item.size() && item[i] == '.') ++i;
  return i < item.size() && item[i] >= '0' && item[i] <= '9';
}

// The values of "A..B:xF" or "A..B:+S", or an error text.
std::vector<std::string> expand_range(std::string_view item, std::size_t max_values, std::string& error,
                                      std::string& hint) {
  const std::string form = "A..B:xF (geometric, e.g. 128MB..3008MB:x2) or A..B:+S (linear, e.g. 128MB..1024MB:+64MB)";
  const auto dots = item.find("..");
  const auto colon = item.find(':', dots + 2);
  if (colon == std::string_view::npos || colon + 1 >= item.size()) {
    error = fmt::format("a range needs a step: expected {}, found '{}'", form, echo(item));
    return {};
  }
  const auto a = split_quantity(item.substr(0, dots));
  const auto b = split_quantity(item.substr(dots + 2, colon - dots - 2));
  if (!a || !b) {
    error = fmt::format("expected a range {}, found '{}'", form, echo(item));
    return {};
  }
  const auto b_factor = unit_factor(b->unit, a->unit);
  if (!b_factor) {
    error = fmt::format("the range's ends have units that do not convert ('{}' and '{}')", a->unit, b->unit);
    hint = "write both ends in one unit";
    return {};
  }
  const double lo = a->value, hi = b->value * *b_factor;
  if (hi < lo) {
    error = fmt::format("the range ends below its start ({} > {})", quantity_text(lo, a->unit),
                        quantity_text(hi, a->unit));
    return {};
  }
  const char kind = item[colon + 1];
  const std::string_view step_text = item.substr(colon + 2);
  std::vector<std::string> out;
  const auto too_many = [&] {
    error = fmt::format("the range '{}' has more than {} values", echo(item), max_values);
    hint = "use a larger step";
  };
  if (kind == 'x') {
    const auto factor = parse_plain_number(step_text);
    if (!factor || *factor <= 1) {
      error = fmt::format("a geometric range needs a factor above 1 after 'x', found '{}'", echo(step_text));
      hint = "e.g. 128MB..3008MB:x2";
      return {};
    }
    if (lo <= 0) {
      error = fmt::format("a geometric range starts above 0, found '{}'", quantity_text(lo, a->unit));
      return {};
    }
    // Whole-number ends give whole-number points (rounded, repeats dropped).
    const bool whole = a->integral && b->integral && *b_factor == std::floor(*b_factor);
    // Rounding may repeat values; the steps are bounded all the same.
    std::size_t steps = 0;
    for (double v = lo; v <= hi * (1 + 1e-12); v *= *factor) {
      if (++steps > 100 * max_values) {
        too_many();
        return {};
      }
      const double shown = whole ? std::round(v) : v;
      const std::string text = quantity_text(shown, a->unit);
      if (!out.empty() && out.back() == text) continue;
      if (out.size() == max_values) {
        too_many();
        return {};
      }
      out.push_back(text);
    }
    return out;
  }
  if (kind == '+') {
    const auto step = split_quantity(step_text);
    const auto s_factor = step ? unit_factor(step->unit.empty() ? a->unit : step->unit, a->unit) : std::nullopt;
    if (!step || !s_factor || step->value * *s_factor <= 0) {
      error = fmt::format("a linear range needs a step above 0 after '+' in the unit of its ends, found '{}'",
                          echo(step_text));
      hint = fmt::format("e.g. {}..{}:+{}", quantity_text(lo, a->unit), quantity_text(hi, a->unit),
                         quantity_text(lo > 0 ? lo : 1, a->unit));
      return {};
    }
    const double s = step->value * *s_factor;
    if ((hi - lo) / s >= static_cast<double>(max_values)) {
      too_many();
      return {};
    }
    // Each value from its index (no accumulated rounding); the end counts as
    // reached within a billionth of a step.
    for (std::size_t i = 0;; ++i) {
      const double v = lo + static_cast<double>(i) * s;
      if (v > hi + s * 1e-9) break;
      out.push_back(quantity_text(v, a->unit));
    }
    return out;
  }
  error = fmt::format("a range's step starts with 'x' (a factor) or '+' (an increment), found '{}'",
                      echo(item.substr(colon + 1)));
  hint = "e.g. 128MB..3008MB:x2 or 128MB..1024MB:+64MB";
  return {};
}

}  // namespace

VaryAxis parse_vary(const std::string& arg, std::size_t max_values) {
  const std::string origin = "--vary " + arg;
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    option_error(origin, "", "expected PATH=VALUES, e.g. --vary services.fn.memory=128MB,256MB,512MB",
                 "a range works too: --vary services.fn.memory=128MB..3008MB:x2");
  VaryAxis axis;
  axis.path = arg.substr(0, eq);
  axis.spec = arg.substr(eq + 1);
  if (trim(axis.spec).empty()) option_error(origin, axis.path, "no values after '='");
  std::set<std::string> seen;
  for (const std::string& item : split_items(axis.spec)) {
    if (item.empty())
      option_error(origin, axis.path, "an empty value between commas", "write the values as V1,V2,V3");
    std::vector<std::string> values;
    if (looks_like_range(item)) {
      std::string error, hint;
      values = expand_range(item, max_values, error, hint);
      if (!error.empty()) option_error(origin, axis.path, error, hint);
    } else {
      values.push_back(item);
    }
    for (auto& v : values) {
      if (!seen.insert(v).second) option_error(origin, axis.path, fmt::format("the value '{}' is given twice", echo(v)));
      if (axis.values.size() == max_values)
        option_error(origin, axis.path, fmt::format("more than {} values", max_values), "use a larger step");
      axis.values.push_back(std::move(v));
    }
  }
  return axis;
}

std::vector<PointSet> sweep_grid(const std::vector<VaryAxis>& axes, std::size_t max_points) {
  std::set<std::string> paths;
  double total = 1;  // a double: the product may exceed any integer before it is refused
  std::vector<std::string> sizes;
  for (const auto& a : axes) {
    if (!paths.insert(a.path).second)
      option_error("--vary " + a.path + "=" + a.spec, a.path, "this path is varied twice",
                   "give all its values in one --vary, separated by commas");
    sizes.push_back(std::to_string(a.values.size()));
    total *= static_cast<double>(a.values.size());
  }
  if (total > static_cast<double>(max_points))
    option_error("--vary", "",
                 fmt::format("the grid has {:.0f} points ({}), more than the limit of {}", total,
                             fmt::join(sizes, " x "), max_points),
                 "vary fewer values, or split the sweep into several");
  std::vector<PointSet> out(axes.empty() ? 0 : static_cast<std::size_t>(total));
  for (std::size_t p = 0; p < out.size(); ++p) {
    std::size_t rest = p;
    PointSet set(axes.size());
    for (std::size_t k = axes.size(); k-- > 0;) {
      const auto n = axes[k].values.size();
      set[k] = {axes[k].path, axes[k].values[rest % n]};
      rest /= n;
    }
    out[p] = std::move(set);
  }
  return out;
}

std::string SearchRange::value(std::uint64_t i) const {
  return quantity_text(first + static_cast<double>(i) * step, unit);
}

SearchRange parse_search(const std::string& arg) {
  const std::string origin = "--search " + arg;
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    option_error(origin, "", "expected PATH=LO..HI, e.g. --search services.fn.reserved_concurrency=1..1000",
                 "a unit-valued parameter takes a step: --search services.fn.memory=128MB..3008MB:+64MB");
  SearchRange r;
  r.path = arg.substr(0, eq);
  r.spec = arg.substr(eq + 1);
  const std::string_view spec = r.spec;
  const auto dots = spec.find("..");
  const auto colon = dots == std::string_view::npos ? dots : spec.find(':', dots + 2);
  const auto a = dots == std::string_view::npos ? std::nullopt : split_quantity(spec.substr(0, dots));
  const auto b = dots == std::string_view::npos ? std::nullopt
                                                : split_quantity(spec.substr(dots + 2, colon == std::string_view::npos
                                                                                           ? std::string_view::npos
                                                                                           : colon - dots - 2));
  if (!a || !b)
    option_error(origin, r.path, fmt::format("expected LO..HI or LO..HI:+S, found '{}'", echo(spec)),
                 "e.g. --search services.fn.reserved_concurrency=1..1000");
  const auto b_factor = unit_factor(b->unit, a->unit);
  if (!b_factor)
    option_error(origin, r.path,
                 fmt::format("the range's ends have units that do not convert ('{}' and '{}')", a->unit, b->unit),
                 "write both ends in one unit");
  const double lo = a->value, hi = b->value * *b_factor;
  if (hi < lo)
    option_error(origin, r.path,
                 fmt::format("the range ends below its start ({} > {})", quantity_text(lo, a->unit),
                             quantity_text(hi, a->unit)));
  double step = 1;
  if (colon != std::string_view::npos) {
    const std::string_view step_text = spec.substr(colon + 1);
    const auto s = step_text.starts_with('+') ? split_quantity(step_text.substr(1)) : std::nullopt;
    const auto s_factor = s ? unit_factor(s->unit.empty() ? a->unit : s->unit, a->unit) : std::nullopt;
    if (!s || !s_factor || s->value * *s_factor <= 0)
      option_error(origin, r.path,
                   fmt::format("expected a step above 0 after ':+' in the unit of the ends, found '{}'",
                               echo(step_text)),
                   "a search steps linearly, e.g. 128MB..3008MB:+64MB");
    step = s->value * *s_factor;
  } else if (!a->integral || !b->integral) {
    option_error(origin, r.path, "a search without a step runs over whole numbers, and an end is not one",
                 "give the step: LO..HI:+S");
  }
  const double steps = std::floor((hi - lo) / step + 1e-9);
  if (steps >= 9.0e15)
    option_error(origin, r.path, "the range has too many values to step through", "use a larger step");
  r.first = lo;
  r.step = step;
  r.unit = a->unit;
  r.count = static_cast<std::uint64_t>(steps) + 1;
  return r;
}

std::optional<std::uint64_t> bisect_smallest(std::uint64_t n, const std::function<bool(std::uint64_t)>& meets) {
  if (n == 0 || !meets(n - 1)) return std::nullopt;
  // Invariant: `hi` meets; every index <= `lo` (when lo >= 0) does not.
  std::int64_t lo = -1;
  std::uint64_t hi = n - 1;
  while (static_cast<std::int64_t>(hi) - lo > 1) {
    const std::uint64_t mid = static_cast<std::uint64_t>(lo + (static_cast<std::int64_t>(hi) - lo) / 2);
    if (meets(mid)) hi = mid;
    else lo = static_cast<std::int64_t>(mid);
  }
  return hi;
}

Goal parse_goal(const std::string& text) {
  const std::string origin = "--goal " + text;
  const auto at = text.find_first_of("<>");
  if (at == std::string::npos || at == 0)
    option_error(origin, "", "expected PATH<VALUE (or <=, >, >=), e.g. --goal 'workloads.api.latency_ms.p99<200'",
                 "quote it, or the shell reads < and > as redirections");
  Goal g;
  g.text = text;
  g.path = trim(std::string_view(text).substr(0, at));
  const bool or_equal = at + 1 < text.size() && text[at + 1] == '=';
  g.op = std::string(1, text[at]) + (or_equal ? "=" : "");
  const std::string value_text = trim(std::string_view(text).substr(at + g.op.size()));
  const auto v = parse_plain_number(value_text);
  if (!v) {
    std::string hint;
    if (const auto q = split_quantity(value_text); q && !q->unit.empty())
      hint = fmt::format("result values are plain numbers in the unit their key names (latency_ms is in ms): "
                         "write {}",
                         quantity_text(q->value, ""));
    option_error(origin, g.path, fmt::format("expected a number after '{}', found '{}'", g.op, echo(value_text)),
                 hint);
  }
  g.value = *v;
  return g;
}

Shard parse_shard(const std::string& text) {
  const std::string origin = "--shard " + text;
  const auto slash = text.find('/');
  const auto whole = [](std::string_view s) -> std::optional<unsigned> {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    return static_cast<unsigned>(std::stoul(std::string(s)));
  };
  const auto k = slash == std::string::npos ? std::nullopt : whole(std::string_view(text).substr(0, slash));
  const auto n = slash == std::string::npos ? std::nullopt : whole(std::string_view(text).substr(slash + 1));
  if (!k || !n) option_error(origin, "", fmt::format("expected K/N (shard K of N), e.g. 2/4, found '{}'", echo(text)));
  if (*n < 1 || *k < 1 || *k > *n)
    option_error(origin, "", fmt::format("expected K/N with 1 <= K <= N, found {}/{}", *k, *n),
                 "shards count from 1: --shard 1/4 ... --shard 4/4");
  return {*k, *n};
}

}  // namespace slsim
