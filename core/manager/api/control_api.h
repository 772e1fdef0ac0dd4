// ControlApi: the handlers of the control API (SPEC §5), on the leader.
//
// One handler set serves every front end: simnet's scenario clients, realnode's HTTP/JSON API
// and herdctl. handle() takes a ControlRequest and calls `reply` exactly once: at once for reads
// and for writes refused by validation (nothing is written then), or after a write's
// transaction has committed and applied. Objects are named by id or by name (hostname for
// nodes). Secret data is never returned. Followers forward requests to the leader at the manager
// level; this class assumes it runs where the proposer is. Deterministic.
#pragma once

#include <functional>

#include "core/manager/leader_context.h"
#include "core/store/write_tx.h"
#include "proto/control.pb.h"

namespace herd::manager {

class ControlApi {
 public:
  using Reply = std::function<void(proto::ControlResponse)>;

  explicit ControlApi(LeaderContext& context) : context_(context) {}

  void handle(const proto::ControlRequest& request, Reply reply);

  // A response carrying `status` and nothing else.
  static proto::ControlResponse error_response(const Status& status);

 private:
  // Appends `node` with its manager status (leader, reachability) as of now.
  void add_node(proto::ControlResponse& response, const proto::Node& node) const;
  const proto::Service* find_service(const std::string& ref) const;
  const proto::Node* find_node(const std::string& ref) const;
  const proto::Network* find_network(const std::string& ref) const;
  const proto::Secret* find_secret(const std::string& ref) const;

  // Proposes `tx`; on success replies with what `fill` adds (reading the applied store).
  void commit(store::WriteTx tx, Reply reply,
              std::function<void(proto::ControlResponse&)> fill = nullptr);

  void create_service(const proto::ServiceSpec& spec, Reply reply);
  void update_service(const proto::UpdateServiceRequest& request, Reply reply);
  void scale_service(const proto::ScaleServiceRequest& request, Reply reply);
  void remove_service(const std::string& ref, Reply reply);
  void rollback_service(const std::string& ref, Reply reply);
  void list_services(Reply reply) const;
  void list_tasks(const proto::TaskFilter& filter, Reply reply) const;
  void update_node(const proto::NodeUpdate& update, Reply reply);
  void set_desired_role(const std::string& ref, proto::NodeRole role, Reply reply);
  void remove_node(const proto::RemoveNodeRequest& request, Reply reply);
  void rotate_join_token(proto::NodeRole role, Reply reply);
  // Refuses a demotion that would leave no manager, or fewer reachable managers than a quorum.
  Status check_demotion(const proto::Node& node) const;
  void create_network(const proto::NetworkSpec& spec, Reply reply);
  void remove_network(const std::string& ref, Reply reply);
  void create_secret(const proto::SecretSpec& spec, Reply reply);
  void remove_secret(const std::string& ref, Reply reply);
  void update_cluster(const proto::UpdateClusterRequest& request, Reply reply);

  LeaderContext& context_;
};

}  // namespace herd::manager
