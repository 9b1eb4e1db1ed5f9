#pragma once
// Closed forms the analytic estimates use (docs/analyze.md gives the
// formulas): Erlang-B and Erlang-C, Che's approximation of an LRU cache (with
// a time to live) under independent requests, and tail probabilities of the
// scenario's distributions. Nothing here knows about AWS.
#include <cstdint>
#include <vector>

#include "sim/core/distribution.hpp"

namespace slsim {

// Erlang-B: the probability that an arrival finds all `servers` busy in an
// M/G/c/c loss system offered `offered` erlangs (arrival rate x mean holding
// time). 1 when servers is 0; 0 when nothing is offered.
double erlang_b(std::int64_t servers, double offered);
// Erlang-C: the probability that an arrival waits in an M/M/c queue offered
// `offered` erlangs; 1 when offered >= servers (the queue grows without end).
double erlang_c(std::int64_t servers, double offered);
// The mean wait in queue of an M/G/c queue: Erlang-C over the spare capacity,
// times (1 + cv^2) / 2 for a service time whose coefficient of variation is cv
// (exact for c = 1 and for exponential service, the Allen-Cunneen
// approximation otherwise). `rate` per second, `service_s` seconds; infinite
// when the queue is unstable.
double mgc_wait_s(std::int64_t servers, double rate, double service_s, double service_cv2);

// Requests for the keys of one Zipf law: `keys` distinct keys, P(rank k) in
// proportion to (k+1)^-zipf (0: uniform), `rate` lookups per second in all;
// `copies` such laws over key sets of their own (each with `rate`).
struct KeyPopularity {
  double rate = 0;
  std::uint64_t keys = 1;
  double zipf = 0;
  double copies = 1;
};
// Che's approximation of the hit ratio of a cache holding at most `capacity`
// items with least-recently-used eviction, under independent lookups from the
// given laws (each over keys of its own). The characteristic time T solves
// sum_i (1 - exp(-r_i T)) = capacity; a key of lookup rate r then hits with
// probability q = 1 - exp(-r T). With a time to live `ttl_s` (0: none) set
// when an item is loaded, a renewal cycle of one miss holds on average
// min(r ttl, q / (1 - q)) hits (exact without TTL and without eviction). The
// result is over all the given lookups; 0 when there are none.
double che_hit_ratio(const std::vector<KeyPopularity>& laws, double capacity, double ttl_s);
// The same in two steps: the characteristic time T of the laws sharing the
// cache (infinite when every key fits), then, for one of them, the mean over
// its lookups of h^power, h a key's hit probability (power 1: its hit ratio;
// power n: the chance that n lookups of a key, or of keys as popular, all hit).
double che_characteristic_time(const std::vector<KeyPopularity>& laws, double capacity);
double che_hit_moment(const KeyPopularity& law, double characteristic_time, double ttl_s, double power = 1);


// P(X >= t) for a draw of `d` (exact where the distribution has a closed-form
// quantile; NaN for gamma, which has none).
double tail_probability(const Distribution& d, double t);
// E[min(X, t)] for a draw of `d`: the mean of what a limit at t cuts off (the
// mean when the tail beyond t is negligible or the quantile has no closed form).
double truncated_mean(const Distribution& d, double t);
// P(S >= t) for S the sum of `n` independent draws: exact for n = 1, a normal
// approximation from the mean and variance otherwise (NaN when they are not finite).
double sum_tail_probability(const Distribution& d, std::uint32_t n, double t);

}  // namespace slsim
