// The gg_config bus methods (DESIGN §5) over the configuration store.
#pragma once

#include "group_commit.hpp"
#include "subscriptions.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/config_store.hpp"
#include "ggl/event_loop.hpp"

#include <memory>

namespace ggl::configd {

// Reads run on the event loop with their own connection: in WAL mode they never wait
// for a writer. Changes run on one writer thread with group commit (group_commit.cpp);
// once a group is durable, its answers and its events go out on the loop, in commit
// order, so a client that got its answer reads what it wrote.
class ConfigService {
public:
    ConfigService(EventLoop& loop, bus::Server& server, std::unique_ptr<config::ConfigStore> reader,
                  std::unique_ptr<config::ConfigStore> writer);

private:
    void register_methods(bus::Server& server);
    Result<Object> read(const bus::Call& call);
    Result<Object> list(const bus::Call& call);
    void write(bus::Call call);
    void remove(bus::Call call);
    void backup(bus::Call call);
    void restore(bus::Call call);
    void subscribe(bus::Subscription subscription);
    // Queues a change for the writer; the call is answered once it is durable.
    void submit(bus::Call call, GroupCommitWriter::Change change, bool alone = false);
    // On the loop: a durable group's events, then its answers.
    void finish_group(std::vector<GroupCommitWriter::Finished>& group);

    EventLoop& loop_;
    std::unique_ptr<config::ConfigStore> reader_;
    SubscriptionRegistry subscriptions_;
    GroupCommitWriter writer_;
};

} // namespace ggl::configd
