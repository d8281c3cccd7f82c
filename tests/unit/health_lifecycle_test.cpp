// gghealthd's lifecycle rules: systemd unit states in, Greengrass lifecycle states out.
#include "lifecycle.hpp"

#include <catch2/catch.hpp>

#include <csignal>

using namespace ggl;
using namespace ggl::healthd;
using systemd::UnitStatus;

namespace {

UnitStatus unit(std::string active, std::string sub, std::string type = "notify") {
    UnitStatus status;
    status.name = "ggl.com.example.A.service";
    status.load_state = "loaded";
    status.active_state = std::move(active);
    status.sub_state = std::move(sub);
    status.result = "success";
    status.type = std::move(type);
    status.state_change_usec = 5'000'000;
    return status;
}

UnitStatus ran(UnitStatus status, int code, int exit_status, std::string result = "success") {
    status.exec_main_start_usec = 1'000'000;
    status.exec_main_exit_usec = 2'000'000;
    status.active_enter_usec = 1'000'000;
    status.inactive_enter_usec = 2'000'000;
    status.exec_main_code = code;
    status.exec_main_status = exit_status;
    status.result = std::move(result);
    return status;
}

ComponentState of(const UnitStatus& main) { return derive_state(ComponentUnits{main, std::nullopt, std::nullopt}); }

} // namespace

TEST_CASE("a running run script is RUNNING in phase run, since its last state change") {
    UnitStatus main = unit("active", "running");
    main.exec_main_start_usec = 4'000'000;
    main.n_restarts = 1;
    ComponentState state = of(main);
    CHECK(state.state == LifecycleState::Running);
    CHECK(state.phase == "run");
    CHECK(state.since_usec == 5'000'000);
    CHECK(state.n_restarts == 1);
    CHECK_FALSE(state.exit_status);
}

TEST_CASE("a startup oneshot that exited and remains is RUNNING in phase startup") {
    ComponentState state = of(ran(unit("active", "exited", "oneshot"), 1, 0));
    CHECK(state.state == LifecycleState::Running);
    CHECK(state.phase == "startup");
}

TEST_CASE("a unit between a failure and its restart is ERRORED with the exit status") {
    ComponentState state = of(ran(unit("activating", "auto-restart"), 1, 1, "exit-code"));
    CHECK(state.state == LifecycleState::Errored);
    CHECK(state.exit_status == 1);
}

TEST_CASE("a unit starting otherwise is STARTING, and STOPPING while it stops") {
    CHECK(of(unit("activating", "start", "oneshot")).state == LifecycleState::Starting);
    CHECK(of(unit("deactivating", "stop-sigterm")).state == LifecycleState::Stopping);
}

TEST_CASE("a failure the manager restarts is ERRORED; the start limit makes it BROKEN") {
    UnitStatus failed = ran(unit("failed", "failed"), 1, 1, "exit-code");
    failed.restart = "on-failure";
    ComponentState state = of(failed);
    CHECK(state.state == LifecycleState::Errored);
    CHECK(state.exit_status == 1);
    failed.start_limit_burst = 3;
    failed.n_restarts = 2;
    CHECK(of(failed).state == LifecycleState::Errored);
    failed.n_restarts = 3; // the restart the limit refused
    CHECK(of(failed).state == LifecycleState::Broken);
    failed.n_restarts = 0;
    failed.result = "start-limit-hit";
    CHECK(of(failed).state == LifecycleState::Broken);
    UnitStatus stopped = ran(unit("failed", "failed", "oneshot"), 2, SIGTERM, "signal");
    stopped.restart = "on-failure";
    CHECK(of(stopped).state == LifecycleState::Broken);
}

TEST_CASE("a stopped unit with a job on it keeps its state until the next one tells") {
    UnitStatus between = ran(unit("inactive", "dead"), 2, SIGTERM);
    between.job_id = 42;
    ComponentState stopping = of(unit("deactivating", "stop-sigterm"));
    ComponentUnits units{between, std::nullopt, std::nullopt};
    CHECK(derive_state(units, ReportedState::None, &stopping) == stopping);
    CHECK(derive_state(units).state == LifecycleState::Starting);
    units.main.job_id = 0;
    CHECK(derive_state(units, ReportedState::None, &stopping).state == LifecycleState::Finished);
}

