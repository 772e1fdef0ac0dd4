#include "realnode/executor/process_record.h"

#include <charconv>
#include <fstream>
#include <iterator>

#include "core/codec/frame.h"
#include "core/codec/proto_codec.h"

namespace herd::realnode {
namespace {

constexpr std::uint8_t kRecordVersion = 1;
// A record is a few hundred bytes; the cap only keeps a damaged length from costing anything.
constexpr std::size_t kMaxRecordBytes = 16 * 1024 * 1024;

void put_u8(std::string& out, std::uint8_t value) { out.push_back(static_cast<char>(value)); }

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFU));
}

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFU));
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_u32(out, static_cast<std::uint32_t>(bytes.size()));
  out.append(bytes);
}

// Reads the fields back in order; the first read past the end makes the whole decode fail.
class FieldReader {
 public:
  explicit FieldReader(std::string_view input) : input_(input) {}

  bool u8(std::uint8_t& value) {
    if (input_.empty()) return false;
    value = static_cast<std::uint8_t>(input_.front());
    input_.remove_prefix(1);
    return true;
  }
  bool u32(std::uint32_t& value) {
    std::uint64_t wide = 0;
    if (!little_endian(4, wide)) return false;
    value = static_cast<std::uint32_t>(wide);
    return true;
  }
  bool u64(std::uint64_t& value) { return little_endian(8, value); }
  bool bytes(std::string_view& value) {
    std::uint32_t size = 0;
    if (!u32(size) || input_.size() < size) return false;
    value = input_.substr(0, size);
    input_.remove_prefix(size);
    return true;
  }
  bool at_end() const { return input_.empty(); }

 private:
  bool little_endian(std::size_t width, std::uint64_t& value) {
    if (input_.size() < width) return false;
    value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(input_[i])) << (8 * i);
    }
    input_.remove_prefix(width);
    return true;
  }

  std::string_view input_;
};

bool is_end_state(std::uint8_t state) {
  return state == static_cast<std::uint8_t>(RunState::kExited) ||
         state == static_cast<std::uint8_t>(RunState::kFailed) ||
         state == static_cast<std::uint8_t>(RunState::kStopped);
}

}  // namespace

std::string encode_process_record(const ProcessRecord& record) {
  std::string payload;
  put_u8(payload, kRecordVersion);
  put_u32(payload, static_cast<std::uint32_t>(record.pid));
  put_u64(payload, record.start_time);
  put_bytes(payload, record.boot_id);
  put_u8(payload, record.stop_requested ? 1 : 0);
  put_u8(payload, record.outcome ? 1 : 0);
  const ProcessOutcome none;
  const ProcessOutcome& outcome = record.outcome ? *record.outcome : none;
  put_u8(payload, static_cast<std::uint8_t>(outcome.state));
  put_u32(payload, static_cast<std::uint32_t>(outcome.exit_code));
  put_bytes(payload, outcome.message);
  put_bytes(payload, codec::encode_message(record.spec));
  return codec::encode_frame(payload);
}

Result<ProcessRecord> decode_process_record(std::string_view bytes, std::string_view what) {
  const std::string where(what);
  Result<std::optional<codec::FrameView>> frame = codec::decode_frame(bytes, kMaxRecordBytes);
  if (!frame.ok()) return frame.status().with_context(where);
  if (!frame->has_value() || (*frame)->size != bytes.size()) {
    return Status::corruption(where + ": " + std::to_string(bytes.size()) +
                              " bytes are not exactly one record frame");
  }
  FieldReader in((*frame)->payload);
  ProcessRecord record;
  std::uint8_t version = 0;
  std::uint32_t pid = 0;
  std::string_view boot_id;
  std::uint8_t stop_requested = 0;
  std::uint8_t has_outcome = 0;
  std::uint8_t state = 0;
  std::uint32_t exit_code = 0;
  std::string_view message;
  std::string_view spec;
  if (!in.u8(version)) return Status::corruption(where + ": empty record");
  if (version != kRecordVersion) {
    return Status::corruption(where + ": record version " + std::to_string(version) +
                              ", this worker reads version " + std::to_string(kRecordVersion));
  }
  if (!in.u32(pid) || !in.u64(record.start_time) || !in.bytes(boot_id) || !in.u8(stop_requested) ||
      !in.u8(has_outcome) || !in.u8(state) || !in.u32(exit_code) || !in.bytes(message) ||
      !in.bytes(spec) || !in.at_end()) {
    return Status::corruption(where + ": record fields do not fill the frame exactly");
  }
  if (stop_requested > 1 || has_outcome > 1 || (has_outcome == 1 && !is_end_state(state))) {
    return Status::corruption(where + ": record flags out of range");
  }
  HERD_RETURN_IF_ERROR(codec::decode_message(spec, record.spec, where + " spec"));
  record.pid = static_cast<pid_t>(pid);
  record.boot_id = std::string(boot_id);
  record.stop_requested = stop_requested == 1;
  if (has_outcome == 1) {
    record.outcome = ProcessOutcome{static_cast<RunState>(state), static_cast<int>(exit_code),
                                    std::string(message)};
  }
  return record;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  const std::string line{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses, so
  // the fields are counted from the last ')': field 3 (the state) follows it.
  const std::size_t name_end = line.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(line).substr(name_end + 1);
  ProcStat stat;
  for (int field = 3; field <= 22; ++field) {
    const std::size_t begin = rest.find_first_not_of(' ');
    if (begin == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(begin);
    const std::size_t end = std::min(rest.find(' '), rest.size());
    const std::string_view value = rest.substr(0, end);
    if (field == 3) stat.zombie = value == "Z" || value == "X";
    if (field == 22) {
      const auto [ptr, error] =
          std::from_chars(value.data(), value.data() + value.size(), stat.start_time);
      if (error != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
    }
    rest.remove_prefix(end);
  }
  return stat;
}

std::string current_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

}  // namespace herd::realnode
