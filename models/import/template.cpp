#include "models/import/template.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "sim/scenario/document.hpp"

namespace slsim::cfn {

TValue::TValue() = default;
TValue::~TValue() = default;
TValue::TValue(const TValue&) = default;
TValue::TValue(TValue&&) noexcept = default;
TValue& TValue::operator=(const TValue&) = default;
TValue& TValue::operator=(TValue&&) noexcept = default;

const TValue* TValue::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

std::string TValue::describe() const {
  switch (kind) {
    case Kind::null:
      return "nothing";
    case Kind::scalar:
      return fmt::format("'{}'", echo(text));
    case Kind::map:
      return "a mapping";
    case Kind::seq:
      return "a list";
    case Kind::ref:
      return fmt::format("a reference to '{}'", text);
    case Kind::unknown:
      return fmt::format("'{}' ({})", echo(text), why);
  }
  return "?";
}

const Resource* Template::find(std::string_view id) const {
  for (const auto& r : resources)
    if (r.id == id) return &r;
  return nullptr;
}

namespace {

const std::vector<std::string>& function_names() {
  static const std::vector<std::string> names = {
      "Ref",  "GetAtt", "Sub",    "Join", "If",  "Select", "FindInMap", "ImportValue", "Split",        "Base64",
      "Cidr", "GetAZs", "Equals", "Not",  "And", "Or",     "Condition", "Length",      "ToJsonString", "Transform"};
  return names;
}

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = {"AWSTemplateFormatVersion",
                                                "Description",
                                                "Metadata",
                                                "Parameters",
                                                "Rules",
                                                "Mappings",
                                                "Conditions",
                                                "Transform",
                                                "Globals",
                                                "Resources",
                                                "Outputs"};
  return keys;
}

const std::vector<std::string>& resource_keys() {
  static const std::vector<std::string> keys = {
      "Type",           "Properties",          "Condition",    "DependsOn",      "Metadata",
      "DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy", "CreationPolicy", "Version"};
  return keys;
}

// Pseudo parameters: the region is the one slsim prices; the rest only a deployment knows.
std::optional<std::string> pseudo_value(std::string_view name) {
  if (name == "AWS::Region") return "us-east-1";
  if (name == "AWS::Partition") return "aws";
  if (name == "AWS::URLSuffix") return "amazonaws.com";
  return std::nullopt;
}
bool is_pseudo(std::string_view name) {
  return name == "AWS::Region" || name == "AWS::Partition" || name == "AWS::URLSuffix" || name == "AWS::AccountId" ||
         name == "AWS::StackName" || name == "AWS::StackId" || name == "AWS::NotificationARNs" ||
         name == "AWS::NoValue";
}

bool is_novalue(const TValue& v) { return v.kind == TValue::Kind::null && v.why == "AWS::NoValue"; }

std::string join_path(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// An intrinsic function call found at a node: its name without `!` or `Fn::`,
// the argument, and how it was written (for messages).
struct Call {
  std::string name;
  const DocNode* arg = nullptr;
  bool short_form = false;
  std::string written() const {
    if (short_form) return "!" + name;
    return name == "Ref" || name == "Condition" ? name : "Fn::" + name;
  }
};

class Evaluator {
 public:
  Evaluator(const DocNode& root, Template& t, Diagnostics& diags) : t_(t), diags_(diags) {
    if (const DocNode* p = root.find("Parameters"); p != nullptr && p->is_map())
      for (const auto& [name, decl] : p->entries) parameters_.emplace(name, &decl);
    if (const DocNode* m = root.find("Mappings"); m != nullptr && m->is_map()) mappings_ = m;
    if (const DocNode* c = root.find("Conditions"); c != nullptr && c->is_map())
      for (const auto& [name, body] : c->entries) conditions_.emplace(name, &body);
    if (const DocNode* r = root.find("Resources"); r != nullptr && r->is_map())
      for (const auto& [id, res] : r->entries) {
        resources_.insert(id);
        const DocNode* type = res.is_map() ? res.find("Type") : nullptr;
        if (type != nullptr && type->is_scalar() && type->scalar.starts_with("AWS::Serverless::"))
          serverless_.push_back(id);
      }
  }

  // The value of a node, its intrinsic functions evaluated.
  TValue eval(const DocNode& n, const std::string& path) {
    if (!n.tag.empty()) {
      DocNode untagged = n;  // the argument: the node as written after its tag
      untagged.tag.clear();
      return call({n.tag.substr(1), &untagged, true}, n, path);
    }
    if (n.is_map() && n.entries.size() == 1) {
      const std::string& key = n.entries[0].first;
      if (key == "Ref" || key.starts_with("Fn::"))
        return call({key == "Ref" ? key : key.substr(4), &n.entries[0].second, false}, n, path);
    }
    return plain(n, path);
  }

  // A condition's truth with the parameters' defaults; nullopt when they do not decide it.
  std::optional<bool> condition(const std::string& name, const SourceLoc& loc, const std::string& path) {
    if (const auto known = decided_.find(name); known != decided_.end()) return known->second;
    const auto it = conditions_.find(name);
    if (it == conditions_.end()) {
      std::vector<std::string> names;
      for (const auto& [n, body] : conditions_) names.push_back(n);
      diags_.error(loc, path, fmt::format("no condition '{}' under Conditions", echo(name)), did_you_mean(name, names));
      return std::nullopt;
    }
    if (!deciding_.insert(name).second) {
      diags_.error(it->second->loc, "Conditions." + name, "the condition depends on itself");
      return std::nullopt;
    }
    const std::optional<bool> value = decide(*it->second, "Conditions." + name);
    deciding_.erase(name);
    decided_[name] = value;
    if (!value)
      t_.assumptions.push_back(
          fmt::format("the condition '{}' depends on values only a deployment gives: it was taken as true", name));
    return value;
  }

  void check_conditions() {
    for (const auto& [name, body] : conditions_) condition(name, body->loc, "Conditions." + name);
  }

 private:
  TValue plain(const DocNode& n, const std::string& path) {
    TValue v;
    v.loc = n.loc;
    v.path = path;
    switch (n.kind) {
      case DocNode::Kind::null:
        v.kind = TValue::Kind::null;
        break;
      case DocNode::Kind::scalar:
        v.kind = TValue::Kind::scalar;
        v.text = n.scalar;
        break;
      case DocNode::Kind::map:
        v.kind = TValue::Kind::map;
        for (std::size_t i = 0; i < n.entries.size(); ++i) {
          TValue item = eval(n.entries[i].second, join_path(path, n.entries[i].first));
          if (is_novalue(item)) continue;
          v.entries.emplace_back(n.entries[i].first, std::move(item));
        }
        break;
      case DocNode::Kind::seq:
        v.kind = TValue::Kind::seq;
        for (std::size_t i = 0; i < n.items.size(); ++i) {
          TValue item = eval(n.items[i], join_path(path, std::to_string(i)));
          if (!is_novalue(item)) v.items.push_back(std::move(item));
        }
        break;
    }
    return v;
  }

  TValue unknown(const SourceLoc& loc, const std::string& path, std::string text, std::string why) {
    TValue v;
    v.kind = TValue::Kind::unknown;
    v.loc = loc;
    v.path = path;
    v.text = std::move(text);
    v.why = std::move(why);
    return v;
  }

  TValue error(const SourceLoc& loc, const std::string& path, std::string message, std::string hint = {}) {
    diags_.error(loc, path, std::move(message), std::move(hint));
    return unknown(loc, path, "?", "an error");
  }

  // The argument of a call as written (the node without its tag for the short form).
  TValue argument(const Call& c, const std::string& path) { return eval(*c.arg, path); }

  // A list argument of `count` items (at least `count` when `at_least`).
  const std::vector<DocNode>* list_argument(const Call& c, const std::string& path, std::size_t count,
                                            const char* shape, bool at_least = false) {
    if (c.arg->is_seq() && (c.arg->items.size() == count || (at_least && c.arg->items.size() >= count)))
      return &c.arg->items;
    diags_.error(c.arg->loc, path, fmt::format("{} expects {}, found {}", c.written(), shape, c.arg->describe()));
    return nullptr;
  }

  std::optional<std::string> literal(const Call& c, const DocNode& a, const std::string& path, const char* what) {
    if (a.is_scalar() && a.tag.empty() && !a.scalar.empty()) return a.scalar;
    diags_.error(a.loc, path, fmt::format("{} expects {}, found {}", c.written(), what, a.describe()));
    return std::nullopt;
  }

  TValue call(const Call& c, const DocNode& at, const std::string& path) {
    const SourceLoc& loc = at.loc;
    const auto& names = function_names();
    if (std::find(names.begin(), names.end(), c.name) == names.end()) {
      std::vector<std::string> spelled;
      for (const auto& n : names) spelled.push_back(c.short_form ? "!" + n : (n == "Ref" ? n : "Fn::" + n));
      const std::string hint = did_you_mean(c.written(), spelled);
      return error(loc, path, fmt::format("unknown intrinsic function '{}'", c.written()),
                   hint.empty() ? "CloudFormation's functions: " + quoted_list(spelled) : hint);
    }
    if (c.name == "Ref") {
      const auto name = literal(c, *c.arg, path, "the name of a resource or parameter");
      return name ? reference(*name, "", c, loc, path) : unknown(loc, path, "?", "an error");
    }
    if (c.name == "GetAtt") return get_att(c, loc, path);
    if (c.name == "Sub") return sub(c, loc, path);
    if (c.name == "Join") return join(c, loc, path);
    if (c.name == "Select") return select(c, loc, path);
    if (c.name == "Split") return split(c, loc, path);
    if (c.name == "FindInMap") return find_in_map(c, loc, path);
    if (c.name == "If") {
      const auto* args = list_argument(c, path, 3, "[condition, value if true, value if false]");
      if (args == nullptr) return unknown(loc, path, "?", "an error");
      const auto cond = literal(c, (*args)[0], path, "a condition name first");
      if (!cond) return unknown(loc, path, "?", "an error");
      const std::optional<bool> truth = condition(*cond, (*args)[0].loc, path);
      // Both branches are checked for references; the decided one is kept.
      TValue yes = eval((*args)[1], path), no = eval((*args)[2], path);
      return truth.value_or(true) ? yes : no;
    }
    if (c.name == "Equals" || c.name == "Not" || c.name == "And" || c.name == "Or" || c.name == "Condition") {
      const std::optional<bool> truth = decide(at, path);
      if (!truth) return unknown(loc, path, "${" + c.written() + "}", "a condition only a deployment decides");
      TValue v;
      v.kind = TValue::Kind::scalar;
      v.text = *truth ? "true" : "false";
      v.loc = loc;
      v.path = path;
      return v;
    }
    // Functions whose value only a deployment knows; their arguments are still checked.
    TValue arg = argument(c, path);
    if (c.name == "ImportValue")
      return unknown(loc, path, "${" + c.written() + "}",
                     fmt::format("an output of another stack ({} {})", c.written(),
                                 arg.is_scalar() ? arg.text : std::string("...")));
    TValue v = unknown(loc, path, "${" + c.written() + "}", fmt::format("{} is not evaluated", c.written()));
    v.mentions = arg.mentions;
    return v;
  }

  // !Ref NAME (and `${NAME}` in !Sub) with `attribute` "", or !GetAtt NAME.ATTRIBUTE.
  TValue reference(const std::string& name, const std::string& attribute, const Call& c, const SourceLoc& loc,
                   const std::string& path) {
    const std::string shown = attribute.empty() ? name : name + "." + attribute;
    if (attribute.empty() && is_pseudo(name)) {
      if (name == "AWS::NoValue") {
        TValue v;
        v.why = "AWS::NoValue";
        return v;
      }
      if (const auto value = pseudo_value(name)) {
        TValue v;
        v.kind = TValue::Kind::scalar;
        v.text = *value;
        v.loc = loc;
        v.path = path;
        return v;
      }
      return unknown(loc, path, "${" + name + "}", fmt::format("{} is known only when the stack is deployed", name));
    }
    if (const auto p = parameters_.find(name); p != parameters_.end() && attribute.empty())
      return parameter(name, *p->second, loc, path);
    if (parameters_.contains(name))
      return error(loc, path, fmt::format("{} needs a resource, and '{}' is a parameter", c.written(), echo(name)));
    std::string id = name, attr = attribute;
    // SAM's own references: `MyFunction.Alias`, `MyApi.Stage`.
    if (!resources_.contains(id) && t_.sam && attr.empty() && id.find('.') != std::string::npos) {
      attr = id.substr(id.find('.') + 1);
      id = id.substr(0, id.find('.'));
    }
    if (resources_.contains(id) || generated_by_sam(id)) {
      TValue v;
      v.kind = TValue::Kind::ref;
      v.text = id;
      v.attribute = attr;
      v.mentions = {id};
      v.loc = loc;
      v.path = path;
      return v;
    }
    std::vector<std::string> candidates(resources_.begin(), resources_.end());
    if (attribute.empty())
      for (const auto& [p, decl] : parameters_) candidates.push_back(p);
    return error(loc, path,
                 fmt::format("{} refers to '{}', which is not a {} of the template", c.written(), echo(shown),
                             attribute.empty() ? "resource or parameter" : "resource"),
                 did_you_mean(id, candidates));
  }

  // Names SAM generates from the resources it transforms (MyFunctionRole,
  // ServerlessRestApi, MyApiProdStage...): a template may refer to them.
  bool generated_by_sam(const std::string& id) const {
    if (!t_.sam) return false;
    if (id.starts_with("ServerlessRestApi") || id.starts_with("ServerlessHttpApi")) return true;
    return std::any_of(serverless_.begin(), serverless_.end(),
                       [&](const std::string& s) { return id.size() > s.size() && id.starts_with(s); });
  }

  TValue parameter(const std::string& name, const DocNode& decl, const SourceLoc& loc, const std::string& path) {
    const DocNode* def = decl.is_map() ? decl.find("Default") : nullptr;
    if (def == nullptr || def->is_null())
      return unknown(loc, path, "${" + name + "}", fmt::format("the parameter '{}' has no Default", name));
    const DocNode* type = decl.find("Type");
    const bool list = type != nullptr && type->is_scalar() &&
                      (type->scalar == "CommaDelimitedList" || type->scalar.starts_with("List<"));
    TValue v = literal_value(*def, path, fmt::format("the Default of the parameter '{}'", name));
    if (list && v.is_scalar()) {
      TValue items;
      items.kind = TValue::Kind::seq;
      items.loc = v.loc;
      items.path = path;
      std::size_t start = 0;
      while (start <= v.text.size()) {
        const auto comma = v.text.find(',', start);
        TValue item = v;
        item.text = v.text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        item.text.erase(0, item.text.find_first_not_of(' '));
        item.text.erase(item.text.find_last_not_of(' ') + 1);
        items.items.push_back(std::move(item));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return items;
    }
    return v;
  }

  // A parameter's Default or a mapping's value: CloudFormation takes them as written (a text, a
  // number, a list of them), so no function is evaluated in them (nor can one refer back).
  TValue literal_value(const DocNode& n, const std::string& path, const std::string& what) {
    TValue v;
    v.loc = n.loc;
    v.path = path;
    if (n.tag.empty() && n.is_scalar()) {
      v.kind = TValue::Kind::scalar;
      v.text = n.scalar;
      return v;
    }
    if (n.tag.empty() && n.is_seq() &&
        std::all_of(n.items.begin(), n.items.end(), [](const DocNode& i) { return i.tag.empty() && i.is_scalar(); })) {
      v.kind = TValue::Kind::seq;
      for (std::size_t i = 0; i < n.items.size(); ++i) v.items.push_back(literal_value(n.items[i], path, what));
      return v;
    }
    return unknown(n.loc, path, "?", what + " is not a plain value (a text, a number or a list of them)");
  }

  TValue get_att(const Call& c, const SourceLoc& loc, const std::string& path) {
    if (c.arg->is_scalar() && c.arg->tag.empty()) {
      const std::string& s = c.arg->scalar;
      const auto dot = s.find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == s.size())
        return error(c.arg->loc, path,
                     fmt::format("{} expects RESOURCE.ATTRIBUTE (e.g. MyQueue.Arn), found '{}'", c.written(), echo(s)));
      return reference(s.substr(0, dot), s.substr(dot + 1), c, loc, path);
    }
    const auto* args = list_argument(c, path, 2, "RESOURCE.ATTRIBUTE or [RESOURCE, ATTRIBUTE]");
    if (args == nullptr) return unknown(loc, path, "?", "an error");
    const auto id = literal(c, (*args)[0], path, "a resource name first");
    const TValue attr = eval((*args)[1], path);
    if (!id) return unknown(loc, path, "?", "an error");
    if (!attr.is_scalar()) return unknown(loc, path, "${" + *id + ".?}", "the attribute is not known");
    return reference(*id, attr.text, c, loc, path);
  }

  // How a value reads inside a !Sub or !Join text; the resources it names go to `mentions`.
  std::optional<std::string> as_text(const TValue& v, std::vector<std::string>& mentions, bool& known) {
    switch (v.kind) {
      case TValue::Kind::scalar:
        mentions.insert(mentions.end(), v.mentions.begin(), v.mentions.end());
        return v.text;
      case TValue::Kind::ref:
        mentions.push_back(v.text);
        return "${" + (v.attribute.empty() ? v.text : v.text + "." + v.attribute) + "}";
      case TValue::Kind::unknown:
        known = false;
        mentions.insert(mentions.end(), v.mentions.begin(), v.mentions.end());
        return v.text;
      case TValue::Kind::null:
        return std::string{};
      default:
        return std::nullopt;
    }
  }

  TValue text_value(std::string text, std::vector<std::string> mentions, bool known, std::string why,
                    const SourceLoc& loc, const std::string& path) {
    TValue v;
    v.kind = known ? TValue::Kind::scalar : TValue::Kind::unknown;
    v.text = std::move(text);
    v.why = std::move(why);
    v.mentions = std::move(mentions);
    v.loc = loc;
    v.path = path;
    return v;
  }

  TValue sub(const Call& c, const SourceLoc& loc, const std::string& path) {
    const DocNode* format = c.arg;
    std::map<std::string, TValue> variables;
    if (c.arg->is_seq()) {
      const auto* args = list_argument(c, path, 2, "a text or [text, {variables}]");
      if (args == nullptr) return unknown(loc, path, "?", "an error");
      format = &(*args)[0];
      if (!(*args)[1].is_map())
        return error(
            (*args)[1].loc, path,
            fmt::format("{} expects its variables as a mapping, found {}", c.written(), (*args)[1].describe()));
      for (const auto& [k, node] : (*args)[1].entries) variables[k] = eval(node, path);
    }
    const auto text = literal(c, *format, path, "a text");
    if (!text) return unknown(loc, path, "?", "an error");
    std::string out, why;
    std::vector<std::string> mentions;
    bool known = true;
    for (std::size_t i = 0; i < text->size();) {
      if (text->compare(i, 3, "${!") == 0) {
        out += "${";
        i += 3;
        continue;
      }
      if (text->compare(i, 2, "${") != 0) {
        out += (*text)[i++];
        continue;
      }
      const auto close = text->find('}', i);
      if (close == std::string::npos)
        return error(format->loc, path,
                     fmt::format("{}: '${{' without its closing '}}' in '{}'", c.written(), echo(*text)));
      const std::string name = text->substr(i + 2, close - i - 2);
      i = close + 1;
      TValue part;
      if (const auto var = variables.find(name); var != variables.end())
        part = var->second;
      else if (is_pseudo(name) || parameters_.contains(name) || name.find('.') == std::string::npos)
        part = reference(name, "", c, loc, path);
      else
        part = reference(name.substr(0, name.find('.')), name.substr(name.find('.') + 1), c, loc, path);
      const auto piece = as_text(part, mentions, known);
      if (!piece)
        return error(loc, path, fmt::format("{}: '${{{}}}' is {}, not a text", c.written(), name, part.describe()));
      if (part.kind == TValue::Kind::unknown && why.empty()) why = part.why;
      out += *piece;
    }
    return text_value(std::move(out), std::move(mentions), known, std::move(why), loc, path);
  }

  TValue join(const Call& c, const SourceLoc& loc, const std::string& path) {
    const auto* args = list_argument(c, path, 2, "[separator, [values...]]");
    if (args == nullptr) return unknown(loc, path, "?", "an error");
    const TValue sep = eval((*args)[0], path);
    const TValue list = eval((*args)[1], path);
    if (list.kind == TValue::Kind::unknown) return list;
    if (!sep.is_scalar() && !sep.is_null())
      return error((*args)[0].loc, path,
                   fmt::format("{} expects a text separator, found {}", c.written(), sep.describe()));
    if (!list.is_seq())
      return error((*args)[1].loc, path,
                   fmt::format("{} expects a list of values, found {}", c.written(), list.describe()));
    std::string out, why;
    std::vector<std::string> mentions;
    bool known = true;
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const auto piece = as_text(list.items[i], mentions, known);
      if (!piece)
        return error(list.items[i].loc, path,
                     fmt::format("{} joins texts, found {}", c.written(), list.items[i].describe()));
      if (list.items[i].kind == TValue::Kind::unknown && why.empty()) why = list.items[i].why;
      if (i > 0) out += sep.text;
      out += *piece;
    }
    return text_value(std::move(out), std::move(mentions), known, std::move(why), loc, path);
  }

  TValue select(const Call& c, const SourceLoc& loc, const std::string& path) {
    const auto* args = list_argument(c, path, 2, "[index, [values...]]");
    if (args == nullptr) return unknown(loc, path, "?", "an error");
    const TValue index = eval((*args)[0], path);
    TValue list = eval((*args)[1], path);
    if (index.kind == TValue::Kind::unknown) return index;
    if (list.kind == TValue::Kind::unknown) return list;
    const auto i = index.is_scalar() ? parse_plain_index(index.text) : std::nullopt;
    if (!i)
      return error((*args)[0].loc, path,
                   fmt::format("{} expects a whole index from 0, found {}", c.written(), index.describe()));
    if (!list.is_seq())
      return error((*args)[1].loc, path, fmt::format("{} expects a list, found {}", c.written(), list.describe()));
    if (*i >= list.items.size())
      return error((*args)[0].loc, path,
                   fmt::format("{}: index {} is past the end of a list of {}", c.written(), *i, list.items.size()));
    return list.items[*i];
  }

  static std::optional<std::size_t> parse_plain_index(const std::string& s) {
    if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return std::nullopt;
    return static_cast<std::size_t>(std::stoul(s));
  }

  TValue split(const Call& c, const SourceLoc& loc, const std::string& path) {
    const auto* args = list_argument(c, path, 2, "[separator, text]");
    if (args == nullptr) return unknown(loc, path, "?", "an error");
    const TValue sep = eval((*args)[0], path);
    const TValue text = eval((*args)[1], path);
    if (text.kind == TValue::Kind::unknown) return text;
    if (!sep.is_scalar() || sep.text.empty() || !text.is_scalar())
      return error(loc, path, fmt::format("{} expects a separator and a text", c.written()));
    TValue v;
    v.kind = TValue::Kind::seq;
    v.loc = loc;
    v.path = path;
    std::size_t start = 0;
    while (true) {
      const auto at = text.text.find(sep.text, start);
      TValue item = text;
      item.text = text.text.substr(start, at == std::string::npos ? std::string::npos : at - start);
      v.items.push_back(std::move(item));
      if (at == std::string::npos) break;
      start = at + sep.text.size();
    }
    return v;
  }

  TValue find_in_map(const Call& c, const SourceLoc& loc, const std::string& path) {
    const auto* args = list_argument(c, path, 3, "[mapping, top-level key, second-level key]", true);
    if (args == nullptr) return unknown(loc, path, "?", "an error");
    std::vector<TValue> keys;
    for (std::size_t i = 0; i < 3; ++i) keys.push_back(eval((*args)[i], path));
    for (const auto& k : keys)
      if (k.kind == TValue::Kind::unknown) return unknown(loc, path, "${" + c.written() + "}", k.why);
    for (std::size_t i = 0; i < 3; ++i)
      if (!keys[i].is_scalar())
        return error((*args)[i].loc, path,
                     fmt::format("{} expects text keys, found {}", c.written(), keys[i].describe()));
    const DocNode* fallback = nullptr;
    if (args->size() > 3 && (*args)[3].is_map()) fallback = (*args)[3].find("DefaultValue");
    const DocNode* level = mappings_;
    std::string where = "Mappings";
    for (std::size_t i = 0; i < 3; ++i) {
      const DocNode* next = level != nullptr && level->is_map() ? level->find(keys[i].text) : nullptr;
      if (next == nullptr) {
        if (fallback != nullptr) return eval(*fallback, path);
        std::vector<std::string> names;
        if (level != nullptr && level->is_map())
          for (const auto& [k, v] : level->entries) names.push_back(k);
        return error((*args)[i].loc, path,
                     fmt::format("{}: {} has no key '{}'", c.written(), where, echo(keys[i].text)),
                     did_you_mean(keys[i].text, names));
      }
      where += "." + keys[i].text;
      level = next;
    }
    return literal_value(*level, path, where);
  }

  // A condition function's truth; nullopt when the template alone does not decide it.
  std::optional<bool> decide(const DocNode& n, const std::string& path) {
    Call c;
    DocNode untagged;
    if (!n.tag.empty()) {
      untagged = n;
      untagged.tag.clear();
      c = {n.tag.substr(1), &untagged, true};
    } else if (n.is_map() && n.entries.size() == 1 &&
               (n.entries[0].first == "Condition" || n.entries[0].first.starts_with("Fn::"))) {
      const std::string& key = n.entries[0].first;
      c = {key == "Condition" ? key : key.substr(4), &n.entries[0].second, false};
    } else if (n.is_scalar() && (n.scalar == "true" || n.scalar == "false")) {
      return n.scalar == "true";
    } else {
      diags_.error(
          n.loc, path,
          fmt::format("expected a condition (!Equals, !Not, !And, !Or or !Condition), found {}", n.describe()));
      return std::nullopt;
    }
    if (c.name == "Condition") {
      const auto name = literal(c, *c.arg, path, "a condition name");
      return name ? condition(*name, c.arg->loc, path) : std::nullopt;
    }
    if (c.name == "Equals") {
      const auto* args = list_argument(c, path, 2, "[value, value]");
      if (args == nullptr) return std::nullopt;
      const TValue a = eval((*args)[0], path), b = eval((*args)[1], path);
      if (!a.is_scalar() || !b.is_scalar()) return std::nullopt;
      return a.text == b.text;
    }
    if (c.name == "Not") {
      const auto* args = list_argument(c, path, 1, "[condition]");
      if (args == nullptr) return std::nullopt;
      const auto v = decide((*args)[0], path);
      return v ? std::optional<bool>(!*v) : std::nullopt;
    }
    if (c.name == "And" || c.name == "Or") {
      const auto* args = list_argument(c, path, 2, "a list of at least two conditions", true);
      if (args == nullptr) return std::nullopt;
      bool any_unknown = false;
      for (const auto& item : *args) {
        const auto v = decide(item, path);
        if (!v)
          any_unknown = true;
        else if (*v == (c.name == "Or"))
          return c.name == "Or";
      }
      return any_unknown ? std::nullopt : std::optional<bool>(c.name == "And");
    }
    diags_.error(n.loc, path,
                 fmt::format("expected a condition (!Equals, !Not, !And, !Or or !Condition), found {}", c.written()));
    return std::nullopt;
  }

  Template& t_;
  Diagnostics& diags_;
  std::map<std::string, const DocNode*> parameters_;
  std::map<std::string, const DocNode*> conditions_;
  std::map<std::string, std::optional<bool>> decided_;
  std::set<std::string> deciding_;
  std::set<std::string> resources_;
  std::vector<std::string> serverless_;  // ids of AWS::Serverless::* resources
  const DocNode* mappings_ = nullptr;
};

bool names_sam_transform(const DocNode* transform) {
  if (transform == nullptr) return false;
  if (transform->is_scalar()) return transform->scalar.starts_with("AWS::Serverless");
  if (transform->is_seq())
    return std::any_of(transform->items.begin(), transform->items.end(),
                       [](const DocNode& t) { return t.is_scalar() && t.scalar.starts_with("AWS::Serverless"); });
  return false;
}

}  // namespace

