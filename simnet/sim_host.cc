#include "simnet/sim_host.h"

#include <algorithm>

#include "core/runtime/check.h"
#include "simnet/simulation.h"

namespace herd::simnet {
namespace {

__extension__ typedef __int128 Int128;  // GCC/Clang builtin, for exact time scaling
constexpr std::int64_t kMillion = 1'000'000;

// floor(a / b) for b > 0, rounding toward negative infinity.
Int128 floor_div(Int128 a, Int128 b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

// The host's local clock over the loop's virtual time, with skew and drift.
class SimHost::Clock final : public herd::Clock {
 public:
  explicit Clock(SimHost& host) : host_(host) {}

  TimePoint now() const override { return host_.local_now(); }

  TimerId schedule_after(Duration delay, std::function<void()> callback) override {
    if (delay < Duration::zero()) delay = Duration::zero();
    const TimePoint at = host_.global_time_of(host_.local_now() + delay);
    SimHost* host = &host_;
    const std::uint64_t epoch = host_.epoch_;
    const EventLoop::EventId id =
        host_.sim_.loop().schedule_at(at, [host, epoch, callback = std::move(callback)]() mutable {
          host->dispatch(epoch, [host, callback = std::move(callback)] {
            host->sim_.trace(TraceKind::kTimer, host->id_, 0);
            callback();
          });
        });
    return TimerId(id + 1);  // 0 means "no timer" to ScopedTimer
  }

  void cancel(TimerId id) override {
    if (id.value() != 0) host_.sim_.loop().cancel(id.value() - 1);
  }

 private:
  SimHost& host_;
};

class SimHost::Transport final : public herd::Transport {
 public:
  explicit Transport(SimHost& host) : host_(host) {}
  void set_handler(TransportHandler* handler) override { host_.handler_ = handler; }
  // Hosts are addressed by NodeId directly; names only matter to the scenario layer.
  void set_peer_address(NodeId, std::string) override {}
  void forget_peer(NodeId) override {}
  Status send(NodeId to, std::string bytes) override {
    return host_.sim_.send(host_, to, std::move(bytes));
  }

 private:
  SimHost& host_;
};

class SimHost::Meter final : public CostMeter {
 public:
  explicit Meter(SimHost& host) : host_(host) {}
  void charge(Work work, std::uint64_t count) override { host_.charge(work, count); }

 private:
  SimHost& host_;
};

SimHost::SimHost(Simulation& sim, NodeId id, std::string name, int host_link, HostSpec spec,
                 NodeFactory factory)
    : sim_(sim),
      id_(id),
      name_(std::move(name)),
      host_link_(host_link),
      spec_(spec),
      factory_(std::move(factory)),
      core_free_(static_cast<std::size_t>(std::max(spec.cores, 1))),
      disk_(sim.fork_rng("disk/" + name_)),
      rng_(sim.fork_rng("host/" + name_)) {}

SimHost::~SimHost() {
  node_.reset();
  executor_.reset();
}

TimePoint SimHost::local_now() const {
  const Int128 global = to_nanos(sim_.now());
  const Int128 local =
      floor_div(global * (kMillion + drift_ppm_), kMillion) + clock_offset_.count();
  return time_from_nanos(static_cast<std::int64_t>(local));
}

TimePoint SimHost::global_time_of(TimePoint local) const {
  // The least g with floor(g × (10^6 + drift) / 10^6) + offset >= local.
  const Int128 target = static_cast<Int128>(to_nanos(local)) - clock_offset_.count();
  const Int128 rate = kMillion + drift_ppm_;
  const Int128 global = -floor_div(-target * kMillion, rate);
  return std::max(sim_.now(), time_from_nanos(static_cast<std::int64_t>(global)));
}

void SimHost::set_clock(Duration offset, std::int64_t drift_ppm) {
  HERD_CHECK(drift_ppm > -kMillion / 2 && drift_ppm < kMillion / 2)
      << "drift " << drift_ppm << " ppm on " << name_;
  clock_offset_ = offset;
  drift_ppm_ = drift_ppm;
}

void SimHost::charge(Work work, std::uint64_t count) {
  const std::int64_t ns = sim_.costs().cost(work, count) * cpu_factor_percent_ / 100;
  current_work_ns_ += ns;
  cpu_ns_[static_cast<std::size_t>(component_of(work))] += ns;
}

void SimHost::run_at(TimePoint at, std::function<void()> fn) {
  const std::uint64_t epoch = epoch_;
  sim_.loop().schedule_at(
      at, [this, epoch, fn = std::move(fn)]() mutable { dispatch(epoch, std::move(fn)); });
}

void SimHost::dispatch(std::uint64_t epoch, std::function<void()> fn, bool waited) {
  if (epoch_ != epoch) return;  // meant for a life of the host that has ended
  // An overloaded host falls behind, as it would in life: the event waits for a core.
  const auto core = std::min_element(core_free_.begin(), core_free_.end());
  const TimePoint now = sim_.now();
  if (*core > now) {
    if (!waited) ++delayed_events_;
    wait_ns_ += (*core - now).count();
    sim_.loop().schedule_at(*core, [this, epoch, fn = std::move(fn)]() mutable {
      dispatch(epoch, std::move(fn), true);
    });
    return;
  }
  current_work_ns_ = 0;
  fn();
  if (epoch_ != epoch) return;  // the handler crashed its own host (a test or a fault hook)
  current_work_ns_ += disk_.take_stall().count();
  busy_ns_ += current_work_ns_;
  *core = now + Duration(current_work_ns_);
  current_work_ns_ = 0;
}

void SimHost::boot() {
  HERD_CHECK(!up_) << name_ << " booted twice";
  up_ = true;
  ++epoch_;
  std::fill(core_free_.begin(), core_free_.end(), sim_.now());
  clock_ = std::make_unique<Clock>(*this);
  transport_ = std::make_unique<Transport>(*this);
  meter_ = std::make_unique<Meter>(*this);
  logger_ = std::make_unique<Logger>(*clock_, name_, sim_.log_sink(), LogLevel::kWarning);
  // A new life draws from a new stream, so a restart does not replay the old life's draws.
  rng_ = sim_.fork_rng("host/" + name_ + "/" + std::to_string(epoch_));
  executor_ = std::make_unique<SimExecutor>(*clock_, rng_, [this](const RunStatus& status) {
    sim_.trace(TraceKind::kTaskState, id_, static_cast<std::uint64_t>(status.state),
               status.task_id);
  });
  env_ = std::make_unique<Env>(
      Env{*clock_, *transport_, disk_, executor_.get(), rng_, *meter_, *logger_});
  handler_ = nullptr;
  node_ = factory_ ? factory_(*this) : nullptr;
}

void SimHost::crash() {
  HERD_CHECK(up_) << name_ << " crashed while down";
  up_ = false;
  ++epoch_;  // pending timers and deliveries of the old life are dropped when they come up
  handler_ = nullptr;
  node_.reset();
  executor_.reset();  // the task runtime dies with the host
  env_.reset();
  disk_.crash();
}

}  // namespace herd::simnet
