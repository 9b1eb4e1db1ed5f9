// Sweeps: the grid and its ranges, the messages for bad --vary/--goal/--shard/
// --search, points equal to single runs, independence from threads and
// shards, the bisection on an Erlang-B case, goals against intervals, the
// coverage of the 95% intervals, part files and their merge.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_runner.hpp"
#include "sim/analysis/replications.hpp"
#include "sim/analysis/sweep.hpp"
#include "sim/report/json_read.hpp"
#include "sim/report/result.hpp"
#include "support.hpp"

using namespace slsim;
using namespace slsim::testing;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> values_of(const std::string& arg) { return parse_vary(arg).values; }

// A function whose duration shrinks with memory (CPU-bound in part) behind
// Poisson arrivals: a small, quick Lambda memory sweep.
const char* kLambda = R"(name: sweep-test
duration: 2min
seed: 5
workloads:
  - name: uploads
    target: resize
    arrival: {process: poisson, rate: 20/s}
services:
  resize:
    type: lambda
    memory: 512MB
    duration: {dist: lognormal, mean: 400ms, cv: 0.3}
    cpu_scaling: {reference_memory: 1024MB, cpu_bound: 0.6}
    reserved_concurrency: 30
expect:
  - {metric: services.resize.throttles, "==": 0}
)";

struct Loaded {
  std::vector<PointSet> sets;
  std::vector<Scenario> scenarios;
  SweepHeader header;
};

Loaded load_grid(const std::string& yaml, const std::vector<std::string>& vary, const std::vector<std::string>& sets) {
  Loaded l;
  LoadOptions base;
  base.overrides = sets;
  const Scenario sc = load_scenario_text(yaml, "sweep.yaml", builtin_services(), base);
  l.header.scenario = sc.name;
  l.header.seed = sc.seed;
  l.header.replications = sc.replications;
  for (const auto& v : vary) l.header.vary.push_back(parse_vary(v));
  l.sets = sweep_grid(l.header.vary);
  for (const auto& set : l.sets) {
    LoadOptions o = base;
    for (const auto& [path, value] : set) o.overrides.push_back(path + "=" + value);
    l.scenarios.push_back(load_scenario_text(yaml, "sweep.yaml", builtin_services(), o));
  }
  return l;
}

std::string deterministic(const Json& sweep) { return sweep_without_wall_clock(sweep).dump(2); }

// The part files of an N-way split, written and read back as text, merged.
Json merged_through_parts(const Loaded& l, unsigned n, unsigned threads) {
  std::vector<std::pair<std::string, Json>> parts;
  for (unsigned k = n; k >= 1; --k) {  // any order
    PartContext c;
    c.header = l.header;
    c.shard = {k, n};
    c.scenario_hash = "test";
    const std::string text = run_shard(c, l.sets, l.scenarios, threads).dump(-1);
    JsonParseResult back = parse_json(text);
    REQUIRE(back.error.empty());
    parts.emplace_back("part" + std::to_string(k) + ".json", std::move(back.value));
  }
  return merge_parts(parts);
}

}  // namespace

TEST_CASE("sweep: ranges expand to their values, keeping the unit", "[sweep]") {
  CHECK(values_of("services.fn.memory=128MB..3008MB:x2") ==
        std::vector<std::string>{"128MB", "256MB", "512MB", "1024MB", "2048MB"});
  // The end is included when a step reaches it, in the start's unit.
  CHECK(values_of("services.fn.memory=128MB..2GB:x2") ==
        std::vector<std::string>{"128MB", "256MB", "512MB", "1024MB", "2048MB"});
  CHECK(values_of("services.fn.memory=128MB..512MB:+128MB") ==
        std::vector<std::string>{"128MB", "256MB", "384MB", "512MB"});
  // Decimal steps do not accumulate rounding; a step without unit takes the ends'.
  CHECK(values_of("x=0.1..0.5:+0.1") == std::vector<std::string>{"0.1", "0.2", "0.3", "0.4", "0.5"});
  CHECK(values_of("d=100ms..1s:x2") == std::vector<std::string>{"100ms", "200ms", "400ms", "800ms"});
  CHECK(values_of("r=10/s..40/s:+10") == std::vector<std::string>{"10/s", "20/s", "30/s", "40/s"});
  // Whole-number ends give whole numbers, repeats dropped.
  CHECK(values_of("c=1..10:x1.5") == std::vector<std::string>{"1", "2", "3", "5", "8"});
  // Lists mix values and ranges; commas inside a YAML map do not split.
  CHECK(values_of("services.fn.memory=64MB,128MB..512MB:x2,3008MB") ==
        std::vector<std::string>{"64MB", "128MB", "256MB", "512MB", "3008MB"});
  CHECK(values_of("workloads.w.arrival={process: constant, rate: 10/s},{process: poisson, rate: 5/s}") ==
        std::vector<std::string>{"{process: constant, rate: 10/s}", "{process: poisson, rate: 5/s}"});
  // A path with dots is not a range.
  CHECK(values_of("workloads.w.arrival.file=../a.csv,../b.csv") == std::vector<std::string>{"../a.csv", "../b.csv"});
}

