#include "sim/workload/arrival.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "sim/scenario/input_file.hpp"
#include "sim/scenario/units.hpp"

namespace slsim {

namespace {

ParamSpec spec(std::string name, ParamType type, std::string help) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = type;
  p.help = std::move(help);
  return p;
}

constexpr const char* kRateLimitHint =
    "the clock counts whole nanoseconds: above 1000000/s (gaps under 1 us) rounding each gap to 1 ns would "
    "distort the rate by more than 0.05%";

// An arrival rate, bounded by what the nanosecond clock resolves faithfully.
ParamSpec arrival_rate(std::string help) {
  ParamSpec p = spec("rate", ParamType::rate, std::move(help) + "; at most 1000000/s, the finest the nanosecond clock resolves faithfully");
  p.unit = "/s";
  p.min = 0;
  p.max = kMaxArrivalRate;
  p.range_hint = kRateLimitHint;
  return p;
}

ParamSpec rate_or_schedule_rate() { return arrival_rate("mean arrival rate (give rate or schedule)"); }

const Schema& schedule_step_schema() {
  static const Schema s = [] {
    Schema sc;
    sc.name = "schedule step";
    sc.help = "From `at` on (measured from the start of the run, warm-up included), arrivals come at `rate`.";
    ParamSpec at = spec("at", ParamType::duration, "when this rate starts");
    at.required = true;
    at.min = 0;
    ParamSpec rate = arrival_rate("the rate from then on");
    rate.required = true;
    sc.params = {at, rate};
    return sc;
  }();
  return s;
}

ParamSpec schedule_spec() {
  ParamSpec p = spec("schedule", ParamType::list, "piecewise-constant rates (give rate or schedule)");
  ParamSpec step = spec("step", ParamType::record, "a rate step");
  step.record = &schedule_step_schema();
  p.element.push_back(step);
  p.record = &schedule_step_schema();
  return p;
}

const Schema& poisson_schema() {
  static const Schema s{"arrival: poisson", "Independent arrivals (exponential gaps), optionally with a schedule.",
                        {rate_or_schedule_rate(), schedule_spec()}};
  return s;
}
const Schema& constant_schema() {
  static const Schema s{"arrival: constant", "Evenly spaced arrivals, optionally with a schedule.",
                        {rate_or_schedule_rate(), schedule_spec()}};
  return s;
}
const Schema& burst_schema() {
  static const Schema s = [] {
    ParamSpec at = spec("at", ParamType::duration, "when the burst starts");
    at.required = true;
    at.min = 0;
    ParamSpec count = spec("count", ParamType::integer,
                           "how many requests (at most 10 million: each one in flight holds about 200 bytes)");
    count.required = true;
    count.min = 1;
    count.max = 1e7;
    ParamSpec over = spec("over", ParamType::duration, "spread evenly over this long (0s: all at once)");
    over.default_text = "0s";
    over.min = 0;
    return Schema{"arrival: burst", "A one-off burst of requests.", {at, count, over}};
  }();
  return s;
}
const Schema& periodic_schema() {
  static const Schema s = [] {
    ParamSpec every = spec("every", ParamType::duration, "the period; at least 1us, as for rates (at most 1000000/s)");
    every.required = true;
    every.min = 1e3;
    every.range_hint = "a period under 1us is a rate above 1000000/s, the highest any workload may have (the "
                       "nanosecond clock resolves no finer rates faithfully)";
    ParamSpec start = spec("start", ParamType::duration, "the first firing");
    start.default_text = "0s";
    start.min = 0;
    return Schema{"arrival: periodic", "One request every period.", {every, start}};
  }();
  return s;
}
const Schema& trace_schema() {
  static const Schema s = [] {
    ParamSpec file = spec("file", ParamType::text,
                          "CSV file relative to the scenario (at most 256 MiB, 10 million lines of up to 4096 "
                          "characters)");
    file.required = true;
    ParamSpec format = spec("format", ParamType::choice,
                            "timestamps: one arrival time per line, in order (a duration, or bare seconds; at most "
                            "3650d); per_minute: one whole count per line (at most 60000000, i.e. 1000000/s), "
                            "exactly that many arrivals at random times within each minute");
    format.choices = {"timestamps", "per_minute"};
    format.default_text = "timestamps";
    return Schema{"arrival: trace", "Replays recorded traffic.", {file, format}};
  }();
  return s;
}

const Schema& schedule_schema() {
  static const Schema s = [] {
    ParamSpec expression = spec("expression", ParamType::text,
                                "an EventBridge schedule expression: cron(minutes hours day-of-month month "
                                "day-of-week year), rate(value unit) or at(yyyy-mm-ddThh:mm:ss), in UTC");
    expression.required = true;
    ParamSpec start = spec("start", ParamType::text,
                           "the UTC date and time of the run's start (t = 0, warm-up included), e.g. "
                           "2026-01-05T00:00:00Z; rate() fires first at this instant");
    start.default_text = kDefaultScheduleStart;
    return Schema{"arrival: schedule",
                  "Firings of an EventBridge Scheduler schedule (1-minute precision, UTC), billed as Scheduler "
                  "invocations.",
                  {expression, start}};
  }();
  return s;
}

const Schema& keys_schema() {
  static const Schema s = [] {
    ParamSpec count = spec("count", ParamType::integer, "how many distinct keys");
    count.required = true;
    count.min = 1;
    count.max = 1e12;
    ParamSpec zipf = spec("zipf", ParamType::number, "Zipf exponent of key popularity (0: uniform)");
    zipf.default_text = "0";
    zipf.min = 0;
    zipf.max = 10;
    return Schema{"keys", "Key popularity; drives emergent cache hit rates.", {count, zipf}};
  }();
  return s;
}

// The same popularity law as keys:, over the callers' auth tokens (one per
// user): what an authorizer's result cache and a user pool's MAUs see.
const Schema& tokens_schema() {
  static const Schema s = [] {
    ParamSpec count = spec("count", ParamType::integer, "how many distinct auth tokens (users) send the requests");
    count.required = true;
    count.min = 1;
    count.max = 1e9;
    ParamSpec zipf = spec("zipf", ParamType::number, "Zipf exponent of token popularity (0: every user equally active)");
    zipf.default_text = "0";
    zipf.min = 0;
    zipf.max = 10;
    return Schema{"tokens", "Auth-token popularity; drives authorizer cache hits and a user pool's active users.",
                  {count, zipf}};
  }();
  return s;
}

}  // namespace

