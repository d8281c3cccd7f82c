// Group commit of configuration changes, on the event loop.
//
// Fsync discipline. The store runs WAL with synchronous=FULL: a COMMIT appends the
// transaction's pages to the WAL and fsyncs the WAL before it returns, and sqlite fsyncs
// the WAL again before a checkpoint copies pages into the database, and the database
// before the WAL is reused. A request is answered only after the COMMIT of the
// transaction that holds it returned OK, so an acknowledged write is in the fsynced WAL:
// it survives kill -9 (the WAL is replayed at the next open) and power loss.
//
// Group commit. Changes are not applied when their request arrives: they queue while
// the loop handles everything that is ready (every connection's whole input), and the
// queue is applied when the loop is about to sleep, in one transaction, each change
// inside its own savepoint so that one failing request rolls back only itself, with a
// single fsync for all of them. While that fsync runs, new requests wait in the
// sockets and form the next group. One request at a time costs one fsync and no thread
// hand-off; several in flight, from one pipelined connection or many clients, share
// fsyncs. If the COMMIT fails (a full disk), sqlite rolls the whole transaction back
// and every request of the group gets that error: none of them was acknowledged, and
// nothing stored before is lost.
//
// The loop does not serve reads while a group commits (one fsync, typically well under
// a millisecond): a single connection and no locks, which is what keeps ggconfigd small.
#include "group_commit.hpp"

#include <chrono>

namespace ggl::configd {
namespace {

// Bounds the latency one group adds to its first request.
constexpr size_t kMaxGroup = 256;

// Writes idle this long: the WAL is checkpointed into the database file, and the page
// cache's pages released. Reads of pages still in the WAL go through sqlite's small
// private cache, reads of the file through its memory map; checkpointing when nothing
// is being written keeps its two fsyncs off the write path (sqlite's own checkpoint at
// 1000 WAL pages remains the bound).
constexpr auto kIdleCheckpointDelay = std::chrono::milliseconds(250);

} // namespace

GroupCommit::GroupCommit(EventLoop& loop, config::ConfigStore& store, std::function<void()> before_commit,
                         GroupDone group_done)
    : loop_(loop), store_(store), before_commit_(std::move(before_commit)), group_done_(std::move(group_done)) {
    loop_.add_before_wait([this] { flush(); });
}

GroupCommit::~GroupCommit() {
    if (checkpoint_scheduled_) {
        loop_.cancel_timer(checkpoint_timer_);
    }
}

void GroupCommit::submit(Change change, Done done) { queue_.push_back({std::move(change), std::move(done), false}); }

void GroupCommit::submit_alone(Change change, Done done) {
    queue_.push_back({std::move(change), std::move(done), true});
}

void GroupCommit::flush() {
    if (queue_.empty()) {
        return;
    }
    while (!queue_.empty()) {
        // Answers may queue more (a client's next request never arrives before its
        // answer went out, but a subscriber's handler could): the loop drains them.
        if (queue_.front().alone) {
            group_.push_back(std::move(queue_.front()));
            queue_.pop_front();
        } else {
            while (!queue_.empty() && !queue_.front().alone && group_.size() < kMaxGroup) {
                group_.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        before_commit_();
        if (group_.front().alone) {
            apply_alone(group_.front());
        } else {
            apply_group(group_);
        }
        group_.clear();
    }
    schedule_checkpoint();
}

void GroupCommit::schedule_checkpoint() {
    if (checkpoint_scheduled_) {
        loop_.cancel_timer(checkpoint_timer_);
    }
    checkpoint_scheduled_ = true;
    checkpoint_timer_ = loop_.add_timer(kIdleCheckpointDelay, [this] {
        checkpoint_scheduled_ = false;
        before_commit_();
        (void)store_.checkpoint(); // best effort: a failed one is retried after the next write
        store_.release_memory();
    });
}

void GroupCommit::apply_alone(Request& request) {
    std::vector<Finished> finished(1);
    finished[0].outcome = request.change(store_, finished[0].changes);
    if (!finished[0].outcome) {
        finished[0].changes.clear();
    }
    finished[0].done = std::move(request.done);
    group_done_(finished);
}

void GroupCommit::apply_group(std::vector<Request>& group) {
    std::vector<Finished> finished(group.size());
    for (size_t i = 0; i < group.size(); ++i) {
        finished[i].done = std::move(group[i].done);
    }
    auto fail_all = [&finished](const Error& error) {
        for (Finished& one : finished) {
            if (one.outcome) {
                one.outcome = error;
            }
            one.changes.clear();
        }
    };
    if (auto begun = store_.begin(); !begun) {
        fail_all(begun.error());
        group_done_(finished);
        return;
    }
    for (size_t i = 0; i < group.size(); ++i) {
        finished[i].outcome = group[i].change(store_, finished[i].changes);
        if (!finished[i].outcome) {
            finished[i].changes.clear();
            // A request that failed on I/O (a full disk) may have ended the transaction
            // itself: then nothing of the group is stored and all of it fails.
            if (!store_.in_transaction()) {
                Error error = finished[i].outcome.error();
                fail_all(error);
                store_.rollback();
                group_done_(finished);
                return;
            }
        }
    }
    if (auto committed = store_.commit(); !committed) {
        fail_all(committed.error());
    }
    group_done_(finished);
}

} // namespace ggl::configd
