// Configuration validation for deployments: the components' SubscribeToValidateConfigurationUpdates
// streams, and the validations that wait for their SendConfigurationValidityReport.
#pragma once

#include "ggl/error.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/object.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ggl::ipc {

class Stream;

class ConfigValidation {
public:
    enum class Verdict { Accepted, Rejected, NoSubscriber, TimedOut };
    struct Outcome {
        Verdict verdict = Verdict::NoSubscriber;
        std::string message; // the component's, for a report; why, otherwise
    };
    using Done = std::function<void(Outcome outcome)>;

    explicit ConfigValidation(EventLoop& loop) : loop_(loop) {}
    ~ConfigValidation();
    ConfigValidation(const ConfigValidation&) = delete;
    ConfigValidation& operator=(const ConfigValidation&) = delete;

    // The stream gets a ValidateConfigurationUpdateEvents event for each validation of the
    // component's configuration until it closes.
    void add_subscriber(const std::string& component, std::shared_ptr<Stream> stream);
    void remove_subscriber(const std::string& component, const Stream* stream);

    // Sends the proposed configuration to the component's subscribers; done runs once, on
    // the loop: with the first report, NoSubscriber at once when none listens, TimedOut
    // after timeout. A second validation of the same component and deployment replaces
    // the first, which ends TimedOut.
    void validate(const std::string& component, const std::string& deployment_id, const Object& configuration,
                  std::chrono::milliseconds timeout, Done done);
    // A component's report. INVALID when no validation of that deployment waits for one
    // from this component (it timed out, was answered already, or never was asked).
    Result<void> report(const std::string& component, const std::string& deployment_id, bool accepted,
                        std::string message);

    static std::string_view verdict_name(Verdict verdict); // "ACCEPTED", ..., "TIMED_OUT"

private:
    using Key = std::pair<std::string, std::string>; // component, deployment id
    struct Pending {
        Done done;
        EventLoop::TimerId timer = 0;
    };
    void finish(const Key& key, Outcome outcome);

    EventLoop& loop_;
    std::map<std::string, std::vector<std::shared_ptr<Stream>>> subscribers_;
    std::map<Key, Pending> pending_;
};

} // namespace ggl::ipc
