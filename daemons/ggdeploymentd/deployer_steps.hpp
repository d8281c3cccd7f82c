// What the deployer's steps (deployer_*.cpp) share: the plan, the lifecycle work left,
// gghealthd's view of components, and the helpers more than one step calls.
#pragma once

#include "deployer.hpp"
#include "resolver.hpp"

#include "ggl/artifact_install_request.hpp"
#include "ggl/bus_client.hpp"
#include "ggl/component_store.hpp"
#include "ggl/config_path.hpp"
#include "ggl/platform.hpp"
#include "ggl/services/health.hpp"
#include "ggl/unit_writer.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ggl::systemd {
class Manager;
}

namespace ggl::deployment {

using Clock = std::chrono::steady_clock;

inline constexpr const char* kDeploymentService = "DeploymentService";
// Exit statuses of a bootstrap step (Greengrass recipe reference): success, and please
// restart the nucleus (100) or reboot the device (101).
inline constexpr int32_t kBootstrapRestartNucleus = 100;
inline constexpr int32_t kBootstrapRebootDevice = 101;

inline Failure failure_of(std::string component, std::string phase, std::string reason) {
    Failure failure;
    failure.component = std::move(component);
    failure.phase = std::move(phase);
    failure.reason = std::move(reason);
    return failure;
}

inline std::string entry_of(const std::string& name, const std::string& version) { return name + " " + version; }

// ---------------------------------------------------------------------------------------
// The plan: what the deployment will do, computed before anything changes.

struct Plan {
    struct Component {
        std::string name;
        std::string version;
        std::shared_ptr<const Recipe> recipe;
        const Manifest* manifest = nullptr;
        std::string recipe_path;
        bool in_store = false;
        std::optional<std::string> previous_version;
        bool reconfigured = false;
        Object configuration = Map{}; // as the deployment leaves it
        bool configuration_changed = false; // for a deployed component: differs from what is stored
        std::vector<UnitFile> units;
        bool units_changed = false;
        std::vector<std::string> required_by;
        // <artifact dir>/<name>/<version>/ when the deployment stores this version and the
        // directory exists: copied whole into the store, with how many files it holds.
        std::string artifact_directory;
        int64_t artifact_files = 0;

        bool version_changed() const { return previous_version != version; }
        bool needs_restart() const { return version_changed() || reconfigured || units_changed; }
    };

    std::vector<Component> components; // dependencies first
    std::map<std::string, std::string> removed; // name -> version
    std::map<std::string, std::string> installed; // before the deployment
    GroupRoots groups; // after the deployment
    CandidateIndex candidates;
    store::StoreLayout layout;
    // Under the system manager, components run as their runWith user ("user[:group]"):
    // their artifacts are given to it. Empty under the user manager.
    std::string component_user;
    Object services = Map{};
    Object system = Map{};
};

// The lifecycle work left once units are in place: phase units to run in order, the
// components to start, the store entries to drop on success. Kept in the record while a
// reboot is awaited.
struct LifecycleWork {
    std::vector<std::pair<std::string, std::string>> phases; // component, "bootstrap" or "install"
    std::vector<std::string> targets;
    std::vector<std::string> store_cleanup; // "name version"

    Object to_object() const {
        List phase_list;
        for (const auto& [name, phase] : phases) {
            phase_list.emplace_back(Map{{"component_name", name}, {"phase", phase}});
        }
        List target_list(targets.begin(), targets.end());
        List cleanup_list(store_cleanup.begin(), store_cleanup.end());
        return Map{{"phases", std::move(phase_list)},
                   {"targets", std::move(target_list)},
                   {"store_cleanup", std::move(cleanup_list)}};
    }

    static LifecycleWork from_object(const Object& object) {
        LifecycleWork work;
        auto strings = [&](std::string_view key, std::vector<std::string>& out) {
            const Object* list = find_field(object, key);
            if (list == nullptr || !list->is_list()) return;
            for (const Object& item : list->as_list()) {
                if (item.is_buffer()) out.emplace_back(item.as_buffer());
            }
        };
        if (const Object* list = find_field(object, "phases"); list != nullptr && list->is_list()) {
            for (const Object& item : list->as_list()) {
                std::string phase = string_field(item, "phase");
                if (phase == "bootstrap" || phase == "install") {
                    work.phases.emplace_back(string_field(item, "component_name"), phase);
                }
            }
        }
        strings("targets", work.targets);
        strings("store_cleanup", work.store_cleanup);
        return work;
    }
};

// gghealthd's view of components: one subscription to every state change, opened before
// anything starts so no transition is missed (deployer_health.cpp).
class Health {
public:
    Result<void> open();

    // Waits until every target is FINISHED or has been RUNNING for settle; events older
    // than since_ms (transitions caused before this wait began) are ignored.
    Result<void> wait(std::vector<std::string> names, int64_t since_ms, Clock::time_point deadline,
                      std::chrono::milliseconds settle, Failure& failure);

private:
    struct Target {
        std::string name;
        bool done = false;
        bool active_seen = false; // a STARTING/RUNNING/STOPPING during this wait
        std::optional<Clock::time_point> running_since;
        std::string state = "UNKNOWN";
    };
    using Targets = std::map<std::string, Target>;

    // One state change (or status) of a component; false: a target failed (failure says how).
    static bool observe(Targets& targets, const Object& event, int64_t since_ms, Failure& failure);
    Result<void> catch_up(Targets& targets, services::HealthClient& status_client, int64_t since_ms, Failure& failure);
    static bool settled(Targets& targets, Clock::time_point now, std::chrono::milliseconds settle,
                        Clock::time_point& next_check);
    static Result<void> time_out(const Targets& targets, Failure& failure);
    Result<void> take_reply(Targets& targets, Result<bus::Reply> reply, int64_t since_ms, Failure& failure);

    bus::Client events_ = bus::Client::for_service(services::health::kService);
    uint64_t subscription_ = 0;
    std::vector<Object> pending_;
};

// deployer_plan.cpp
// The platform manifests are selected for: detected, or GGL_PLATFORM's overrides.
Platform deployment_platform();
// "/a/b~1c" -> {"a", "b/c"}; "" -> {}.
config::KeyPath pointer_segments(std::string_view pointer);
Map string_map(const std::map<std::string, std::string>& values);

// deployer_apply.cpp
// The ggl.* unit files as snapshot_units saved them, enabled again.
Result<void> restore_units(const std::string& unit_dir, const std::filesystem::path& snapshot);
// Stops a component (and its bootstrap/install/recover units too, with phases_too).
void stop_component(systemd::Manager& manager, const std::string& name, bool phases_too);

// deployer_health.cpp
// The last lines of a component's journal, for its failure.
std::vector<std::string> journal_of(const std::string& component);

} // namespace ggl::deployment