const Schema& workload_schema() {
  static const Schema s = [] {
    Schema sc;
    sc.name = "workload";
    sc.help = "A source of requests sent to one service.";
    ParamSpec name = spec("name", ParamType::text, "unique name of the workload");
    name.required = true;
    ParamSpec target = spec("target", ParamType::reference, "the service that receives the requests");
    target.required = true;
    target.edge = "workload";
    ParamSpec route = spec("route", ParamType::text, "an API Gateway route of the target");
    ParamSpec invoke = spec("invoke", ParamType::choice, "how a function target is invoked");
    invoke.choices = {"sync", "async"};
    invoke.default_text = "sync";
    ParamSpec op = spec("op", ParamType::text, "the operation on the target (its default when omitted)");
    ParamSpec arrival = spec("arrival", ParamType::variant, "the arrival process");
    arrival.required = true;
    arrival.discriminator = "process";
    arrival.variants = {{"poisson", &poisson_schema()}, {"constant", &constant_schema()},
                        {"burst", &burst_schema()}, {"periodic", &periodic_schema()},
                        {"trace", &trace_schema()}, {"schedule", &schedule_schema()}};
    ParamSpec payload = spec("payload", ParamType::size, "request payload size");
    payload.default_text = "1KB";
    payload.unit = "KB";
    payload.min = 0;
    payload.max = 4294967295.0;
    ParamSpec keys = spec("keys", ParamType::record, "key popularity (optional)");
    keys.record = &keys_schema();
    ParamSpec tokens = spec("tokens", ParamType::record,
                            "auth-token popularity (optional); without it every request carries a token of its own");
    tokens.record = &tokens_schema();
    sc.params = {name, target, route, invoke, op, arrival, payload, keys, tokens};
    const std::string schedule =
        "a schedule is an arrival process: arrival: {process: schedule, expression: \"cron(0 2 * * ? *)\"}";
    const std::string rate = "the rate belongs to the arrival process: arrival: {process: poisson, rate: 50/s}";
    sc.aliases = {{"schedule_expression", schedule},
                  {"schedule",
                   "the schedule belongs to the arrival process: arrival: {process: poisson, schedule: [{at: 0s, rate: "
                   "10/s}]} for steps of rate, or " + schedule.substr(schedule.find("arrival:"))},
                  {"rate", rate},
                  {"requests_per_second", rate},
                  {"function", "write 'target: SERVICE' (the service's name under services:)"},
                  {"function_name", "write 'target: SERVICE' (the service's name under services:)"},
                  {"invocation_type", "write 'invoke: async' for InvocationType Event ('sync' is the default)"},
                  {"operation", "write 'op', e.g. op: put"},
                  {"payload_size", "write 'payload' with its unit, e.g. payload: 4KB"}};
    return sc;
  }();
  return s;
}