TEST_CASE("sweep: the grid is every combination, the first --vary slowest", "[sweep]") {
  const auto grid = sweep_grid({parse_vary("a=1,2"), parse_vary("b=x,y,z")});
  REQUIRE(grid.size() == 6);
  CHECK(grid[0] == PointSet{{"a", "1"}, {"b", "x"}});
  CHECK(grid[2] == PointSet{{"a", "1"}, {"b", "z"}});
  CHECK(grid[3] == PointSet{{"a", "2"}, {"b", "x"}});
  CHECK(grid[5] == PointSet{{"a", "2"}, {"b", "z"}});
  CHECK(error_of([] { sweep_grid({parse_vary("a=1..200:+1"), parse_vary("b=1..100:+1")}); }) ==
        "--vary: error: the grid has 20000 points (200 x 100), more than the limit of 10000\n"
        "    hint: vary fewer values, or split the sweep into several\n");
  CHECK(error_of([] { sweep_grid({parse_vary("a=1"), parse_vary("a=2")}); }) ==
        "--vary a=2: error: a: this path is varied twice\n"
        "    hint: give all its values in one --vary, separated by commas\n");
}

TEST_CASE("sweep: bad --vary, --goal, --shard and --search say what was expected", "[sweep]") {
  CHECK(error_of([] { parse_vary("services.fn.memory"); }) ==
        "--vary services.fn.memory: error: expected PATH=VALUES, e.g. --vary services.fn.memory=128MB,256MB,512MB\n"
        "    hint: a range works too: --vary services.fn.memory=128MB..3008MB:x2\n");
  CHECK(error_of([] { parse_vary("m=128MB..3008MB"); }) ==
        "--vary m=128MB..3008MB: error: m: a range needs a step: expected A..B:xF (geometric, e.g. "
        "128MB..3008MB:x2) or A..B:+S (linear, e.g. 128MB..1024MB:+64MB), found '128MB..3008MB'\n");
  CHECK(error_of([] { parse_vary("m=128MB..3008MB:x1"); }) ==
        "--vary m=128MB..3008MB:x1: error: m: a geometric range needs a factor above 1 after 'x', found '1'\n"
        "    hint: e.g. 128MB..3008MB:x2\n");
  CHECK(error_of([] { parse_vary("m=128MB..3s:x2"); }) ==
        "--vary m=128MB..3s:x2: error: m: the range's ends have units that do not convert ('MB' and 's')\n"
        "    hint: write both ends in one unit\n");
  CHECK(error_of([] { parse_vary("m=1GB..128MB:x2"); }) ==
        "--vary m=1GB..128MB:x2: error: m: the range ends below its start (1GB > 0.125GB)\n");
  CHECK(error_of([] { parse_vary("m=1,,2"); }) ==
        "--vary m=1,,2: error: m: an empty value between commas\n    hint: write the values as V1,V2,V3\n");
  CHECK(error_of([] { parse_vary("m=1,1"); }) == "--vary m=1,1: error: m: the value '1' is given twice\n");
  CHECK(error_of([] { parse_vary("m=1..100000:+1"); }) ==
        "--vary m=1..100000:+1: error: m: the range '1..100000:+1' has more than 10000 values\n"
        "    hint: use a larger step\n");

  CHECK(error_of([] { parse_goal("p99 200"); }) ==
        "--goal p99 200: error: expected PATH<VALUE (or <=, >, >=), e.g. --goal "
        "'workloads.api.latency_ms.p99<200'\n"
        "    hint: quote it, or the shell reads < and > as redirections\n");
  CHECK(error_of([] { parse_goal("workloads.api.latency_ms.p99<200ms"); }) ==
        "--goal workloads.api.latency_ms.p99<200ms: error: workloads.api.latency_ms.p99: expected a number after "
        "'<', found '200ms'\n"
        "    hint: result values are plain numbers in the unit their key names (latency_ms is in ms): write 200\n");
  const Goal g = parse_goal("cost.monthly_usd >= 12.5");
  CHECK(g.path == "cost.monthly_usd");
  CHECK(g.op == ">=");
  CHECK(g.value == 12.5);

  CHECK(error_of([] { parse_shard("3"); }) == "--shard 3: error: expected K/N (shard K of N), e.g. 2/4, found '3'\n");
  CHECK(error_of([] { parse_shard("0/3"); }) ==
        "--shard 0/3: error: expected K/N with 1 <= K <= N, found 0/3\n"
        "    hint: shards count from 1: --shard 1/4 ... --shard 4/4\n");
  CHECK(error_of([] { parse_shard("4/3"); }) ==
        "--shard 4/3: error: expected K/N with 1 <= K <= N, found 4/3\n"
        "    hint: shards count from 1: --shard 1/4 ... --shard 4/4\n");
  CHECK(parse_shard("2/3").index == 2);

  // Whole-number ends without a step: steps of 1 in their unit.
  CHECK(parse_search("m=128MB..3008MB").count == 2881);
  const SearchRange r = parse_search("m=128MB..3008MB:+64MB");
  CHECK(r.count == 46);
  CHECK(r.value(0) == "128MB");
  CHECK(r.value(45) == "3008MB");
  CHECK(error_of([] { parse_search("c=1.5..10"); }) ==
        "--search c=1.5..10: error: c: a search without a step runs over whole numbers, and an end is not one\n"
        "    hint: give the step: LO..HI:+S\n");
}

