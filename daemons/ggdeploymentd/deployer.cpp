// One deployment from start to end (run), and fail(); the steps are in deployer_plan, _store,
// _apply, _health and _rollback.cpp. Everything is validated before the device changes;
// from the snapshot on, every step is in the record so a restart can roll back.
#include "deployer_steps.hpp"

#include "ggl/systemd.hpp"

namespace ggl::deployment {

Deployer::Deployer(DeployerOptions options, Progress progress)
    : options_(std::move(options)), progress_(std::move(progress)) {}

void Deployer::finish(Record& record, State state, const std::string& message) {
    record.state = state;
    progress_(record, message);
}

void Deployer::fail(Record& record, Failure failure) {
    std::string text = failure.component.empty()
                           ? failure.reason
                           : failure.component + " failed in phase " + failure.phase + ": " + failure.reason;
    record.failure = std::move(failure);
    if (!record.changes_started) {
        remove_added_versions(record);
        finish(record, State::FailedNoStateChange, "failed, nothing was changed: " + text);
        return;
    }
    progress_(record, "failed: " + text);
    if (!record.request.rollback) {
        finish(record, State::FailedRollbackNotRequested, "left as it is (failure_handling_policy DO_NOTHING)");
        return;
    }
    roll_back(record);
}

void Deployer::run(Record& record) {
    record.state = State::InProgress;
    Plan plan;
    if (!make_plan(record, plan)) return;
    if (record.request.dry_run) {
        finish(record, State::Succeeded, "dry run: nothing was changed");
        return;
    }
    // Everything the deployment needs must answer before anything changes.
    auto scope = systemd::scope_from_environment();
    if (!scope) {
        fail(record, failure_of("", "validate", scope.error().message));
        return;
    }
    auto manager = systemd::Manager::connect(*scope);
    if (!manager) {
        fail(record, failure_of("", "validate", "cannot reach the service manager: " + manager.error().message));
        return;
    }
    Health health;
    if (auto opened = health.open(); !opened) {
        fail(record, failure_of("", "validate", "cannot reach gghealthd: " + opened.error().message));
        return;
    }
    if (!validate_configuration(record, plan)) return;
    if (!prepare_store(record, plan)) return;
    if (apply(record, plan, *manager, health) != Outcome::Done) return;
    finish(record, State::Succeeded, "deployment succeeded");
}

} // namespace ggl::deployment
