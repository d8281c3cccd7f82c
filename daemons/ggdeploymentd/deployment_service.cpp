// gg_deployment's methods and its queue.
#include "deployment_service.hpp"

#include "ggl/log.hpp"
#include "ggl/services/deployment.hpp"

#include <algorithm>

namespace ggl::deployment {
namespace {

namespace contract = services::deployment;

constexpr size_t kKeptFinishedRecords = 100;

std::string id_param(const Map& params) {
    const Object* id = params.find(contract::param::kDeploymentId);
    return id != nullptr && id->is_buffer() ? std::string(id->as_buffer()) : std::string{};
}

Map step(const std::string& message) { return Map{{"time", now_ms()}, {"message", message}}; }

} // namespace

DeploymentService::DeploymentService(bus::Server& server, RecordStore store, DeployerOptions options)
    : store_(std::move(store)),
      deployer_(std::move(options), [this](Record& record, const std::string& message) { progress(record, message); }) {
    server.add_call(contract::kCreateLocalDeployment.spec(), [this](const bus::Call& call) { return create(call); });
    server.add_call(contract::kGetDeploymentStatus.spec(), [this](const bus::Call& call) { return status(call); });
    server.add_call(contract::kListDeployments.spec(), [this](const bus::Call& call) { return list(call); });
    server.add_call(contract::kCancelDeployment.spec(), [this](const bus::Call& call) { return cancel(call); });
    server.add_subscribe(contract::kSubscribeToDeployment.spec(),
                         [this](bus::Subscription subscription) { subscribe(std::move(subscription)); });
}

DeploymentService::~DeploymentService() { stop(); }

Result<void> DeploymentService::start() {
    if (auto prepared = store_.prepare(); !prepared) {
        return prepared;
    }
    std::vector<std::string> problems;
    std::vector<Record> records = store_.load_all(problems);
    for (const std::string& problem : problems) {
        GGL_LOGW("skipping a deployment record: %s", problem.c_str());
    }
    std::lock_guard lock(mutex_);
    for (Record& record : records) {
        next_sequence_ = std::max(next_sequence_, record.sequence + 1);
        if (record.state == State::InProgress) {
            to_recover_.push_back(record.id);
        }
        records_.emplace(record.id, std::move(record));
    }
    prune_locked();
    thread_ = std::thread([this] { worker(); });
    return {};
}

bool DeploymentService::busy() const {
    std::lock_guard lock(mutex_);
    return busy_;
}

void DeploymentService::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void DeploymentService::prune_locked() {
    std::vector<const Record*> finished;
    for (const auto& [id, record] : records_) {
        if (is_final(record.state)) finished.push_back(&record);
    }
    if (finished.size() <= kKeptFinishedRecords) return;
    std::sort(finished.begin(), finished.end(),
              [](const Record* a, const Record* b) { return a->sequence < b->sequence; });
    std::vector<std::string> doomed;
    for (size_t i = 0; i + kKeptFinishedRecords < finished.size(); ++i) doomed.push_back(finished[i]->id);
    for (const std::string& id : doomed) {
        std::error_code error;
        std::filesystem::remove(store_.directory() / (id + ".json"), error);
        records_.erase(id);
    }
}

namespace {

Map event_for(const Record& record, const std::string& message) {
    bool final = is_final(record.state);
    Map event{{"deployment_id", record.id},
              {"state", std::string(state_name(record.state))},
              {"time", now_ms()},
              {"message", message},
              {"final", final}};
    if (final) event.set("status", record.to_object());
    return event;
}

} // namespace

void DeploymentService::publish_locked(const Record& record, const std::string& message) {
    auto it = subscribers_.find(record.id);
    if (it == subscribers_.end()) return;
    bool final = is_final(record.state);
    Map event = event_for(record, message);
    for (bus::Subscription& subscription : it->second) {
        subscription.send(event);
        if (final) subscription.end();
    }
    if (final) subscribers_.erase(it);
}

void DeploymentService::progress(Record& record, const std::string& message) {
    GGL_LOGI("deployment %s: %s", record.id.c_str(), message.c_str());
    record.steps.emplace_back(step(message));
    record.updated_ms = now_ms();
    if (auto saved = store_.save(record); !saved) {
        GGL_LOGE("deployment %s: cannot save its record: %s", record.id.c_str(), saved.error().message.c_str());
    }
    std::lock_guard lock(mutex_);
    records_[record.id] = record;
    publish_locked(record, message);
}

void DeploymentService::worker() {
    for (;;) {
        Record record;
        bool recovering = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] {
                if (stopping_ || !to_recover_.empty()) return true;
                // A deployment awaiting a reboot holds the device half-deployed: the
                // queue waits for the reboot (and the resumed deployment) too.
                bool awaiting_reboot = std::any_of(records_.begin(), records_.end(), [](const auto& entry) {
                    return entry.second.state == State::InProgress && entry.second.phase == kAwaitingReboot;
                });
                if (awaiting_reboot) return false;
                return std::any_of(records_.begin(), records_.end(),
                                   [](const auto& entry) { return entry.second.state == State::Queued; });
            });
            if (stopping_) return;
            if (!to_recover_.empty()) {
                record = records_.at(to_recover_.front());
                to_recover_.erase(to_recover_.begin());
                recovering = true;
            } else {
                const Record* next = nullptr;
                for (const auto& [id, candidate] : records_) {
                    if (candidate.state == State::Queued && (next == nullptr || candidate.sequence < next->sequence)) {
                        next = &candidate;
                    }
                }
                record = *next;
            }
            busy_ = true;
        }
        if (recovering) {
            deployer_.recover(record);
        } else {
            record.state = State::InProgress;
            deployer_.run(record);
        }
        std::lock_guard lock(mutex_);
        busy_ = false;
        prune_locked();
    }
}

