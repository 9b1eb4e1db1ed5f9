// S3: notifications invoke functions asynchronously; storage and request prices.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

TEST_CASE("s3: every put notifies the function which processes it asynchronously", "[s3]") {
  const Json r = run_scenario_text(
      "name: thumbnails\nduration: 1000s\nseed: 5\n"
      "workloads: [{name: uploads, target: photos, op: put, payload: 2MB, arrival: {process: constant, rate: 2/s}}]\n"
      "services:\n"
      "  photos: {type: s3, notifications: [{function: thumb}], notification_delay: 1s, latency: {put: 50ms}}\n"
      "  thumb: {type: lambda, memory: 1024MB, duration: 500ms, cold_start: 0ms}\n");
  // Puts at 0.5 s ... 1000 s: 2000; each is processed 1 s + 50 ms later, taking 500 ms:
  // the last ones (after 998.45 s) are still on their way at the end.
  REQUIRE(metric(r, "services.photos.puts") == 2000);
  REQUIRE(metric(r, "services.photos.notifications") == 2000);
  // Events reach the function 1.05 s after their put: the puts after 998.95 s are still on their way.
  REQUIRE(metric(r, "services.thumb.async.queued") == metric(r, "services.photos.notifications") - 3);
  REQUIRE(metric(r, "workloads.uploads.latency_ms.max") == Approx(50.0).epsilon(1e-12));  // the caller sees the put
  REQUIRE(metric(r, "accounting.succeeded") == 2000 - 4);  // 1.55 s from put to the end of processing
  REQUIRE(metric(r, "accounting.in_flight") == 4);
  REQUIRE(r.find_path("accounting.balanced")->as_bool());
}

TEST_CASE("s3: a notification filter notifies the configured fraction", "[s3]") {
  const Json r = run_scenario_text(
      "name: filter\nduration: 5000s\nseed: 6\n"
      "workloads: [{name: uploads, target: photos, op: put, arrival: {process: poisson, rate: 4/s}}]\n"
      "services:\n"
      "  photos: {type: s3, notifications: [{function: thumb, filter: 0.25}]}\n"
      "  thumb: {type: lambda, duration: 10ms, cold_start: 0ms}\n");
  const double puts = metric(r, "services.photos.puts");
  const double notified = metric(r, "services.photos.notifications");
  REQUIRE(std::fabs(notified / puts - 0.25) < 5 * std::sqrt(0.25 * 0.75 / puts));
}

TEST_CASE("s3: storage and request cost is exact arithmetic", "[s3][cost]") {
  const Json r = run_scenario_text(
      "name: storage\nduration: 1000s\nseed: 1\n"
      "workloads:\n"
      "  - {name: writers, target: bucket, op: put, payload: 1MB, arrival: {process: constant, rate: 1/s}}\n"
      "  - {name: readers, target: bucket, op: get, payload: 4MB, arrival: {process: constant, rate: 2/s}}\n"
      "services:\n  bucket: {type: s3, storage_class: standard_ia, stored: 100GB}\n");
  // Stored: 100 GB all along, plus 1 MB from each put at k s (k = 1..1000) until 1000 s.
  const double gb = 1073741824.0, mb = 1048576.0;
  double byte_seconds = 100 * gb * 1000;
  for (int k = 1; k <= 1000; ++k) byte_seconds += mb * (1000 - k);
  const double gb_months = byte_seconds / 1000 / gb * 1000 / 2592000.0;
  const double retrieved_gb = 2000 * 4 * mb / gb;
  const double expected = gb_months * 0.0125 + 1000 * 1.0e-5 + 2000 * 1.0e-6 + retrieved_gb * 0.01;
  REQUIRE(metric(r, "cost.total_usd") == Approx(expected).epsilon(1e-9));
  REQUIRE(metric(r, "services.bucket.stored_gb.max") == Approx(100 + 1000 * mb / gb).epsilon(1e-12));
}
