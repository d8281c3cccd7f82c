// The lifecycle rules of gghealthd (see lifecycle.hpp).
#include "lifecycle.hpp"

#include <array>
#include <csignal>

namespace ggl::healthd {
namespace {

constexpr std::array<std::string_view, 8> kNames = {"NEW",      "INSTALLED", "STARTING", "RUNNING",
                                                    "STOPPING", "FINISHED",  "ERRORED",  "BROKEN"};

// si_code values of the main process's end (CLD_EXITED, CLD_KILLED, CLD_DUMPED).
constexpr int kExited = 1;
constexpr int kKilled = 2;
constexpr int kDumped = 3;

ComponentState state_of(LifecycleState state, std::string phase, const systemd::UnitStatus& unit) {
    ComponentState result;
    result.state = state;
    result.phase = std::move(phase);
    result.since_usec = unit.state_change_usec;
    // A process that runs now has no exit yet (the manager resets it at each start).
    if (unit.exec_main_exit_usec != 0 && unit.exec_main_exit_usec >= unit.exec_main_start_usec) {
        if (unit.exec_main_code == kExited) {
            result.exit_status = unit.exec_main_status;
        } else if (unit.exec_main_code == kKilled || unit.exec_main_code == kDumped) {
            result.exit_signal = unit.exec_main_status;
        }
    }
    return result;
}

// Exited 0, or ended by the stop signals a stop sends.
bool ended_cleanly(const systemd::UnitStatus& unit) {
    if (unit.exec_main_code == kExited) return unit.exec_main_status == 0;
    if (unit.exec_main_code == kKilled) {
        return unit.exec_main_status == SIGTERM || unit.exec_main_status == SIGINT || unit.exec_main_status == SIGHUP ||
               unit.exec_main_status == SIGPIPE;
    }
    return unit.exec_main_code == 0; // nothing ran (ExecCondition skipped it), or no record
}

// Whether the manager restarts a unit that failed this way (Restart=); a process ended
// by SIGTERM was stopped on request, which is never restarted.
bool will_restart(const systemd::UnitStatus& unit) {
    if (unit.exec_main_code == kKilled && unit.exec_main_status == SIGTERM) return false;
    // Each automatic restart counts a start: the manager gives up once they reach the
    // limit (it keeps the first failure's result rather than start-limit-hit then).
    if (unit.start_limit_burst != 0 && unit.n_restarts >= unit.start_limit_burst) return false;
    const std::string& result = unit.result;
    const std::string& policy = unit.restart;
    bool abnormal = result == "signal" || result == "core-dump" || result == "timeout" || result == "watchdog";
    if (policy == "on-failure" || policy == "always") return abnormal || result == "exit-code";
    if (policy == "on-abnormal") return abnormal;
    if (policy == "on-abort") return result == "signal" || result == "core-dump";
    if (policy == "on-watchdog") return result == "watchdog";
    return false;
}

bool has_run(const systemd::UnitStatus& unit) {
    return unit.exec_main_start_usec != 0 || unit.exec_main_exit_usec != 0 || unit.active_enter_usec != 0 ||
           unit.inactive_enter_usec != 0;
}

ComponentState derive_main(const ComponentUnits& units) {
    const systemd::UnitStatus& main = units.main;
    std::string phase = main.type == "oneshot" ? "startup" : "run";
    const std::string& active = main.active_state;
    if (active == "active" || active == "reloading") {
        return state_of(LifecycleState::Running, phase, main);
    }
    if (active == "activating") {
        return state_of(main.sub_state == "auto-restart" ? LifecycleState::Errored : LifecycleState::Starting, phase,
                        main);
    }
    if (active == "deactivating") {
        return state_of(LifecycleState::Stopping, phase, main);
    }
    if (active == "failed") {
        // The manager shows a failed state for a moment before each automatic restart.
        return state_of(will_restart(main) ? LifecycleState::Errored : LifecycleState::Broken, phase, main);
    }

    if (has_run(main)) {
        if (!main.result.empty() && main.result != "success") {
            return state_of(LifecycleState::Broken, phase, main);
        }
        // A failure the manager was told to forget (reset-failed) leaves the result
        // "success" but not the exit: that component is back to before its start.
        if (ended_cleanly(main)) {
            return state_of(LifecycleState::Finished, phase, main);
        }
    }
    if (units.install && units.install->active_state == "active") {
        return state_of(LifecycleState::Installed, "install", *units.install);
    }
    return state_of(LifecycleState::New, phase, main);
}

} // namespace

std::string_view lifecycle_state_name(LifecycleState state) { return kNames[static_cast<size_t>(state)]; }

std::optional<LifecycleState> lifecycle_state_from_name(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == name) return static_cast<LifecycleState>(i);
    }
    return std::nullopt;
}

ComponentState derive_state(const ComponentUnits& units, ReportedState reported, const ComponentState* previous) {
    for (const auto* step : {&units.bootstrap, &units.install}) {
        if (!step->has_value()) continue;
        const systemd::UnitStatus& unit = **step;
        const char* phase = step == &units.bootstrap ? "bootstrap" : "install";
        if (unit.active_state == "activating") {
            ComponentState state = state_of(LifecycleState::New, phase, unit);
            state.n_restarts = units.main.n_restarts;
            return state;
        }
        if (unit.active_state == "failed") {
            ComponentState state = state_of(LifecycleState::Broken, phase, unit);
            state.n_restarts = units.main.n_restarts;
            return state;
        }
    }
    if (units.main.active_state == "inactive" && units.main.job_id != 0) {
        // Stopped with a job still on it: the end of a stop, or a restart between its
        // stop and its start (an automatic one included). Which, only the next state
        // tells, so the state holds until then.
        if (previous != nullptr) return *previous;
        ComponentState state =
            state_of(LifecycleState::Starting, units.main.type == "oneshot" ? "startup" : "run", units.main);
        state.n_restarts = units.main.n_restarts;
        return state;
    }
    ComponentState state = derive_main(units);
    state.n_restarts = units.main.n_restarts;
    if (reported == ReportedState::Running && state.state == LifecycleState::Starting) {
        state.state = LifecycleState::Running;
    } else if (reported == ReportedState::Errored &&
               (state.state == LifecycleState::Starting || state.state == LifecycleState::Running)) {
        state.state = LifecycleState::Errored;
    }
    if (previous != nullptr && previous->state == LifecycleState::Finished &&
        (state.state == LifecycleState::New || state.state == LifecycleState::Installed) && !has_run(units.main)) {
        return *previous;
    }
    return state;
}

} // namespace ggl::healthd
