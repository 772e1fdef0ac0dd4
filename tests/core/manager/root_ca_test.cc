#include "core/manager/ca/root_ca.h"

#include <gtest/gtest.h>

namespace herd::manager {
namespace {

TEST(RootCaTest, SameSeedSameCaAndTokens) {
  Rng a(7);
  Rng b(7);
  const proto::RootCa first = *RootCa::create(a, TimePoint(seconds(100)));
  const proto::RootCa second = *RootCa::create(b, TimePoint(seconds(100)));
  EXPECT_EQ(first.ca_cert(), second.ca_cert()) << "Ed25519 signing is deterministic";
  EXPECT_EQ(first.join_tokens().worker(), second.join_tokens().worker());
  Rng c(8);
  EXPECT_NE(RootCa::create(c, TimePoint(seconds(100)))->ca_cert(), first.ca_cert());
}

TEST(RootCaTest, TokensHaveTheSwarmShapeAndGrantTheirRole) {
  Rng rng(1);
  const proto::RootCa ca = *RootCa::create(rng, TimePoint());
  const std::string& worker = ca.join_tokens().worker();
  const std::string& manager = ca.join_tokens().manager();
  EXPECT_TRUE(worker.starts_with("SWMTKN-1-" + ca.ca_cert_digest() + "-"));
  EXPECT_EQ(worker.size(), 9 + 50 + 1 + 25);
  EXPECT_NE(worker, manager);
  EXPECT_EQ(*RootCa::role_for_token(ca, worker), proto::NODE_ROLE_WORKER);
  EXPECT_EQ(*RootCa::role_for_token(ca, manager), proto::NODE_ROLE_MANAGER);
}

TEST(RootCaTest, BadTokensAreRefusedWithTheReason) {
  Rng rng(1);
  const proto::RootCa ca = *RootCa::create(rng, TimePoint());
  Rng other_rng(2);
  const proto::RootCa other = *RootCa::create(other_rng, TimePoint());
  const std::string& worker = ca.join_tokens().worker();

  const auto code_of = [&](std::string_view token) {
    return RootCa::role_for_token(ca, token).status();
  };
  EXPECT_EQ(code_of("").code(), StatusCode::kInvalidArgument);
  EXPECT_NE(code_of("hello").message().find("does not start with SWMTKN-1-"), std::string::npos);
  EXPECT_NE(code_of("SWMTKN-1-abc-def").message().find("digest must be 50"), std::string::npos);
  EXPECT_NE(code_of(worker.substr(0, worker.size() - 1)).message().find("secret must be 25"),
            std::string::npos);
  EXPECT_EQ(code_of(other.join_tokens().worker()).code(), StatusCode::kFailedPrecondition);
  std::string wrong_secret = worker;
  wrong_secret.back() = wrong_secret.back() == 'a' ? 'b' : 'a';
  const Status wrong = code_of(wrong_secret);
  EXPECT_EQ(wrong.code(), StatusCode::kNotFound);
  EXPECT_NE(wrong.message().find("wrong or rotated"), std::string::npos);
}

TEST(RootCaTest, RotationInvalidatesTheOldTokenOnly) {
  Rng rng(3);
  proto::RootCa ca = *RootCa::create(rng, TimePoint());
  const std::string old_worker = ca.join_tokens().worker();
  const std::string manager = ca.join_tokens().manager();
  ASSERT_TRUE(RootCa::rotate_token(ca, proto::NODE_ROLE_WORKER, rng).is_ok());
  EXPECT_NE(ca.join_tokens().worker(), old_worker);
  EXPECT_EQ(RootCa::role_for_token(ca, old_worker).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*RootCa::role_for_token(ca, ca.join_tokens().worker()), proto::NODE_ROLE_WORKER);
  EXPECT_EQ(*RootCa::role_for_token(ca, manager), proto::NODE_ROLE_MANAGER);
}

TEST(RootCaTest, IssuesAndVerifiesNodeCertificates) {
  Rng rng(4);
  const proto::RootCa ca = *RootCa::create(rng, TimePoint(seconds(10)));
  const NodeKey key = *generate_node_key(rng);
  const Result<proto::Certificate> certificate =
      RootCa::issue(ca, "node123", proto::NODE_ROLE_MANAGER, key.public_key, TimePoint(seconds(10)),
                    kDefaultCertExpiry);
  ASSERT_TRUE(certificate.ok()) << certificate.status();
  EXPECT_EQ(certificate->common_name(), "node123");
  EXPECT_EQ(certificate->expires_at_ns(), to_nanos(TimePoint(seconds(10)) + kDefaultCertExpiry));
  EXPECT_EQ(*RootCa::verify(ca, *certificate, "node123"), proto::NODE_ROLE_MANAGER);
  EXPECT_EQ(RootCa::verify(ca, *certificate, "node999").status().code(),
            StatusCode::kFailedPrecondition);

  Rng other_rng(5);
  const proto::RootCa other = *RootCa::create(other_rng, TimePoint());
  const Status foreign = RootCa::verify(other, *certificate, "node123").status();
  EXPECT_EQ(foreign.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(foreign.message().find("not signed by this cluster's CA"), std::string::npos);

  proto::Certificate tampered = *certificate;
  tampered.mutable_certificate()->back() ^= 1;
  EXPECT_FALSE(RootCa::verify(ca, tampered, "node123").ok());
  EXPECT_EQ(RootCa::issue(ca, "n", proto::NODE_ROLE_WORKER, "short", TimePoint(), seconds(1))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace herd::manager
