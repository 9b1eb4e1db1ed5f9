// Part files of a sharded sweep and their merge. A part holds what the merge
// needs without the scenario: the sweep's header, every point's values and
// expectations, and the per-replication results of the pairs its shard ran.
// The merge rebuilds each point from those results in replication order, so
// it gives the single process's JSON byte for byte (wall-clock fields apart).
#include <atomic>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "sim/analysis/sweep.hpp"
#include "sim/report/result.hpp"

namespace slsim {

namespace {

constexpr int kPartFormat = 1;

[[noreturn]] void part_error(const std::string& file, std::string message, std::string hint = {}) {
  Diagnostics d;
  SourceLoc loc;
  loc.origin = std::make_shared<const std::string>(file);
  d.error(loc, "", std::move(message), std::move(hint));
  throw InputError(d);
}

Json expectations_json(const std::vector<Expectation>& expect) {
  Json list = Json::array();
  for (const auto& x : expect) {
    Json e = Json::object();
    e["metric"] = x.metric;
    e["op"] = x.op;
    e["value"] = x.value;
    e["upper"] = x.upper;
    list.push_back(std::move(e));
  }
  return list;
}

std::string shard_text(const Shard& s) { return fmt::format("{}/{}", s.index, s.count); }

}  // namespace

std::string scenario_fingerprint(const std::string& text, const std::vector<std::string>& parts) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a, 64-bit
  const auto add = [&h](std::string_view s) {
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h = (h ^ 0xffu) * 1099511628211ull;  // a separator no text byte sequence can fake alone
  };
  add(text);
  for (const auto& p : parts) add(p);
  return fmt::format("{:016x}", h);
}

Json part_json(const PartContext& context, const std::vector<PointRuns>& runs) {
  Json part = Json::object();
  Json info = Json::object();
  info["format"] = kPartFormat;
  info["version"] = kSlsimVersion;
  info["scenario_hash"] = context.scenario_hash;
  info["shard"] = shard_text(context.shard);
  part["sweep_part"] = std::move(info);
  part["sweep"] = context.header.to_json();
  Json points = Json::array();
  Json results = Json::array();
  for (std::size_t p = 0; p < runs.size(); ++p) {
    Json point = Json::object();
    Json set = Json::object();
    for (const auto& [path, value] : runs[p].set) set[path] = value;
    point["set"] = std::move(set);
    point["replications"] = static_cast<unsigned long long>(runs[p].replications.size());
    point["expect"] = expectations_json(runs[p].expect);
    points.push_back(std::move(point));
    for (std::size_t r = 0; r < runs[p].replications.size(); ++r) {
      if (runs[p].replications[r].is_null()) continue;
      Json run = Json::object();
      run["point"] = static_cast<unsigned long long>(p);
      run["replication"] = static_cast<unsigned long long>(r);
      run["result"] = runs[p].replications[r];
      results.push_back(std::move(run));
    }
  }
  part["points"] = std::move(points);
  part["runs"] = std::move(results);
  return part;
}

Json run_shard(const PartContext& context, const std::vector<PointSet>& sets, const std::vector<Scenario>& scenarios,
               unsigned threads) {
  std::vector<const Scenario*> points;
  std::vector<PointRuns> runs(sets.size());
  for (std::size_t p = 0; p < sets.size(); ++p) {
    points.push_back(&scenarios[p]);
    runs[p].set = sets[p];
    runs[p].expect = scenarios[p].expect;
    runs[p].replications.resize(scenarios[p].replications);
  }
  run_pairs(points, context.shard, threads,
            [&](std::size_t p, std::uint32_t r, Json&& result) { runs[p].replications[r] = std::move(result); });
  return part_json(context, runs);
}

