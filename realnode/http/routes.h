// Routes: the REST shape of the control API, from an HTTP request to a ControlRequest.
//
// route_request() is pure: it splits the target into percent-decoded path segments and query
// parameters, finds the route, and builds the ControlRequest from the path, the query and the
// body (proto3 JSON for specs, small JSON objects for {replicas}). A path that no route has is
// 404; a path some route has under another method is 405 with the methods it does take; a bad
// body, query parameter or path value is 400 naming it. http_api.cc runs what comes out.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "core/runtime/status.h"
#include "proto/control.pb.h"

namespace herd::realnode {

enum class Endpoint { kControl, kMetrics, kInfo };

struct ApiCall {
  Endpoint endpoint = Endpoint::kControl;
  proto::ControlRequest request;  // for kControl
  unsigned ok_status = 200;       // 201 for the routes that create an object
};

struct RouteError {
  unsigned http_status = 400;
  Status status;
  std::string allow;  // for 405, the methods the path takes: "GET, POST"
};

std::variant<ApiCall, RouteError> route_request(std::string_view method, std::string_view target,
                                                std::string_view body);

}  // namespace herd::realnode
