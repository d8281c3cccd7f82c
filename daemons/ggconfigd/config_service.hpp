// The gg_config bus methods (DESIGN §5) over the configuration store.
#pragma once

#include "subscriptions.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/config_store.hpp"
#include "ggl/event_loop.hpp"

#include <memory>
#include <mutex>

namespace ggl::configd {

// Reads run on the event loop with their own connection: in WAL mode they never wait
// for a writer. Writes run on the server's worker threads, one at a time on the writer
// connection, since each waits for its fsync; their changes reach subscribers on the
// loop in commit order.
class ConfigService {
public:
    ConfigService(EventLoop& loop, bus::Server& server, std::unique_ptr<config::ConfigStore> reader,
                  std::unique_ptr<config::ConfigStore> writer);

private:
    void register_methods(bus::Server& server);
    Result<Object> read(const bus::Call& call);
    Result<Object> list(const bus::Call& call);
    Result<Object> write(const bus::Call& call);
    Result<Object> remove(const bus::Call& call);
    Result<Object> backup(const bus::Call& call);
    Result<Object> restore(const bus::Call& call);
    void subscribe(bus::Subscription subscription);
    // Runs a change on the writer and hands what changed to the subscribers.
    Result<Object> commit_change(const std::function<Result<void>(std::vector<config::Change>&)>& change);

    EventLoop& loop_;
    std::unique_ptr<config::ConfigStore> reader_;
    std::mutex writer_mutex_;
    std::unique_ptr<config::ConfigStore> writer_;
    SubscriptionRegistry subscriptions_;
};

} // namespace ggl::configd
