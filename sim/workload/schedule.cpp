#include "sim/workload/schedule.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include <fmt/format.h>

#include "sim/scenario/diagnostics.hpp"

namespace slsim {

namespace {

namespace chr = std::chrono;

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;
constexpr std::int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 of a valid civil date.
std::int64_t days_of(int year, unsigned month, unsigned day) {
  const chr::sys_days d = chr::year{year} / chr::month{month} / chr::day{day};
  return d.time_since_epoch().count();
}

chr::year_month_day date_of(std::int64_t days) {
  return chr::year_month_day{chr::sys_days{chr::days{days}}};
}

unsigned last_day_of(int year, unsigned month) {
  return static_cast<unsigned>(chr::year_month_day_last{chr::year{year} / chr::month{month} / chr::last}.day());
}

// 1 (Sunday) .. 7 (Saturday), as EventBridge numbers the days of the week.
int weekday_of(int year, unsigned month, unsigned day) {
  return static_cast<int>(chr::weekday{chr::sys_days{chr::year{year} / chr::month{month} / chr::day{day}}}.c_encoding()) + 1;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A whole number of at most `max_digits` digits that uses the whole text.
std::optional<int> small_number(std::string_view text, std::size_t max_digits = 4) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  int v = 0;
  for (const char c : text) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace

std::optional<std::int64_t> parse_utc_instant(std::string_view text) {
  // yyyy-mm-dd, optionally Thh:mm[:ss] and then a mandatory Z.
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto year = small_number(text.substr(0, 4));
  const auto month = small_number(text.substr(5, 2), 2);
  const auto day = small_number(text.substr(8, 2), 2);
  if (!year || !month || !day || *year < kFirstYear || *year > kLastYear || *month < 1 || *month > 12 || *day < 1 ||
      static_cast<unsigned>(*day) > last_day_of(*year, static_cast<unsigned>(*month)))
    return std::nullopt;
  std::int64_t seconds = days_of(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day)) * kSecondsPerDay;
  std::string_view rest = text.substr(10);
  if (rest.empty()) return seconds;
  if (rest.size() != 7 && rest.size() != 10) return std::nullopt;  // Thh:mmZ or Thh:mm:ssZ
  if (rest[0] != 'T' || rest[3] != ':' || rest.back() != 'Z') return std::nullopt;
  const auto hour = small_number(rest.substr(1, 2), 2);
  const auto minute = small_number(rest.substr(4, 2), 2);
  std::optional<int> second = 0;
  if (rest.size() == 10) {
    if (rest[6] != ':') return std::nullopt;
    second = small_number(rest.substr(7, 2), 2);
  }
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  return seconds + *hour * 3600 + *minute * 60 + *second;
}

std::string format_utc_instant(std::int64_t unix_seconds) {
  const std::int64_t days = unix_seconds >= 0 ? unix_seconds / kSecondsPerDay : -((-unix_seconds + kSecondsPerDay - 1) / kSecondsPerDay);
  const std::int64_t in_day = unix_seconds - days * kSecondsPerDay;
  const chr::year_month_day ymd = date_of(days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), in_day / 3600,
                     in_day / 60 % 60, in_day % 60);
}

// --- parsing ------------------------------------------------------------------

class CronParser {
 public:
  CronParser(std::string_view text, ScheduleExpression::Error& error) : text_(text), error_(error) {}

  std::optional<ScheduleExpression> parse() {
    const std::string_view t = text_;
    if (t.rfind("rate(", 0) == 0) return parse_rate();
    if (t.rfind("cron(", 0) == 0) return parse_cron();
    if (t.rfind("at(", 0) == 0) return parse_at();
    return fail(0, fmt::format("expected cron(...), rate(...) or at(...), found '{}'", echo(t)),
                "e.g. cron(0 2 * * ? *) (every day at 02:00 UTC), rate(5 minutes) or at(2026-01-05T09:30:00)");
  }

