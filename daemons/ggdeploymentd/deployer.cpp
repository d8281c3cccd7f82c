// One deployment, step by step. Everything is validated before the device changes;
// from the snapshot on, every step is in the record so a restart can roll back.
#include "deployer.hpp"

#include "artifact_installer.hpp"
#include "resolver.hpp"

#include "ggl/artifact_directory.hpp"
#include "ggl/component_store.hpp"
#include "ggl/config_client.hpp"
#include "ggl/device_settings.hpp"
#include "ggl/env.hpp"
#include "ggl/file.hpp"
#include "ggl/ipc_policy.hpp"
#include "ggl/log.hpp"
#include "ggl/platform.hpp"
#include "ggl/services/health.hpp"
#include "ggl/systemd.hpp"
#include "ggl/unit_writer.hpp"

#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <set>

namespace ggl::deployment {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kDeploymentService = "DeploymentService";
constexpr size_t kJournalLines = 20;
// Exit statuses of a bootstrap step (Greengrass recipe reference): success, and please
// restart the nucleus (100) or reboot the device (101).
constexpr int32_t kBootstrapRestartNucleus = 100;
constexpr int32_t kBootstrapRebootDevice = 101;

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

// The platform manifests are selected for: detected, or GGL_PLATFORM's overrides.
Platform deployment_platform() {
    Platform platform = detect_platform();
    if (const char* spec = std::getenv("GGL_PLATFORM"); spec != nullptr && *spec != '\0') {
        auto overridden = parse_platform_overrides(spec, platform);
        if (overridden) platform = std::move(*overridden);
    }
    return platform;
}

const config::KeyPath kServices{"services"};
config::KeyPath group_roots_path() {
    return {"services", kDeploymentService, "GroupToRootComponents"};
}
config::KeyPath component_path(const std::string& name, std::initializer_list<std::string> rest = {}) {
    config::KeyPath path{"services", name};
    path.insert(path.end(), rest);
    return path;
}

Failure failure_of(std::string component, std::string phase, std::string reason) {
    Failure failure;
    failure.component = std::move(component);
    failure.phase = std::move(phase);
    failure.reason = std::move(reason);
    return failure;
}

// "/a/b~1c" -> {"a", "b/c"}; "" -> {}.
config::KeyPath pointer_segments(std::string_view pointer) {
    config::KeyPath segments;
    if (pointer.empty()) {
        return segments;
    }
    size_t start = 1;
    while (start <= pointer.size()) {
        size_t slash = pointer.find('/', start);
        std::string_view raw = pointer.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        std::string segment;
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
                segment += raw[i + 1] == '0' ? '~' : '/';
                ++i;
            } else {
                segment += raw[i];
            }
        }
        segments.push_back(std::move(segment));
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    return segments;
}

void erase_pointer(Object& tree, const config::KeyPath& segments) {
    if (segments.empty()) {
        tree = Map{};
        return;
    }
    Object* node = &tree;
    for (size_t i = 0; i + 1 < segments.size(); ++i) {
        if (!node->is_map()) return;
        node = node->as_map().find(segments[i]);
        if (node == nullptr) return;
    }
    if (node->is_map()) {
        node->as_map().erase(segments.back());
    }
}

std::string journal_text(const systemd::JournalLine& line) {
    time_t seconds = static_cast<time_t>(line.realtime_usec / 1000000);
    struct tm local{};
    localtime_r(&seconds, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%H:%M:%S", &local);
    return std::string(stamp) + " " + line.identifier + "[" + std::to_string(line.pid) + "]: " + line.message;
}

std::vector<std::string> journal_of(const std::string& component) {
    std::vector<std::string> lines;
    auto tail = systemd::journal_tail(component, kJournalLines);
    if (tail) {
        for (const auto& line : *tail) {
            lines.push_back(journal_text(line));
        }
    }
    return lines;
}

std::string new_svcuid() {
    unsigned char bytes[24];
    size_t filled = 0;
    while (filled < sizeof bytes) {
        ssize_t got = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
        if (got > 0) filled += static_cast<size_t>(got);
    }
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string token;
    for (unsigned char byte : bytes) {
        token += kAlphabet[byte % 62];
    }
    return token;
}

std::string entry_of(const std::string& name, const std::string& version) {
    return name + " " + version;
}

std::vector<std::string> phase_units(const std::string& name) {
    return {unit_name(name, "bootstrap"), unit_name(name, "install"), unit_name(name, "recover")};
}

} // namespace

// ---------------------------------------------------------------------------------------
// The plan: what the deployment will do, computed before anything changes.

struct Deployer::Plan {
    struct Component {
        std::string name;
        std::string version;
        std::shared_ptr<const Recipe> recipe;
        const Manifest* manifest = nullptr;
        std::string recipe_path;
        bool in_store = false;
        std::optional<std::string> previous_version;
        bool reconfigured = false;
        Object configuration = Map{};        // as the deployment leaves it
        bool configuration_changed = false;  // for a deployed component: differs from what is stored
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

