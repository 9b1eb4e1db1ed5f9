#pragma once
// Schedule expressions in the syntax of EventBridge (Scheduler and scheduled
// rules): cron(minutes hours day-of-month month day-of-week year),
// rate(value unit) and the one-time at(yyyy-mm-ddThh:mm:ss). They are
// evaluated in UTC with 1-minute precision: a cron firing is at the start of
// its minute. Calendar instants are whole seconds since 1970-01-01T00:00:00Z.
// The syntax and its limits are AWS's (see docs/model-assumptions.md).
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slsim {

// "2026-01-05T00:00:00Z", "2026-01-05T00:00Z" or "2026-01-05" (midnight),
// years 1970 to 2199 -> seconds since the epoch; nullopt when malformed.
std::optional<std::int64_t> parse_utc_instant(std::string_view text);
// The instant as "2026-01-05T00:00:00Z".
std::string format_utc_instant(std::int64_t unix_seconds);

class ScheduleExpression {
 public:
  enum class Kind { cron, rate, at };

  // Why an expression was refused: the offset of the offending part in the
  // text, what was expected and found, and a hint ("" when none fits).
  struct Error {
    std::size_t offset = 0;
    std::string message;
    std::string hint;
  };

  // Parses `text`; on failure returns nullopt and fills `error`.
  static std::optional<ScheduleExpression> parse(std::string_view text, Error& error);

  // The first firing at or after `unix_seconds` (a whole UTC minute for cron),
  // or nullopt when there is none (cron years end at 2199).
  std::optional<std::int64_t> first_at_or_after(std::int64_t unix_seconds, std::int64_t start_unix_seconds) const;

  Kind kind() const { return kind_; }
  // rate(): the period in seconds.
  std::int64_t period_seconds() const { return period_s_; }

 private:
  struct Cron {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    bool dom_any = false;                   // '?' in day-of-month: day-of-week decides
    std::bitset<32> dom;                    // days 1..31
    bool dom_last = false;                  // L
    bool dom_last_weekday = false;          // LW
    std::bitset<32> dom_nearest_weekday;    // nW
    std::bitset<13> months;                 // 1..12
    bool dow_any = false;                   // '?' in day-of-week: day-of-month decides
    std::bitset<8> dow;                     // 1 (SUN) .. 7 (SAT)
    std::bitset<8> dow_last;                // nL: the last such weekday of the month
    std::vector<std::pair<int, int>> dow_nth;  // n#k: the k-th such weekday of the month
    std::bitset<230> years;                 // 1970..2199
  };
  bool day_matches(int year, unsigned month, unsigned day) const;

  Kind kind_ = Kind::cron;
  Cron cron_;
  std::int64_t period_s_ = 0;  // rate
  std::int64_t at_s_ = 0;      // at
  friend class CronParser;
};

}  // namespace slsim