 private:
  struct Field {
    const char* name;
    int lo, hi;
    const char* what;     // what a value of the field looks like
    const char* example;  // the hint when nothing more specific fits
    const std::array<const char*, 12>* names;  // names[i] is the value lo + i (months, weekdays)
    std::size_t name_count;
  };
  static constexpr std::array<const char*, 12> kMonthNames{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                           "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  static constexpr std::array<const char*, 12> kDayNames{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

  std::nullopt_t fail(std::size_t offset, std::string message, std::string hint = {}) {
    if (!failed_) error_ = {offset, std::move(message), std::move(hint)};
    failed_ = true;
    return std::nullopt;
  }

  // The body between "name(" and the closing ")", with its offset.
  std::optional<std::pair<std::string_view, std::size_t>> body(std::size_t open) {
    const std::string_view t = text_;
    if (t.empty() || t.back() != ')') {
      fail(t.size(), fmt::format("expected ')' at the end of '{}'", echo(t)));
      return std::nullopt;
    }
    return std::pair{t.substr(open, t.size() - 1 - open), open};
  }

  std::optional<ScheduleExpression> parse_rate() {
    const auto b = body(5);
    if (!b) return std::nullopt;
    const auto [inner, offset] = *b;
    const std::size_t space = inner.find(' ');
    const std::string_view value_text = inner.substr(0, space);
    std::size_t unit_at = space == std::string_view::npos ? inner.size() : space;
    while (unit_at < inner.size() && inner[unit_at] == ' ') ++unit_at;
    const std::string_view unit = inner.substr(unit_at);
    const auto value = small_number(value_text, 9);
    if (!value || *value < 1) {
      // "rate(5m)", "rate(5min)": the number and its unit run together.
      std::size_t digits = 0;
      while (digits < value_text.size() && is_digit(value_text[digits])) ++digits;
      std::string hint = "e.g. rate(5 minutes), rate(1 hour) or rate(2 days)";
      const auto joined = small_number(value_text.substr(0, digits), 9);
      if (joined && *joined >= 1 && digits < value_text.size()) {
        const std::string fixed = unit_fix(*joined, value_text.substr(digits));
        hint = fixed.empty() ? "separate the number and the unit with a space: e.g. rate(5 minutes)"
                             : fmt::format("did you mean {}?", fixed);
      }
      return fail(offset, fmt::format("rate(...): expected a whole number of at least 1, found '{}'", echo(value_text)),
                  hint);
    }
    static constexpr std::array<std::pair<const char*, std::int64_t>, 3> kUnits{
        {{"minute", 60}, {"hour", 3600}, {"day", kSecondsPerDay}}};
    for (const auto& [name, seconds] : kUnits) {
      const std::string singular = name, plural = singular + "s";
      if (unit != singular && unit != plural) continue;
      // EventBridge requires the singular for 1 and the plural above.
      if ((*value == 1) != (unit == singular)) {
        return fail(offset + unit_at,
                    fmt::format("rate(...): expected '{}' for a value of {}, found '{}'", *value == 1 ? singular : plural,
                                *value, echo(unit)),
                    fmt::format("did you mean {}?", unit_fix(*value, singular)));
      }
      ScheduleExpression e;
      e.kind_ = ScheduleExpression::Kind::rate;
      e.period_s_ = static_cast<std::int64_t>(*value) * seconds;
      if (e.period_s_ > 3650 * kSecondsPerDay)
        return fail(offset, "rate(...): expected a period of at most 3650 days");
      return e;
    }
    const std::string fixed = unit_fix(*value, unit);
    return fail(offset + unit_at, fmt::format("rate(...): expected minute(s), hour(s) or day(s), found '{}'", echo(unit)),
                fixed.empty() ? "EventBridge schedules have a precision of 1 minute: the units are minute(s), hour(s), "
                                "day(s)"
                              : fmt::format("did you mean {}?", fixed));
  }

  // rate(value unit) spelled as EventBridge wants it, for a unit written
  // another way ("m", "mins", "Hours"); "" when the unit is not one of them.
  static std::string unit_fix(int value, std::string_view written) {
    const std::string u = upper(written);
    const char* unit = nullptr;
    for (const char* m : {"M", "MIN", "MINS", "MINUTE", "MINUTES"})
      if (u == m) unit = "minute";
    for (const char* h : {"H", "HR", "HRS", "HOUR", "HOURS"})
      if (u == h) unit = "hour";
    for (const char* d : {"D", "DAY", "DAYS"})
      if (u == d) unit = "day";
    if (unit == nullptr) return {};
    return fmt::format("rate({} {}{})", value, unit, value == 1 ? "" : "s");
  }

  std::optional<ScheduleExpression> parse_at() {
    const auto b = body(3);
    if (!b) return std::nullopt;
    const auto [inner, offset] = *b;
    // at() takes a local time without a zone; slsim evaluates every schedule in UTC.
    const auto instant = inner.size() == 19 ? parse_utc_instant(std::string(inner) + "Z") : std::nullopt;
    if (!instant)
      return fail(offset, fmt::format("at(...): expected a date and time yyyy-mm-ddThh:mm:ss, found '{}'", echo(inner)),
                  "e.g. at(2026-01-05T09:30:00) (UTC)");
    ScheduleExpression e;
    e.kind_ = ScheduleExpression::Kind::at;
    e.at_s_ = *instant;
    return e;
  }

  std::optional<ScheduleExpression> parse_cron() {
    const auto b = body(5);
    if (!b) return std::nullopt;
    const auto [inner, offset] = *b;
    std::vector<std::pair<std::string_view, std::size_t>> fields;  // text, offset in the expression
    for (std::size_t i = 0; i < inner.size();) {
      if (inner[i] == ' ') {
        ++i;
        continue;
      }
      const std::size_t end = std::min(inner.find(' ', i), inner.size());
      fields.emplace_back(inner.substr(i, end - i), offset + i);
      i = end;
    }
    if (fields.size() != 6) {
      std::string hint = "e.g. cron(0 2 * * ? *): every day at 02:00 UTC";
      if (fields.size() == 5)
        hint = "EventBridge cron has a sixth field, the year, and '?' in day-of-month or day-of-week: e.g. "
               "cron(0 2 * * ? *)";
      else if (fields.size() == 7)
        hint = "EventBridge cron has no seconds field: its fields are minutes hours day-of-month month day-of-week year";
      return fail(offset, fmt::format("cron(...): expected 6 fields (minutes hours day-of-month month day-of-week "
                                      "year), found {}",
                                      fields.size()),
                  hint);
    }
    ScheduleExpression e;
    e.kind_ = ScheduleExpression::Kind::cron;
    ScheduleExpression::Cron& c = e.cron_;
    static const Field kMinutes{"minutes", 0, 59, "a minute 0-59", "e.g. 0, 0/15 (every 15 minutes) or 5,35", nullptr,
                                0};
    static const Field kHours{"hours", 0, 23, "an hour 0-23", "e.g. 9, 8-17 or 0/6 (hours are UTC)", nullptr, 0};
    static const Field kMonth{"month", 1, 12, "a month 1-12 or JAN-DEC", "e.g. *, 1, JAN-MAR or 1/3", &kMonthNames, 12};
    static const Field kDow{"day-of-week", 1, 7, "a day 1-7 or SUN-SAT (1 is SUN; or L, nL, n#k)",
                            "e.g. MON-FRI, 2#1 (the first Monday) or 6L (the last Friday)", &kDayNames, 7};
    static const Field kYear{"year", kFirstYear, kLastYear, "a year 1970-2199", "e.g. * or 2026-2027", nullptr, 0};
    if (!list(fields[0], kMinutes, [&](int v) { c.minutes.set(static_cast<std::size_t>(v)); })) return std::nullopt;
    if (!list(fields[1], kHours, [&](int v) { c.hours.set(static_cast<std::size_t>(v)); })) return std::nullopt;
    if (!day_of_month(fields[2], c)) return std::nullopt;
    if (!list(fields[3], kMonth, [&](int v) { c.months.set(static_cast<std::size_t>(v)); })) return std::nullopt;
    if (!day_of_week(fields[4], c, kDow)) return std::nullopt;
    if (!list(fields[5], kYear, [&](int v) { c.years.set(static_cast<std::size_t>(v - kFirstYear)); }))
      return std::nullopt;
    if (c.dom_any == c.dow_any) {
      const auto& [text, at] = fields[4];
      return fail(at,
                  c.dom_any ? "cron(...): day-of-month and day-of-week cannot both be '?'"
                            : fmt::format("cron(...): day-of-month '{}' and day-of-week '{}' cannot both be given: one of "
                                          "them must be '?'",
                                          echo(fields[2].first), echo(text)),
                  "e.g. cron(0 2 * * ? *) every day, cron(0 9 ? * MON-FRI *) on weekdays, cron(0 8 1 * ? *) on the "
                  "first of the month");
    }
    return e;
  }

  // A value of the field: a number in range or one of its names.
  std::optional<int> value(std::string_view text, std::size_t at, const Field& f) {
    if (const auto n = small_number(text); n && *n >= f.lo && *n <= f.hi) return *n;
    if (f.names != nullptr) {
      const std::string u = upper(text);
      for (std::size_t i = 0; i < f.name_count; ++i)
        if (u == (*f.names)[i]) return f.lo + static_cast<int>(i);
    }
    std::string hint = f.example;
    if (f.names == &kDayNames && text == "0")
      hint = "EventBridge numbers the days of the week from 1 (SUN) to 7 (SAT)";
    else if (f.names != nullptr && text.size() > 3) {
      const std::string u = upper(text.substr(0, 3));
      for (std::size_t i = 0; i < f.name_count; ++i)
        if (u == (*f.names)[i]) hint = fmt::format("did you mean '{}'?", (*f.names)[i]);
    }
    fail(at, fmt::format("cron(...): the {} field: expected {}, found '{}'", f.name, f.what, echo(text)), hint);
    return std::nullopt;
  }

  // A comma-separated list of *, a, a-b, with an optional /step (where allowed).
  template <typename Set>
  bool list(const std::pair<std::string_view, std::size_t>& field, const Field& f, Set set, bool steps = true) {
    const auto [text, offset] = field;
    for (std::size_t i = 0; i <= text.size();) {
      const std::size_t end = std::min(text.find(',', i), text.size());
      if (!item(text.substr(i, end - i), offset + i, f, set, steps)) return false;
      i = end + 1;
    }
    return true;
  }

  template <typename Set>
  bool item(std::string_view text, std::size_t at, const Field& f, Set set, bool steps) {
    if (text == "?") {
      fail(at, fmt::format("cron(...): the {} field: '?' is allowed only in day-of-month or day-of-week", f.name));
      return false;
    }
    int step = 1;
    std::string_view range = text;
    if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
      if (!steps) {
        fail(at + slash, fmt::format("cron(...): the {} field takes no '/' increments, found '{}'", f.name, echo(text)));
        return false;
      }
      const auto s = small_number(text.substr(slash + 1));
      if (!s || *s < 1) {
        fail(at + slash + 1, fmt::format("cron(...): the {} field: expected an increment of at least 1 after '/', "
                                         "found '{}'",
                                         f.name, echo(text.substr(slash + 1))));
        return false;
      }
      step = *s;
      range = text.substr(0, slash);
    }
    int lo = f.lo, hi = f.hi;
    if (range != "*") {
      const std::size_t dash = range.find('-');
      const auto first = value(range.substr(0, dash), at, f);
      if (!first) return false;
      lo = *first;
      // "a/n" runs from a to the end of the field's range; a lone "a" is just a.
      if (dash == std::string_view::npos && text.find('/') == std::string_view::npos) hi = lo;
      if (dash != std::string_view::npos) {
        const auto last = value(range.substr(dash + 1), at + dash + 1, f);
        if (!last) return false;
        hi = *last;
        if (hi < lo) {
          fail(at, fmt::format("cron(...): the {} field: expected a range from low to high, found '{}'", f.name,
                               echo(range)),
               "split a range that wraps around into two, e.g. 22-23,0-2");
          return false;
        }
      }
    }
    for (int v = lo; v <= hi; v += step) set(v);
    return true;
  }