    std::vector<Component> components;  // dependencies first
    std::map<std::string, std::string> removed;  // name -> version
    std::map<std::string, std::string> installed;  // before the deployment
    GroupRoots groups;                  // after the deployment
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
struct Deployer::LifecycleWork {
    std::vector<std::pair<std::string, std::string>> phases;  // component, "bootstrap" or "install"
    std::vector<std::string> targets;
    std::vector<std::string> store_cleanup;  // "name version"

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
// anything starts so no transition is missed.
class Deployer::Health {
public:
    Result<void> open() {
        auto id = events_.send(bus::Op::Subscribe, services::health::kSubscribeToAllComponentStateChanges.name, Map{});
        if (!id) return std::move(id).error();
        subscription_ = *id;
        if (auto flushed = events_.flush(); !flushed) return flushed;
        // The subscription is accepted (or refused) before anything else arrives for it.
        for (;;) {
            auto reply = events_.receive(std::chrono::milliseconds(10000));
            if (!reply) return std::move(reply).error();
            if (reply->id != subscription_) continue;
            if (reply->kind == bus::ReplyKind::Accepted) return {};
            if (reply->kind == bus::ReplyKind::Event) {
                pending_.push_back(std::move(reply->value));
                return {};
            }
            return make_error(ErrorCode::Remote, "gghealthd refused the state subscription: " + reply->error.message);
        }
    }

    struct Target {
        std::string name;
        bool done = false;
        bool active_seen = false;  // a STARTING/RUNNING/STOPPING during this wait
        std::optional<Clock::time_point> running_since;
        std::string state = "UNKNOWN";
    };

