// The JSON of the control API, in one place for the server and herdctl.
//
// Messages travel in the proto3 JSON mapping of proto/control.proto and proto/objects.proto:
// lowerCamelCase field names, enums as names, 64-bit integers as strings, fields at their default
// omitted; parsing also takes proto field names and numbers for 64-bit fields. Errors travel as
// the envelope {"code": "<StatusCode name>", "message": "..."}, which is also a valid
// ControlResponse. Nothing here throws: library errors come back as a Status.
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/runtime/result.h"

namespace herd::realnode {

// Whether parsing refuses fields the schema does not have. The server refuses them, so that a
// misspelt field is an error; herdctl ignores them, so that it reads answers of newer servers.
enum class UnknownFields { kRefuse, kIgnore };

// Fills `message` from `json`; otherwise invalid_argument naming the message type and the parse
// error.
Status parse_json_message(std::string_view json, google::protobuf::Message& message,
                          UnknownFields unknown = UnknownFields::kRefuse);

template <typename T>
Result<T> parse_json_as(std::string_view json, UnknownFields unknown = UnknownFields::kRefuse) {
  T message;
  HERD_RETURN_IF_ERROR(parse_json_message(json, message, unknown));
  return message;
}

// Compact JSON, or indented by two spaces when `pretty`.
std::string message_to_json(const google::protobuf::Message& message, bool pretty = false);

// {"code":"not_found","message":"..."}.
std::string error_json(const Status& status);

// The Status an error reply stands for: its envelope's code and message, or, for a body that is
// no envelope, unavailable with the HTTP status and the start of the body.
Status status_from_error_reply(unsigned http_status, std::string_view body);

// The error code named `name` ("not_found"); nothing for "ok" and unknown names.
std::optional<StatusCode> status_code_from_name(std::string_view name);

// The HTTP status that reports `code` (404 for not_found, 503 for not_leader, ...).
unsigned http_status_for(StatusCode code);

}  // namespace herd::realnode
