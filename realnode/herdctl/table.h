// Tables herdctl prints, laid out like the docker CLI's.
//
// format_table() left-aligns every column and separates columns by three spaces past the
// widest cell, with no trailing spaces, as docker's tabwriter does. The listings below turn
// control API responses into those tables: rows sorted (services and networks by name, nodes by
// hostname, tasks by service, slot and newest first) so the output does not depend on the
// store's order, and full object ids, since the API takes no id prefixes. Pure functions.
#pragma once

#include <string>
#include <vector>

#include "proto/control.pb.h"

namespace herd::herdctl {

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// ID  NAME  MODE  REPLICAS (running/desired)  IMAGE (or the command, for a service without one).
std::string service_table(const proto::ControlResponse& services);

// ID  HOSTNAME  STATUS  AVAILABILITY  MANAGER STATUS (Leader, Reachable, Unreachable, Unknown,
// or empty for a worker).
std::string node_table(const proto::ControlResponse& nodes);

// ID  NAME  NODE  DESIRED STATE  CURRENT STATE  ERROR. NAME is service.slot (service.node for a
// global service); older tasks of the same slot follow the newest as " \_ name". NODE is the
// hostname from `nodes` when known.
std::string task_table(const proto::ControlResponse& tasks, const proto::ControlResponse& nodes);

// ID  NAME  DRIVER  SUBNET
std::string network_table(const proto::ControlResponse& networks);

// ID  NAME
std::string secret_table(const proto::ControlResponse& secrets);

// "TASK_STATE_RUNNING" -> "Running", as the tables show enum values.
std::string enum_title(std::string_view enum_name, std::string_view prefix);

}  // namespace herd::herdctl
