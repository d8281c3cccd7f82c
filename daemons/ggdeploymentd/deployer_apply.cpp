// The apply step (apply): snapshot, components removed, configuration written, units
// written and enabled, then the lifecycle run (bootstrap, install, start) and the wait.
#include "deployer_steps.hpp"

#include "ggl/env.hpp"
#include "ggl/file.hpp"
#include "ggl/services/config.hpp"
#include "ggl/systemd.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

namespace ggl::deployment {

namespace fs = std::filesystem;

namespace {

config::KeyPath group_roots_path() { return {"services", kDeploymentService, "GroupToRootComponents"}; }
config::KeyPath component_path(const std::string& name, std::initializer_list<std::string> rest = {}) {
    config::KeyPath path{"services", name};
    path.insert(path.end(), rest);
    return path;
}

std::string new_svcuid() {
    unsigned char bytes[24];
    fill_random(bytes, sizeof bytes);
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string token;
    for (unsigned char byte : bytes) {
        token += kAlphabet[byte % 62];
    }
    return token;
}

std::vector<std::string> phase_units(const std::string& name) {
    return {unit_name(name, "bootstrap"), unit_name(name, "install"), unit_name(name, "recover")};
}

Result<void> snapshot_units(const std::string& unit_dir, const fs::path& snapshot) {
    std::error_code error;
    fs::remove_all(snapshot, error);
    fs::create_directories(snapshot, error);
    if (error) return make_error(ErrorCode::Failure, snapshot.string() + ": " + error.message());
    for (const auto& entry : fs::directory_iterator(unit_dir, error)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with("ggl.") && entry.is_regular_file()) {
            fs::copy_file(entry.path(), snapshot / name, fs::copy_options::overwrite_existing, error);
            if (error) return make_error(ErrorCode::Failure, "snapshot of " + name + ": " + error.message());
        }
    }
    return file::sync_directory(snapshot.string());
}

// What `systemctl enable` does, for the components' units: each ggl.* unit whose [Install]
// section says WantedBy=T gets T.wants/UNIT -> ../UNIT in unit_dir, so that T (ggl.target)
// starts it at boot; links of units that are gone, or no longer want T, are removed. The
// links follow the unit files, so a rollback that restores the files restores them too.
Result<void> enable_component_units(const std::string& unit_dir) {
    std::error_code error;
    std::set<fs::path> wanted; // T.wants/UNIT, relative to unit_dir
    for (const auto& entry : fs::directory_iterator(unit_dir, error)) {
        std::string name = entry.path().filename().string();
        if (!name.starts_with("ggl.") || !name.ends_with(".service") || !entry.is_regular_file()) continue;
        auto text = file::read(entry.path().string());
        if (!text) return std::move(text).error();
        bool in_install = false;
        for (std::string_view rest = *text; !rest.empty();) {
            size_t end = rest.find('\n');
            std::string_view line = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
            if (line.starts_with('[')) {
                in_install = line == "[Install]";
            } else if (in_install && line.starts_with("WantedBy=")) {
                for (std::string_view targets = line.substr(9); !targets.empty();) {
                    size_t space = targets.find(' ');
                    std::string_view target = targets.substr(0, space);
                    targets = space == std::string_view::npos ? std::string_view() : targets.substr(space + 1);
                    if (!target.empty() && target.find('/') == std::string_view::npos) {
                        wanted.insert(fs::path(std::string(target) + ".wants") / name);
                    }
                }
            }
        }
    }
    if (error) return make_error(ErrorCode::Failure, "listing " + unit_dir + ": " + error.message());
    for (const fs::path& link : wanted) {
        fs::path at = fs::path(unit_dir) / link;
        fs::path target = fs::path("..") / link.filename();
        if (fs::is_symlink(at) && fs::read_symlink(at, error) == target) continue;
        fs::create_directories(at.parent_path(), error);
        fs::remove(at, error);
        fs::create_symlink(target, at, error);
        if (error) return make_error(ErrorCode::Failure, "enabling " + link.string() + ": " + error.message());
    }
    for (const auto& entry : fs::directory_iterator(unit_dir, error)) {
        std::string directory = entry.path().filename().string();
        if (!directory.ends_with(".wants") || !entry.is_directory()) continue;
        for (const auto& link : fs::directory_iterator(entry.path(), error)) {
            std::string name = link.path().filename().string();
            if (name.starts_with("ggl.") && link.is_symlink() && !wanted.count(fs::path(directory) / name)) {
                fs::remove(link.path(), error);
            }
        }
    }
    return {};
}

} // namespace

