// ggipcd's configuration validation: proposals reach the component's validation streams,
// the first report answers the deployment, and silence or no subscriber are told apart.
#include "config_validation.hpp"
#include "operations.hpp"

#include <catch2/catch.hpp>

#include <optional>

using namespace ggl;
using namespace ggl::ipc;
using namespace std::chrono_literals;

namespace {

// A validation stream as the IPC server keeps it: records the events it was sent.
class RecordingStream : public Stream {
public:
    void respond(const Object&) override { is_open = false; }
    void accept(const Object&) override {}
    bool send_event(std::string_view shape, const Object& body) override {
        if (!is_open) return false;
        events.emplace_back(std::string(shape), body);
        return true;
    }
    void fail(const IpcError&) override { is_open = false; }
    void end() override { is_open = false; }
    bool open() const override { return is_open; }
    void on_close(std::function<void()>) override {}

    bool is_open = true;
    std::vector<std::pair<std::string, Object>> events;
};

// Runs the loop until the outcome arrives (keep() stops it), or a generous bound passes.
ConfigValidation::Outcome run_until_done(EventLoop& loop, std::optional<ConfigValidation::Outcome>& outcome) {
    if (!outcome) {
        auto guard = loop.add_timer(10s, [&loop] { loop.stop(); });
        REQUIRE(loop.run().ok());
        loop.cancel_timer(guard);
    }
    REQUIRE(outcome.has_value());
    return *outcome;
}

ConfigValidation::Done keep(std::optional<ConfigValidation::Outcome>& outcome, EventLoop& loop) {
    return [&outcome, &loop](ConfigValidation::Outcome got) {
        outcome = std::move(got);
        loop.stop();
    };
}

} // namespace

TEST_CASE("a proposed configuration reaches every validation stream of the component, and the first report answers") {
    EventLoop loop;
    ConfigValidation validation(loop);
    auto first = std::make_shared<RecordingStream>();
    auto second = std::make_shared<RecordingStream>();
    auto other = std::make_shared<RecordingStream>();
    validation.add_subscriber("com.example.A", first);
    validation.add_subscriber("com.example.A", second);
    validation.add_subscriber("com.example.B", other);

    std::optional<ConfigValidation::Outcome> outcome;
    validation.validate("com.example.A", "dep-1", Map{{"port", int64_t{8080}}}, 5s, keep(outcome, loop));
    REQUIRE(first->events.size() == 1);
    CHECK(second->events.size() == 1);
    CHECK(other->events.empty());
    CHECK(first->events[0].first == "aws.greengrass#ValidateConfigurationUpdateEvents");
    const Object* event = find_field(first->events[0].second, "validateConfigurationUpdateEvent");
    REQUIRE(event != nullptr);
    CHECK(string_field(*event, "componentName") == "com.example.A");
    CHECK(string_field(*event, "deploymentId") == "dep-1");
    CHECK(*find_field(*event, "configuration") == Object(Map{{"port", int64_t{8080}}}));

    // Another component cannot answer for A; A's report does, once.
    CHECK(validation.report("com.example.B", "dep-1", true, "").error().code == ErrorCode::Invalid);
    REQUIRE(validation.report("com.example.A", "dep-1", false, "port 8080 is taken").ok());
    REQUIRE(outcome.has_value());
    CHECK(outcome->verdict == ConfigValidation::Verdict::Rejected);
    CHECK(outcome->message == "port 8080 is taken");
    CHECK(validation.report("com.example.A", "dep-1", true, "").error().code == ErrorCode::Invalid);
}

TEST_CASE("without a validation stream the answer is NO_SUBSCRIBER, at once") {
    EventLoop loop;
    ConfigValidation validation(loop);
    auto closed = std::make_shared<RecordingStream>();
    validation.add_subscriber("com.example.A", closed);
    closed->is_open = false; // its client went away
    std::optional<ConfigValidation::Outcome> outcome;
    validation.validate("com.example.A", "dep-1", Map{}, 5s, keep(outcome, loop));
    auto started = std::chrono::steady_clock::now();
    CHECK(run_until_done(loop, outcome).verdict == ConfigValidation::Verdict::NoSubscriber);
    CHECK(std::chrono::steady_clock::now() - started < 2s);
    CHECK(closed->events.empty());
}

TEST_CASE("a component that does not report in time lets the validation end TIMED_OUT; its late report is refused") {
    EventLoop loop;
    ConfigValidation validation(loop);
    auto silent = std::make_shared<RecordingStream>();
    validation.add_subscriber("com.example.A", silent);
    std::optional<ConfigValidation::Outcome> outcome;
    auto started = std::chrono::steady_clock::now();
    validation.validate("com.example.A", "dep-1", Map{}, 50ms, keep(outcome, loop));
    CHECK(run_until_done(loop, outcome).verdict == ConfigValidation::Verdict::TimedOut);
    CHECK(std::chrono::steady_clock::now() - started >= 50ms);
    CHECK(validation.report("com.example.A", "dep-1", true, "").error().code == ErrorCode::Invalid);
}

TEST_CASE("a removed validation stream gets no more proposals") {
    EventLoop loop;
    ConfigValidation validation(loop);
    auto stream = std::make_shared<RecordingStream>();
    validation.add_subscriber("com.example.A", stream);
    validation.remove_subscriber("com.example.A", stream.get());
    std::optional<ConfigValidation::Outcome> outcome;
    validation.validate("com.example.A", "dep-1", Map{}, 5s, keep(outcome, loop));
    CHECK(run_until_done(loop, outcome).verdict == ConfigValidation::Verdict::NoSubscriber);
    CHECK(stream->events.empty());
}
