// HttpClient: a blocking HTTP/1.1 client over one keep-alive connection, for herdctl and tests.
//
// connect() opens a TCP ("HOST:PORT") or Unix-domain ("unix:PATH") connection; request() sends
// one request and waits for the whole response. Every step (connecting, writing, reading) gives
// up after `timeout`, closing the connection. Failures to reach or talk to the server come back
// as unavailable naming the address and the step; HTTP error statuses are replies, not failures.
// The connection is never reopened: a server that closes it fails the next request. Not
// thread-safe; it runs its own io_context inside each call.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/runtime/result.h"
#include "core/runtime/time.h"

namespace herd::herdctl {

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string allow;  // the Allow header of a 405
  std::string body;
  bool keep_alive = false;
};

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> connect(std::string_view address,
                                                     Duration timeout = seconds(30));
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  // `body`, when not empty, is sent as application/json.
  Result<HttpReply> request(std::string_view method, std::string_view target,
                            std::string_view body = {},
                            std::string_view connection_header = "keep-alive");

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace herd::herdctl
