// The flags of `herdctl service create` and `service update`, and what they change in a
// ServiceSpec.
//
// parse_service_edits() checks every value up front and returns the changes as edits, so that
// `service update` can apply them to the spec it reads from the API and create to a fresh one,
// and applying cannot fail. A flag sets its field; a repeatable flag (--env, --constraint,
// --network...) replaces the whole list or map; the -add / -rm forms of update (--env-add,
// --label-rm, --constraint-add...) edit it. Pure functions.
#pragma once

#include <functional>
#include <vector>

#include "realnode/herdctl/flags.h"

namespace herd::herdctl {

using ServiceEdit = std::function<void(proto::ServiceSpec&)>;

const std::vector<Flag>& service_create_flags();
const std::vector<Flag>& service_update_flags();

Result<std::vector<ServiceEdit>> parse_service_edits(const Args& args);

}  // namespace herd::herdctl