TEST_CASE("sweep: a bad value is a load error that names its --vary", "[sweep][cli]") {
  const std::string file = write_temp("sweep_bad.yaml", kLambda);
  const Ran r = run_slsim("sweep " + file + " --vary services.resize.memory=2048MB..20000MB:x2 -q");
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "--vary services.resize.memory=2048MB..20000MB:x2 (the value 16384MB): error: services.resize.memory: "
        "expected a size between 128MB and 10240MB, found '16384MB'\n");
  const Ran typo = run_slsim("sweep " + file + " --vary services.resize.memory=512MB --goal 'cost.monthy_usd<1' -q");
  CHECK(typo.exit_code == 2);
  CHECK(typo.err ==
        "--goal cost.monthy_usd<1: error: cost.monthy_usd: no metric 'cost.monthy_usd' in the result ('cost' has no "
        "'monthy_usd')\n    hint: did you mean 'monthly_usd'?\n");
}

TEST_CASE("sweep: a warning that every point gives is printed once", "[sweep][cli]") {
  const std::string file = write_temp("sweep_warn.yaml",
                                      "name: warn\nduration: 10s\nworkloads:\n"
                                      "  - {name: w, target: fn, arrival: {process: poisson, rate: 5/s}}\n"
                                      "services:\n  fn: {type: lambda, duration: 2s, timeout: 1s}\n");
  const Ran r = run_slsim("sweep " + file + " --vary services.fn.memory=128MB,256MB,512MB -q");
  CHECK(r.exit_code == 0);
  CHECK(r.err == file +
                     ":6:32: warning: services.fn.duration: every invocation will time out: the handler takes at least "
                     "2s ('duration'), at or above the timeout of 1s\n"
                     "    hint: raise 'timeout' above 2s (at most 15min), or make 'duration' shorter\n");
}

