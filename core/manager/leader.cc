#include "core/manager/leader.h"

#include "core/manager/cluster_bootstrap.h"

namespace herd::manager {

Leader::Leader(LeaderContext& context, SessionSender* sender, Dispatcher::ManagerList managers)
    : context_(context),
      restarts_(context),
      control_api_(context),
      scheduler_timer_(context.clock) {
  Result<store::WriteTx> bootstrap =
      bootstrap_cluster(context_.store, context_.rng, context_.clock.now());
  if (!bootstrap.ok()) {
    context_.logger.error("leader.bootstrap_failed", {{"error", bootstrap.status().to_string()}});
  } else if (!bootstrap->empty()) {
    context_.proposer.propose(std::move(*bootstrap).release(), [this](const Status& status) {
      if (!status.is_ok() && status.code() != StatusCode::kNotLeader) {
        context_.logger.error("leader.bootstrap_failed", {{"error", status.to_string()}});
      }
    });
  }
  restarts_.resume();
  allocator_ = std::make_unique<Allocator>(context_);
  scheduler_ = std::make_unique<Scheduler>(context_.store, &context_.cost);
  replicated_ = std::make_unique<ReplicatedOrchestrator>(context_, restarts_);
  global_ = std::make_unique<GlobalOrchestrator>(context_, restarts_);
  updates_ = std::make_unique<UpdateSupervisor>(context_);
  reaper_ = std::make_unique<TaskReaper>(context_);
  roles_ = std::make_unique<RoleManager>(context_);
  if (sender != nullptr) {
    dispatcher_ = std::make_unique<Dispatcher>(context_, *sender, std::move(managers));
  }
  context_.store.add_watcher(this);
  arm_scheduler();
}

Leader::~Leader() { context_.store.remove_watcher(this); }

void Leader::on_store_commit(std::uint64_t) { arm_scheduler(); }

void Leader::arm_scheduler() {
  if (!scheduler_->has_work()) return;
  const TimePoint now = context_.clock.now();
  if (!scheduler_armed_) {
    scheduler_armed_ = true;
    first_pending_change_ = now;
  }
  // Debounce: wait for a quiet period, but never past the maximum delay since the first change.
  const Duration until_max = first_pending_change_ + kSchedulerMaxDelay - now;
  scheduler_timer_.arm(
      std::min<Duration>(kSchedulerDebounce, std::max(until_max, Duration::zero())),
      [this] { run_scheduler(); });
}

void Leader::run_scheduler() {
  scheduler_armed_ = false;
  Scheduler::Decisions decisions = scheduler_->schedule(context_.clock.now());
  if (decisions.transactions.empty()) return;
  // The proposals outlive `decisions`, so each transaction is copied off the arena.
  for (const proto::StoreTransaction* transaction : decisions.transactions) {
    ++scheduler_proposals_;
    context_.proposer.propose(*transaction, [this](const Status& status) {
      if (status.code() == StatusCode::kNotLeader || status.code() == StatusCode::kUnavailable) {
        return;
      }
      if (!status.is_ok()) scheduler_proposal_failed_ = true;
      if (--scheduler_proposals_ == 0 && scheduler_proposal_failed_) {
        // Some decisions did not commit, so the scheduler's counts are off: rebuild them.
        scheduler_proposal_failed_ = false;
        scheduler_->reset();
        arm_scheduler();
      }
    });
  }
}

}  // namespace herd::manager
