// The service manager through sd-bus (docs/deployments.md): the system manager on a device, the
// per-user manager's private socket ($XDG_RUNTIME_DIR/systemd/private) for development
// and tests. Used by gghealthd (unit states, change signals) and ggdeploymentd (reload,
// start, stop). Never shells out to systemctl.
#pragma once

#include "ggl/error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ggl {
class EventLoop;
}

namespace ggl::systemd {

enum class Scope { System, User };

// GGL_SYSTEMD_SCOPE: "system" (the default when unset) or "user"; INVALID otherwise.
Result<Scope> scope_from_environment();

// What the manager says of one unit (org.freedesktop.systemd1.Unit and .Service properties).
struct UnitStatus {
    std::string name;
    std::string load_state; // loaded, not-found, bad-setting, error, masked
    std::string active_state; // active, reloading, inactive, failed, activating, deactivating
    std::string sub_state; // running, exited, dead, auto-restart, start, stop-sigterm, ...
    std::string result; // success, exit-code, signal, timeout, start-limit-hit, ...
    uint32_t n_restarts = 0;
    int32_t exec_main_code = 0; // CLD_EXITED (1), CLD_KILLED (2), CLD_DUMPED (3); 0: none yet
    int32_t exec_main_status = 0; // the exit status, or the signal number
    uint32_t main_pid = 0;
    // CLOCK_REALTIME microseconds; 0 when it never happened.
    uint64_t state_change_usec = 0;
    uint64_t active_enter_usec = 0;
    uint64_t inactive_enter_usec = 0;
    uint64_t exec_main_start_usec = 0;
    uint64_t exec_main_exit_usec = 0;
    std::string type; // the service's Type=: simple, exec, oneshot, notify, ... (empty: not a service)
    std::string restart; // the service's Restart=: no, on-failure, always, ...
    uint32_t job_id = 0; // the job queued or running for the unit; 0: none
    uint32_t start_limit_burst = 0; // StartLimitBurst=: starts allowed per StartLimitIntervalSec=
};

// How a job the manager ran ended: "done", "canceled", "timeout", "failed", "dependency",
// "skipped" (as JobRemoved reports it).
struct JobResult {
    std::string result;
    bool done() const { return result == "done"; }
};

// One blocking connection to the service manager. Not thread-safe: one thread uses it.
class Manager {
public:
    // The system bus for Scope::System; for Scope::User the user manager's private socket
    // $XDG_RUNTIME_DIR/systemd/private (NOCONN naming the path when it cannot connect).
    static Result<Manager> connect(Scope scope);

    Manager(Manager&&) noexcept;
    Manager& operator=(Manager&&) noexcept;
    ~Manager();

    Scope scope() const;

    // daemon-reload; returns once the manager has reloaded.
    Result<void> reload();

    // Start/Stop/Restart with job mode "replace". With wait, blocks until the job is
    // removed and returns its result; without, returns {"queued"} once the job exists.
    // A unit that does not exist: NOENTRY naming it.
    Result<JobResult> start_unit(const std::string& name, bool wait);
    Result<JobResult> stop_unit(const std::string& name, bool wait);
    Result<JobResult> restart_unit(const std::string& name, bool wait);
    // ResetFailed for one unit (clears a failed state and the start-limit counter);
    // a unit that is not loaded is not an error.
    Result<void> reset_failed_unit(const std::string& name);

    // LoadUnit + properties; a unit without a file reports load_state "not-found".
    Result<UnitStatus> unit_status(const std::string& name);
    // The status of a unit only if the manager has it loaded now (GetUnit): nullopt
    // otherwise. Unlike unit_status, it never makes the manager load a unit, so probing
    // for units that may not exist leaves no not-found unit behind (and no signals).
    Result<std::optional<UnitStatus>> loaded_unit_status(const std::string& name);
    // The loaded units whose names match any of the shell-style patterns ("ggl.*.service").
    Result<std::vector<UnitStatus>> list_units(const std::vector<std::string>& patterns);

    // Calls callback(unit_name) whenever a unit whose name starts with prefix changes
    // (PropertiesChanged of its Unit or Service interface, or its (re)load), after
    // Manager.Subscribe. Callbacks run from process().
    using UnitChanged = std::function<void(const std::string& unit_name)>;
    Result<void> watch_units(const std::string& prefix, UnitChanged callback);

    // Like watch_units, with the unit's status as the signal carried it: the properties a
    // PropertiesChanged signal holds are laid over the last status known of that unit
    // (fetched once, when the unit is first seen), so that short-lived states (an
    // auto-restart between two runs) reach the callback even when a later state has
    // replaced them by the time the callback runs. Statuses only move forward: a signal
    // the manager sent before a status this connection read (unit_status, list_units, ...)
    // is dropped, so a callback never sees a state older than one already returned. A unit's loading alone (UnitNew) calls
    // nothing; when the manager unloads a unit (UnitRemoved, e.g. after it ran to
    // completion) nothing is called either: its last status is what it was, and a unit
    // loaded again starts afresh (no timestamps).
    using UnitStatusChanged = std::function<void(const UnitStatus& status)>;
    Result<void> watch_unit_status(const std::string& prefix, UnitStatusChanged callback);

    // The unit files (not only loaded units) whose names match any of the patterns;
    // names only ("ggl.com.example.Hello.service"), sorted, without duplicates.
    Result<std::vector<std::string>> list_unit_files(const std::vector<std::string>& patterns);

    // Asynchronous Start/Stop/Restart for event-loop users: queues the job (mode
    // "replace") and calls done with its result from process() once JobRemoved arrives.
    // A unit that does not exist: NOENTRY naming it, and done is never called.
    using JobDone = std::function<void(const JobResult& result)>;
    Result<void> start_unit_async(const std::string& name, JobDone done);
    Result<void> stop_unit_async(const std::string& name, JobDone done);
    Result<void> restart_unit_async(const std::string& name, JobDone done);

    // Called once (from process()) when the connection to the manager is lost; process()
    // returns NOCONN from then on. A program reconnects with a new Manager, or exits.
    void on_disconnect(std::function<void(const Error& error)> callback);

    // Event-loop integration: the connection's fd; process() dispatches whatever has arrived
    // (signals to the watch callback) without blocking.
    int fd() const;
    Result<void> process();
    // Registers fd() with loop so that process() runs whenever the connection is readable
    // (and before the loop blocks, so nothing queued inside sd-bus waits). The loop must
    // outlive the Manager (its destructor removes the fd from the loop). While a blocking
    // call (start_unit with wait, unit_status, ...) waits, signals are queued and their
    // callbacks run from the next process(), never from inside that call.
    Result<void> attach(EventLoop& loop);

private:
    struct State;
    explicit Manager(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// The journal, where units' output goes (SyslogIdentifier= is the component name).
struct JournalLine {
    uint64_t realtime_usec = 0;
    std::string identifier; // SYSLOG_IDENTIFIER
    uint32_t pid = 0;
    std::string message;
};

// The last max_lines entries with SYSLOG_IDENTIFIER=identifier, oldest first. An empty
// vector when the journal holds none (or there is no journal on this machine).
Result<std::vector<JournalLine>> journal_tail(const std::string& identifier, size_t max_lines);

// Prints entries as they arrive (after the last `initial` of them) until stop() returns true;
// for `ggl component logs -f`.
Result<void> journal_follow(const std::string& identifier, size_t initial,
                            const std::function<void(const JournalLine&)>& emit, const std::function<bool()>& stop);

} // namespace ggl::systemd