TEST_CASE("sweep: each point is the single run with the same --set", "[sweep][cli]") {
  const std::string file = write_temp("sweep_points.yaml", kLambda);
  // The CLI as a user runs it: the point's result is run --json's (a sweep finds no insights), apart from wall-clock fields.
  const Ran sweep = run_slsim("sweep " + file + " --vary services.resize.memory=256MB,1024MB --replications 3 --json - -q");
  const Ran run = run_slsim("run " + file + " --set services.resize.memory=1024MB --replications 3 --no-insights --json - -q");
  REQUIRE(sweep.exit_code == 0);
  REQUIRE(run.exit_code == 0);
  const JsonParseResult s = parse_json(sweep.out), one = parse_json(run.out);
  REQUIRE(s.error.empty());
  REQUIRE(one.error.empty());
  const Json& point = s.value.find("points")->elements()[1];
  CHECK(point.find("set")->dump(-1) == R"({"services.resize.memory":"1024MB"})");
  CHECK(without_wall_clock(*point.find("result")).dump(2) == without_wall_clock(one.value).dump(2));

  // One replication too, through the library: the result of run_replications plus expect.
  const Loaded l = load_grid(kLambda, {"services.resize.memory=256MB,1024MB"}, {"duration=1min"});
  const Json grid = run_grid(l.header, l.sets, l.scenarios, 2);
  LoadOptions o;
  o.overrides = {"duration=1min", "services.resize.memory=256MB"};
  const Scenario sc = load_scenario_text(kLambda, "sweep.yaml", builtin_services(), o);
  Json single = run_replications(sc, {});
  evaluate_expectations(sc, single);
  CHECK(without_wall_clock(*grid.find("points")->elements()[0].find("result")).dump(2) ==
        without_wall_clock(single).dump(2));
}

TEST_CASE("sweep: results do not depend on threads or the shard split", "[sweep][determinism]") {
  Loaded l = load_grid(kLambda, {"services.resize.memory=128MB..1024MB:x2", "services.resize.reserved_concurrency=10,40"},
                       {"duration=1min", "replications=3"});
  l.header.goals = {parse_goal("workloads.uploads.latency_ms.p99<2000")};
  l.header.objective = Objective{};
  const std::string one = deterministic(run_grid(l.header, l.sets, l.scenarios, 1));
  CHECK(deterministic(run_grid(l.header, l.sets, l.scenarios, 2)) == one);
  CHECK(deterministic(run_grid(l.header, l.sets, l.scenarios, 5)) == one);
  for (const unsigned n : {1u, 2u, 3u}) {
    INFO("shards: " << n);
    CHECK(deterministic(merged_through_parts(l, n, 2)) == one);
  }
  // The table and CSV come from the JSON alone: the same after a merge.
  const Json merged = merged_through_parts(l, 3, 1);
  CHECK(format_sweep_csv(merged) == format_sweep_csv(run_grid(l.header, l.sets, l.scenarios, 2)));
  CHECK(merged.find("best")->is_object());
}

TEST_CASE("sweep: merge says which parts do not belong together", "[sweep]") {
  const Loaded l = load_grid(kLambda, {"services.resize.memory=256MB,512MB"}, {"duration=20s"});
  const auto part = [&](unsigned k, unsigned n, const std::string& hash, std::uint64_t seed) {
    PartContext c;
    c.header = l.header;
    c.header.seed = seed;
    c.shard = {k, n};
    c.scenario_hash = hash;
    return parse_json(run_shard(c, l.sets, l.scenarios, 1).dump(-1)).value;
  };
  const Json p1 = part(1, 2, "h", 5), p2 = part(2, 2, "h", 5);
  CHECK(error_of([&] { merge_parts({{"a.json", p1}}); }) ==
        "slsim merge: error: shard 2/2 is missing (1 of 2 parts given)\n"
        "    hint: run it with --shard 2/2 and merge every part\n");
  CHECK(error_of([&] { merge_parts({{"a.json", p1}, {"b.json", p1}}); }) ==
        "b.json: error: shard 1/2 is given twice (also as a.json)\n    hint: give each part once\n");
  CHECK(error_of([&] { merge_parts({{"a.json", p1}, {"b.json", part(2, 3, "h", 5)}}); }) ==
        "b.json: error: does not belong with a.json: split into another number of shards (2/3 here, 1/2 there)\n"
        "    hint: merge the parts of one sweep, run with the same N in --shard K/N\n");
  CHECK(error_of([&] { merge_parts({{"a.json", p1}, {"b.json", part(2, 2, "h", 6)}}); }) ==
        "b.json: error: does not belong with a.json: its sweep has another 'seed' (6 here, 5 there)\n");
  CHECK(error_of([&] { merge_parts({{"a.json", p1}, {"b.json", part(2, 2, "other", 5)}}); }) ==
        "b.json: error: does not belong with a.json: another scenario text, or other --set or --duration options; "
        "scenario fingerprints (other here, h there)\n"
        "    hint: every shard must run the same scenario file with the same options\n");
  CHECK(error_of([&] { merge_parts({{"a.json", parse_json(R"({"points": []})").value}}); }) ==
        "a.json: error: not a sweep part file (it has no 'sweep_part' key)\n"
        "    hint: part files are written by slsim sweep ... --shard K/N --json FILE\n");
  // A part that lost a run.
  Json cut = p2;
  cut["runs"].elements().pop_back();
  CHECK(error_of([&] { merge_parts({{"a.json", p1}, {"b.json", cut}}); }) ==
        "b.json: error: has no result for point 1, replication 0: the part is incomplete\n"
        "    hint: run its shard again\n");
  // A result without the run's figures is refused, not read.
  Json hollow = p2;
  hollow["runs"].elements().front()["result"] = Json::object();
  CHECK(error_of([&] { merge_parts({{"a.json", p1}, {"b.json", hollow}}); }) ==
        "b.json: error: not a sweep part file: a run's result has no 'run' of the expected kind\n"
        "    hint: part files are written by slsim sweep ... --shard K/N --json FILE\n");
  CHECK(merge_parts({{"b.json", p2}, {"a.json", p1}}).find("points")->size() == 2);
}

