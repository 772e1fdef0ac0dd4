#include "realnode/http/json_codec.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <array>
#include <memory>
#include <nlohmann/json.hpp>

namespace herd::realnode {
namespace {

constexpr const char* kTypeUrlPrefix = "type.googleapis.com";

constexpr std::array kErrorCodes = {
    StatusCode::kInvalidArgument,    StatusCode::kNotFound,  StatusCode::kAlreadyExists,
    StatusCode::kFailedPrecondition, StatusCode::kNotLeader, StatusCode::kUnavailable,
    StatusCode::kCorruption,         StatusCode::kIoError,   StatusCode::kAborted,
    StatusCode::kResourceExhausted,
};

// protobuf's JsonStringToMessage and MessageToJsonString build a type resolver on every call,
// which cost a tenth of the leader's CPU under load; one resolver serves every message.
google::protobuf::util::TypeResolver& type_resolver() {
  static const std::unique_ptr<google::protobuf::util::TypeResolver> resolver(
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          kTypeUrlPrefix, google::protobuf::DescriptorPool::generated_pool()));
  return *resolver;
}

std::string type_url(const google::protobuf::Message& message) {
  return std::string(kTypeUrlPrefix) + "/" + message.GetDescriptor()->full_name();
}

}  // namespace

Status parse_json_message(std::string_view json, google::protobuf::Message& message,
                          UnknownFields unknown) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = unknown == UnknownFields::kIgnore;
  std::string binary;
  const auto status = google::protobuf::util::JsonToBinaryString(
      &type_resolver(), type_url(message), google::protobuf::StringPiece(json.data(), json.size()),
      &binary, options);
  if (!status.ok()) {
    return Status::invalid_argument("invalid JSON for " + message.GetTypeName() + ": " +
                                    std::string(status.message()));
  }
  if (!message.ParseFromString(binary)) {
    return Status::invalid_argument("invalid JSON for " + message.GetTypeName());
  }
  return Status::ok();
}

std::string message_to_json(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  std::string json;
  // Printing fails only for Any fields of unknown types, which herd's schemas do not have.
  const auto status = google::protobuf::util::BinaryToJsonString(
      &type_resolver(), type_url(message), message.SerializeAsString(), &json, options);
  HERD_CHECK(status.ok()) << "printing " << message.GetTypeName()
                          << " as JSON: " << std::string(status.message());
  if (pretty && json.ends_with('\n')) json.pop_back();
  return json;
}

std::string error_json(const Status& status) {
  nlohmann::json body = {{"code", status_code_name(status.code())}, {"message", status.message()}};
  // Messages quote user input, which may not be UTF-8; replacing beats throwing.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status status_from_error_reply(unsigned http_status, std::string_view body) {
  const nlohmann::json envelope = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (envelope.is_object() && envelope.contains("code") && envelope["code"].is_string()) {
    if (const auto code = status_code_from_name(envelope["code"].get<std::string>())) {
      const auto message = envelope.find("message");
      return Status(*code, message != envelope.end() && message->is_string()
                               ? message->get<std::string>()
                               : std::string());
    }
  }
  constexpr std::size_t kQuoted = 200;
  return Status::unavailable("HTTP " + std::to_string(http_status) + ": " +
                             std::string(body.substr(0, kQuoted)));
}

std::optional<StatusCode> status_code_from_name(std::string_view name) {
  for (StatusCode code : kErrorCodes) {
    if (status_code_name(code) == name) return code;
  }
  return std::nullopt;
}

unsigned http_status_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kNotLeader:
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kCorruption:
    case StatusCode::kIoError:
      return 500;
  }
  return 500;
}

}  // namespace herd::realnode