Result<Object> DeploymentService::create(const bus::Call& call) {
    auto request = parse_request(call.params());
    if (!request) {
        return std::move(request).error();
    }
    Record record;
    record.id = new_deployment_id();
    record.request = std::move(*request);
    record.created_ms = record.updated_ms = now_ms();
    record.steps.emplace_back(step("queued"));
    {
        std::lock_guard lock(mutex_);
        record.sequence = next_sequence_++;
    }
    if (auto saved = store_.save(record); !saved) {
        return make_error(ErrorCode::Failure, "cannot record the deployment: " + saved.error().message);
    }
    std::string id = record.id;
    GGL_LOGI("deployment %s queued", id.c_str());
    {
        std::lock_guard lock(mutex_);
        records_.emplace(id, std::move(record));
    }
    wake_.notify_all();
    return Object(Map{{"deployment_id", id}});
}

Result<Object> DeploymentService::status(const bus::Call& call) {
    std::string id = id_param(call.params());
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    if (it == records_.end()) {
        return make_error(ErrorCode::Noentry, "no deployment " + id);
    }
    return Object(it->second.to_object());
}

Result<Object> DeploymentService::list(const bus::Call&) {
    std::lock_guard lock(mutex_);
    std::vector<const Record*> sorted;
    for (const auto& [id, record] : records_) sorted.push_back(&record);
    std::sort(sorted.begin(), sorted.end(), [](const Record* a, const Record* b) { return a->sequence < b->sequence; });
    List deployments;
    for (const Record* record : sorted) deployments.emplace_back(record->summary());
    return Object(Map{{"deployments", std::move(deployments)}});
}

Result<Object> DeploymentService::cancel(const bus::Call& call) {
    std::string id = id_param(call.params());
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    if (it == records_.end()) {
        return make_error(ErrorCode::Noentry, "no deployment " + id);
    }
    Record& record = it->second;
    if (record.state != State::Queued) {
        return make_error(ErrorCode::Conflict, "deployment " + id + " is " + std::string(state_name(record.state)) +
                                                   "; only a QUEUED deployment can be canceled");
    }
    record.state = State::Canceled;
    record.updated_ms = now_ms();
    record.steps.emplace_back(step("canceled"));
    if (auto saved = store_.save(record); !saved) {
        GGL_LOGE("deployment %s: cannot save its record: %s", id.c_str(), saved.error().message.c_str());
    }
    publish_locked(record, "canceled");
    return Object(Map{});
}

void DeploymentService::subscribe(bus::Subscription subscription) {
    std::string id = id_param(subscription.params());
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    if (it == records_.end()) {
        subscription.reject(make_error(ErrorCode::Noentry, "no deployment " + id));
        return;
    }
    const Record& record = it->second;
    std::string last;
    if (!record.steps.empty()) {
        if (const Map* step_map = record.steps.back().if_map()) {
            if (const Object* message = step_map->find("message"); message && message->is_buffer()) {
                last = std::string(message->as_buffer());
            }
        }
    }
    subscription.send(event_for(record, last));
    if (is_final(record.state)) {
        subscription.end();
        return;
    }
    subscribers_[id].push_back(subscription);
}

} // namespace ggl::deployment