TEST_CASE("sweep: the CLI's shards and merge give the single process's JSON", "[sweep][cli]") {
  const std::string file = write_temp("sweep_cli.yaml", kLambda);
  const std::string args = " --vary services.resize.memory=256MB,512MB,1024MB --duration 30s --replications 2";
  const auto strip = [](const std::string& s) {
    std::string out;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);)
      if (line.find("\"wall_s\"") == std::string::npos && line.find("\"events_per_s\"") == std::string::npos)
        out += line + "\n";
    return out;
  };
  const Ran whole = run_slsim("sweep " + file + args + " --json - -q");
  REQUIRE(whole.exit_code == 0);
  std::string parts;
  for (int k = 1; k <= 2; ++k) {
    const std::string part = write_temp("part" + std::to_string(k) + ".json", "");
    const Ran r = run_slsim("sweep " + file + args + " --shard " + std::to_string(k) + "/2 --json " + part);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err == "shard " + std::to_string(k) + "/2: ran 3 of the sweep's (point, replication) pairs; wrote " +
                       part + "\njoin every part with: slsim merge PART... --json OUT\n");
    parts += " " + part;
  }
  const Ran merged = run_slsim("merge" + parts + " --json -");
  REQUIRE(merged.exit_code == 0);
  CHECK(strip(merged.out) == strip(whole.out));
  CHECK(merged.err.find("slsim sweep | sweep-test | 3 points x 2 replications") == 0);
}

TEST_CASE("sweep: bisection tries the top, then halves", "[sweep]") {
  std::vector<std::uint64_t> tried;
  const auto at_least = [&](std::uint64_t answer) {
    tried.clear();
    return bisect_smallest(100, [&](std::uint64_t i) {
      tried.push_back(i);
      return i >= answer;
    });
  };
  CHECK(at_least(37) == 37u);
  CHECK(tried.size() <= 8);  // 1 + ceil(log2 100)
  CHECK(tried.front() == 99);
  CHECK(at_least(0) == 0u);
  CHECK(at_least(99) == 99u);
  CHECK(at_least(100) == std::nullopt);
  CHECK(tried == std::vector<std::uint64_t>{99});
  CHECK(bisect_smallest(0, [](std::uint64_t) { return true; }) == std::nullopt);
}

