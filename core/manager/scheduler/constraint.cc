#include "core/manager/scheduler/constraint.h"

#include <cctype>

namespace herd::manager {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool is_label_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '/';
}

bool is_value_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == ':' || c == '/' || c == '*' || c == ' ' || c == '@' || c == '+';
}

Status invalid(std::string_view expression, std::string_view problem) {
  return Status::invalid_argument("constraint '" + std::string(expression) +
                                  "': " + std::string(problem));
}

const std::string& empty_string() {
  static const std::string kEmpty;
  return kEmpty;
}

const std::string& lookup(const google::protobuf::Map<std::string, std::string>& labels,
                          const std::string& key) {
  const auto it = labels.find(key);
  return it == labels.end() ? empty_string() : it->second;
}

}  // namespace

Result<Constraint> parse_constraint(std::string_view expression) {
  Constraint constraint;
  constraint.text = std::string(trim(expression));
  const std::size_t equal = expression.find("==");
  const std::size_t not_equal = expression.find("!=");
  std::size_t op_pos = std::string_view::npos;
  if (equal != std::string_view::npos &&
      (not_equal == std::string_view::npos || equal < not_equal)) {
    op_pos = equal;
    constraint.op = Constraint::Op::kEqual;
  } else if (not_equal != std::string_view::npos) {
    op_pos = not_equal;
    constraint.op = Constraint::Op::kNotEqual;
  }
  if (op_pos == std::string_view::npos) {
    return invalid(expression, "expected an operator == or !=");
  }
  const std::string_view key = trim(expression.substr(0, op_pos));
  const std::string_view value = trim(expression.substr(op_pos + 2));
  if (key.empty()) return invalid(expression, "missing key before the operator");
  if (value.empty()) return invalid(expression, "missing value after the operator");
  for (char c : value) {
    if (!is_value_char(c)) {
      return invalid(expression, "invalid character '" + std::string(1, c) + "' in value '" +
                                     std::string(value) + "'");
    }
  }
  constraint.value = std::string(value);

  constexpr std::string_view kNodeLabels = "node.labels.";
  constexpr std::string_view kEngineLabels = "engine.labels.";
  if (key == "node.id") {
    constraint.key = Constraint::Key::kNodeId;
  } else if (key == "node.hostname") {
    constraint.key = Constraint::Key::kHostname;
  } else if (key == "node.role") {
    constraint.key = Constraint::Key::kRole;
    if (!equal_ignoring_case(value, "manager") && !equal_ignoring_case(value, "worker")) {
      return invalid(expression,
                     "node.role must be manager or worker, not '" + std::string(value) + "'");
    }
  } else if (key == "node.platform.os") {
    constraint.key = Constraint::Key::kPlatformOs;
  } else if (key == "node.platform.arch") {
    constraint.key = Constraint::Key::kPlatformArch;
  } else if (key.starts_with(kNodeLabels) || key.starts_with(kEngineLabels)) {
    const bool engine = key.starts_with(kEngineLabels);
    constraint.key = engine ? Constraint::Key::kEngineLabel : Constraint::Key::kNodeLabel;
    const std::string_view label = key.substr(engine ? kEngineLabels.size() : kNodeLabels.size());
    if (label.empty())
      return invalid(expression, "missing label name after '" + std::string(key) + "'");
    for (char c : label) {
      if (!is_label_char(c)) {
        return invalid(expression, "invalid character '" + std::string(1, c) + "' in label '" +
                                       std::string(label) + "'");
      }
    }
    constraint.label = std::string(label);
  } else {
    return invalid(expression,
                   "unknown key '" + std::string(key) +
                       "' (expected node.id, node.hostname, node.role, node.platform.os, "
                       "node.platform.arch, node.labels.KEY or engine.labels.KEY)");
  }
  return constraint;
}

Result<std::vector<Constraint>> parse_constraints(
    const google::protobuf::RepeatedPtrField<std::string>& expressions) {
  std::vector<Constraint> constraints;
  constraints.reserve(static_cast<std::size_t>(expressions.size()));
  for (const std::string& expression : expressions) {
    HERD_ASSIGN_OR_RETURN(Constraint constraint, parse_constraint(expression));
    constraints.push_back(std::move(constraint));
  }
  return constraints;
}

bool Constraint::matches(const proto::Node& node) const {
  std::string_view actual;
  switch (key) {
    case Key::kNodeId:
      actual = node.meta().id();
      break;
    case Key::kHostname:
      actual = node.description().hostname();
      break;
    case Key::kRole:
      actual = node.role() == proto::NODE_ROLE_MANAGER ? "manager" : "worker";
      break;
    case Key::kPlatformOs:
      actual = node.description().platform().os();
      break;
    case Key::kPlatformArch:
      actual = node.description().platform().architecture();
      break;
    case Key::kNodeLabel: {
      const auto it = node.spec().labels().find(label);
      if (it == node.spec().labels().end()) return op == Op::kNotEqual;
      actual = it->second;
      break;
    }
    case Key::kEngineLabel: {
      const auto it = node.description().engine_labels().find(label);
      if (it == node.description().engine_labels().end()) return op == Op::kNotEqual;
      actual = it->second;
      break;
    }
  }
  const bool equal = equal_ignoring_case(actual, value);
  return op == Op::kEqual ? equal : !equal;
}

Result<SpreadPreference> parse_preference(std::string_view expression) {
  constexpr std::string_view kSpread = "spread=";
  const std::string_view text = trim(expression);
  const auto bad = [&](std::string_view problem) {
    return Status::invalid_argument("placement preference '" + std::string(text) +
                                    "': " + std::string(problem));
  };
  if (!text.starts_with(kSpread)) return bad("expected spread=node.labels.KEY");
  const std::string_view descriptor = text.substr(kSpread.size());
  SpreadPreference preference;
  preference.text = std::string(text);
  constexpr std::string_view kNodeLabels = "node.labels.";
  constexpr std::string_view kEngineLabels = "engine.labels.";
  if (descriptor.starts_with(kNodeLabels)) {
    preference.label = std::string(descriptor.substr(kNodeLabels.size()));
  } else if (descriptor.starts_with(kEngineLabels)) {
    preference.engine_label = true;
    preference.label = std::string(descriptor.substr(kEngineLabels.size()));
  } else {
    return bad("can only spread over node.labels.KEY or engine.labels.KEY");
  }
  if (preference.label.empty()) return bad("missing label name");
  for (char c : preference.label) {
    if (!is_label_char(c)) return bad("invalid character in label name");
  }
  return preference;
}

const std::string& SpreadPreference::value_of(const proto::Node& node) const {
  return lookup(engine_label ? node.description().engine_labels() : node.spec().labels(), label);
}

}  // namespace herd::manager