namespace {

// What a part file says about itself, checked for shape.
struct Part {
  std::string file;
  const Json* json = nullptr;
  Shard shard;
  std::string hash, version;
};

const Json& need(const std::string& file, const Json& parent, std::string_view key, Json::Type type,
                 std::string_view where) {
  const Json* v = parent.find(key);
  const bool ok = v != nullptr && (v->type() == type || (type == Json::Type::number && v->is_number()));
  if (!ok)
    part_error(file, fmt::format("not a sweep part file: {} has no '{}' of the expected kind", where, key),
               "part files are written by slsim sweep ... --shard K/N --json FILE");
  return *v;
}

Part read_part(const std::string& file, const Json& json) {
  if (!json.is_object() || json.find("sweep_part") == nullptr)
    part_error(file, "not a sweep part file (it has no 'sweep_part' key)",
               "part files are written by slsim sweep ... --shard K/N --json FILE");
  const Json& info = need(file, json, "sweep_part", Json::Type::object, "the file");
  const Json& format = need(file, info, "format", Json::Type::integer, "'sweep_part'");
  if (format.as_int() != kPartFormat)
    part_error(file, fmt::format("a part file of format {}, and this slsim reads format {}", format.as_int(),
                                 kPartFormat),
               "merge with the slsim that wrote the parts");
  Part p;
  p.file = file;
  p.json = &json;
  p.version = need(file, info, "version", Json::Type::string, "'sweep_part'").as_string();
  p.hash = need(file, info, "scenario_hash", Json::Type::string, "'sweep_part'").as_string();
  const std::string shard = need(file, info, "shard", Json::Type::string, "'sweep_part'").as_string();
  try {
    p.shard = parse_shard(shard);
  } catch (const InputError&) {
    part_error(file, fmt::format("not a sweep part file: its shard '{}' is not K/N", echo(shard)));
  }
  const Json& sweep = need(file, json, "sweep", Json::Type::object, "the file");
  if (sweep.find("search") != nullptr) part_error(file, "a search cannot be sharded, so this is no part file");
  need(file, json, "points", Json::Type::array, "the file");
  need(file, json, "runs", Json::Type::array, "the file");
  return p;
}

// The first key of two objects whose values differ, for the message.
std::string first_difference(const Json& a, const Json& b) {
  for (const auto& [k, v] : a.items()) {
    const Json* w = b.find(k);
    if (w == nullptr || w->dump(-1) != v.dump(-1)) return k;
  }
  for (const auto& [k, v] : b.items())
    if (a.find(k) == nullptr) return k;
  return {};
}

SweepHeader header_from_json(const std::string& file, const Json& sweep) {
  SweepHeader h;
  h.scenario = need(file, sweep, "scenario", Json::Type::string, "'sweep'").as_string();
  h.seed = static_cast<std::uint64_t>(need(file, sweep, "seed", Json::Type::integer, "'sweep'").as_int());
  h.replications =
      static_cast<std::uint32_t>(need(file, sweep, "replications", Json::Type::integer, "'sweep'").as_int());
  for (const auto& [path, spec] : need(file, sweep, "vary", Json::Type::object, "'sweep'").items())
    h.vary.push_back({path, spec.is_string() ? spec.as_string() : spec.dump(-1), {}});
  if (const Json* goals = sweep.find("goals"); goals != nullptr && goals->is_array())
    for (const auto& g : goals->elements()) h.goals.push_back(parse_goal(g.is_string() ? g.as_string() : ""));
  for (const char* key : {"minimize", "maximize"})
    if (const Json* o = sweep.find(key); o != nullptr && o->is_string())
      h.objective = Objective{o->as_string(), std::string_view(key) == "maximize"};
  if (h.to_json().dump(-1) != sweep.dump(-1))
    part_error(file, "not a sweep part file: its 'sweep' object is not one slsim writes");
  return h;
}

}  // namespace

