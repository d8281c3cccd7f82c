// Group commit: changes run on one writer thread, and every request waiting when a
// transaction starts shares that transaction and its single fsync.
#pragma once

#include "ggl/config_store.hpp"
#include "ggl/error.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ggl::configd {

class GroupCommitWriter {
public:
    // Applies one request to the store, appending what it changed.
    using Change = std::function<Result<void>(config::ConfigStore& store, std::vector<config::Change>& changes)>;
    // A request's answer: its outcome (an error, or success once durable) and what it
    // changed. GroupDone decides where it runs (ggconfigd: on the event loop).
    using Done = std::function<void(Result<void> outcome, std::vector<config::Change> changes)>;
    // Told once per group on the writer thread, after the group's commit, with its
    // requests' outcomes in commit order.
    struct Finished {
        Result<void> outcome;
        std::vector<config::Change> changes;
        Done done;
    };
    using GroupDone = std::function<void(std::vector<Finished> group)>;

    GroupCommitWriter(std::unique_ptr<config::ConfigStore> store, GroupDone group_done);
    ~GroupCommitWriter();
    GroupCommitWriter(const GroupCommitWriter&) = delete;
    GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

    // A request that shares a transaction with others (write, delete).
    void submit(Change change, Done done);
    // A request that must run alone, outside any transaction (backup, restore).
    void submit_alone(Change change, Done done);

private:
    struct Request {
        Change change;
        Done done;
        bool alone = false;
    };
    void run();
    void apply_group(std::vector<Request>& group);
    void apply_alone(Request& request);

    std::unique_ptr<config::ConfigStore> store_;
    GroupDone group_done_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Request> queue_;
    bool stopping_ = false;
    bool written_since_checkpoint_ = false;
    std::thread thread_;
};

} // namespace ggl::configd