  bool day_of_month(const std::pair<std::string_view, std::size_t>& field, ScheduleExpression::Cron& c) {
    static const Field kDom{"day-of-month", 1, 31, "a day 1-31 (or L, LW, nW)",
                            "e.g. 1, 1,15, L (the last day) or 15W (the weekday nearest the 15th)", nullptr, 0};
    const auto [text, offset] = field;
    if (text == "?") {
      c.dom_any = true;
      return true;
    }
    for (std::size_t i = 0; i <= text.size();) {
      const std::size_t end = std::min(text.find(',', i), text.size());
      const std::string_view part = text.substr(i, end - i);
      if (part == "L") c.dom_last = true;
      else if (part == "LW") c.dom_last_weekday = true;
      else if (part.size() >= 2 && part.back() == 'W') {
        const auto day = value(part.substr(0, part.size() - 1), offset + i, kDom);
        if (!day) return false;
        c.dom_nearest_weekday.set(static_cast<std::size_t>(*day));
      } else if (!item(part, offset + i, kDom, [&](int v) { c.dom.set(static_cast<std::size_t>(v)); }, true)) {
        return false;
      }
      i = end + 1;
    }
    return true;
  }

  bool day_of_week(const std::pair<std::string_view, std::size_t>& field, ScheduleExpression::Cron& c, const Field& f) {
    const auto [text, offset] = field;
    if (text == "?") {
      c.dow_any = true;
      return true;
    }
    if (text.find('#') != std::string_view::npos) {
      // n#k: the k-th weekday n of the month; EventBridge allows only this one expression in the field.
      const std::size_t hash = text.find('#');
      if (text.find(',') != std::string_view::npos) {
        fail(offset, fmt::format("cron(...): the day-of-week field: '#' allows only one expression, found '{}'",
                                 echo(text)));
        return false;
      }
      const auto day = value(text.substr(0, hash), offset, f);
      if (!day) return false;
      const auto nth = small_number(text.substr(hash + 1), 1);
      if (!nth || *nth < 1 || *nth > 5) {
        fail(offset + hash + 1, fmt::format("cron(...): the day-of-week field: expected 1-5 after '#', found '{}'",
                                            echo(text.substr(hash + 1))),
             "e.g. 2#1: the first Monday of the month");
        return false;
      }
      c.dow_nth.emplace_back(*day, *nth);
      return true;
    }
    for (std::size_t i = 0; i <= text.size();) {
      const std::size_t end = std::min(text.find(',', i), text.size());
      const std::string_view part = text.substr(i, end - i);
      if (part == "L") {
        c.dow.set(7);  // the last day of the week: Saturday
      } else if (part.size() >= 2 && part.back() == 'L') {
        const auto day = value(part.substr(0, part.size() - 1), offset + i, f);
        if (!day) return false;
        c.dow_last.set(static_cast<std::size_t>(*day));
      } else if (!item(part, offset + i, f, [&](int v) { c.dow.set(static_cast<std::size_t>(v)); }, false)) {
        return false;
      }
      i = end + 1;
    }
    return true;
  }