    // Waits until every target is FINISHED or has been RUNNING for settle; events older
    // than since_ms (transitions caused before this wait began) are ignored.
    Result<void> wait(std::vector<std::string> names, int64_t since_ms, Clock::time_point deadline,
                      std::chrono::milliseconds settle, Failure& failure) {
        std::map<std::string, Target> targets;
        for (const std::string& name : names) {
            targets[name].name = name;
        }
        auto apply = [&](const Object& event) -> bool {  // false: a target failed
            const Map* map = event.if_map();
            if (map == nullptr) return true;
            const Object* name = map->find("component_name");
            const Object* state = map->find("lifecycle_state");
            if (name == nullptr || state == nullptr || !name->is_buffer() || !state->is_buffer()) return true;
            auto it = targets.find(std::string(name->as_buffer()));
            if (it == targets.end()) return true;
            // Transitions from before this wait (the stop of an old version) carry an
            // older timestamp. 0 means gghealthd did not learn when: such an event counts,
            // but a FINISHED must then follow activity seen during this wait.
            const Object* since = map->find("since");
            int64_t since_value = since != nullptr && since->is_i64() ? since->as_i64() : 0;
            if (since_value != 0 && since_value < since_ms) return true;
            Target& target = it->second;
            target.state = std::string(state->as_buffer());
            if (target.state == "ERRORED" || target.state == "BROKEN") {
                const Object* phase = map->find("phase");
                failure = failure_of(target.name, phase && phase->is_buffer() ? std::string(phase->as_buffer()) : "run",
                                     "the component became " + target.state);
                if (const Object* status = map->find("exit_status"); status && status->is_i64()) {
                    failure.exit_status = status->as_i64();
                    failure.reason += " (exit status " + std::to_string(status->as_i64()) + ")";
                }
                return false;
            }
            if (target.state == "FINISHED") {
                target.done = target.active_seen || since_value != 0;
            } else if (target.state == "RUNNING") {
                target.active_seen = true;
                if (!target.running_since) target.running_since = Clock::now();
            } else {
                target.active_seen = target.active_seen || target.state == "STARTING" || target.state == "STOPPING";
                target.running_since.reset();
                target.done = false;
            }
            return true;
        };
        for (const Object& event : pending_) {
            if (!apply(event)) return make_error(ErrorCode::Failure, failure.reason);
        }
        pending_.clear();
        // The states as they are now, for targets whose last transition came before the
        // subscription caught up.
        services::HealthClient status_client;
        for (auto& [name, target] : targets) {
            auto status = status_client.get_status(name);
            if (status && !apply(*status)) return make_error(ErrorCode::Failure, failure.reason);
        }
        for (;;) {
            auto now = Clock::now();
            bool all_done = true;
            Clock::time_point next_check = deadline;
            for (auto& [name, target] : targets) {
                if (!target.done && target.running_since) {
                    if (now - *target.running_since >= settle) {
                        target.done = true;
                    } else {
                        next_check = std::min(next_check, *target.running_since + settle);
                    }
                }
                all_done = all_done && target.done;
            }
            if (all_done) return {};
            if (now >= deadline) {
                for (auto& [name, target] : targets) {
                    if (!target.done) {
                        failure = failure_of(name, "run", "did not become RUNNING or FINISHED in time (last state " +
                                                              target.state + ")");
                        return make_error(ErrorCode::Timeout, failure.reason);
                    }
                }
            }
            auto wait_for = std::chrono::duration_cast<std::chrono::milliseconds>(next_check - now) +
                            std::chrono::milliseconds(1);
            auto readable = events_.wait_readable(wait_for);
            if (readable && !*readable) continue;  // a timer of ours is due
            Result<bus::Reply> reply = readable ? events_.receive(std::chrono::milliseconds(10000))
                                                : Result<bus::Reply>(std::move(readable).error());
            if (!reply) {
                failure = failure_of("", "health", "lost gghealthd: " + reply.error().message);
                return std::move(reply).error();
            }
            if (reply->id != subscription_) continue;
            if (reply->kind == bus::ReplyKind::Event) {
                if (!apply(reply->value)) return make_error(ErrorCode::Failure, failure.reason);
            } else if (reply->kind == bus::ReplyKind::End || reply->kind == bus::ReplyKind::Error) {
                failure = failure_of("", "health", "gghealthd ended the state subscription: " + reply->error.message);
                return make_error(ErrorCode::Failure, failure.reason);
            }
        }
    }

private:
    bus::Client events_ = bus::Client::for_service(services::health::kService);
    uint64_t subscription_ = 0;
    std::vector<Object> pending_;
};

// ---------------------------------------------------------------------------------------

Deployer::Deployer(DeployerOptions options, Progress progress)
    : options_(std::move(options)), progress_(std::move(progress)) {}

void Deployer::finish(Record& record, State state, const std::string& message) {
    record.state = state;
    progress_(record, message);
}

void Deployer::remove_added_versions(Record& record) {
    store::StoreLayout layout{options_.root_dir};
    for (const std::string& entry : record.added_to_store) {
        size_t space = entry.find(' ');
        (void)store::remove_component_version(layout, entry.substr(0, space), entry.substr(space + 1));
    }
    record.added_to_store.clear();
}

void Deployer::fail(Record& record, Failure failure) {
    std::string text = failure.component.empty() ? failure.reason
                                                 : failure.component + " failed in phase " + failure.phase + ": " + failure.reason;
    record.failure = std::move(failure);
    if (!record.changes_started) {
        remove_added_versions(record);
        finish(record, State::FailedNoStateChange, "failed, nothing was changed: " + text);
        return;
    }
    progress_(record, "failed: " + text);
    if (!record.request.rollback) {
        finish(record, State::FailedRollbackNotRequested,
               "left as it is (failure_handling_policy DO_NOTHING)");
        return;
    }
    roll_back(record);
}

namespace {

// Recipes in a directory (the deployment's, or the store's): name -> versions.
void index_recipes(const fs::path& directory, bool in_store, CandidateIndex& index,
                   std::map<std::string, std::string>& problems) {
    std::error_code error;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(directory, error)) {
        std::string extension = entry.path().extension().string();
        if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml" || extension == ".json")) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
        RecipeLoad load = load_recipe_file(path.string());
        std::string stem = path.stem().string();
        if (!load.ok()) {
            problems[stem] = load.describe_problems();
            continue;
        }
        auto recipe = std::make_shared<const Recipe>(std::move(*load.recipe));
        std::string expected = recipe->name + "-" + recipe->version.to_string();
        if (stem != expected) {
            problems[stem] = path.string() + ": the file name does not match the recipe, which is " +
                             recipe->name + " " + recipe->version.to_string() + " (expected " + expected +
                             path.extension().string() + ")";
            continue;
        }
        auto& versions = index[recipe->name];
        bool duplicate = std::any_of(versions.begin(), versions.end(), [&](const Candidate& candidate) {
            return candidate.version() == recipe->version && candidate.in_store == in_store;
        });
        if (!duplicate) {
            versions.push_back(Candidate{recipe, path.string(), in_store});
        }
    }
}

Map string_map(const std::map<std::string, std::string>& values) {
    Map map;
    for (const auto& [key, value] : values) map.set(key, value);
    return map;
}

} // namespace

bool Deployer::make_plan(Record& record, Plan& plan) {
    const Request& request = record.request;
    progress_(record, "validating");
    config::Client config;
    if (auto connected = config.connect(); !connected) {
        fail(record, failure_of("", "validate", "cannot reach ggconfigd: " + connected.error().message));
        return false;
    }
    auto services = config.read_optional(kServices);
    auto system = config.read_optional({"system"});
    if (!services || !system) {
        fail(record, failure_of("", "validate", (!services ? services.error() : system.error()).message));
        return false;
    }
    if (*services && (*services)->is_map()) plan.services = **services;
    if (*system && (*system)->is_map()) plan.system = **system;

    for (const auto& [name, node] : plan.services.as_map()) {
        const Map* map = node.if_map();
        const Object* version = map ? map->find("version") : nullptr;
        if (version != nullptr && version->is_buffer() && !is_builtin_component(name) && name != kDeploymentService) {
            plan.installed[name] = std::string(version->as_buffer());
        }
    }
    // The groups' root components, with this deployment's group changed.
    if (const Map* services_map = plan.services.if_map()) {
        const Object* deployment = services_map->find(kDeploymentService);
        const Object* groups = deployment && deployment->is_map() ? deployment->as_map().find("GroupToRootComponents") : nullptr;
        if (groups != nullptr && groups->is_map()) {
            for (const auto& [group, roots] : groups->as_map()) {
                if (!roots.is_map()) continue;
                for (const auto& [component, entry] : roots.as_map()) {
                    const Object* version = entry.is_map() ? entry.as_map().find("version") : &entry;
                    if (version != nullptr && version->is_buffer()) {
                        plan.groups[group][component] = std::string(version->as_buffer());
                    }
                }
            }
        }
    }
    auto& roots = plan.groups[request.group];
    for (const std::string& name : request.remove) {
        if (roots.erase(name) == 0) {
            fail(record, failure_of(name, "validate", "is not a root component of group " + request.group +
                                                          ", so it cannot be removed from it"));
            return false;
        }
    }
    for (const auto& [name, version] : request.add) {
        roots[name] = version;
    }
    if (roots.empty()) {
        plan.groups.erase(request.group);
    }
    for (const auto& [name, update] : request.configuration) {
        bool deployed = plan.installed.count(name) != 0 || request.add.count(name) != 0;
        if (!deployed) {
            fail(record, failure_of(name, "validate", "configuration given for a component that is neither "
                                                      "deployed nor being added"));
            return false;
        }
    }

    // Candidates: this deployment's recipes, then the store's.
    plan.layout = store::StoreLayout{options_.root_dir};
    std::map<std::string, std::string> problems;
    if (!request.recipe_directory.empty()) {
        if (!fs::is_directory(request.recipe_directory)) {
            fail(record, failure_of("", "validate", "recipe directory " + request.recipe_directory + " does not exist"));
            return false;
        }
        index_recipes(request.recipe_directory, false, plan.candidates, problems);
    }
    index_recipes(plan.layout.recipes_dir(), true, plan.candidates, problems);

    auto resolution = resolve(plan.groups, plan.candidates);
    if (!resolution) {
        std::string reason = resolution.error().message;
        for (const auto& [stem, problem] : problems) {
            reason += "\n" + problem;
        }
        fail(record, failure_of("", "resolve", reason));
        return false;
    }
    // A recipe the deployment needs and could not read is an error even when another
    // version satisfied the requirement: the operator gave it for a reason.
    for (const auto& [stem, problem] : problems) {
        for (const auto& [name, version] : request.add) {
            if (stem == name + "-" + version) {
                fail(record, failure_of(name, "validate", problem));
                return false;
            }
        }
    }

    Platform platform = deployment_platform();
    // The configuration tree as it will be, for generating units.
    Object predicted_services = plan.services;
    DeviceSettings settings = device_settings_from_tree(Map{{"system", plan.system}, {"services", predicted_services}});
    bool user_scope = env::systemd_scope() == env::SystemdScope::User;
    plan.component_user = user_scope ? "" : settings.posix_user;

    for (const ResolvedComponent& resolved : *resolution) {
        const Candidate& candidate = *resolved.candidate;
        Plan::Component component;
        component.name = candidate.name();
        component.version = candidate.version().to_string();
        component.recipe = candidate.recipe;
        component.recipe_path = candidate.recipe_path;
        component.in_store = candidate.in_store;
        component.required_by = resolved.required_by;
        if (auto it = plan.installed.find(component.name); it != plan.installed.end()) {
            component.previous_version = it->second;
        }
        auto manifest = select_manifest(*component.recipe, platform);
        if (!manifest) {
            fail(record, failure_of(component.name, "validate", manifest.error().message));
            return false;
        }
        component.manifest = *manifest;

        // Configuration: what is stored (kept across versions), RESET, defaults, MERGE.
        Object configuration = Map{};
        if (component.previous_version) {
            const Object* stored = plan.services.as_map().find(component.name);
            const Object* stored_configuration = stored && stored->is_map() ? stored->as_map().find("configuration") : nullptr;
            if (stored_configuration != nullptr && stored_configuration->is_map()) configuration = *stored_configuration;
        }
        const Object stored_configuration = configuration;
        const Object* update = request.configuration.find(component.name);
        if (update != nullptr) {
            component.reconfigured = true;
            if (const Object* reset = update->as_map().find("RESET")) {
                for (const Object& pointer : reset->as_list()) {
                    erase_pointer(configuration, pointer_segments(pointer.as_buffer()));
                }
            }
        }
        Object defaults = component.recipe->default_configuration;
        merge_configuration(defaults, configuration);
        configuration = std::move(defaults);
        if (update != nullptr) {
            if (const Object* merge = update->as_map().find("MERGE")) merge_configuration(configuration, *merge);
        }
        component.configuration_changed = component.previous_version && !(configuration == stored_configuration);
        // Malformed IPC policies fail here, before anything changes, rather than in ggipcd later.
        if (const Map* configuration_map = configuration.if_map()) {
            for (const auto& [key, access_control] : *configuration_map) {
                if (strcasecmp(key.c_str(), "accessControl") != 0) continue;
                ipc_policy::Variables variables;
                variables.thing_name = settings.thing_name;
                auto policies = ipc_policy::ComponentPolicies::parse(component.name, access_control, variables);
                if (!policies) {
                    fail(record, failure_of(component.name, "validate", policies.error().message));
                    return false;
                }
            }
        }
        component.configuration = configuration;

        UnitOptions unit_options;
        unit_options.runner_path = env::executable_dir() + "/recipe-runner";
        unit_options.root_path = settings.root_path;
        unit_options.runtime_dir = env::runtime_dir();
        unit_options.thing_name = settings.thing_name;
        unit_options.aws_region = settings.aws_region;
        unit_options.posix_user = user_scope ? "" : settings.posix_user;
        unit_options.configuration = configuration;
        for (const char* name : {"GGL_CONFIG_DIR", "GGL_CONFIG_DB", "GGL_LOG_LEVEL", "GGL_PLATFORM"}) {
            if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
                unit_options.runner_environment.emplace_back(name, value);
            }
        }
        if (const char* spec = std::getenv("GGL_PLATFORM"); spec != nullptr && *spec != '\0') {
            unit_options.platform_override = spec;
        }
        auto units = generate_units(*component.recipe, *component.manifest, unit_options);
        if (!units) {
            fail(record, failure_of(component.name, "validate", units.error().message));
            return false;
        }
        component.units = std::move(*units);
        for (const UnitFile& unit : component.units) {
            auto existing = file::read(options_.unit_dir + "/" + unit.name);
            if (!existing || *existing != unit.text) component.units_changed = true;
        }
        // Artifacts must be at hand before anything changes, and the directory they are in
        // (copied whole, as the Greengrass CLI does) fit to copy.
        if (!component.in_store && !request.artifacts_directory.empty()) {
            fs::path directory = fs::path(request.artifacts_directory) / component.name / component.version;
            auto copied = store::scan_artifact_directory(directory, component.manifest->artifacts);
            if (!copied) {
                fail(record, failure_of(component.name, "artifacts", copied.error().message));
                return false;
            }
            if (fs::is_directory(directory)) {
                component.artifact_directory = directory.string();
                component.artifact_files = static_cast<int64_t>(component.manifest->artifacts.size()) +
                                           std::count_if(copied->begin(), copied->end(),
                                                         [](const auto& entry) { return !entry.directory; });
            }
        }
        if (!component.in_store && !component.manifest->artifacts.empty()) {
            if (request.artifacts_directory.empty()) {
                fail(record, failure_of(component.name, "artifacts",
                                        "the recipe has artifacts but the deployment gives no artifacts directory"));
                return false;
            }
            for (const Artifact& artifact : component.manifest->artifacts) {
                auto file_name = store::artifact_file_name(artifact);
                if (!file_name) {
                    fail(record, failure_of(component.name, "artifacts", file_name.error().message));
                    return false;
                }
                fs::path source = fs::path(request.artifacts_directory) / component.name / component.version / *file_name;
                if (!fs::is_regular_file(source)) {
                    fail(record, failure_of(component.name, "artifacts", "artifact " + source.string() + " not found"));
                    return false;
                }
            }
        }
        plan.components.push_back(std::move(component));
    }
    std::set<std::string> kept;
    for (const auto& component : plan.components) kept.insert(component.name);
    for (const auto& [name, version] : plan.installed) {
        if (!kept.count(name)) plan.removed[name] = version;
    }

