// lib/systemd against a real systemd user manager (run under with_user_manager.sh):
// jobs, unit properties, change signals through the event loop, unit files, the journal.
#include "ggl/event_loop.hpp"
#include "ggl/systemd.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using namespace ggl;
using namespace ggl::systemd;

namespace {

std::string unit_dir() {
    const char* dir = std::getenv("GGL_UNIT_DIR");
    REQUIRE(dir != nullptr);
    return dir;
}

void write_unit(const std::string& name, const std::string& text) { std::ofstream(unit_dir() + "/" + name) << text; }

Manager connect_user() {
    auto manager = Manager::connect(Scope::User);
    REQUIRE(manager.ok());
    return std::move(*manager);
}

// Runs the loop until done() holds or 20 s pass.
bool run_until(EventLoop& loop, const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        loop.add_timer(std::chrono::milliseconds(20), [&loop] { loop.stop(); });
        auto ran = loop.run();
        REQUIRE(ran.ok());
    }
    return done();
}

} // namespace

TEST_CASE("connecting without a user manager names the socket") {
    const char* saved = std::getenv("XDG_RUNTIME_DIR");
    std::string keep = saved ? saved : "";
    setenv("XDG_RUNTIME_DIR", "/nonexistent-ggl", 1);
    auto manager = Manager::connect(Scope::User);
    setenv("XDG_RUNTIME_DIR", keep.c_str(), 1);
    REQUIRE_FALSE(manager.ok());
    CHECK(manager.error().code == ErrorCode::Noconn);
    CHECK(manager.error().message.find("/nonexistent-ggl/systemd/private") != std::string::npos);
}

TEST_CASE("GGL_SYSTEMD_SCOPE chooses the manager") {
    setenv("GGL_SYSTEMD_SCOPE", "user", 1);
    CHECK(*scope_from_environment() == Scope::User);
    setenv("GGL_SYSTEMD_SCOPE", "system", 1);
    CHECK(*scope_from_environment() == Scope::System);
    setenv("GGL_SYSTEMD_SCOPE", "both", 1);
    CHECK(scope_from_environment().error().code == ErrorCode::Invalid);
    setenv("GGL_SYSTEMD_SCOPE", "user", 1);
}

TEST_CASE("a started oneshot unit is active once its job is done") {
    write_unit("ggltest.oneshot.service",
               "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo hello from oneshot'\n"
               "SyslogIdentifier=ggltest.oneshot\n");
    Manager manager = connect_user();
    REQUIRE(manager.reload().ok());
    auto job = manager.start_unit("ggltest.oneshot.service", true);
    REQUIRE(job.ok());
    CHECK(job->done());
    auto status = manager.unit_status("ggltest.oneshot.service");
    REQUIRE(status.ok());
    CHECK(status->load_state == "loaded");
    CHECK(status->active_state == "active");
    CHECK(status->sub_state == "exited");
    CHECK(status->result == "success");
    CHECK(status->exec_main_code == 1);
    CHECK(status->exec_main_status == 0);
    CHECK(status->exec_main_exit_usec > 0);
    CHECK(status->state_change_usec > 0);

    auto stopped = manager.stop_unit("ggltest.oneshot.service", true);
    REQUIRE(stopped.ok());
    CHECK(stopped->done());
    CHECK(manager.unit_status("ggltest.oneshot.service")->active_state == "inactive");

    SECTION("its output reaches the journal under its identifier") {
        std::vector<JournalLine> lines;
        for (int i = 0; i < 100 && lines.empty(); ++i) {
            auto tail = journal_tail("ggltest.oneshot", 5);
            REQUIRE(tail.ok());
            lines = *tail;
            if (lines.empty()) usleep(50000); // journald writes asynchronously
        }
        REQUIRE_FALSE(lines.empty());
        CHECK(lines.back().message == "hello from oneshot");
        CHECK(lines.back().identifier == "ggltest.oneshot");
    }
}

TEST_CASE("a unit that does not exist cannot be started and reads as not-found") {
    Manager manager = connect_user();
    auto job = manager.start_unit("ggltest.missing.service", true);
    REQUIRE_FALSE(job.ok());
    CHECK(job.error().code == ErrorCode::Noentry);
    CHECK(job.error().message.find("ggltest.missing.service") != std::string::npos);
    auto status = manager.unit_status("ggltest.missing.service");
    REQUIRE(status.ok());
    CHECK(status->load_state == "not-found");
    CHECK(manager.reset_failed_unit("ggltest.missing.service").ok());
}