Template read_template(const std::string& text, const std::string& origin) {
  Diagnostics diags;
  const DocNode root = parse_yaml(text, origin, diags);
  if (diags.has_errors()) throw InputError(diags);
  Template t;
  t.origin = origin;
  SourceLoc top;
  top.origin = std::make_shared<const std::string>(origin);
  top.line = root.loc.line > 0 ? root.loc.line : 1;
  top.column = root.loc.column > 0 ? root.loc.column : 1;
  const DocNode* resources = root.is_map() ? root.find("Resources") : nullptr;
  if (resources == nullptr) {
    std::string hint = "a template has a 'Resources' mapping: the AWS resources it creates";
    if (root.is_map() && root.find("services") != nullptr && root.find("workloads") != nullptr)
      hint = "this looks like an slsim scenario already: run it with 'slsim run'";
    else if (root.is_map())
      for (const auto& [key, value] : root.entries)
        if (const std::string close = did_you_mean(key, {"Resources"}); !close.empty()) hint = close;
    diags.error(top, "",
                fmt::format("expected an AWS CloudFormation or SAM template (a mapping with 'Resources'), found {}",
                            root.is_map() ? "a mapping without 'Resources'" : root.describe()),
                hint);
    throw InputError(diags);
  }
  for (std::size_t i = 0; i < root.entries.size(); ++i) {
    const std::string& key = root.entries[i].first;
    const auto& keys = top_level_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      diags.error(root.key_locs[i], key, fmt::format("unknown top-level key '{}' in a template", echo(key)),
                  did_you_mean(key, keys));
  }
  if (!resources->is_map() || resources->entries.empty()) {
    diags.error(resources->loc, "Resources",
                fmt::format("expected a mapping of resources by logical id, found {}",
                            resources->is_map() ? "an empty mapping" : resources->describe()));
    throw InputError(diags);
  }
  t.sam = names_sam_transform(root.find("Transform"));
  if (const DocNode* d = root.find("Description"); d != nullptr && d->is_scalar()) t.description = d->scalar;

  Evaluator ev(root, t, diags);
  ev.check_conditions();
  if (const DocNode* g = root.find("Globals"); g != nullptr) t.globals = ev.eval(*g, "Globals");
  for (std::size_t i = 0; i < resources->entries.size(); ++i) {
    const auto& [id, node] = resources->entries[i];
    Resource r;
    r.id = id;
    r.loc = resources->key_locs[i];
    r.path = "Resources." + id;
    for (std::size_t k = 0; k < node.entries.size(); ++k) {
      const std::string& key = node.entries[k].first;
      const auto& keys = resource_keys();
      if (std::find(keys.begin(), keys.end(), key) == keys.end())
        diags.error(node.key_locs[k], r.path + "." + key, fmt::format("unknown key '{}' in a resource", echo(key)),
                    did_you_mean(key, keys));
    }
    const DocNode* type = node.is_map() ? node.find("Type") : nullptr;
    if (type == nullptr || !type->is_scalar() || type->scalar.empty()) {
      diags.error(type != nullptr ? type->loc : node.loc, r.path + (type != nullptr ? ".Type" : ""),
                  type == nullptr
                      ? fmt::format("a resource needs a 'Type' (e.g. AWS::SQS::Queue), found {}",
                                    node.is_map() ? "none" : node.describe())
                      : fmt::format("expected a resource type such as AWS::SQS::Queue, found {}", type->describe()));
      continue;
    }
    r.type = type->scalar;
    if (const DocNode* props = node.find("Properties")) {
      r.properties = ev.eval(*props, r.path + ".Properties");
      if (!r.properties.is_map() && !r.properties.is_null())
        diags.error(props->loc, r.path + ".Properties",
                    fmt::format("expected a mapping of properties, found {}", r.properties.describe()));
    }
    if (!r.properties.is_map()) {
      r.properties = TValue{};
      r.properties.kind = TValue::Kind::map;
      r.properties.loc = r.loc;
      r.properties.path = r.path + ".Properties";
    }
    if (const DocNode* cond = node.find("Condition")) {
      if (!cond->is_scalar()) {
        diags.error(cond->loc, r.path + ".Condition",
                    fmt::format("expected a condition name, found {}", cond->describe()));
      } else {
        r.condition = cond->scalar;
        r.created = ev.condition(cond->scalar, cond->loc, r.path + ".Condition").value_or(true);
      }
    }
    t.resources.push_back(std::move(r));
  }
  // Outputs are not imported, but a dangling reference in them is still a broken template.
  if (const DocNode* outputs = root.find("Outputs")) (void)ev.eval(*outputs, "Outputs");
  if (diags.has_errors()) throw InputError(diags);
  return t;
}

}  // namespace slsim::cfn
