// A leader's environment for testing leader-only components without Raft: a store, a
// ManualClock, and a Proposer that queues transactions and applies them when told to settle().
#pragma once

#include <deque>
#include <utility>

#include "core/manager/leader_context.h"
#include "core/runtime/manual_clock.h"
#include "core/store/write_tx.h"

namespace herd::manager {

class QueueProposer final : public Proposer {
 public:
  explicit QueueProposer(store::Store& store) : store_(store) {}

  void propose(proto::StoreTransaction transaction, Done done) override {
    queue_.emplace_back(std::move(transaction), std::move(done));
  }

  // Applies queued transactions in order, as commits would, until none is left. Returns how many
  // were applied; failures are counted in failed().
  int settle() {
    int applied = 0;
    while (!queue_.empty() && applied < 10'000) {
      auto [transaction, done] = std::move(queue_.front());
      queue_.pop_front();
      const Status status = store_.apply(transaction);
      if (!status.is_ok()) ++failed_;
      ++applied;
      if (done) done(status);
    }
    return applied;
  }

  std::size_t queued() const { return queue_.size(); }
  int failed() const { return failed_; }

 private:
  store::Store& store_;
  std::deque<std::pair<proto::StoreTransaction, Done>> queue_;
  int failed_ = 0;
};

struct LeaderHarness {
  store::Store store;
  QueueProposer proposer{store};
  ManualClock clock;
  Rng rng{42};
  NullCostMeter cost;
  Logger logger{clock, "mg0", nullptr};
  LeaderContext context{store, proposer, clock, rng, cost, logger};

  // Applies a transaction directly, as if another component had written it, then lets the
  // components react.
  void write(const store::WriteTx& tx) {
    const Status status = store.apply(tx.transaction());
    HERD_CHECK(status.is_ok()) << status;
    proposer.settle();
  }
};

}  // namespace herd::manager
