// The gg_config bus methods (docs/configuration.md) over the configuration store.
#pragma once

#include "group_commit.hpp"
#include "subscriptions.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/config_store.hpp"
#include "ggl/event_loop.hpp"

#include <memory>

namespace ggl::configd {

// Everything runs on the event loop, over one sqlite connection. Reads are answered at
// once; the reads of one turn share a read transaction, which ends before the loop
// sleeps and before changes are applied. Changes are applied with group commit when
// the loop is about to sleep (group_commit.cpp); once a group is durable its events and
// then its answers go out, in commit order, so a client that got its answer reads what
// it wrote.
class ConfigService {
public:
    ConfigService(EventLoop& loop, bus::Server& server, std::unique_ptr<config::ConfigStore> store);

private:
    void register_methods(bus::Server& server);
    Result<Object> read(const bus::Call& call);
    Result<Object> list(const bus::Call& call);
    void write(bus::Call call);
    void remove(bus::Call call);
    void backup(bus::Call call);
    void restore(bus::Call call);
    void subscribe(bus::Subscription subscription);
    // Queues a change; the call is answered once it is durable.
    void submit(bus::Call call, GroupCommit::Change change, bool alone = false);
    // A durable group's events, then its answers.
    void finish_group(std::vector<GroupCommit::Finished>& group);

    std::unique_ptr<config::ConfigStore> store_;
    SubscriptionRegistry subscriptions_;
    GroupCommit commit_;
};

} // namespace ggl::configd
