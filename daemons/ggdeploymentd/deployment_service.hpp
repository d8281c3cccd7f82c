// gg_deployment: the persistent queue, one deployment at a time on a worker thread,
// status and progress subscriptions (docs/deployments.md).
#pragma once

#include "deployer.hpp"
#include "deployment_record.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/event_loop.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace ggl::deployment {

class DeploymentService {
public:
    DeploymentService(bus::Server& server, RecordStore store, DeployerOptions options);
    ~DeploymentService();

    // Loads the records (finishing interrupted deployments first) and starts the worker.
    Result<void> start();
    // True while a deployment runs (the daemon then exits without waiting for it; the
    // next start recovers it from its record).
    bool busy() const;
    void stop();

private:
    Result<Object> create(const bus::Call& call);
    Result<Object> status(const bus::Call& call);
    Result<Object> list(const bus::Call& call);
    Result<Object> cancel(const bus::Call& call);
    void subscribe(bus::Subscription subscription);

    void worker();
    void progress(Record& record, const std::string& message);
    void publish_locked(const Record& record, const std::string& message);
    void prune_locked();

    RecordStore store_;
    Deployer deployer_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::string, Record> records_;
    std::map<std::string, std::vector<bus::Subscription>> subscribers_;
    std::vector<std::string> to_recover_;
    uint64_t next_sequence_ = 1;
    bool stopping_ = false;
    bool busy_ = false;
    std::thread thread_;
};

} // namespace ggl::deployment
