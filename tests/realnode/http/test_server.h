// TestServer: an HttpApi on its own io_context thread, with a fake ControlHandler that records
// every ControlRequest and answers it from a script, for the HTTP API and herdctl tests.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/runtime/manual_clock.h"
#include "realnode/http/http_api.h"

namespace herd::realnode {

class TestServer {
 public:
  // Answers a request: return the response, or keep `reply` and answer later (then return
  // nothing). Runs on the server's thread.
  using Script = std::function<std::optional<proto::ControlResponse>(const proto::ControlRequest&,
                                                                     const ControlReply& reply)>;

  static proto::ControlResponse ok() {
    proto::ControlResponse response;
    response.set_code("ok");
    return response;
  }

  explicit TestServer(HttpApiOptions options = {}, Script script = nullptr)
      : script_(std::move(script)), work_(io_.get_executor()) {
    if (options.address.empty()) options.address = "127.0.0.1:0";
    Result<std::unique_ptr<HttpApi>> api =
        HttpApi::start(io_, logger_, std::move(options),
                       [this](const proto::ControlRequest& request, ControlReply reply) {
                         handle(request, std::move(reply));
                       });
    if (!api.ok()) {
      status_ = api.status();
      return;
    }
    api_ = std::move(api).value();
    address_ = api_->address();
    thread_ = std::thread([this] { io_.run(); });
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  ~TestServer() {
    if (!thread_.joinable()) return;
    boost::asio::post(io_, [this] {
      api_.reset();
      work_.reset();
    });
    thread_.join();
  }

  const Status& status() const { return status_; }
  const std::string& address() const { return address_; }
  boost::asio::io_context& io() { return io_; }

  // Destroys the HttpApi on its thread and waits for that.
  void stop_api() {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      api_.reset();
      done.set_value();
    });
    done.get_future().wait();
  }

  std::vector<proto::ControlRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void handle(const proto::ControlRequest& request, ControlReply reply) {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    if (!script_) return reply(ok());
    if (std::optional<proto::ControlResponse> response = script_(request, reply)) {
      reply(std::move(*response));
    }
  }

  Script script_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  ManualClock clock_;
  Logger logger_{clock_, "api", nullptr};
  std::unique_ptr<HttpApi> api_;
  std::string address_;
  Status status_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<proto::ControlRequest> requests_;
};

}  // namespace herd::realnode
