#include "sim/scenario/merge_keys.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace slsim {

namespace {
constexpr std::string_view kMergeKey = "<<";
}  // namespace

void resolve_merge_keys(DocNode& node, Diagnostics& diags, const std::string& path) {
  const auto child = [&](std::string_view key) { return path.empty() ? std::string(key) : path + "." + std::string(key); };
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const DocNode* name = node.items[i].is_map() ? node.items[i].find("name") : nullptr;
    resolve_merge_keys(node.items[i], diags, child(name != nullptr && name->is_scalar() ? name->scalar : std::to_string(i)));
  }
  if (!node.is_map()) return;
  for (auto& [key, value] : node.entries) resolve_merge_keys(value, diags, child(key));

  bool any = false;
  std::set<std::string, std::less<>> written;  // keys the mapping gives itself
  for (const auto& [key, value] : node.entries) {
    if (key == kMergeKey) any = true;
    else written.insert(key);
  }
  if (!any) return;

  std::vector<std::pair<std::string, DocNode>> entries;
  std::vector<SourceLoc> key_locs;
  std::set<std::string, std::less<>> merged;
  for (std::size_t i = 0; i < node.entries.size(); ++i) {
    auto& [key, value] = node.entries[i];
    const SourceLoc& key_loc = i < node.key_locs.size() ? node.key_locs[i] : node.loc;
    if (key != kMergeKey) {
      entries.emplace_back(std::move(key), std::move(value));
      key_locs.push_back(key_loc);
      continue;
    }
    std::vector<DocNode*> sources;
    if (value.is_map()) sources.push_back(&value);
    for (auto& item : value.items)
      if (item.is_map()) sources.push_back(&item);
    const std::size_t expected = value.is_map() ? 1 : value.is_seq() ? value.items.size() : 0;
    if (sources.empty() || sources.size() != expected) {
      diags.error(value.loc, child(kMergeKey), fmt::format("a merge key '<<' takes a mapping or a list of mappings (e.g. <<: *defaults), "
                                             "found {}",
                                             value.describe()));
      continue;
    }
    for (DocNode* source : sources) {
      for (std::size_t j = 0; j < source->entries.size(); ++j) {
        auto& [k, v] = source->entries[j];
        if (written.count(k) > 0 || !merged.insert(k).second) continue;
        key_locs.push_back(j < source->key_locs.size() ? source->key_locs[j] : source->loc);
        entries.emplace_back(std::move(k), std::move(v));
      }
    }
  }
  node.entries = std::move(entries);
  node.key_locs = std::move(key_locs);
}

}  // namespace slsim
