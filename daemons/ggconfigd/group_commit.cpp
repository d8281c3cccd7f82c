// Group commit of configuration changes on the writer thread.
//
// Fsync discipline. The store runs WAL with synchronous=FULL: a COMMIT appends the
// transaction's pages to the WAL and fsyncs the WAL before it returns, and sqlite fsyncs
// the WAL again before a checkpoint copies pages into the database, and the database
// before the WAL is reused. A request is answered only after the COMMIT of the
// transaction that holds it returned OK, so an acknowledged write is in the fsynced WAL:
// it survives kill -9 (the WAL is replayed at the next open) and power loss.
//
// Group commit. While one COMMIT waits for its fsync, new requests queue; the next
// transaction takes every queued request (up to kMaxGroup), each inside its own
// savepoint so that one failing request rolls back only itself, and commits them with a
// single fsync. One request at a time costs one fsync each (the disk's fsync rate is
// then the limit); several in flight, from one pipelined connection or many clients,
// share fsyncs. If the COMMIT fails (a full disk), sqlite rolls the whole transaction
// back and every request of the group gets that error: none of them was acknowledged,
// and nothing stored before is lost.
#include "group_commit.hpp"

#include <chrono>

namespace ggl::configd {
namespace {

// Bounds the latency one group adds to its first request, and its memory.
constexpr size_t kMaxGroup = 256;

// Writes idle this long: the WAL is checkpointed into the database file. Reads of pages
// still in the WAL go through sqlite's small private cache, reads of the file through
// its memory map; checkpointing when nothing is being written keeps its two fsyncs
// off the write path (sqlite's own checkpoint at 1000 WAL pages remains the bound).
constexpr auto kIdleCheckpointDelay = std::chrono::milliseconds(250);

} // namespace

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<config::ConfigStore> store, GroupDone group_done)
    : store_(std::move(store)), group_done_(std::move(group_done)), thread_([this] { run(); }) {}

GroupCommitWriter::~GroupCommitWriter() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void GroupCommitWriter::submit(Change change, Done done) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back({std::move(change), std::move(done), false});
    }
    wake_.notify_one();
}

void GroupCommitWriter::submit_alone(Change change, Done done) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back({std::move(change), std::move(done), true});
    }
    wake_.notify_one();
}

void GroupCommitWriter::run() {
    std::vector<Request> group;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            auto ready = [this] { return stopping_ || !queue_.empty(); };
            if (written_since_checkpoint_ && !wake_.wait_for(lock, kIdleCheckpointDelay, ready)) {
                lock.unlock();
                written_since_checkpoint_ = false;
                (void)store_->checkpoint();  // best effort: a failed one is retried after the next write
                continue;
            }
            // Requests already queued are still applied and answered when stopping.
            wake_.wait(lock, ready);
            if (queue_.empty()) {
                return;
            }
            if (queue_.front().alone) {
                group.push_back(std::move(queue_.front()));
                queue_.pop_front();
            } else {
                while (!queue_.empty() && !queue_.front().alone && group.size() < kMaxGroup) {
                    group.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
        }
        if (group.front().alone) {
            apply_alone(group.front());
        } else {
            apply_group(group);
        }
        group.clear();
        written_since_checkpoint_ = true;
    }
}

void GroupCommitWriter::apply_alone(Request& request) {
    std::vector<Finished> finished(1);
    finished[0].outcome = request.change(*store_, finished[0].changes);
    if (!finished[0].outcome) {
        finished[0].changes.clear();
    }
    finished[0].done = std::move(request.done);
    group_done_(std::move(finished));
}

void GroupCommitWriter::apply_group(std::vector<Request>& group) {
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
    if (auto begun = store_->begin(); !begun) {
        fail_all(begun.error());
        group_done_(std::move(finished));
        return;
    }
    for (size_t i = 0; i < group.size(); ++i) {
        finished[i].outcome = group[i].change(*store_, finished[i].changes);
        if (!finished[i].outcome) {
            finished[i].changes.clear();
            // A request that failed on I/O (a full disk) may have ended the transaction
            // itself: then nothing of the group is stored and all of it fails.
            if (!store_->in_transaction()) {
                Error error = finished[i].outcome.error();
                fail_all(error);
                store_->rollback();
                group_done_(std::move(finished));
                return;
            }
        }
    }
    if (auto committed = store_->commit(); !committed) {
        fail_all(committed.error());
    }
    group_done_(std::move(finished));
}

} // namespace ggl::configd
