#include "core/manager/orchestrator/task_factory.h"

#include "core/store/object_id.h"

namespace herd::manager {

proto::Task new_task(const proto::Service& service, std::uint64_t slot, const std::string& node_id,
                     proto::TaskState desired, Rng& rng, TimePoint now) {
  proto::Task task;
  proto::Meta* meta = task.mutable_meta();
  meta->set_id(store::new_object_id(rng));
  meta->set_created_at_ns(to_nanos(now));
  meta->set_updated_at_ns(to_nanos(now));
  *task.mutable_spec() = service.spec().task();
  task.set_spec_version(service.spec_version());
  task.set_service_id(service.meta().id());
  task.set_service_name(service.spec().name());
  task.set_slot(slot);
  task.set_node_id(node_id);
  *task.mutable_endpoint() = service.endpoint();
  proto::TaskStatus* status = task.mutable_status();
  status->set_state(proto::TASK_STATE_NEW);
  status->set_timestamp_ns(to_nanos(now));
  status->set_message("created");
  task.set_desired_state(desired);
  return task;
}

bool node_can_run_tasks(const proto::Node* node) {
  return node != nullptr && node->status().state() != proto::NODE_STATE_DOWN &&
         node->spec().availability() != proto::NODE_AVAILABILITY_DRAIN;
}

}  // namespace herd::manager