Result<void> restore_units(const std::string& unit_dir, const fs::path& snapshot) {
    std::error_code error;
    std::vector<fs::path> current;
    for (const auto& entry : fs::directory_iterator(unit_dir, error)) {
        // Unit files only: ggl.target.wants/ follows them (enable_component_units).
        if (entry.path().filename().string().starts_with("ggl.") && !entry.is_directory())
            current.push_back(entry.path());
    }
    for (const fs::path& path : current) fs::remove(path, error);
    for (const auto& entry : fs::directory_iterator(snapshot, error)) {
        auto text = file::read(entry.path().string());
        if (!text) return std::move(text).error();
        if (auto written = file::write_atomically(unit_dir + "/" + entry.path().filename().string(), *text); !written) {
            return written;
        }
    }
    if (error)
        return make_error(ErrorCode::Failure, "restoring units from " + snapshot.string() + ": " + error.message());
    return enable_component_units(unit_dir);
}

void stop_component(systemd::Manager& manager, const std::string& name, bool phases_too) {
    (void)manager.stop_unit(unit_name(name), true);
    (void)manager.reset_failed_unit(unit_name(name));
    if (phases_too) {
        for (const std::string& unit : phase_units(name)) {
            (void)manager.stop_unit(unit, true);
            (void)manager.reset_failed_unit(unit);
        }
    }
}

namespace {

// Which components run now, so that dependents systemd stops along with an updated
// dependency are started again.
std::set<std::string> active_component_units(systemd::Manager& manager) {
    std::set<std::string> active_before;
    if (auto units = manager.list_units({"ggl.*.service"}); units) {
        for (const auto& unit : *units) {
            if (unit.active_state == "active" || unit.active_state == "activating" ||
                unit.active_state == "reloading") {
                active_before.insert(unit.name);
            }
        }
    }
    return active_before;
}

// RESET, defaults at timestamp 1, MERGE now; the version; the token its IPC client presents.
std::optional<Failure> configure_component(const Request& request, const Plan& plan, const Plan::Component& component,
                                           services::ConfigClient& config) {
    std::error_code error;
    config::KeyPath configuration = component_path(component.name, {"configuration"});
    const Object* update = request.configuration.find(component.name);
    if (update != nullptr) {
        if (const Object* reset = update->as_map().find("RESET")) {
            for (const Object& pointer : reset->as_list()) {
                config::KeyPath path = configuration;
                for (auto& segment : pointer_segments(pointer.as_buffer())) path.push_back(segment);
                if (auto removed = config.remove(path); !removed) {
                    return failure_of(component.name, "configuration", removed.error().message);
                }
            }
        }
    }
    Result<void> written = config.write(configuration, component.recipe->default_configuration, 1);
    if (written && update != nullptr) {
        if (const Object* merge = update->as_map().find("MERGE")) written = config.write(configuration, *merge);
    }
    if (written) written = config.write(component_path(component.name, {"version"}), component.version);
    if (!written) {
        return failure_of(component.name, "configuration", written.error().message);
    }
    // The token the component's IPC client presents (docs/ipc.md: one per component).
    fs::path token_path = env::svcuid_path(component.name);
    fs::create_directories(token_path.parent_path(), error);
    if (auto token = file::write_atomically(token_path.string(), new_svcuid(), 0600); !token) {
        return failure_of(component.name, "configuration", token.error().message);
    }
    // recipe-runner reads it as the component's user.
    if (!plan.component_user.empty() && ::geteuid() == 0) {
        auto owner = store::file_owner_of(plan.component_user);
        if (!owner) {
            return failure_of(component.name, "configuration", owner.error().message);
        }
        if (::chown(token_path.c_str(), owner->uid, owner->gid) != 0) {
            return failure_of(component.name, "configuration",
                              token_path.string() + ": chown: " + std::strerror(errno));
        }
    }
    return std::nullopt;
}

// The groups' root components, as the deployment leaves them.
std::optional<Failure> write_group_roots(const Plan& plan, services::ConfigClient& config) {
    Map groups;
    for (const auto& [group, roots] : plan.groups) {
        Map group_map;
        for (const auto& [name, version] : roots) group_map.set(name, Map{{"version", version}});
        groups.set(group, std::move(group_map));
    }
    Result<void> written = config.remove(group_roots_path());
    if (written) written = config.write(group_roots_path(), std::move(groups));
    if (!written) {
        return failure_of("", "configuration", written.error().message);
    }
    return std::nullopt;
}

// Lifecycle: bootstrap and install in dependency order, then start.
LifecycleWork lifecycle_work(const Plan& plan, systemd::Manager& manager, const std::set<std::string>& active_before) {
    LifecycleWork work;
    for (const auto& component : plan.components) {
        bool restart = component.needs_restart();
        if (!restart && active_before.count(unit_name(component.name)) != 0) {
            // Unchanged, but systemd may have stopped it along with a dependency (Requires=).
            auto status = manager.unit_status(unit_name(component.name));
            restart = status && status->active_state != "active" && status->active_state != "activating" &&
                      status->active_state != "reloading";
        }
        if (!restart) continue;
        work.targets.push_back(component.name);
        for (const char* phase : {"bootstrap", "install"}) {
            bool has_phase = std::any_of(component.units.begin(), component.units.end(), [&](const UnitFile& unit) {
                return unit.name == unit_name(component.name, phase);
            });
            if (has_phase && component.needs_restart()) work.phases.emplace_back(component.name, phase);
        }
    }
    // On success, replaced versions leave the store.
    for (const auto& component : plan.components) {
        if (component.previous_version && component.version_changed()) {
            work.store_cleanup.push_back(entry_of(component.name, *component.previous_version));
        }
    }
    for (const auto& [name, version] : plan.removed) work.store_cleanup.push_back(entry_of(name, version));
    return work;
}

} // namespace

