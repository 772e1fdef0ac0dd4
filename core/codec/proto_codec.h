// Protobuf encoding for everything herd hashes, compares or replicates.
//
// encode_message() serializes deterministically (map entries in key order), so the same message
// gives the same bytes on every run and machine: Raft entries, trace hashes and snapshots depend
// on it. decode_message() turns a parse failure into a Status that names what was being decoded;
// Protobuf never throws here, and bad bytes never abort.
#pragma once

#include <google/protobuf/message_lite.h>

#include <string>
#include <string_view>

#include "core/runtime/status.h"

namespace herd::codec {

std::string encode_message(const google::protobuf::MessageLite& message);

// Appends the encoding of `message` to `out`.
void append_message(std::string& out, const google::protobuf::MessageLite& message);

// corruption("<what>: cannot parse N bytes as <type>") on failure; `message` is then unspecified.
Status decode_message(std::string_view bytes, google::protobuf::MessageLite& message,
                      std::string_view what);

}  // namespace herd::codec
