// Greengrass lifecycle states derived from systemd unit states: a pure function, so that
// every rule is tested without a service manager.
#pragma once

#include "ggl/systemd.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ggl::healthd {

enum class LifecycleState { New, Installed, Starting, Running, Stopping, Finished, Errored, Broken };

// "RUNNING" for LifecycleState::Running.
std::string_view lifecycle_state_name(LifecycleState state);
std::optional<LifecycleState> lifecycle_state_from_name(std::string_view name);

// The units of one component: ggl.<name>.service (run or startup) and the optional
// ggl.<name>.bootstrap.service / ggl.<name>.install.service oneshots.
struct ComponentUnits {
    systemd::UnitStatus main;
    std::optional<systemd::UnitStatus> bootstrap;
    std::optional<systemd::UnitStatus> install;
};

struct ComponentState {
    LifecycleState state = LifecycleState::New;
    // The phase whose unit decided the state: "bootstrap", "install", "startup" or "run".
    std::string phase;
    uint64_t since_usec = 0; // CLOCK_REALTIME µs of that unit's last state change
    uint32_t n_restarts = 0;
    std::optional<int> exit_status; // that unit's main process exited with this status
    std::optional<int> exit_signal; // ... or was killed by this signal

    bool operator==(const ComponentState&) const = default;
};

// What the component told through IPC UpdateState (gg_health update_status).
enum class ReportedState { None, Running, Errored };

// The state of a component:
// - bootstrap, then install: activating → NEW, failed → BROKEN (phase of that unit);
// - main: active → RUNNING; activating in auto-restart → ERRORED, else STARTING;
//   deactivating → STOPPING; failed → ERRORED when its Restart= policy restarts it (the
//   manager passes through failed before each automatic restart), else BROKEN (also once
//   NRestarts reaches StartLimitBurst: the manager then gives up); inactive with a job
//   still on it → the previous state (a stop ending, or a restart between its stop and
//   its start: the next state tells which); inactive after a run → FINISHED when the
//   result is success and the process ended cleanly (exit 0, or the signal of a stop);
//   inactive and never run (or its failure reset) → INSTALLED when an install unit is
//   active, else NEW.
// reported: RUNNING turns STARTING into RUNNING (a startup script's readiness), ERRORED
// turns STARTING or RUNNING into ERRORED. previous: the component's last state, kept when
// a unit the manager unloaded after it finished comes back without its history, and
// while a job ends (above).
ComponentState derive_state(const ComponentUnits& units, ReportedState reported = ReportedState::None,
                            const ComponentState* previous = nullptr);

} // namespace ggl::healthd