void ArrivalProcess::read_trace(const Record& r, const std::string& base_dir, Diagnostics& diags, ArrivalProcess& p) {
  const Value& file = r.get("file");
  const std::filesystem::path full = std::filesystem::path(base_dir) / file.text;
  const std::string name = echo(full.string());
  const FileText content = read_input_file(full.string(), kMaxDataFileBytes);
  if (!content.text) {
    diags.error(file.loc, file.path, fmt::format("'{}' {}", name, content.error));
    return;
  }
  const bool per_minute = r.text("format") == "per_minute";
  constexpr double kMaxPerMinute = kMaxArrivalRate * 60;
  std::vector<SimTime> times;
  std::vector<std::uint64_t> counts;
  std::size_t rows = 0;
  const std::string error = for_each_data_line(*content.text, [&](std::size_t line_no, std::string_view line) {
    std::string cell;
    for (const char c : line.substr(0, line.find(',')))
      if (c != ' ' && c != '\t' && c != '\r') cell += c;
    if (cell.empty() || cell[0] == '#') return std::string{};
    const auto bare = parse_plain_number(cell);
    if (per_minute) {
      if (!bare || *bare < 0 || *bare != std::floor(*bare)) {
        if (line_no == 1 && !bare && !number_overflows(cell)) return std::string{};  // a header
        return fmt::format("expected a count of arrivals in the minute (a whole number from 0 to {}), found '{}'",
                           format_number(kMaxPerMinute), echo(cell));
      }
      if (*bare > kMaxPerMinute)
        return fmt::format("expected at most {} arrivals in a minute (1000000/s, the finest rate the clock resolves "
                           "faithfully), found '{}'",
                           format_number(kMaxPerMinute), echo(cell));
      if (static_cast<double>(rows + 1) * 60.0 > static_cast<double>(kMaxDuration) / 1e9)
        return std::string("the trace is longer than 3650d, the longest a run can be");
      p.segments_.push_back({static_cast<SimTime>(rows) * kMinute, *bare / 60e9});
      counts.push_back(static_cast<std::uint64_t>(*bare));
      ++rows;
      return std::string{};
    }
    const auto d = bare ? ParsedNumber{*bare * 1e9, {}} : parse_duration(cell);
    if (!d.value || *d.value < 0) {
      if (line_no == 1 && !bare && !d.overflow && d.expected.find("non-negative") == std::string::npos)
        return std::string{};  // a header
      if (d.overflow || number_overflows(cell)) return fmt::format("found '{}', a number too large to represent", echo(cell));
      return fmt::format("expected a time from 0 (a duration, or bare seconds), found '{}'", echo(cell));
    }
    if (*d.value > static_cast<double>(kMaxDuration))
      return fmt::format("expected a time of at most 3650d (the longest a run can be), found '{}'", echo(cell));
    const SimTime t = round_ns(*d.value);
    if (!times.empty() && t < times.back())
      return fmt::format("the times must not decrease: found '{}' after {}", echo(cell),
                         format_duration(static_cast<double>(times.back())));
    times.push_back(t);
    ++rows;
    return std::string{};
  });
  if (!error.empty()) {
    diags.error(file.loc, file.path, fmt::format("{}:{}", name, error));
    return;
  }
  if (rows == 0) {
    diags.error(file.loc, file.path,
                fmt::format("'{}' holds no {}: a trace needs at least one line of data", name,
                            per_minute ? "counts" : "arrival times"));
    return;
  }
  if (per_minute) {
    p.kind_ = Kind::poisson;
    p.recorded_ = true;
    p.segments_.push_back({static_cast<SimTime>(p.segments_.size()) * kMinute, 0.0});
    p.minute_counts_ = std::make_shared<const std::vector<std::uint64_t>>(std::move(counts));
  } else {
    p.kind_ = Kind::trace;
    p.times_ = std::make_shared<const std::vector<SimTime>>(std::move(times));
  }
}