Json merge_parts(const std::vector<std::pair<std::string, Json>>& files) {
  if (files.empty()) part_error("slsim merge", "no part files given");
  std::vector<Part> parts;
  for (const auto& [file, json] : files) parts.push_back(read_part(file, json));
  const Part& first = parts.front();
  const Json& sweep = *first.json->find("sweep");
  const Json& points = *first.json->find("points");
  for (const Part& p : parts) {
    const auto differ = [&](const std::string& what, const std::string& a, const std::string& b,
                            const std::string& hint = {}) {
      part_error(p.file,
                 fmt::format("does not belong with {}: {} ({} here, {} there)", first.file, what, echo(b), echo(a)),
                 hint);
    };
    if (p.version != first.version) differ("written by another slsim version", first.version, p.version);
    if (p.shard.count != first.shard.count)
      differ("split into another number of shards", shard_text(first.shard), shard_text(p.shard),
             "merge the parts of one sweep, run with the same N in --shard K/N");
    const Json& s = *p.json->find("sweep");
    if (const std::string key = first_difference(sweep, s); !key.empty()) {
      const Json* a = sweep.find(key);
      const Json* b = s.find(key);
      differ(fmt::format("its sweep has another '{}'", key), a ? a->dump(-1) : "none", b ? b->dump(-1) : "none");
    }
    if (p.hash != first.hash)
      differ("another scenario text, or other --set or --duration options; scenario fingerprints", first.hash, p.hash,
             "every shard must run the same scenario file with the same options");
    if (p.json->find("points")->dump(-1) != points.dump(-1))
      differ("its points differ", "another list", "this list");
  }
  // Every shard exactly once.
  std::map<unsigned, std::string> by_index;
  for (const Part& p : parts) {
    const auto [it, fresh] = by_index.emplace(p.shard.index, p.file);
    if (!fresh)
      part_error(p.file, fmt::format("shard {} is given twice (also as {})", shard_text(p.shard), it->second),
                 "give each part once");
  }
  for (unsigned k = 1; k <= first.shard.count; ++k)
    if (by_index.find(k) == by_index.end())
      part_error("slsim merge", fmt::format("shard {}/{} is missing ({} of {} parts given)", k, first.shard.count,
                                            parts.size(), first.shard.count),
                 "run it with --shard " + fmt::format("{}/{}", k, first.shard.count) + " and merge every part");

  const SweepHeader header = header_from_json(first.file, sweep);
  // The points and where their pairs start in grid order.
  std::vector<PointRuns> runs;
  std::vector<std::size_t> first_pair;
  std::size_t pairs = 0;
  for (const auto& pt : points.elements()) {
    PointRuns r;
    const Json& set = need(first.file, pt, "set", Json::Type::object, "a point");
    for (const auto& [path, value] : set.items()) r.set.emplace_back(path, value.is_string() ? value.as_string() : "");
    const auto reps = need(first.file, pt, "replications", Json::Type::integer, "a point").as_int();
    if (reps < 1 || reps > 1'000'000) part_error(first.file, "not a sweep part file: a point's replications are out of range");
    for (const auto& e : need(first.file, pt, "expect", Json::Type::array, "a point").elements()) {
      Expectation x;
      x.metric = need(first.file, e, "metric", Json::Type::string, "an expectation").as_string();
      x.op = need(first.file, e, "op", Json::Type::string, "an expectation").as_string();
      x.value = need(first.file, e, "value", Json::Type::number, "an expectation").as_double();
      x.upper = need(first.file, e, "upper", Json::Type::number, "an expectation").as_double();
      r.expect.push_back(std::move(x));
    }
    r.replications.resize(static_cast<std::size_t>(reps));
    first_pair.push_back(pairs);
    pairs += static_cast<std::size_t>(reps);
    runs.push_back(std::move(r));
  }
  for (const Part& p : parts) {
    for (const auto& run : p.json->find("runs")->elements()) {
      const auto point = need(p.file, run, "point", Json::Type::integer, "a run").as_int();
      const auto rep = need(p.file, run, "replication", Json::Type::integer, "a run").as_int();
      const Json& result = need(p.file, run, "result", Json::Type::object, "a run");
      const Json& figures = need(p.file, result, "run", Json::Type::object, "a run's result");
      need(p.file, figures, "events", Json::Type::number, "a run's result");
      need(p.file, figures, "wall_s", Json::Type::number, "a run's result");
      if (point < 0 || static_cast<std::size_t>(point) >= runs.size() || rep < 0 ||
          static_cast<std::size_t>(rep) >= runs[static_cast<std::size_t>(point)].replications.size())
        part_error(p.file, fmt::format("a run of point {}, replication {}, which the sweep does not have", point, rep));
      const auto pi = static_cast<std::size_t>(point), ri = static_cast<std::size_t>(rep);
      const std::size_t pair = first_pair[pi] + ri;
      if (pair % p.shard.count != p.shard.index - 1)
        part_error(p.file, fmt::format("holds point {}, replication {}, which belongs to shard {}/{}", point, rep,
                                       pair % p.shard.count + 1, p.shard.count));
      if (!runs[pi].replications[ri].is_null())
        part_error(p.file, fmt::format("holds point {}, replication {} twice", point, rep));
      runs[pi].replications[ri] = result;
    }
  }
  for (std::size_t p = 0; p < runs.size(); ++p)
    for (std::size_t r = 0; r < runs[p].replications.size(); ++r)
      if (runs[p].replications[r].is_null())
        part_error(by_index[static_cast<unsigned>((first_pair[p] + r) % first.shard.count + 1)],
                   fmt::format("has no result for point {}, replication {}: the part is incomplete", p, r),
                   "run its shard again");

  std::vector<Json> entries;
  for (auto& r : runs) {
    entries.push_back(point_entry(r));
    r.replications = {};
  }
  return assemble_sweep(header, std::move(entries));
}

}  // namespace slsim
