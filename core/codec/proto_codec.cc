#include "core/codec/proto_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace herd::codec {

void append_message(std::string& out, const google::protobuf::MessageLite& message) {
  const std::size_t size = message.ByteSizeLong();
  const std::size_t offset = out.size();
  out.resize(offset + size);
  google::protobuf::io::ArrayOutputStream array(out.data() + offset, static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&array);
  coded.SetSerializationDeterministic(true);
  message.SerializeWithCachedSizes(&coded);
}

std::string encode_message(const google::protobuf::MessageLite& message) {
  std::string out;
  append_message(out, message);
  return out;
}

Status decode_message(std::string_view bytes, google::protobuf::MessageLite& message,
                      std::string_view what) {
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::corruption(std::string(what) + ": cannot parse " + std::to_string(bytes.size()) +
                              " bytes as " + message.GetTypeName());
  }
  return Status::ok();
}

}  // namespace herd::codec
