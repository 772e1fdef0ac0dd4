// herdctl: the command-line client of realnode's HTTP control API (usage() in commands.cc).
// Exit status: 0 on success, 1 when the API refuses or cannot be reached, 2 for a bad command
// line.
#include <cstdlib>
#include <iostream>
#include <memory>

#include "realnode/herdctl/commands.h"
#include "realnode/herdctl/http_client.h"
#include "realnode/http/json_codec.h"

int main(int argc, char** argv) {
  using namespace herd;
  using namespace herd::herdctl;
  const std::vector<std::string> args(argv + 1, argv + argc);
  const char* env_host = std::getenv("HERD_HOST");
  Result<Invocation> invocation = parse_command_line(args, env_host != nullptr ? env_host : "");
  if (!invocation.ok()) {
    std::cerr << "herdctl: " << invocation.status().message() << "\n\n" << usage();
    return 2;
  }
  if (invocation->help) {
    std::cout << usage();
    return 0;
  }
  // One connection for all the calls of a command, opened by the first.
  std::unique_ptr<HttpClient> client;
  const ApiCaller call = [&](const ApiRequest& request) -> Result<std::string> {
    if (client == nullptr) {
      HERD_ASSIGN_OR_RETURN(client, HttpClient::connect(invocation->host));
    }
    HERD_ASSIGN_OR_RETURN(const HttpReply reply,
                          client->request(request.method, request.target, request.body));
    if (reply.status >= 200 && reply.status < 300) return reply.body;
    return realnode::status_from_error_reply(reply.status, reply.body);
  };
  if (const Status status = invocation->run(call, std::cout); !status.is_ok()) {
    std::cerr << "Error: " << status.to_string() << "\n";
    return 1;
  }
  return 0;
}