void ArrivalProcess::read_schedule(const Record& r, Diagnostics& diags, ArrivalProcess& p) {
  p.kind_ = Kind::schedule;
  const Value& start = r.get("start");
  if (const auto instant = parse_utc_instant(start.text)) {
    p.start_unix_s_ = *instant;
  } else if (start.present) {
    std::string hint = fmt::format("e.g. {} (schedules run in UTC)", kDefaultScheduleStart);
    if (start.text.size() == 19 && parse_utc_instant(start.text + "Z"))
      hint = fmt::format("schedules run in UTC: did you mean {}Z?", echo(start.text));
    else if (start.text.size() > 19 && (start.text[19] == '+' || start.text[19] == '-'))
      hint = "schedules run in UTC: convert the time and end it with Z, e.g. 2026-01-05T00:00:00Z";
    diags.error(start.loc, start.path,
                fmt::format("expected a UTC date and time from 1970 to 2199 like {}, found '{}'", kDefaultScheduleStart,
                            echo(start.text)),
                hint);
  }
  const Value& expression = r.get("expression");
  if (!expression.present) return;  // already reported
  p.expression_ = expression.text;
  ScheduleExpression::Error error;
  auto parsed = ScheduleExpression::parse(expression.text, error);
  if (!parsed) {
    SourceLoc loc = expression.loc;
    // Point at the offending part when the expression sits on one line.
    if (loc.line > 0 && expression.text.find('\n') == std::string::npos)
      loc.column += static_cast<int>(error.offset) + (expression.quoted ? 1 : 0);
    diags.error(loc, expression.path, error.message, error.hint);
    return;
  }
  p.schedule_ = std::make_shared<const ScheduleExpression>(std::move(*parsed));
}

ArrivalProcess ArrivalProcess::from_record(const Record& r, const std::string& base_dir, Diagnostics& diags) {
  ArrivalProcess p;
  const std::string& process = r.variant;
  const auto rate_segments = [&] {
    const bool has_rate = r.get("rate").given, has_schedule = r.get("schedule").given;
    if (!r.has("rate") && !r.has("schedule") && (has_rate || has_schedule)) return;  // already reported
    if (has_rate == has_schedule) {
      diags.error(r.loc, r.path, fmt::format("a {} arrival needs either 'rate' or 'schedule'", process));
      return;
    }
    if (has_rate) {
      p.segments_.push_back({0, r.rate("rate") * 1e-9});
      return;
    }
    SimTime previous = -1;
    for (const auto& step : r.list("schedule")) {
      if (!step.record) continue;
      // A step whose time was rejected has its own error; the order cannot be judged past it.
      if (!step.record->get("at").present) return;
      const SimTime at = step.record->duration("at");
      if (at <= previous) {
        diags.error(step.loc, step.path, fmt::format("schedule steps must be in increasing 'at' order, found {} after {}",
                                                     format_duration(static_cast<double>(at)),
                                                     format_duration(static_cast<double>(previous))));
        return;
      }
      previous = at;
      if (p.segments_.empty() && at > 0) p.segments_.push_back({0, 0.0});
      p.segments_.push_back({at, step.record->rate("rate") * 1e-9});
    }
    if (p.segments_.empty()) diags.error(r.get("schedule").loc, r.get("schedule").path, "expected at least one step");
  };
  if (process == "poisson") {
    p.kind_ = Kind::poisson;
    rate_segments();
  } else if (process == "constant") {
    p.kind_ = Kind::constant;
    rate_segments();
  } else if (process == "burst") {
    p.kind_ = Kind::burst;
    p.at_ = r.duration("at");
    p.count_ = static_cast<std::uint64_t>(r.integer("count"));
    p.span_ = r.duration("over");
  } else if (process == "periodic") {
    p.kind_ = Kind::periodic;
    p.every_ = r.duration("every");
    p.at_ = r.duration("start");
  } else if (process == "trace") {
    read_trace(r, base_dir, diags, p);
  } else if (process == "schedule") {
    read_schedule(r, diags, p);
  }
  return p;
}