TEST_CASE("sweep: the search finds the smallest c with Erlang-B B(c, A) < 1%", "[sweep][queueing]") {
  // An M/G/c/c loss system: Poisson callers at 20/s, 50 ms mean latency, so
  // A = 1 Erlang. B(4, 1) = 1.54% and B(5, 1) = 0.31%: the answer is c = 5.
  // Each point runs 5 replications of 1,000 s (about 20,000 calls each): the
  // blocked fraction of one replication has a standard deviation near
  // sqrt(B (1 - B) / 20,000) (0.09% at c = 4, 0.04% at c = 5; blocking is
  // correlated in time, so allow twice that), and the mean of 5 about 0.04%
  // and 0.02%. At c = 4 the mean would have to fall 0.54% below its expected
  // value, over 6 of its standard deviations, to pass; at c = 5 its interval
  // (mean + about 0.1%) stays far below 1%; c = 3 (B = 6.25%) never passes.
  const char* yaml = R"(name: erlang-b-search
duration: 1000s
warmup: 10s
seed: 11
workloads:
  - name: callers
    target: partner
    arrival: {process: poisson, rate: 20/s}
services:
  partner:
    type: external
    latency: {dist: exponential, mean: 50ms}
    concurrency: 64
)";
  REQUIRE(erlang_b(4, 1.0) > 0.015);
  REQUIRE(erlang_b(5, 1.0) < 0.0035);
  SweepHeader h;
  h.scenario = "erlang-b-search";
  h.replications = 5;
  h.search = parse_search("services.partner.concurrency=1..64");
  h.goals = {parse_goal("derived.workloads.callers.throttled_ratio<0.01")};
  const auto load = [&](const PointSet& set) {
    LoadOptions o;
    o.overrides = {"replications=5", set[0].first + "=" + set[0].second};
    return load_scenario_text(yaml, "erlang.yaml", builtin_services(), o);
  };
  const Json out = run_search(h, load, 2);
  const Json* best = best_point(out);
  REQUIRE(best != nullptr);
  CHECK(best->find("set")->find("services.partner.concurrency")->as_string() == "5");
  // Bisection over 64 values: 64, 32, 16, 8, 4, 6, 5.
  std::vector<std::string> tried;
  for (const auto& p : out.find("points")->elements())
    tried.push_back(p.find("set")->find("services.partner.concurrency")->as_string());
  CHECK(tried == std::vector<std::string>{"64", "32", "16", "8", "4", "6", "5"});
  // The measured blocking at the answer agrees with Erlang-B.
  const Json& p5 = out.find("points")->elements()[6];
  const double blocked = p5.find_path("derived.workloads.callers.throttled_ratio")->as_double();
  const double half = p5.find_path("derived.ci95.workloads.callers.throttled_ratio")->as_double();
  CHECK(std::fabs(blocked - erlang_b(5, 1.0)) < 3 * half);
}

TEST_CASE("sweep: a goal is met only when the whole interval is on its side", "[sweep]") {
  const auto point = [](double mean, double half) {
    Json p = Json::object();
    Json& r = p["result"];
    r["cost"]["monthly_usd"] = mean;
    if (half > 0) r["ci95"]["cost"]["monthly_usd"] = half;
    return p;
  };
  const Goal below = parse_goal("cost.monthly_usd<200"), above = parse_goal("cost.monthly_usd>=100");
  CHECK(check_goal(below, point(180, 15)).met);
  CHECK_FALSE(check_goal(below, point(190, 15)).met);  // 205 at the top of the interval
  CHECK(check_goal(below, point(199, 0)).met);         // one replication: the value itself
  CHECK(check_goal(below, point(190, 15)).why == "cost.monthly_usd = 190 ±15 (needs < 200)");
  CHECK(check_goal(above, point(115, 15)).met);
  CHECK_FALSE(check_goal(above, point(110, 15)).met);
  CHECK(check_goal(below, Json::object()).why == "cost.monthly_usd has no value");
  // The default objective: the monthly cost, or the window's when there is no monthly projection.
  CHECK(default_objective(load_scenario_text(kLambda, "l.yaml", builtin_services())).path == "cost.monthly_usd");
  CHECK(default_objective(load_scenario(std::string(SLSIM_SOURCE_DIR) + "/scenarios/getting-started/first-run.yaml", builtin_services()))
            .path == "cost.total_usd");
}

