// What a failed or interrupted deployment leaves: rollback (roll_back, BootstrapOnRollback),
// recovery after a restart (recover), and the reboot a bootstrap step asks for.
#include "deployer_steps.hpp"

#include "ggl/file.hpp"
#include "ggl/services/config.hpp"
#include "ggl/systemd.hpp"
#include "ggl/unit_writer.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ggl::deployment {

namespace fs = std::filesystem;

namespace {

// The id of the current boot, empty when unreadable.
std::string read_boot_id(const std::string& path) {
    auto text = file::read(path);
    if (!text) return {};
    std::string id = *text;
    while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back()))) id.pop_back();
    return id;
}

// /bin/sh -c command; its exit status (128 + N for a signal).
Result<int> run_shell_command(const std::string& command) {
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    pid_t pid = 0;
    int spawned = ::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ);
    if (spawned != 0) {
        return make_error(ErrorCode::Failure, std::string("cannot run /bin/sh: ") + std::strerror(spawned));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return make_error(ErrorCode::Failure, std::string("waitpid: ") + std::strerror(errno));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace

void Deployer::remove_added_versions(Record& record) {
    store::StoreLayout layout{options_.root_dir};
    for (const std::string& entry : record.added_to_store) {
        size_t space = entry.find(' ');
        (void)store::remove_component_version(layout, entry.substr(0, space), entry.substr(space + 1));
    }
    record.added_to_store.clear();
}

Deployer::Outcome Deployer::request_reboot(Record& record, const std::string& component, LifecycleWork remaining) {
    record.phase = kAwaitingReboot;
    record.boot_id = read_boot_id(options_.boot_id_path);
    record.resume = remaining.to_object();
    progress_(record, component +
                          ": bootstrap exited 101, asking for a reboot of the device; the deployment "
                          "goes on after it (boot " +
                          record.boot_id + ")");
    auto status = run_shell_command(options_.reboot_command);
    if (!status || *status != 0) {
        std::string reason = "the reboot command \"" + options_.reboot_command + "\" failed: " +
                             (status ? "exit status " + std::to_string(*status) : status.error().message);
        record.phase.clear();
        record.resume = Object();
        fail(record, failure_of(component, "bootstrap", reason));
        return Outcome::Failed;
    }
    progress_(record, "reboot requested (" + options_.reboot_command + "); waiting for it");
    return Outcome::AwaitingReboot;
}

void Deployer::resume_after_reboot(Record& record) {
    LifecycleWork work = LifecycleWork::from_object(record.resume);
    record.phase.clear();
    record.resume = Object();
    progress_(record, "the device rebooted (boot " + record.boot_id + " before): resuming after the bootstrap step");
    auto scope = systemd::scope_from_environment();
    if (!scope) {
        fail(record, failure_of("", "resume", scope.error().message));
        return;
    }
    auto manager = systemd::Manager::connect(*scope);
    if (!manager) {
        fail(record, failure_of("", "resume", "cannot reach the service manager: " + manager.error().message));
        return;
    }
    if (auto reloaded = manager->reload(); !reloaded) {
        fail(record, failure_of("", "resume", "daemon-reload: " + reloaded.error().message));
        return;
    }
    Health health;
    if (auto opened = health.open(); !opened) {
        fail(record, failure_of("", "resume", "cannot reach gghealthd: " + opened.error().message));
        return;
    }
    if (run_lifecycle(record, std::move(work), *manager, health) == Outcome::Done) {
        finish(record, State::Succeeded, "deployment succeeded");
    }
}

std::string Deployer::bootstrap_on_rollback(Record& record, systemd::Manager& manager,
                                            const std::vector<std::string>& targets) {
    store::StoreLayout layout{options_.root_dir};
    Platform platform = deployment_platform();
    for (const std::string& name : targets) {
        std::string version(record.previous_versions.find(name)->as_buffer());
        std::shared_ptr<const Recipe> recipe;
        for (const char* extension : {".yaml", ".json"}) {
            fs::path path = layout.recipes_dir() / (name + "-" + version + extension);
            if (!fs::exists(path)) continue;
            RecipeLoad load = load_recipe_file(path.string());
            if (load.ok()) recipe = std::make_shared<const Recipe>(std::move(*load.recipe));
            break;
        }
        if (!recipe) continue;
        auto manifest = select_manifest(*recipe, platform);
        if (!manifest || !(*manifest)->lifecycle.bootstrap ||
            !(*manifest)->lifecycle.bootstrap->bootstrap_on_rollback) {
            continue;
        }
        progress_(record, name + " " + version + ": bootstrap again (BootstrapOnRollback)");
        std::string unit = unit_name(name, "bootstrap");
        (void)manager.stop_unit(unit, true);
        (void)manager.reset_failed_unit(unit);
        auto job = manager.start_unit(unit, true);
        if (!job || !job->done()) {
            return "bootstrap of " + name + " " + version +
                   " failed: " + (job ? "job " + job->result : job.error().message);
        }
        if (auto status = manager.unit_status(unit); status && status->exec_main_code == 1 &&
                                                     (status->exec_main_status == kBootstrapRestartNucleus ||
                                                      status->exec_main_status == kBootstrapRebootDevice)) {
            progress_(record, name + ": bootstrap on rollback exited " + std::to_string(status->exec_main_status) +
                                  "; a rollback does not restart or reboot, it goes on");
        }
    }
    return {};
}

void Deployer::roll_back(Record& record) {
    progress_(record, "rolling back");
    auto fail_rollback = [&](std::string reason) {
        record.rollback_failure = failure_of("", "rollback", reason);
        finish(record, State::FailedUnableToRollback, "rollback failed: " + reason);
    };
    auto scope = systemd::scope_from_environment();
    if (!scope) return fail_rollback(scope.error().message);
    auto manager = systemd::Manager::connect(*scope);
    if (!manager) return fail_rollback("cannot reach the service manager: " + manager.error().message);
    for (const std::string& name : record.touched) {
        stop_component(*manager, name, true);
    }
    fs::path snapshot = fs::path(options_.root_dir) / "deployments" / (record.id + ".units");
    if (fs::is_directory(snapshot)) {
        if (auto restored = restore_units(options_.unit_dir, snapshot); !restored) {
            return fail_rollback(restored.error().message);
        }
    }
    services::ConfigClient config;
    if (auto restored = config.restore(options_.backup_name); !restored) {
        return fail_rollback(restored.error().message);
    }
    remove_added_versions(record);
    if (auto reloaded = manager->reload(); !reloaded) {
        return fail_rollback("daemon-reload: " + reloaded.error().message);
    }
    std::vector<std::string> targets;
    for (const std::string& name : record.touched) {
        if (record.previous_versions.contains(name)) targets.push_back(name);
    }
    if (std::string problem = bootstrap_on_rollback(record, *manager, targets); !problem.empty()) {
        return fail_rollback(problem);
    }
    if (!targets.empty()) {
        Health health;
        if (auto opened = health.open(); !opened)
            return fail_rollback("cannot reach gghealthd: " + opened.error().message);
        int64_t started_ms = now_ms();
        for (const std::string& name : targets) {
            progress_(record,
                      "starting " + name + " " + record.previous_versions.find(name)->as_buffer().data() + " again");
            if (auto job = manager->start_unit(unit_name(name), false); !job) {
                return fail_rollback("starting " + name + ": " + job.error().message);
            }
        }
        Failure failure;
        auto deadline = Clock::now() + std::chrono::seconds(record.request.timeout_seconds);
        if (auto healthy = health.wait(targets, started_ms, deadline, options_.settle, failure); !healthy) {
            failure.journal = failure.component.empty() ? std::vector<std::string>{} : journal_of(failure.component);
            record.rollback_failure = failure;
            finish(record, State::FailedUnableToRollback,
                   "rollback failed: " + failure.component + " " + failure.reason);
            return;
        }
    }
    std::error_code error;
    fs::remove_all(snapshot, error);
    finish(record, State::FailedRollbackComplete, "rolled back: the device is as it was before");
}

void Deployer::recover(Record& record) {
    if (record.phase == kAwaitingReboot) {
        std::string boot_id = read_boot_id(options_.boot_id_path);
        if (boot_id.empty() || boot_id == record.boot_id) {
            // ggdeploymentd restarted, the device did not: the reboot is still to come.
            progress_(record, "ggdeploymentd started again in the same boot (" +
                                  (boot_id.empty() ? std::string("boot id unreadable") : boot_id) +
                                  "): still awaiting the reboot; later deployments wait too");
            return;
        }
        resume_after_reboot(record);
        return;
    }
    if (!record.changes_started) {
        progress_(record, "ggdeploymentd restarted before this deployment changed anything: starting it again");
        record.steps.clear();
        run(record);
        return;
    }
    Failure failure = failure_of("", "interrupted", "ggdeploymentd stopped in the middle of this deployment");
    if (!record.failure) {
        record.failure = failure;
    }
    if (!record.request.rollback) {
        finish(record, State::FailedRollbackNotRequested,
               "interrupted; left as it is (failure_handling_policy DO_NOTHING)");
        return;
    }
    roll_back(record);
}

} // namespace ggl::deployment