SimTime ArrivalProcess::advance(SimTime from, double work) const {
  // Find the segment holding `from`.
  // `from` never decreases, so the search resumes where the last one ended.
  std::size_t i = cursor_ < segments_.size() ? cursor_ : 0;
  if (i < segments_.size() && segments_[i].start > from) i = 0;
  while (i + 1 < segments_.size() && segments_[i + 1].start <= from) ++i;
  cursor_ = i;
  SimTime t = from;
  for (; i < segments_.size(); ++i) {
    const double rate = segments_[i].rate_per_ns;
    const SimTime end = i + 1 < segments_.size() ? segments_[i + 1].start : kTimeNever;
    if (rate > 0) {
      const double needed = work / rate;  // ns
      if (end == kTimeNever || static_cast<double>(t) + needed < static_cast<double>(end)) {
        const SimTime step = round_ns(needed);
        return step >= kTimeNever - t ? kTimeNever : t + std::max<SimTime>(step, 0);
      }
      work -= rate * static_cast<double>(end - t);
    }
    t = end;
  }
  return kTimeNever;
}

SimTime ArrivalProcess::next(Rng& rng) {
  switch (kind_) {
    case Kind::poisson:
    case Kind::constant: {
      if (minute_counts_) return next_recorded(rng);
      // A Poisson process is the unit-rate process run through the cumulative
      // intensity: each gap is Exp(1) of "expected arrivals"; constant uses 1.
      const double work = kind_ == Kind::poisson ? rng.exponential(1.0) : 1.0;
      const SimTime from = started_ ? last_ : 0;
      started_ = true;
      last_ = advance(from, work);
      return last_;
    }
    case Kind::burst: {
      if (emitted_ >= count_) return kTimeNever;
      const auto offset = static_cast<SimTime>(static_cast<double>(span_) * static_cast<double>(emitted_) /
                                               static_cast<double>(count_));
      ++emitted_;
      return at_ + offset;
    }
    case Kind::periodic: {
      const SimTime t = at_ + static_cast<SimTime>(emitted_) * every_;
      ++emitted_;
      return t;
    }
    case Kind::trace: {
      if (!times_ || emitted_ >= times_->size()) return kTimeNever;
      return (*times_)[emitted_++];
    }
    case Kind::schedule: {
      if (started_ && last_ == kTimeNever) return kTimeNever;
      last_ = schedule_at_or_after(started_ ? last_ + 1 : 0);
      started_ = true;
      return last_;
    }
  }
  return kTimeNever;
}

// Exactly the recorded count in each minute, at independent uniform times
// within it: a Poisson process conditioned on its count, so a replay keeps the
// trace's per-minute counts. The times are drawn in order, each the smallest
// of the uniforms still to come in the rest of the minute, so memory stays
// O(1) whatever the count.
SimTime ArrivalProcess::next_recorded(Rng& rng) {
  const std::vector<std::uint64_t>& counts = *minute_counts_;
  if (!started_) {
    started_ = true;
    minute_ = 0;
    minute_left_ = counts.empty() ? 0 : counts[0];
    minute_offset_ = 0;
  }
  while (minute_left_ == 0) {
    if (minute_ + 1 >= counts.size()) return kTimeNever;
    minute_left_ = counts[++minute_];
    minute_offset_ = 0;
  }
  // The minimum of n uniforms on [a, b) is a + (b - a) (1 - U^(1/n)).
  const double n = static_cast<double>(minute_left_--);
  const double span = static_cast<double>(kMinute) - minute_offset_;
  minute_offset_ += span * -std::expm1(std::log(rng.uniform_open01()) / n);
  // Rounded down, and never past the minute's last nanosecond: the count stays in its minute.
  const SimTime within = std::min(static_cast<SimTime>(minute_offset_), kMinute - 1);
  last_ = static_cast<SimTime>(minute_) * kMinute + within;
  return last_;
}

