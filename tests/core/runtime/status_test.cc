#include "core/runtime/status.h"

#include <gtest/gtest.h>

#include <iterator>
#include <memory>
#include <set>
#include <string>

#include "core/runtime/result.h"

namespace herd {
namespace {

TEST(StatusTest, DefaultIsOk) {
  const Status status;
  EXPECT_TRUE(status.is_ok());
  EXPECT_EQ(status.code(), StatusCode::kOk);
  EXPECT_EQ(status.to_string(), "ok");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  const Status status = Status::not_leader("leader is mg1");
  EXPECT_FALSE(status.is_ok());
  EXPECT_EQ(status.code(), StatusCode::kNotLeader);
  EXPECT_EQ(status.to_string(), "not_leader: leader is mg1");
}

TEST(StatusTest, EveryCodeHasADistinctName) {
  const StatusCode codes[] = {StatusCode::kOk,
                              StatusCode::kInvalidArgument,
                              StatusCode::kNotFound,
                              StatusCode::kAlreadyExists,
                              StatusCode::kFailedPrecondition,
                              StatusCode::kNotLeader,
                              StatusCode::kUnavailable,
                              StatusCode::kCorruption,
                              StatusCode::kIoError,
                              StatusCode::kAborted,
                              StatusCode::kResourceExhausted};
  std::set<std::string_view> names;
  for (StatusCode code : codes) {
    EXPECT_NE(status_code_name(code), "unknown");
    names.insert(status_code_name(code));
  }
  EXPECT_EQ(names.size(), std::size(codes));
}

TEST(StatusTest, WithContextPrefixesErrorsOnly) {
  EXPECT_EQ(Status::corruption("bad crc").with_context("wal segment 3").to_string(),
            "corruption: wal segment 3: bad crc");
  EXPECT_TRUE(Status::ok().with_context("ignored").is_ok());
}

Status fails_when(bool fail) {
  if (fail) return Status::aborted("asked to fail");
  return Status::ok();
}

Status chain(bool fail) {
  HERD_RETURN_IF_ERROR(fails_when(fail));
  return Status::already_exists("reached the end");
}

TEST(StatusTest, ReturnIfErrorStopsAtTheFirstError) {
  EXPECT_EQ(chain(true).code(), StatusCode::kAborted);
  EXPECT_EQ(chain(false).code(), StatusCode::kAlreadyExists);
}

Result<int> parse_positive(int value) {
  if (value <= 0) return Status::invalid_argument("value " + std::to_string(value) + " <= 0");
  return value;
}

Result<int> doubled(int value) {
  HERD_ASSIGN_OR_RETURN(const int parsed, parse_positive(value));
  return parsed * 2;
}

TEST(ResultTest, HoldsValueOrError) {
  const Result<int> good = parse_positive(4);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 4);
  EXPECT_TRUE(good.status().is_ok());

  const Result<int> bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "value -1 <= 0");
}

TEST(ResultTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*doubled(21), 42);
  EXPECT_EQ(doubled(0).status().code(), StatusCode::kInvalidArgument);
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(7);
  ASSERT_TRUE(result.ok());
  std::unique_ptr<int> taken = std::move(result).value();
  EXPECT_EQ(*taken, 7);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  const Result<int> bad = Status::not_found("no such task");
  EXPECT_DEATH((void)bad.value(), "no such task");
}

TEST(ResultDeathTest, ResultFromOkStatusAborts) {
  EXPECT_DEATH(Result<int>{Status::ok()}, "must be an error");
}

TEST(CheckDeathTest, FailureNamesConditionMessageAndContext) {
  set_check_failure_context("seed=42");
  const int index = 5;
  EXPECT_DEATH(HERD_CHECK(index < 3) << "index " << index, "index < 3: index 5 \\[seed=42\\]");
  set_check_failure_context("");
}

}  // namespace
}  // namespace herd
