#include "core/manager/scheduler/constraint.h"

#include <gtest/gtest.h>

namespace herd::manager {
namespace {

proto::Node make_node() {
  proto::Node node;
  node.mutable_meta()->set_id("n1");
  node.mutable_description()->set_hostname("w7");
  node.mutable_description()->mutable_platform()->set_os("linux");
  node.mutable_description()->mutable_platform()->set_architecture("x86_64");
  (*node.mutable_spec()->mutable_labels())["zone"] = "a";
  (*node.mutable_description()->mutable_engine_labels())["gpu"] = "true";
  node.set_role(proto::NODE_ROLE_WORKER);
  return node;
}

bool matches(std::string_view expression) {
  const Result<Constraint> constraint = parse_constraint(expression);
  EXPECT_TRUE(constraint.ok()) << constraint.status();
  return constraint.ok() && constraint->matches(make_node());
}

TEST(ConstraintTest, MatchesEveryKey) {
  EXPECT_TRUE(matches("node.id == n1"));
  EXPECT_TRUE(matches("node.hostname == w7"));
  EXPECT_TRUE(matches("node.hostname != w8"));
  EXPECT_TRUE(matches("node.role == worker"));
  EXPECT_TRUE(matches("node.role != manager"));
  EXPECT_TRUE(matches("node.platform.os == linux"));
  EXPECT_TRUE(matches("node.platform.arch == x86_64"));
  EXPECT_TRUE(matches("node.labels.zone == a"));
  EXPECT_FALSE(matches("node.labels.zone == b"));
  EXPECT_TRUE(matches("engine.labels.gpu == true"));
}

TEST(ConstraintTest, ValuesCompareIgnoringCaseLikeSwarmKit) {
  EXPECT_TRUE(matches("node.labels.zone == A"));
  EXPECT_TRUE(matches("node.role == Worker"));
}

TEST(ConstraintTest, MissingLabelFailsEqualAndPassesNotEqual) {
  EXPECT_FALSE(matches("node.labels.rack == r1"));
  EXPECT_TRUE(matches("node.labels.rack != r1"));
}

TEST(ConstraintTest, MalformedExpressionsAreRejectedWithTheProblem) {
  const struct {
    const char* expression;
    const char* message;
  } cases[] = {
      {"node.labels.x === y", "invalid character '=' in value '= y'"},
      {"node.labels.zone", "expected an operator == or !="},
      {"node.labels.zone = a", "expected an operator == or !="},
      {"== a", "missing key before the operator"},
      {"node.labels.zone ==", "missing value after the operator"},
      {"node.color == red", "unknown key 'node.color'"},
      {"node.labels. == a", "missing label name"},
      {"node.role == boss", "node.role must be manager or worker, not 'boss'"},
      {"node.labels.z$ == a", "invalid character '$' in label 'z$'"},
  };
  for (const auto& c : cases) {
    const Result<Constraint> parsed = parse_constraint(c.expression);
    ASSERT_FALSE(parsed.ok()) << c.expression;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos)
        << c.expression << " -> " << parsed.status().message();
    EXPECT_NE(parsed.status().message().find(c.expression), std::string::npos)
        << "the message quotes the expression";
  }
}

TEST(PreferenceTest, ParsesSpreadOverLabels) {
  const Result<SpreadPreference> node_label = parse_preference("spread=node.labels.zone");
  ASSERT_TRUE(node_label.ok());
  EXPECT_EQ(node_label->value_of(make_node()), "a");
  const Result<SpreadPreference> engine = parse_preference("spread=engine.labels.gpu");
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(engine->value_of(make_node()), "true");
  const Result<SpreadPreference> missing = parse_preference("spread=node.labels.rack");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->value_of(make_node()), "");
  EXPECT_FALSE(parse_preference("binpack=node.labels.zone").ok());
  EXPECT_FALSE(parse_preference("spread=node.hostname").ok());
  EXPECT_FALSE(parse_preference("spread=node.labels.").ok());
}

}  // namespace
}  // namespace herd::manager
