#include "core/manager/api/control_api.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "core/codec/proto_codec.h"
#include "tests/core/manager/leader_harness.h"

namespace herd::manager {
namespace {

class ControlApiTest : public ::testing::Test {
 protected:
  proto::ControlResponse call(const proto::ControlRequest& request) {
    std::optional<proto::ControlResponse> response;
    api_.handle(request, [&](proto::ControlResponse r) { response = std::move(r); });
    h_.proposer.settle();
    EXPECT_TRUE(response.has_value()) << "no reply";
    return response.value_or(proto::ControlResponse());
  }

  static proto::ServiceSpec web_spec(const std::string& name = "web") {
    proto::ServiceSpec spec;
    spec.set_name(name);
    spec.set_replicas(3);
    spec.mutable_task()->mutable_container()->set_image("nginx");
    return spec;
  }

  proto::ControlResponse create(const proto::ServiceSpec& spec) {
    proto::ControlRequest request;
    *request.mutable_create_service() = spec;
    return call(request);
  }

  std::string snapshot() { return codec::encode_message(h_.store.snapshot()); }

  LeaderHarness h_;
  ControlApi api_{h_.context};
};

TEST_F(ControlApiTest, CreateServiceFillsDefaultsAndAnswersAfterCommit) {
  const proto::ControlResponse response = create(web_spec());
  ASSERT_EQ(response.code(), "ok") << response.message();
  ASSERT_EQ(response.services_size(), 1);
  const proto::Service& service = response.services(0);
  EXPECT_EQ(service.spec().name(), "web");
  EXPECT_EQ(service.spec_version(), 1U);
  EXPECT_EQ(service.spec().task().restart().delay_ns(), Duration(seconds(5)).count());
  EXPECT_EQ(service.spec().update().parallelism(), 1U);
  EXPECT_EQ(service.spec().update().monitor_ns(), Duration(seconds(5)).count());
  EXPECT_EQ(service.spec().task().container().stop_grace_period_ns(),
            Duration(seconds(10)).count());
  EXPECT_NE(h_.store.get<proto::Service>(service.meta().id()), nullptr);
}

TEST_F(ControlApiTest, ExplicitZeroIsKeptNotDefaulted) {
  proto::ServiceSpec spec = web_spec();
  spec.mutable_task()->mutable_restart()->set_delay_ns(0);
  spec.mutable_update()->set_parallelism(0);
  const proto::ControlResponse response = create(spec);
  ASSERT_EQ(response.code(), "ok");
  EXPECT_EQ(response.services(0).spec().task().restart().delay_ns(), 0);
  EXPECT_EQ(response.services(0).spec().update().parallelism(), 0U);
}

TEST_F(ControlApiTest, InvalidSpecsAreRefusedWithTheFieldAndWriteNothing) {
  ASSERT_EQ(create(web_spec("taken")).code(), "ok");
  proto::ControlRequest published;
  proto::ServiceSpec with_port = web_spec("port-holder");
  proto::PortConfig* port = with_port.mutable_endpoint()->add_ports();
  port->set_target_port(80);
  port->set_published_port(8080);
  ASSERT_EQ(create(with_port).code(), "ok");
  // Pretend the allocator has run, so the published port is visible in the endpoint.
  proto::Service holder = *h_.store.table<proto::Service>().by_name("port-holder");
  *holder.mutable_endpoint()->add_ports() = *port;
  store::WriteTx tx;
  tx.update(holder);
  h_.write(tx);

  struct Case {
    std::string what;
    std::function<void(proto::ServiceSpec&)> change;
    std::string code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"duplicate name", [](auto& s) { s.set_name("taken"); }, "already_exists",
       "spec.name: service name 'taken' is taken"},
      {"empty name", [](auto& s) { s.set_name(""); }, "invalid_argument", "spec.name: is required"},
      {"bad name", [](auto& s) { s.set_name("web server"); }, "invalid_argument",
       "spec.name: 'web server' contains ' '"},
      {"absurd replicas", [](auto& s) { s.set_replicas(5'000'000); }, "invalid_argument",
       "spec.replicas: 5000000 exceeds the maximum of 1000000"},
      {"global with replicas",
       [](auto& s) {
         s.set_mode(proto::SERVICE_MODE_GLOBAL);
         s.set_replicas(2);
       },
       "invalid_argument", "spec.replicas: a global service runs one task per node"},
      {"no image", [](auto& s) { s.mutable_task()->clear_container(); }, "invalid_argument",
       "spec.task.container: needs an image or a command"},
      {"malformed constraint",
       [](auto& s) {
         s.mutable_task()->mutable_placement()->add_constraints("node.role == worker");
         s.mutable_task()->mutable_placement()->add_constraints("node.labels.x === y");
       },
       "invalid_argument",
       "spec.task.placement.constraints[1]: constraint 'node.labels.x === y': invalid character"},
      {"bad preference",
       [](auto& s) { s.mutable_task()->mutable_placement()->add_preferences("binpack"); },
       "invalid_argument", "spec.task.placement.preferences[0]: placement preference 'binpack'"},
      {"unknown network", [](auto& s) { s.mutable_task()->add_networks()->set_target("nowhere"); },
       "not_found", "spec.task.networks[0].target: network 'nowhere' not found"},
      {"unknown secret", [](auto& s) { s.mutable_task()->add_secrets()->set_secret_name("pw"); },
       "not_found", "spec.task.secrets[0]: secret 'pw' not found"},
      {"target port out of range",
       [](auto& s) { s.mutable_endpoint()->add_ports()->set_target_port(70000); },
       "invalid_argument", "spec.endpoint.ports[0].target: port 70000 is out of range 1-65535"},
      {"published port out of range",
       [](auto& s) {
         auto* p = s.mutable_endpoint()->add_ports();
         p->set_target_port(80);
         p->set_published_port(65536);
       },
       "invalid_argument", "spec.endpoint.ports[0].published: port 65536 is out of range"},
      {"port already published",
       [](auto& s) {
         auto* p = s.mutable_endpoint()->add_ports();
         p->set_target_port(80);
         p->set_published_port(8080);
       },
       "already_exists",
       "spec.endpoint.ports[0].published: port 8080 is already published by service port-holder"},
      {"port twice",
       [](auto& s) {
         for (int i = 0; i < 2; ++i) {
           auto* p = s.mutable_endpoint()->add_ports();
           p->set_target_port(80);
           p->set_published_port(9000);
         }
       },
       "invalid_argument", "spec.endpoint.ports[1].published: port 9000 is published twice"},
      {"negative delay", [](auto& s) { s.mutable_task()->mutable_restart()->set_delay_ns(-1); },
       "invalid_argument", "spec.task.restart.delay: must not be negative"},
      {"failure ratio", [](auto& s) { s.mutable_update()->set_max_failure_ratio(1.5); },
       "invalid_argument", "spec.update.max_failure_ratio: must be between 0 and 1"},
      {"reservation over limit",
       [](auto& s) {
         s.mutable_task()->mutable_resources()->mutable_limits()->set_nano_cpus(1);
         s.mutable_task()->mutable_resources()->mutable_reservations()->set_nano_cpus(2);
       },
       "invalid_argument", "spec.task.resources.reservations.cpus: exceeds the cpu limit"},
  };
  const std::string before = snapshot();
  for (const Case& c : cases) {
    proto::ServiceSpec spec = web_spec("fresh");
    c.change(spec);
    const proto::ControlResponse response = create(spec);
    EXPECT_EQ(response.code(), c.code) << c.what << ": " << response.message();
    EXPECT_NE(response.message().find(c.message), std::string::npos)
        << c.what << ": got '" << response.message() << "'";
    EXPECT_EQ(snapshot(), before) << c.what << " wrote something";
  }
}

TEST_F(ControlApiTest, UpdateScaleAndRemove) {
  const std::string id = create(web_spec()).services(0).meta().id();
  proto::ControlRequest scale;
  scale.mutable_scale_service()->set_service("web");
  scale.mutable_scale_service()->set_replicas(7);
  proto::ControlResponse scaled = call(scale);
  ASSERT_EQ(scaled.code(), "ok");
  EXPECT_EQ(scaled.services(0).spec().replicas(), 7U);
  EXPECT_EQ(scaled.services(0).spec_version(), 1U) << "scaling is not a new spec";

  proto::ControlRequest update;
  update.mutable_update_service()->set_service(id);
  *update.mutable_update_service()->mutable_spec() = web_spec();
  update.mutable_update_service()->mutable_spec()->mutable_task()->mutable_container()->set_image(
      "nginx:2");
  proto::ControlResponse updated = call(update);
  ASSERT_EQ(updated.code(), "ok") << updated.message();
  EXPECT_EQ(updated.services(0).spec_version(), 2U);
  EXPECT_EQ(updated.services(0).previous_spec().task().container().image(), "nginx");

  update.mutable_update_service()->set_version(1);  // stale
  EXPECT_EQ(call(update).code(), "aborted");

  proto::ControlRequest missing;
  missing.mutable_scale_service()->set_service("nope");
  EXPECT_EQ(call(missing).code(), "not_found");

  proto::ControlRequest remove;
  remove.set_remove_service("web");
  EXPECT_EQ(call(remove).code(), "ok");
  EXPECT_EQ(h_.store.get<proto::Service>(id), nullptr);
  EXPECT_EQ(call(remove).code(), "not_found");
}

TEST_F(ControlApiTest, ListServicesCountsRunningTasks) {
  const std::string id = create(web_spec()).services(0).meta().id();
  store::WriteTx tx;
  for (int i = 1; i <= 3; ++i) {
    proto::Task task;
    task.mutable_meta()->set_id("t" + std::to_string(i));
    task.set_service_id(id);
    task.set_slot(static_cast<std::uint64_t>(i));
    task.set_desired_state(proto::TASK_STATE_RUNNING);
    task.mutable_status()->set_state(i < 3 ? proto::TASK_STATE_RUNNING : proto::TASK_STATE_PENDING);
    tx.create(task);
  }
  h_.write(tx);
  proto::ControlRequest list;
  list.set_list_services(true);
  const proto::ControlResponse response = call(list);
  ASSERT_EQ(response.services_size(), 1);
  EXPECT_EQ(response.running(0), 2U);
  EXPECT_EQ(response.desired(0), 3U);

  proto::ControlRequest ps;
  ps.mutable_list_tasks()->set_service("web");
  ps.mutable_list_tasks()->add_states(proto::TASK_STATE_RUNNING);
  EXPECT_EQ(call(ps).tasks_size(), 2);
}

TEST_F(ControlApiTest, NodeUpdateChangesAvailabilityAndLabels) {
  proto::Node node;
  node.mutable_meta()->set_id("n1");
  node.mutable_description()->set_hostname("w1");
  (*node.mutable_spec()->mutable_labels())["old"] = "x";
  store::WriteTx tx;
  tx.create(node);
  h_.write(tx);
  proto::ControlRequest request;
  request.mutable_update_node()->set_node("w1");
  request.mutable_update_node()->set_availability(proto::NODE_AVAILABILITY_DRAIN);
  (*request.mutable_update_node()->mutable_label_add())["zone"] = "a";
  request.mutable_update_node()->add_label_rm("old");
  const proto::ControlResponse response = call(request);
  ASSERT_EQ(response.code(), "ok") << response.message();
  const proto::Node& updated = *h_.store.get<proto::Node>("n1");
  EXPECT_EQ(updated.spec().availability(), proto::NODE_AVAILABILITY_DRAIN);
  EXPECT_EQ(updated.spec().labels().at("zone"), "a");
  EXPECT_EQ(updated.spec().labels().count("old"), 0U);

  request.mutable_update_node()->clear_label_add();
  const proto::ControlResponse missing_label = call(request);
  EXPECT_EQ(missing_label.code(), "not_found");
  EXPECT_NE(missing_label.message().find("has no label 'old'"), std::string::npos);
  request.mutable_update_node()->set_node("ghost");
  EXPECT_EQ(call(request).code(), "not_found");
}

TEST_F(ControlApiTest, NetworksAndSecrets) {
  proto::ControlRequest network;
  network.mutable_create_network()->set_name("front");
  network.mutable_create_network()->mutable_ipam()->set_subnet("10.1.0.0/16");
  ASSERT_EQ(call(network).code(), "ok");
  EXPECT_EQ(call(network).code(), "already_exists");
  network.mutable_create_network()->set_name("overlapping");
  network.mutable_create_network()->mutable_ipam()->set_subnet("10.1.2.0/24");
  const proto::ControlResponse overlap = call(network);
  EXPECT_EQ(overlap.code(), "invalid_argument");
  EXPECT_NE(overlap.message().find("overlaps 10.1.0.0/16 of network front"), std::string::npos);
  network.mutable_create_network()->mutable_ipam()->set_subnet("10.1.2.3/24");
  EXPECT_NE(call(network).message().find("not the network address"), std::string::npos);

  proto::ServiceSpec spec = web_spec();
  spec.mutable_task()->add_networks()->set_target("front");
  ASSERT_EQ(create(spec).code(), "ok");
  proto::ControlRequest remove;
  remove.set_remove_network("front");
  const proto::ControlResponse in_use = call(remove);
  EXPECT_EQ(in_use.code(), "failed_precondition");
  EXPECT_NE(in_use.message().find("in use by service web"), std::string::npos);

  proto::ControlRequest secret;
  secret.mutable_create_secret()->set_name("db-password");
  secret.mutable_create_secret()->set_data("hunter2");
  const proto::ControlResponse created = call(secret);
  ASSERT_EQ(created.code(), "ok");
  EXPECT_TRUE(created.secrets(0).spec().data().empty()) << "secret data is never returned";
  EXPECT_EQ(created.secrets(0).data_digest(),
            "sha256:f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7");
  proto::ControlRequest list;
  list.set_list_secrets(true);
  const proto::ControlResponse listed = call(list);
  ASSERT_EQ(listed.secrets_size(), 1);
  EXPECT_TRUE(listed.secrets(0).spec().data().empty());
  secret.mutable_create_secret()->set_name("empty");
  secret.mutable_create_secret()->clear_data();
  EXPECT_EQ(call(secret).code(), "invalid_argument");
}

TEST_F(ControlApiTest, EmptyRequestIsAnError) {
  const proto::ControlResponse response = call(proto::ControlRequest());
  EXPECT_EQ(response.code(), "invalid_argument");
}

}  // namespace
}  // namespace herd::manager