TEST_CASE("a failed unit is BROKEN, with the exit status or signal of its last run") {
    ComponentState exited = of(ran(unit("failed", "failed"), 1, 3, "exit-code"));
    CHECK(exited.state == LifecycleState::Broken);
    CHECK(exited.exit_status == 3);
    CHECK_FALSE(exited.exit_signal);
    ComponentState killed = of(ran(unit("failed", "failed"), 2, 9, "signal"));
    CHECK(killed.exit_signal == 9);
    CHECK_FALSE(killed.exit_status);
    CHECK(of(ran(unit("failed", "failed"), 1, 1, "start-limit-hit")).state == LifecycleState::Broken);
}

TEST_CASE("a run that exited 0 is FINISHED; a stopped one too") {
    ComponentState state = of(ran(unit("inactive", "dead"), 1, 0));
    CHECK(state.state == LifecycleState::Finished);
    CHECK(state.exit_status == 0);
    CHECK(of(ran(unit("inactive", "dead"), 2, SIGTERM)).state == LifecycleState::Finished);
}

TEST_CASE("a failure the manager forgot (reset-failed) is not FINISHED") {
    ComponentState state = of(ran(unit("inactive", "dead"), 1, 1, "success"));
    CHECK(state.state == LifecycleState::New);
}

TEST_CASE("a component never started is NEW, or INSTALLED once its install unit is active") {
    CHECK(of(unit("inactive", "dead")).state == LifecycleState::New);
    UnitStatus install = ran(unit("active", "exited", "oneshot"), 1, 0);
    install.name = "ggl.com.example.A.install.service";
    install.state_change_usec = 7'000'000;
    ComponentState state = derive_state(ComponentUnits{unit("inactive", "dead"), std::nullopt, install});
    CHECK(state.state == LifecycleState::Installed);
    CHECK(state.phase == "install");
    CHECK(state.since_usec == 7'000'000);
}

TEST_CASE("install and bootstrap decide while they run or after they failed") {
    UnitStatus installing = unit("activating", "start", "oneshot");
    ComponentState state = derive_state(ComponentUnits{unit("inactive", "dead"), std::nullopt, installing});
    CHECK(state.state == LifecycleState::New);
    CHECK(state.phase == "install");

    UnitStatus failed = ran(unit("failed", "failed", "oneshot"), 1, 2, "exit-code");
    state = derive_state(ComponentUnits{unit("inactive", "dead"), std::nullopt, failed});
    CHECK(state.state == LifecycleState::Broken);
    CHECK(state.phase == "install");
    CHECK(state.exit_status == 2);

    state = derive_state(ComponentUnits{unit("inactive", "dead"), failed, std::nullopt});
    CHECK(state.phase == "bootstrap");
    CHECK(state.state == LifecycleState::Broken);
}

TEST_CASE("what the component reports through UpdateState") {
    UnitStatus starting = unit("activating", "start", "oneshot");
    ComponentUnits units{starting, std::nullopt, std::nullopt};
    CHECK(derive_state(units, ReportedState::Running).state == LifecycleState::Running);
    CHECK(derive_state(units, ReportedState::Errored).state == LifecycleState::Errored);
    units.main = unit("active", "running");
    CHECK(derive_state(units, ReportedState::Errored).state == LifecycleState::Errored);
    units.main = ran(unit("failed", "failed"), 1, 1, "exit-code");
    CHECK(derive_state(units, ReportedState::Running).state == LifecycleState::Broken);
}

TEST_CASE("a finished unit the manager unloaded and loaded again stays FINISHED") {
    ComponentState finished = of(ran(unit("inactive", "dead"), 1, 0));
    ComponentUnits reloaded{unit("inactive", "dead"), std::nullopt, std::nullopt};
    CHECK(derive_state(reloaded, ReportedState::None, &finished) == finished);
}

TEST_CASE("state names round-trip") {
    for (auto state :
         {LifecycleState::New, LifecycleState::Installed, LifecycleState::Starting, LifecycleState::Running,
          LifecycleState::Stopping, LifecycleState::Finished, LifecycleState::Errored, LifecycleState::Broken}) {
        CHECK(lifecycle_state_from_name(lifecycle_state_name(state)) == state);
    }
    CHECK_FALSE(lifecycle_state_from_name("running"));
}