TEST_CASE("a failing start reports the job result") {
    write_unit("ggltest.badstart.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n");
    Manager manager = connect_user();
    REQUIRE(manager.reload().ok());
    auto job = manager.start_unit("ggltest.badstart.service", true);
    REQUIRE(job.ok());
    CHECK(job->result == "failed");
    auto status = manager.unit_status("ggltest.badstart.service");
    CHECK(status->active_state == "failed");
    CHECK(status->result == "exit-code");
    CHECK(status->exec_main_status == 1);
    CHECK(manager.reset_failed_unit("ggltest.badstart.service").ok());
    CHECK(manager.unit_status("ggltest.badstart.service")->active_state == "inactive");
}

TEST_CASE("change signals carry every state of a restarting unit, through the event loop") {
    write_unit("ggltest.flaky.service",
               "[Unit]\nStartLimitIntervalSec=3600\nStartLimitBurst=3\n"
               "[Service]\nType=exec\nExecStart=/bin/sh -c 'sleep 0.2; exit 3'\nRestart=on-failure\nRestartSec=0.1\n");
    EventLoop loop;
    Manager manager = connect_user();
    REQUIRE(manager.reload().ok());
    std::vector<UnitStatus> seen;
    std::vector<std::string> names;
    REQUIRE(manager.watch_unit_status("ggltest.flaky", [&](const UnitStatus& s) { seen.push_back(s); }).ok());
    REQUIRE(manager.watch_units("ggltest.", [&](const std::string& name) { names.push_back(name); }).ok());
    REQUIRE(manager.attach(loop).ok());

    bool started = false;
    std::string start_result;
    REQUIRE(manager
                .start_unit_async("ggltest.flaky.service",
                                  [&](const JobResult& r) {
                                      started = true;
                                      start_result = r.result;
                                  })
                .ok());
    // The manager also shows "failed" for a moment before each automatic restart: the end
    // is the failure after the last restart that StartLimitBurst=3 allows.
    REQUIRE(run_until(
        loop, [&] { return !seen.empty() && seen.back().active_state == "failed" && seen.back().n_restarts >= 2; }));
    CHECK(started);
    CHECK(start_result == "done");
    bool auto_restart = false;
    uint32_t max_restarts = 0;
    for (const UnitStatus& s : seen) {
        CHECK(s.name == "ggltest.flaky.service");
        auto_restart = auto_restart || (s.active_state == "activating" && s.sub_state == "auto-restart");
        max_restarts = std::max(max_restarts, s.n_restarts);
    }
    CHECK(auto_restart);
    CHECK(max_restarts >= 2);
    const UnitStatus& last = seen.back();
    CHECK(last.result == "exit-code");
    CHECK(last.exec_main_status == 3);
    CHECK_FALSE(names.empty());

    SECTION("and an async stop reports its job") {
        REQUIRE(manager.reset_failed_unit("ggltest.flaky.service").ok());
        std::string stop_result;
        REQUIRE(
            manager.stop_unit_async("ggltest.flaky.service", [&](const JobResult& r) { stop_result = r.result; }).ok());
        REQUIRE(run_until(loop, [&] { return !stop_result.empty(); }));
        CHECK(stop_result == "done");
    }
}

TEST_CASE("unit files and loaded units are listed by pattern") {
    write_unit("ggltest.listed.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n");
    Manager manager = connect_user();
    REQUIRE(manager.reload().ok());
    auto files = manager.list_unit_files({"ggltest.*.service"});
    REQUIRE(files.ok());
    CHECK(std::find(files->begin(), files->end(), "ggltest.listed.service") != files->end());
    REQUIRE(manager.start_unit("ggltest.listed.service", true).ok());
    auto units = manager.list_units({"ggltest.listed.*"});
    REQUIRE(units.ok());
    REQUIRE(units->size() == 1);
    CHECK(units->front().name == "ggltest.listed.service");
    CHECK(units->front().active_state == "active");
}

TEST_CASE("following the journal prints new lines until stopped") {
    write_unit("ggltest.talker.service",
               "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo one; echo two'\nSyslogIdentifier=ggltest.talker\n");
    Manager manager = connect_user();
    REQUIRE(manager.reload().ok());
    REQUIRE(manager.start_unit("ggltest.talker.service", true).ok());
    std::vector<std::string> messages;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto followed = journal_follow(
        "ggltest.talker", 10, [&](const JournalLine& line) { messages.push_back(line.message); },
        [&] { return messages.size() >= 2 || std::chrono::steady_clock::now() > deadline; });
    REQUIRE(followed.ok());
    REQUIRE(messages.size() == 2);
    CHECK(messages[0] == "one");
    CHECK(messages[1] == "two");
}