    // The plan, as the record and `ggl deploy --dry-run` show it.
    List components;
    List units;
    for (const auto& component : plan.components) {
        std::string action = !component.previous_version ? "add"
                             : component.version_changed() ? "update"
                             : component.needs_restart() ? "restart" : "keep";
        Map entry{{"component_name", component.name}, {"version", component.version}, {"action", action}};
        if (component.previous_version) entry.set("previous_version", *component.previous_version);
        if (!component.artifact_directory.empty()) {
            entry.set("artifact_directory", component.artifact_directory);
            entry.set("artifact_files", component.artifact_files);
        }
        List required_by;
        for (const auto& origin : component.required_by) required_by.emplace_back(origin);
        entry.set("required_by", std::move(required_by));
        components.emplace_back(std::move(entry));
        if (component.units_changed) {
            for (const UnitFile& unit : component.units) units.emplace_back(unit.name);
        }
    }
    List removed;
    for (const auto& [name, version] : plan.removed) {
        removed.emplace_back(Map{{"component_name", name}, {"version", version}});
    }
    Map groups;
    for (const auto& [group, group_roots] : plan.groups) groups.set(group, string_map(group_roots));
    record.plan = Map{{"components", std::move(components)},
                      {"removed", std::move(removed)},
                      {"configuration", request.configuration},
                      {"units", std::move(units)},
                      {"groups", std::move(groups)}};
    std::string summary = "plan: ";
    for (const auto& component : plan.components) {
        summary += component.name + " " + component.version + (component.needs_restart() ? "" : " (unchanged)") + ", ";
    }
    for (const auto& [name, version] : plan.removed) summary += "remove " + name + " " + version + ", ";
    summary.resize(summary.size() - 2);
    progress_(record, summary);
    return true;
}

// Greengrass's dynamic configuration validation: each deployed component whose
// configuration changes may have subscribed (SubscribeToValidateConfigurationUpdates) to
// see it first. ggipcd forwards the proposal and answers with the component's report;
// all are asked at once (pipelined on one connection), so the wait is the slowest
// answer. A rejection fails the deployment before anything changes; no answer in time,
// or no ggipcd at all, lets it proceed, as on Greengrass.
bool Deployer::validate_configuration(Record& record, const Plan& plan) {
    bool any_changed = std::any_of(plan.components.begin(), plan.components.end(),
                                   [](const Plan::Component& component) { return component.configuration_changed; });
    if (!any_changed) return true;
    auto timeout = std::chrono::seconds(record.request.configuration_validation_timeout_seconds);
    bus::Client ipc = bus::Client::for_service("ipc_component", bus::ClientOptions{std::chrono::seconds(5), 0});
    if (auto connected = ipc.connect(); !connected) {
        GGL_LOGI("deployment %s: ggipcd is not running (%s): no component can validate its configuration",
                 record.id.c_str(), connected.error().message.c_str());
        return true;
    }
    std::map<uint64_t, std::string> asked;
    std::string list;
    for (const auto& component : plan.components) {
        if (!component.configuration_changed) continue;
        auto id = ipc.send(bus::Op::Call, "validate_configuration",
                           Map{{"component_name", component.name},
                               {"deployment_id", record.id},
                               {"configuration", component.configuration},
                               {"timeout_ms", static_cast<int64_t>(timeout.count()) * 1000}});
        if (!id) {
            progress_(record, "cannot ask ggipcd to validate configuration (" + id.error().message + "); proceeding");
            return true;
        }
        asked[*id] = component.name;
        list += (list.empty() ? "" : ", ") + component.name;
    }
    progress_(record, "offering the new configuration of " + list + " to validation subscribers, if any");
    // ggipcd answers each call by the timeout; the margin covers a busy ggipcd.
    auto deadline = Clock::now() + timeout + std::chrono::seconds(10);
    while (!asked.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        auto reply = ipc.receive(std::max(left, std::chrono::milliseconds(1)));
        if (!reply && reply.error().code == ErrorCode::Retry) continue;
        if (!reply) {
            progress_(record, "no answer from ggipcd about configuration validation (" + reply.error().message +
                                  "); proceeding");
            return true;
        }
        auto it = asked.find(reply->id);
        if (it == asked.end()) continue;
        std::string name = it->second;
        asked.erase(it);
        if (reply->kind != bus::ReplyKind::Result) {
            progress_(record, name + ": configuration validation failed in ggipcd (" + reply->error.message +
                                  "); proceeding");
            continue;
        }
        std::string status = string_field(reply->value, "status");
        std::string message = string_field(reply->value, "message");
        if (status == "REJECTED") {
            fail(record, failure_of(name, "validate",
                                    "the component rejected its new configuration" +
                                        (message.empty() ? std::string() : ": " + message)));
            return false;
        }
        if (status == "ACCEPTED") {
            progress_(record, name + " accepted its new configuration" + (message.empty() ? "" : ": " + message));
        } else if (status == "TIMED_OUT") {
            progress_(record, name + " did not report on its new configuration within " +
                                  std::to_string(timeout.count()) + " s; proceeding");
        }
    }
    return true;
}

namespace {

// The owner of stored artifacts: the runWith user when this process may give files away.
Result<store::InstallOptions> artifact_options(const std::string& run_with) {
    store::InstallOptions options;
    if (run_with.empty() || ::geteuid() != 0) {
        return options;
    }
    size_t colon = run_with.find(':');
    std::string user = run_with.substr(0, colon);
    struct passwd* account = ::getpwnam(user.c_str());
    if (account == nullptr) {
        return make_error(ErrorCode::Config, "runWith posixUser " + user + " does not exist on this device");
    }
    store::FileOwner owner{account->pw_uid, account->pw_gid};
    if (colon != std::string::npos) {
        std::string group = run_with.substr(colon + 1);
        struct group* entry = ::getgrnam(group.c_str());
        if (entry == nullptr) {
            return make_error(ErrorCode::Config, "runWith group " + group + " does not exist on this device");
        }
        owner.gid = entry->gr_gid;
    }
    options.owner = owner;
    return options;
}

} // namespace

bool Deployer::prepare_store(Record& record, Plan& plan) {
    for (auto& component : plan.components) {
        if (component.in_store) continue;
        progress_(record, "storing " + component.name + " " + component.version);
        std::string entry = entry_of(component.name, component.version);
        bool existed = false;
        for (const SemVer& version : store::stored_versions(plan.layout, component.name)) {
            existed = existed || version.to_string() == component.version;
        }
        if (!existed) {
            record.added_to_store.push_back(entry);
        }
        auto installed = store::install_recipe(plan.layout, component.recipe_path, *component.recipe);
        if (installed) {
            fs::path source = record.request.artifacts_directory.empty()
                                  ? fs::path()
                                  : fs::path(record.request.artifacts_directory) / component.name / component.version;
            auto options = artifact_options(plan.component_user);
            if (options) {
                store::ArtifactInstallRequest request{
                    plan.layout,
                    store::ComponentArtifacts{component.recipe->name, component.recipe->version,
                                              component.manifest->artifacts},
                    source, *options};
                installed = run_artifact_installer(artifact_installer_path(), request);
            } else {
                installed = std::move(options).error();
            }
        }
        if (!installed) {
            fail(record, failure_of(component.name, "artifacts", installed.error().message));
            return false;
        }
    }
    return true;
}

namespace {

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
    std::set<fs::path> wanted;  // T.wants/UNIT, relative to unit_dir
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

Result<void> restore_units(const std::string& unit_dir, const fs::path& snapshot) {
    std::error_code error;
    std::vector<fs::path> current;
    for (const auto& entry : fs::directory_iterator(unit_dir, error)) {
        // Unit files only: ggl.target.wants/ follows them (enable_component_units).
        if (entry.path().filename().string().starts_with("ggl.") && !entry.is_directory()) current.push_back(entry.path());
    }
    for (const fs::path& path : current) fs::remove(path, error);
    for (const auto& entry : fs::directory_iterator(snapshot, error)) {
        auto text = file::read(entry.path().string());
        if (!text) return std::move(text).error();
        if (auto written = file::write_atomically(unit_dir + "/" + entry.path().filename().string(), *text); !written) {
            return written;
        }
    }
    if (error) return make_error(ErrorCode::Failure, "restoring units from " + snapshot.string() + ": " + error.message());
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

} // namespace

Deployer::Outcome Deployer::apply(Record& record, Plan& plan, systemd::Manager& manager, Health& health) {
    config::Client config;

    // Snapshot: from here on, a failure rolls back.
    progress_(record, "snapshot of the configuration and units");
    std::error_code error;
    fs::create_directories(options_.unit_dir, error);
    if (auto backed_up = config.backup(options_.backup_name); !backed_up) {
        fail(record, failure_of("", "snapshot", backed_up.error().message));
        return Outcome::Failed;
    }
    fs::path snapshot = fs::path(options_.root_dir) / "deployments" / (record.id + ".units");
    if (auto saved = snapshot_units(options_.unit_dir, snapshot); !saved) {
        fail(record, failure_of("", "snapshot", saved.error().message));
        return Outcome::Failed;
    }
    record.previous_versions = string_map(plan.installed);
    record.touched.clear();
    for (const auto& component : plan.components) {
        if (component.needs_restart()) record.touched.push_back(component.name);
    }
    for (const auto& [name, version] : plan.removed) record.touched.push_back(name);
    record.changes_started = true;
    progress_(record, "applying");

    // Which components run now, so that dependents systemd stops along with an updated
    // dependency are started again.
    std::set<std::string> active_before;
    if (auto units = manager.list_units({"ggl.*.service"}); units) {
        for (const auto& unit : *units) {
            if (unit.active_state == "active" || unit.active_state == "activating" || unit.active_state == "reloading") {
                active_before.insert(unit.name);
            }
        }
    }

    // Components no longer needed: stopped, units and store entries gone.
    for (const auto& [name, version] : plan.removed) {
        progress_(record, "removing " + name + " " + version);
        stop_component(manager, name, true);
        fs::remove(fs::path(options_.unit_dir) / unit_name(name), error);
        for (const std::string& unit : phase_units(name)) fs::remove(fs::path(options_.unit_dir) / unit, error);
        if (auto removed = config.remove(component_path(name)); !removed) {
            fail(record, failure_of(name, "configuration", removed.error().message));
            return Outcome::Failed;
        }
        fs::remove(env::svcuid_path(name), error);
    }

    // Configuration: RESET, defaults at timestamp 1, MERGE now; the version; the groups.
    for (const auto& component : plan.components) {
        if (!component.needs_restart()) continue;
        config::KeyPath configuration = component_path(component.name, {"configuration"});
        const Object* update = record.request.configuration.find(component.name);
        if (update != nullptr) {
            if (const Object* reset = update->as_map().find("RESET")) {
                for (const Object& pointer : reset->as_list()) {
                    config::KeyPath path = configuration;
                    for (auto& segment : pointer_segments(pointer.as_buffer())) path.push_back(segment);
                    if (auto removed = config.remove(path); !removed) {
                        fail(record, failure_of(component.name, "configuration", removed.error().message));
                        return Outcome::Failed;
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
            fail(record, failure_of(component.name, "configuration", written.error().message));
            return Outcome::Failed;
        }
        // The token the component's IPC client presents (docs/ipc.md: one per component).
        fs::path token_path = env::svcuid_path(component.name);
        fs::create_directories(token_path.parent_path(), error);
        if (auto token = file::write_atomically(token_path.string(), new_svcuid(), 0600); !token) {
            fail(record, failure_of(component.name, "configuration", token.error().message));
            return Outcome::Failed;
        }
        // recipe-runner reads it as the component's user.
        if (auto owner = artifact_options(plan.component_user); owner && owner->owner) {
            if (::chown(token_path.c_str(), owner->owner->uid, owner->owner->gid) != 0) {
                fail(record, failure_of(component.name, "configuration",
                                        token_path.string() + ": chown: " + std::strerror(errno)));
                return Outcome::Failed;
            }
        }
    }
    {
        Map groups;
        for (const auto& [group, roots] : plan.groups) {
            Map group_map;
            for (const auto& [name, version] : roots) group_map.set(name, Map{{"version", version}});
            groups.set(group, std::move(group_map));
        }
        Result<void> written = config.remove(group_roots_path());
        if (written) written = config.write(group_roots_path(), std::move(groups));
        if (!written) {
            fail(record, failure_of("", "configuration", written.error().message));
            return Outcome::Failed;
        }
    }

    // Units: stop what changes, write, reload.
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
                return Outcome::Failed;
            }
        }
        for (const std::string& unit : phase_units(component.name)) {
            if (!written_names.count(unit)) fs::remove(fs::path(options_.unit_dir) / unit, error);
        }
    }
    if (auto enabled = enable_component_units(options_.unit_dir); !enabled) {
        fail(record, failure_of("", "units", enabled.error().message));
        return Outcome::Failed;
    }
    progress_(record, "reloading the service manager");
    if (auto reloaded = manager.reload(); !reloaded) {
        fail(record, failure_of("", "units", "daemon-reload: " + reloaded.error().message));
        return Outcome::Failed;
    }

    // Lifecycle: bootstrap and install in dependency order, then start.
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
    return run_lifecycle(record, std::move(work), manager, health);
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
            Failure failure = failure_of(name, phase, job ? "the " + phase + " script failed (job " + job->result + ")"
                                                          : job.error().message);
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

Deployer::Outcome Deployer::request_reboot(Record& record, const std::string& component, LifecycleWork remaining) {
    record.phase = kAwaitingReboot;
    record.boot_id = read_boot_id(options_.boot_id_path);
    record.resume = remaining.to_object();
    progress_(record, component + ": bootstrap exited 101, asking for a reboot of the device; the deployment "
                                  "goes on after it (boot " + record.boot_id + ")");
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
        if (!manifest || !(*manifest)->lifecycle.bootstrap || !(*manifest)->lifecycle.bootstrap->bootstrap_on_rollback) {
            continue;
        }
        progress_(record, name + " " + version + ": bootstrap again (BootstrapOnRollback)");
        std::string unit = unit_name(name, "bootstrap");
        (void)manager.stop_unit(unit, true);
        (void)manager.reset_failed_unit(unit);
        auto job = manager.start_unit(unit, true);
        if (!job || !job->done()) {
            return "bootstrap of " + name + " " + version + " failed: " +
                   (job ? "job " + job->result : job.error().message);
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
    config::Client config;
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
        if (auto opened = health.open(); !opened) return fail_rollback("cannot reach gghealthd: " + opened.error().message);
        int64_t started_ms = now_ms();
        for (const std::string& name : targets) {
            progress_(record, "starting " + name + " " + record.previous_versions.find(name)->as_buffer().data() +
                                  " again");
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
