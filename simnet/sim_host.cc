#include "simnet/sim_host.h"

#include <algorithm>

#include "simnet/simulation.h"

namespace herd::simnet {
namespace {

__extension__ typedef __int128 Int128;  // GCC/Clang builtin, for exact time scaling

}  // namespace

// The host's local clock over the loop's virtual time, with skew and drift.
class SimHost::Clock final : public herd::Clock {
 public:
  explicit Clock(SimHost& host) : host_(host) {}

  TimePoint now() const override { return host_.local_now(); }

  TimerId schedule_after(Duration delay, std::function<void()> callback) override {
    if (delay < Duration::zero()) delay = Duration::zero();
    // A local delay lasts delay × 10^6 / (10^6 + drift) of virtual time.
    const Int128 global =
        static_cast<Int128>(delay.count()) * 1'000'000 / (1'000'000 + host_.drift_ppm_);
    const TimePoint at = host_.sim_.now() + Duration(static_cast<std::int64_t>(global));
    const std::uint64_t epoch = host_.epoch_;
    SimHost* host = &host_;
    const EventLoop::EventId id =
        host_.sim_.loop().schedule_at(at, [host, epoch, callback = std::move(callback)]() mutable {
          if (host->epoch_ != epoch) return;
          host->run_at(host->sim_.now(), std::move(callback));
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
  const std::int64_t global = to_nanos(sim_.now());
  const Int128 local =
      static_cast<Int128>(global) * (1'000'000 + drift_ppm_) / 1'000'000 + clock_offset_.count();
  return time_from_nanos(static_cast<std::int64_t>(local));
}

void SimHost::set_clock(Duration offset, std::int64_t drift_ppm) {
  clock_offset_ = offset;
  drift_ppm_ = std::clamp<std::int64_t>(drift_ppm, -500'000, 500'000);
}

void SimHost::charge(Work work, std::uint64_t count) {
  const std::int64_t ns = sim_.costs().cost(work, count) * cpu_factor_percent_ / 100;
  // Work done outside an event of this host (a test driving it directly) is counted but delays
  // nothing that follows.
  if (in_handler_) current_work_ns_ += ns;
  cpu_ns_[static_cast<std::size_t>(component_of(work))] += ns;
}

void SimHost::run_at(TimePoint at, std::function<void()> fn) {
  const std::uint64_t epoch = epoch_;
  auto run = [this, epoch, fn = std::move(fn)]() mutable {
    if (epoch_ != epoch) return;
    // Wait for a free core: an overloaded host falls behind, as it would in life.
    auto core = std::min_element(core_free_.begin(), core_free_.end());
    const TimePoint now = sim_.now();
    if (*core > now) {
      sim_.loop().schedule_at(*core, [this, epoch, fn = std::move(fn)]() mutable {
        if (epoch_ == epoch) run_at(sim_.now(), std::move(fn));
      });
      return;
    }
    current_work_ns_ = 0;
    in_handler_ = true;
    fn();
    in_handler_ = false;
    busy_ns_ += current_work_ns_;
    *core = now + Duration(current_work_ns_);
    current_work_ns_ = 0;
  };
  if (at <= sim_.now()) {
    run();
  } else {
    sim_.loop().schedule_at(at, std::move(run));
  }
}

void SimHost::boot() {
  ++epoch_;
  std::fill(core_free_.begin(), core_free_.end(), sim_.now());
  const std::uint64_t generation = epoch_;
  clock_ = std::make_unique<Clock>(*this);
  transport_ = std::make_unique<Transport>(*this);
  meter_ = std::make_unique<Meter>(*this);
  logger_ = std::make_unique<Logger>(*clock_, name_, nullptr, LogLevel::kWarning);
  rng_ = sim_.fork_rng("host/" + name_ + "/" + std::to_string(generation));
  executor_ = std::make_unique<agent::SyntheticExecutor>(*clock_, rng_);
  env_ = std::make_unique<Env>(
      Env{*clock_, *transport_, disk_, executor_.get(), rng_, *meter_, *logger_});
  handler_ = nullptr;
  node_ = factory_ ? factory_(*this) : nullptr;
  if (!node_) node_ = std::make_unique<SimNode>();
}

void SimHost::crash() {
  ++epoch_;  // pending timers and deliveries of the old life are dropped when they come up
  handler_ = nullptr;
  node_.reset();
  executor_.reset();  // the task runtime dies with the host
  disk_.crash();
}

}  // namespace herd::simnet
