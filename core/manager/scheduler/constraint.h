// Placement constraints and preferences, as users write them in a service spec.
//
//   constraint:  "node.labels.zone == a", "node.role != manager", "engine.labels.gpu == true"
//   preference:  "spread=node.labels.zone"
//
// Constraint keys: node.id, node.hostname, node.role, node.platform.os, node.platform.arch,
// node.labels.KEY, engine.labels.KEY; operators == and !=. Values compare case-insensitively, as
// SwarmKit's do; a missing label fails == and passes !=. Parsing rejects anything else with a
// message that quotes the expression and says what is wrong. Pure functions; deterministic.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/result.h"
#include "proto/objects.pb.h"

namespace herd::manager {

struct Constraint {
  enum class Key {
    kNodeId,
    kHostname,
    kRole,
    kPlatformOs,
    kPlatformArch,
    kNodeLabel,
    kEngineLabel
  };
  enum class Op { kEqual, kNotEqual };

  Key key = Key::kNodeId;
  std::string label;  // for kNodeLabel and kEngineLabel
  Op op = Op::kEqual;
  std::string value;
  std::string text;  // the expression as written, for messages

  bool matches(const proto::Node& node) const;
};

Result<Constraint> parse_constraint(std::string_view expression);
Result<std::vector<Constraint>> parse_constraints(
    const google::protobuf::RepeatedPtrField<std::string>& expressions);

// spread=node.labels.KEY or spread=engine.labels.KEY.
struct SpreadPreference {
  bool engine_label = false;
  std::string label;
  std::string text;

  // The node's value of the label, or "" when it has none (such nodes form their own group).
  const std::string& value_of(const proto::Node& node) const;
};

Result<SpreadPreference> parse_preference(std::string_view expression);

}  // namespace herd::manager