  std::string_view text_;
  ScheduleExpression::Error& error_;
  bool failed_ = false;
};

std::optional<ScheduleExpression> ScheduleExpression::parse(std::string_view text, Error& error) {
  return CronParser(text, error).parse();
}

// --- evaluation -------------------------------------------------------------------

bool ScheduleExpression::day_matches(int year, unsigned month, unsigned day) const {
  const Cron& c = cron_;
  if (!c.years.test(static_cast<std::size_t>(year - kFirstYear)) || !c.months.test(month)) return false;
  const unsigned last = last_day_of(year, month);
  if (c.dow_any) {
    if (c.dom.test(day) || (c.dom_last && day == last)) return true;
    const auto weekday = [&](unsigned d) { return weekday_of(year, month, d); };
    const auto is_weekday = [&](unsigned d) { const int w = weekday(d); return w >= 2 && w <= 6; };
    if (c.dom_last_weekday) {
      unsigned d = last;
      while (!is_weekday(d)) --d;
      if (d == day) return true;
    }
    for (unsigned n = 1; n <= 31; ++n) {
      if (!c.dom_nearest_weekday.test(n) || n > last) continue;
      // The weekday nearest to day n, without leaving the month.
      unsigned d = n;
      const int w = weekday(n);
      if (w == 7) d = n == 1 ? 3 : n - 1;          // Saturday: Friday before, or Monday the 3rd
      else if (w == 1) d = n == last ? n - 2 : n + 1;  // Sunday: Monday after, or Friday before at the month's end
      if (d == day) return true;
    }
    return false;
  }
  const int w = weekday_of(year, month, day);
  if (c.dow.test(static_cast<std::size_t>(w))) return true;
  if (c.dow_last.test(static_cast<std::size_t>(w)) && day + 7 > last) return true;
  for (const auto& [n, k] : c.dow_nth)
    if (n == w && static_cast<int>((day - 1) / 7 + 1) == k) return true;
  return false;
}

std::optional<std::int64_t> ScheduleExpression::first_at_or_after(std::int64_t t, std::int64_t start) const {
  switch (kind_) {
    case Kind::at:
      return at_s_ >= t ? std::optional<std::int64_t>(at_s_) : std::nullopt;
    case Kind::rate: {
      if (t <= start) return start;
      const std::int64_t periods = (t - start + period_s_ - 1) / period_s_;
      return start + periods * period_s_;
    }
    case Kind::cron:
      break;
  }
  // The first whole minute at or after t, then day by day to the end of 2199.
  const std::int64_t minute = (std::max<std::int64_t>(t, 0) + 59) / 60;
  std::int64_t day = minute / 1440;
  const std::int64_t last_day = days_of(kLastYear, 12, 31);
  for (int from = static_cast<int>(minute - day * 1440); day <= last_day; ++day, from = 0) {
    const chr::year_month_day ymd = date_of(day);
    const int year = static_cast<int>(ymd.year());
    if (!cron_.years.test(static_cast<std::size_t>(year - kFirstYear))) {
      day = days_of(year, 12, 31);  // skip the rest of the year
      continue;
    }
    if (!day_matches(year, static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()))) continue;
    for (int m = from; m < 1440; ++m)
      if (cron_.hours.test(static_cast<std::size_t>(m / 60)) && cron_.minutes.test(static_cast<std::size_t>(m % 60)))
        return day * kSecondsPerDay + m * 60;
  }
  return std::nullopt;
}

}  // namespace slsim