TEST_CASE("sweep: the 95% intervals cover the true blocking about 95% of the time", "[sweep][queueing]") {
  // 200 sets of 10 replications (a sweep over 200 seeds): B(3, 2) = 21.05% of
  // calls blocked on 3 servers at 2 Erlangs, about 2,000 calls per replication
  // (the blocked fraction of one replication is close to normal, and its
  // bias, of order 1/2,000 of itself, is far inside the intervals). If the
  // intervals are right, the number of sets whose interval covers B is
  // Binomial(200, 0.95): mean 190, standard deviation sqrt(200 x 0.95 x 0.05)
  // = 3.08. Accepting 178 to 199 rejects correct intervals with probability
  // P(X <= 177) + P(X = 200) = 1.9e-4 + 3.5e-5 (exact binomial tails), accepts
  // intervals with a true coverage of 80% with probability 5e-4, and refuses
  // intervals that (like the standard deviation in place of the standard
  // error) cover almost always. The seeds are fixed, so the outcome is the
  // same on every run.
  const char* yaml = R"(name: coverage
duration: 50s
warmup: 2s
workloads:
  - name: callers
    target: partner
    arrival: {process: poisson, rate: 40/s}
services:
  partner:
    type: external
    latency: {dist: exponential, mean: 50ms}
    concurrency: 3
)";
  const Loaded l = load_grid(yaml, {"seed=1..200:+1"}, {"replications=10"});
  REQUIRE(l.sets.size() == 200);
  const Json sweep = run_grid(l.header, l.sets, l.scenarios, 2);
  const double truth = erlang_b(3, 2.0);
  int covered = 0;
  for (const auto& p : sweep.find("points")->elements()) {
    const double mean = p.find_path("derived.workloads.callers.throttled_ratio")->as_double();
    const double half = p.find_path("derived.ci95.workloads.callers.throttled_ratio")->as_double();
    covered += std::fabs(mean - truth) <= half ? 1 : 0;
  }
  INFO("sets whose interval covers B(3, 2): " << covered << " of 200");
  CHECK(covered >= 178);
  CHECK(covered <= 199);
}

TEST_CASE("sweep: a Lambda memory sweep gives the cheapest, fastest and balanced points", "[sweep]") {
  Loaded l = load_grid(kLambda, {"services.resize.memory=128MB..2048MB:x2"}, {"duration=1min"});
  const Json sweep = run_grid(l.header, l.sets, l.scenarios, 2);
  const Json* verdicts = sweep.find("power_tuning");
  REQUIRE(verdicts != nullptr);
  REQUIRE(verdicts->size() == 1);
  const Json& v = verdicts->elements()[0];
  CHECK(v.find("function")->as_string() == "resize");
  // Recompute each choice from the points.
  double min_cost = 1e300, min_time = 1e300, min_product = 1e300;
  std::int64_t cheapest = -1, fastest = -1, balanced = -1, i = 0;
  for (const auto& p : sweep.find("points")->elements()) {
    const double c = p.find_path("result.cost.by_service.resize")->as_double();
    const double t = p.find_path("result.services.resize.duration_ms.mean")->as_double();
    if (c < min_cost) min_cost = c, cheapest = i;
    if (t < min_time) min_time = t, fastest = i;
    if (c * t < min_product) min_product = c * t, balanced = i;
    ++i;
  }
  CHECK(v.find_path("cheapest.point")->as_int() == cheapest);
  CHECK(v.find_path("fastest.point")->as_int() == fastest);
  CHECK(v.find_path("balanced.point")->as_int() == balanced);
  CHECK(fastest == 4);  // 2048MB: CPU-bound in part, so more memory is faster
  const std::string table = format_sweep_table(sweep);
  CHECK(table.find("power tuning of resize (over every point):") != std::string::npos);
  CHECK(table.find("balanced = the lowest cost x duration product: more memory is worth it while doubling it cuts "
                   "the duration by 29% or more") != std::string::npos);
  // No verdict when no Lambda function's memory varies.
  const Loaded timeouts = load_grid(kLambda, {"services.resize.timeout=10s,20s"}, {"duration=10s"});
  CHECK(run_grid(timeouts.header, timeouts.sets, timeouts.scenarios, 1).find("power_tuning") == nullptr);
}

