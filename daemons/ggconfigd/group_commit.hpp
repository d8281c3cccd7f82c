// Group commit on the event loop: changes queue while the loop handles a turn's
// requests, and every change queued when the loop is about to wait shares one
// transaction and its single fsync.
#pragma once

#include "ggl/config_store.hpp"
#include "ggl/error.hpp"
#include "ggl/event_loop.hpp"

#include <deque>
#include <functional>
#include <vector>

namespace ggl::configd {

class GroupCommit {
public:
    // Applies one request to the store, appending what it changed.
    using Change = std::function<Result<void>(config::ConfigStore& store, std::vector<config::Change>& changes)>;
    // A request's answer: its outcome (an error, or success once durable) and what it
    // changed.
    using Done = std::function<void(Result<void> outcome, std::vector<config::Change> changes)>;
    struct Finished {
        Result<void> outcome;
        std::vector<config::Change> changes;
        Done done;
    };
    // Told once per group, after the group's commit, with its requests' outcomes in
    // commit order.
    using GroupDone = std::function<void(std::vector<Finished>& group)>;

    // before_commit runs before each group (ggconfigd: ends the turn's read transaction).
    GroupCommit(EventLoop& loop, config::ConfigStore& store, std::function<void()> before_commit, GroupDone group_done);
    ~GroupCommit();
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    // A request that shares a transaction with others (write, delete).
    void submit(Change change, Done done);
    // A request that must run alone, outside any transaction (backup, restore).
    void submit_alone(Change change, Done done);
    // Applies and answers everything queued; the loop calls it before it waits.
    void flush();

private:
    struct Request {
        Change change;
        Done done;
        bool alone = false;
    };
    void apply_group(std::vector<Request>& group);
    void apply_alone(Request& request);
    void schedule_checkpoint();

    EventLoop& loop_;
    config::ConfigStore& store_;
    std::function<void()> before_commit_;
    GroupDone group_done_;
    std::deque<Request> queue_;
    std::vector<Request> group_;
    EventLoop::TimerId checkpoint_timer_{};
    bool checkpoint_scheduled_ = false;
};

} // namespace ggl::configd
