// herdctl's commands: from a command line to HTTP calls on the control API, and their output.
//
// parse_command_line() is pure and does all the checking a command line needs before anything
// is sent: an unknown verb or flag, a missing argument or a bad value is invalid_argument naming
// it (herdctl prints it with the usage and exits 2). What it returns runs the command through an
// ApiCaller, which main.cc backs with HttpClient and tests with a fake, and writes what the
// command prints. Bodies are the proto3 JSON mapping of proto/control.proto and objects.proto,
// the same schema realnode/http parses. See usage() for the verbs and flags.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/result.h"

namespace herd::herdctl {

struct ApiRequest {
  std::string method;
  std::string target;  // path and query, percent-encoded
  std::string body;    // JSON, or empty

  friend bool operator==(const ApiRequest&, const ApiRequest&) = default;
};

// Sends one request: the body of a 2xx reply, or the Status an error reply stands for.
using ApiCaller = std::function<Result<std::string>(const ApiRequest&)>;

struct Invocation {
  std::string host;   // --host, else $HERD_HOST, else kDefaultApiAddress
  bool help = false;  // -h/--help: print usage() and nothing else
  // Runs the command, printing to `out`; a failed call's Status comes back (exit 1).
  std::function<Status(const ApiCaller&, std::ostream& out)> run;
};

// `args` excludes the program name. `env_host` is $HERD_HOST, or empty.
Result<Invocation> parse_command_line(const std::vector<std::string>& args,
                                      std::string_view env_host);

std::string_view usage();

// "herdctl version 0.1.0".
std::string version_line();

}  // namespace herd::herdctl