TEST_CASE("sweep: the CSV has one row per point with the table's figures", "[sweep]") {
  Loaded l = load_grid(kLambda, {"services.resize.memory=256MB,512MB"}, {"duration=20s", "replications=2"});
  l.header.goals = {parse_goal("workloads.uploads.failed<=0")};
  l.header.objective = Objective{};
  const std::string csv = format_sweep_csv(run_grid(l.header, l.sets, l.scenarios, 2));
  std::istringstream in(csv);
  std::string head, row1, row2, extra;
  std::getline(in, head);
  std::getline(in, row1);
  std::getline(in, row2);
  CHECK_FALSE(std::getline(in, extra));
  CHECK(head ==
        "point,services.resize.memory,workloads.uploads.latency_ms.p50,ci95.workloads.uploads.latency_ms.p50,"
        "workloads.uploads.latency_ms.p99,ci95.workloads.uploads.latency_ms.p99,workloads.uploads.throttled,"
        "ci95.workloads.uploads.throttled,workloads.uploads.failed,ci95.workloads.uploads.failed,"
        "derived.cost_per_million_requests_usd,ci95.derived.cost_per_million_requests_usd,cost.monthly_usd,"
        "ci95.cost.monthly_usd,meets_goals");
  CHECK(row1.starts_with("0,256MB,"));
  CHECK(row2.starts_with("1,512MB,"));
  CHECK(row2.ends_with(",true"));
}

TEST_CASE("json: what dump writes reads back to the same text", "[sweep][json]") {
  const Json result = run_scenario_text(kLambda);
  const std::string text = result.dump(2);
  const JsonParseResult back = parse_json(text);
  REQUIRE(back.error.empty());
  CHECK(back.value.dump(2) == text);
  Json odd = Json::object();
  odd["s"] = std::string("tab\there \"quoted\" \x01 é");
  odd["n"] = Json(1e300);
  odd["small"] = Json(-2.5e-7);
  odd["i"] = Json(-42);
  odd["list"] = Json::array();
  CHECK(parse_json(odd.dump(-1)).value.dump(-1) == odd.dump(-1));
  CHECK(parse_json("{\"a\": [1, 2,]}").error == "line 1, column 13: expected a JSON value, found ']'");
  CHECK(parse_json("{\"a\": 1} x").error == "line 1, column 10: unexpected text after the JSON value");
  CHECK(parse_json("{\"a\": 1, \"a\": 2}").error == "line 1, column 10: the key \"a\" appears twice in this object");
  CHECK(parse_json(std::string(300, '[')).error == "line 1, column 257: nested deeper than 256 levels");
}

TEST_CASE("sweep: exit 1 and best null when no point meets every goal", "[sweep][cli]") {
  const std::string file = write_temp("sweep_goals.yaml", kLambda);
  const Ran r = run_slsim("sweep " + file +
                          " --vary services.resize.memory=256MB,512MB --duration 20s --goal 'cost.monthly_usd<0.01' "
                          "--json -");
  CHECK(r.exit_code == 1);
  const JsonParseResult j = parse_json(r.out);
  REQUIRE(j.error.empty());
  REQUIRE(j.value.find("best") != nullptr);
  CHECK(j.value.find("best")->is_null());
  CHECK(r.err.find("best (the lowest cost.monthly_usd among the points that meet every goal): none: no point meets "
                   "every goal\n") != std::string::npos);
  const Ran met = run_slsim("sweep " + file + " --vary services.resize.memory=256MB,512MB --duration 20s "
                            "--goal 'cost.monthly_usd<1000000' --maximize services.resize.duration_ms.mean -q");
  CHECK(met.exit_code == 0);
}

TEST_CASE("docs: the sweeps shown in capacity-planning.md print what the page shows", "[sweep][docs]") {
  // Each ```text block that starts with "$ slsim ..." is that command and its output (stdout, then stderr).
  const std::string page = slurp(std::string(SLSIM_SOURCE_DIR) + "/docs/capacity-planning.md");
  std::istringstream in(page);
  int checked = 0;
  for (std::string line; std::getline(in, line);) {
    if (line != "```text") continue;
    std::string command, expected;
    std::getline(in, command);
    const bool runs = command.starts_with("$ slsim ");
    for (std::string body; std::getline(in, body) && body != "```";) expected += body + "\n";
    if (!runs) continue;
    INFO(command);
    const Ran r = run_slsim(command.substr(std::string("$ slsim ").size()));
    CHECK(r.exit_code != -1);
    CHECK(r.out + r.err == expected);
    ++checked;
  }
  CHECK(checked >= 4);
}
