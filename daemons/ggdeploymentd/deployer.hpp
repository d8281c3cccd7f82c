// Runs one deployment (docs/deployments.md): plan and validate, snapshot, store, configuration,
// units, lifecycle, health; rollback on failure; recovery after a restart.
#pragma once

#include "deployment_record.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace ggl::systemd {
class Manager;
}
namespace ggl::services {
class ConfigClient;
}

namespace ggl::deployment {

// The deployer's parts (deployer_steps.hpp).
struct Plan;
struct LifecycleWork;
class Health;

struct DeployerOptions {
    std::string unit_dir; // where units are written (GGL_UNIT_DIR)
    std::string root_dir; // GGL_ROOT
    // A component counts as started once RUNNING this long without failing (a run
    // script that dies at once must fail its deployment), or once FINISHED.
    std::chrono::milliseconds settle{500};
    std::string backup_name = "deployment-rollback";
    // Run with /bin/sh -c when a bootstrap step exits 101 (GGL_REBOOT_COMMAND).
    std::string reboot_command = "systemctl reboot";
    // Tells a reboot from a restart of ggdeploymentd (GGL_BOOT_ID_PATH, for tests).
    std::string boot_id_path = "/proc/sys/kernel/random/boot_id";
};

class Deployer {
public:
    // progress(record, message): appends a step to the record, saves and publishes it.
    using Progress = std::function<void(Record& record, const std::string& message)>;

    Deployer(DeployerOptions options, Progress progress);

    // Takes a QUEUED (or restarted) deployment to a final state.
    void run(Record& record);
    // For a deployment found IN_PROGRESS at start: one whose changes had begun is rolled
    // back (or left, for DO_NOTHING); one that had not is run again from the start; one
    // awaiting the reboot a bootstrap asked for resumes after that bootstrap once the
    // boot id shows the device rebooted, and keeps waiting otherwise.
    void recover(Record& record);

private:
    enum class Outcome { Done, Failed, AwaitingReboot };

    bool make_plan(Record& record, Plan& plan);
    bool validate_configuration(Record& record, const Plan& plan);
    bool prepare_store(Record& record, Plan& plan);
    Outcome apply(Record& record, Plan& plan, systemd::Manager& manager, Health& health);
    // apply's steps; false: the step failed, and fail() has run.
    bool take_snapshot(Record& record, const Plan& plan, services::ConfigClient& config);
    bool remove_components(Record& record, const Plan& plan, systemd::Manager& manager, services::ConfigClient& config);
    bool write_configuration(Record& record, const Plan& plan, services::ConfigClient& config);
    bool write_units(Record& record, const Plan& plan, systemd::Manager& manager);
    Outcome run_lifecycle(Record& record, LifecycleWork work, systemd::Manager& manager, Health& health);
    Outcome request_reboot(Record& record, const std::string& component, LifecycleWork remaining);
    void resume_after_reboot(Record& record);
    std::string bootstrap_on_rollback(Record& record, systemd::Manager& manager,
                                      const std::vector<std::string>& targets);
    void remove_added_versions(Record& record);
    void fail(Record& record, Failure failure);
    void roll_back(Record& record);
    void finish(Record& record, State state, const std::string& message);

    DeployerOptions options_;
    Progress progress_;
};

} // namespace ggl::deployment
