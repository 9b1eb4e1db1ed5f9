#pragma once
// An AWS CloudFormation or SAM template as `slsim import` reads it: the YAML
// tree (through the scenario reader, which keeps the short-form tags such as
// `!Ref` on the nodes) with its intrinsic functions evaluated as far as the
// template alone allows: parameters take their Default, conditions are decided
// from those defaults, mappings are looked up, `!Sub` and `!Join` build text.
// What only a deployment knows (an account id, another stack's output) stays
// `unknown`, with the reason; a reference to a resource stays a `ref`.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/scenario/diagnostics.hpp"

namespace slsim::cfn {

// A template value after evaluation.
struct TValue {
  // Declared here and defaulted in template.cpp: TValue holds vectors of
  // itself, which clang 14 with libstdc++ 12 only accepts this way.
  TValue();
  ~TValue();
  TValue(const TValue&);
  TValue(TValue&&) noexcept;
  TValue& operator=(const TValue&);
  TValue& operator=(TValue&&) noexcept;

  enum class Kind { null, scalar, map, seq, ref, unknown };
  Kind kind = Kind::null;
  // scalar: its text. ref: the logical id. unknown: how it reads in text
  // (`${AWS::AccountId}`), for a !Sub or !Join that contains it.
  std::string text;
  std::string attribute;                                // ref: the !GetAtt attribute, "" for !Ref
  std::string why;                                      // unknown: why the value is not known
  std::vector<std::pair<std::string, TValue>> entries;  // map, in template order
  std::vector<TValue> items;                            // seq
  // The resources a value names: a ref's own id, the resources a !Sub or
  // !Join text was built from (written `${Id}` or `${Id.Attribute}` in it).
  std::vector<std::string> mentions;
  SourceLoc loc;
  std::string path;  // Resources.Fn.Properties.MemorySize

  bool is_map() const { return kind == Kind::map; }
  bool is_seq() const { return kind == Kind::seq; }
  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_null() const { return kind == Kind::null; }
  const TValue* find(std::string_view key) const;
  // "'text'", "a reference to X", "a mapping"...: what a message says it found.
  std::string describe() const;
};

struct Resource {
  std::string id;     // the logical id
  std::string type;   // AWS::Serverless::Function
  TValue properties;  // a map (empty when the template gives none)
  SourceLoc loc;      // of its key under Resources
  std::string path;   // Resources.ID
  // False when its Condition is false with the parameters' defaults.
  bool created = true;
  std::string condition;
};

struct Template {
  std::string origin;
  std::string description;
  bool sam = false;                 // the Transform names AWS::Serverless-2016-10-31
  std::vector<Resource> resources;  // in template order
  TValue globals;                   // SAM's Globals (a map, or null)
  // What the evaluation assumed, for people: a condition it could not decide...
  std::vector<std::string> assumptions;
  const Resource* find(std::string_view id) const;
};

// Reads and evaluates a template. Throws InputError (file:line:column, the key
// path) when the text is not YAML, not a template, or refers to a resource,
// parameter, condition or mapping that the template does not have.
Template read_template(const std::string& text, const std::string& origin);

}  // namespace slsim::cfn