SimTime ArrivalProcess::schedule_at_or_after(SimTime t) const {
  if (!schedule_) return kTimeNever;
  // Calendar seconds are whole: the first second at or after t.
  const std::int64_t from = start_unix_s_ + (t + kSecond - 1) / kSecond;
  const auto fire = schedule_->first_at_or_after(from, start_unix_s_);
  if (!fire) return kTimeNever;
  // Years end at 2199, so this stays far inside the clock.
  return (*fire - start_unix_s_) * kSecond;
}

std::optional<double> ArrivalProcess::firings_per_30_days() const {
  constexpr SimTime kWindow = 30 * kDay;
  if (kind_ == Kind::periodic)
    return at_ < kWindow ? std::ceil(static_cast<double>(kWindow - at_) / static_cast<double>(every_)) : 0.0;
  if (kind_ != Kind::schedule) return std::nullopt;
  double firings = 0;
  SimTime t = schedule_at_or_after(0);
  for (; t < kWindow; t = schedule_at_or_after(t + 1)) ++firings;
  if (t == kTimeNever) return std::nullopt;  // nothing after the 30 days: it does not repeat
  return firings;
}

double ArrivalProcess::expected_count(SimTime horizon) const {
  switch (kind_) {
    case Kind::poisson:
    case Kind::constant: {
      double total = 0;
      for (std::size_t i = 0; i < segments_.size(); ++i) {
        const SimTime start = segments_[i].start;
        const SimTime end = std::min(horizon, i + 1 < segments_.size() ? segments_[i + 1].start : horizon);
        if (end > start) total += segments_[i].rate_per_ns * static_cast<double>(end - start);
      }
      return total;
    }
    case Kind::burst:
      return at_ < horizon ? static_cast<double>(count_) : 0.0;
    case Kind::periodic:
      return horizon > at_ ? std::ceil(static_cast<double>(horizon - at_) / static_cast<double>(every_)) : 0.0;
    case Kind::trace: {
      if (!times_) return 0;
      return static_cast<double>(std::lower_bound(times_->begin(), times_->end(), horizon) - times_->begin());
    }
    case Kind::schedule: {
      double firings = 0;
      for (SimTime t = schedule_at_or_after(0); t < horizon; t = schedule_at_or_after(t + 1)) ++firings;
      return firings;
    }
  }
  return 0;
}

namespace {
std::string p_quote(const std::string& expression) { return fmt::format("schedule {}", expression); }
}  // namespace

ArrivalProcess::Recurrence ArrivalProcess::recurrence() const {
  using R = Recurrence::Kind;
  switch (kind_) {
    case Kind::poisson:
    case Kind::constant:
      if (recorded_) return {R::steady, 0, "recorded traffic"};
      if (segments_.size() > 1) return {R::profile, 0, "a rate schedule"};
      return {R::steady, 0, fmt::format("{} {}", kind_ == Kind::poisson ? "poisson" : "constant",
                                        format_rate(segments_.empty() ? 0.0 : segments_[0].rate_per_ns * 1e9))};
    case Kind::burst:
      return {R::one_off, 0, fmt::format("a burst of {} at {}", count_, format_duration(static_cast<double>(at_)))};
    case Kind::periodic:
      return {R::per_firing, 30.0 * 86400e9 / static_cast<double>(every_),
              fmt::format("every {}", format_duration(static_cast<double>(every_)))};
    case Kind::trace:
      return {R::steady, 0, "recorded traffic"};
    case Kind::schedule:
      if (const auto firings = firings_per_30_days()) return {R::per_firing, *firings, p_quote(expression_)};
      return {R::one_off, 0, fmt::format("a one-time schedule ({})", expression_)};
  }
  return {};
}

}  // namespace slsim