Deployer::Outcome Deployer::apply(Record& record, Plan& plan, systemd::Manager& manager, Health& health) {
    services::ConfigClient config;
    if (!take_snapshot(record, plan, config)) return Outcome::Failed;
    std::set<std::string> active_before = active_component_units(manager);
    if (!remove_components(record, plan, manager, config)) return Outcome::Failed;
    if (!write_configuration(record, plan, config)) return Outcome::Failed;
    if (!write_units(record, plan, manager)) return Outcome::Failed;
    return run_lifecycle(record, lifecycle_work(plan, manager, active_before), manager, health);
}

// Snapshot: from here on, a failure rolls back.
bool Deployer::take_snapshot(Record& record, const Plan& plan, services::ConfigClient& config) {
    progress_(record, "snapshot of the configuration and units");
    std::error_code error;
    fs::create_directories(options_.unit_dir, error);
    if (auto backed_up = config.backup(options_.backup_name); !backed_up) {
        fail(record, failure_of("", "snapshot", backed_up.error().message));
        return false;
    }
    fs::path snapshot = fs::path(options_.root_dir) / "deployments" / (record.id + ".units");
    if (auto saved = snapshot_units(options_.unit_dir, snapshot); !saved) {
        fail(record, failure_of("", "snapshot", saved.error().message));
        return false;
    }
    record.previous_versions = string_map(plan.installed);
    record.touched.clear();
    for (const auto& component : plan.components) {
        if (component.needs_restart()) record.touched.push_back(component.name);
    }
    for (const auto& [name, version] : plan.removed) record.touched.push_back(name);
    record.changes_started = true;
    progress_(record, "applying");
    return true;
}

// Components no longer needed: stopped, units and store entries gone.
bool Deployer::remove_components(Record& record, const Plan& plan, systemd::Manager& manager,
                                 services::ConfigClient& config) {
    std::error_code error;
    for (const auto& [name, version] : plan.removed) {
        progress_(record, "removing " + name + " " + version);
        stop_component(manager, name, true);
        fs::remove(fs::path(options_.unit_dir) / unit_name(name), error);
        for (const std::string& unit : phase_units(name)) fs::remove(fs::path(options_.unit_dir) / unit, error);
        if (auto removed = config.remove(component_path(name)); !removed) {
            fail(record, failure_of(name, "configuration", removed.error().message));
            return false;
        }
        fs::remove(env::svcuid_path(name), error);
    }
    return true;
}

// Configuration: RESET, defaults at timestamp 1, MERGE now; the version; the groups.
bool Deployer::write_configuration(Record& record, const Plan& plan, services::ConfigClient& config) {
    for (const auto& component : plan.components) {
        if (!component.needs_restart()) continue;
        if (auto failure = configure_component(record.request, plan, component, config)) {
            fail(record, std::move(*failure));
            return false;
        }
    }
    if (auto failure = write_group_roots(plan, config)) {
        fail(record, std::move(*failure));
        return false;
    }
    return true;
}

// Units: stop what changes, write, reload.
bool Deployer::write_units(Record& record, const Plan& plan, systemd::Manager& manager) {
    std::error_code error;
    for (const auto& component : plan.components) {
        if (!component.needs_restart()) continue;
        stop_component(manager, component.name, component.version_changed() || component.units_changed);
    }
    for (const auto& component : plan.components) {
        if (!component.units_changed) continue;
        std::set<std::string> written_names;
        for (const UnitFile& unit : component.units) {
            written_names.insert(unit.name);
            if (auto written = file::write_atomically(options_.unit_dir + "/" + unit.name, unit.text); !written) {
                fail(record, failure_of(component.name, "units", written.error().message));
                return false;
            }
        }
        for (const std::string& unit : phase_units(component.name)) {
            if (!written_names.count(unit)) fs::remove(fs::path(options_.unit_dir) / unit, error);
        }
    }
    if (auto enabled = enable_component_units(options_.unit_dir); !enabled) {
        fail(record, failure_of("", "units", enabled.error().message));
        return false;
    }
    progress_(record, "reloading the service manager");
    if (auto reloaded = manager.reload(); !reloaded) {
        fail(record, failure_of("", "units", "daemon-reload: " + reloaded.error().message));
        return false;
    }
    return true;
}

Deployer::Outcome Deployer::run_lifecycle(Record& record, LifecycleWork work, systemd::Manager& manager,
                                          Health& health) {
    int64_t started_ms = now_ms();
    for (size_t i = 0; i < work.phases.size(); ++i) {
        const auto& [name, phase] = work.phases[i];
        progress_(record, name + ": " + phase);
        std::string unit = unit_name(name, phase);
        auto job = manager.start_unit(unit, true);
        auto status = manager.unit_status(unit);
        std::optional<int32_t> exit_status;
        if (status && status->exec_main_code == 1) exit_status = status->exec_main_status;
        if (!job || !job->done()) {
            Failure failure = failure_of(
                name, phase, job ? "the " + phase + " script failed (job " + job->result + ")" : job.error().message);
            if (exit_status) {
                failure.exit_status = *exit_status;
                failure.reason += ", exit status " + std::to_string(*exit_status);
            }
            failure.journal = journal_of(name);
            fail(record, std::move(failure));
            return Outcome::Failed;
        }
        if (phase == "bootstrap" && exit_status == kBootstrapRestartNucleus) {
            // The ggl daemons are not part of the component: nothing of theirs needs a restart.
            progress_(record, name + ": bootstrap exited 100, asking for a restart of the nucleus; ggl needs none "
                                     "for a component's bootstrap, so the deployment goes on");
        } else if (phase == "bootstrap" && exit_status == kBootstrapRebootDevice) {
            LifecycleWork remaining = work;
            remaining.phases.erase(remaining.phases.begin(), remaining.phases.begin() + static_cast<long>(i) + 1);
            return request_reboot(record, name, std::move(remaining));
        }
    }
    for (const std::string& name : work.targets) {
        progress_(record, "starting " + name);
        auto job = manager.start_unit(unit_name(name), false);
        if (!job) {
            Failure failure = failure_of(name, "run", job.error().message);
            failure.journal = journal_of(name);
            fail(record, std::move(failure));
            return Outcome::Failed;
        }
    }
    progress_(record, "waiting for " + std::to_string(work.targets.size()) + " component(s) to run");
    Failure failure;
    auto deadline = Clock::now() + std::chrono::seconds(record.request.timeout_seconds);
    if (auto healthy = health.wait(work.targets, started_ms, deadline, options_.settle, failure); !healthy) {
        if (!failure.component.empty()) failure.journal = journal_of(failure.component);
        fail(record, std::move(failure));
        return Outcome::Failed;
    }

    // Success: drop replaced versions from the store.
    store::StoreLayout layout{options_.root_dir};
    for (const std::string& entry : work.store_cleanup) {
        size_t space = entry.find(' ');
        (void)store::remove_component_version(layout, entry.substr(0, space), entry.substr(space + 1));
    }
    std::error_code error;
    fs::remove_all(fs::path(options_.root_dir) / "deployments" / (record.id + ".units"), error);
    return Outcome::Done;
}

} // namespace ggl::deployment
