// The gg_health methods: parameter checks, the component table kept from unit signals,
// and the events derived from it.
#include "health_service.hpp"

#include "ggl/log.hpp"
#include "ggl/services/health.hpp"

#include <algorithm>
#include <memory>
#include <set>

namespace ggl::healthd {
namespace {

namespace contract = services::health;
namespace param = services::health::param;

constexpr std::string_view kUnitPrefix = "ggl.";
constexpr std::string_view kUnitSuffix = ".service";

std::string main_unit(const std::string& component) {
    return std::string(kUnitPrefix) + component + std::string(kUnitSuffix);
}
std::string phase_unit(const std::string& component, const char* phase) {
    return std::string(kUnitPrefix) + component + "." + phase + std::string(kUnitSuffix);
}

// A component name as it appears in a unit name: no path separators, no spaces.
Result<std::string> component_name_param(const Object* value) {
    if (value == nullptr || !value->is_buffer()) {
        return make_error(ErrorCode::Invalid, "component_name must be a string");
    }
    std::string name(value->as_buffer());
    if (name.empty() || name.size() > 200 ||
        std::any_of(name.begin(), name.end(), [](unsigned char c) { return c <= ' ' || c == '/' || c == 127; })) {
        return make_error(ErrorCode::Invalid, "component_name \"" + name + "\" is not a component name");
    }
    return name;
}

int64_t ms_of(uint64_t usec) { return static_cast<int64_t>(usec / 1000); }

bool is_completion(LifecycleState state) {
    return state == LifecycleState::Running || state == LifecycleState::Finished || state == LifecycleState::Errored ||
           state == LifecycleState::Broken;
}

Error no_component(const std::string& name) {
    return make_error(ErrorCode::Noentry, "no component " + name + " (no unit " + main_unit(name) + ")");
}

} // namespace

HealthService::HealthService(bus::Server& server, systemd::Manager& manager) : manager_(manager) {
    register_methods(server);
}

void HealthService::register_methods(bus::Server& server) {
    server.add_call(contract::kGetStatus.spec(), [this](const bus::Call& call) { return get_status(call); });
    server.add_call(contract::kListComponents.spec(), [this](const bus::Call& call) { return list_components(call); });
    server.add_async_call(contract::kRestartComponent.spec(),
                          [this](bus::Call call) { restart_component(std::move(call)); });
    server.add_async_call(contract::kStopComponent.spec(), [this](bus::Call call) { stop_component(std::move(call)); });
    server.add_call(contract::kUpdateStatus.spec(), [this](const bus::Call& call) { return update_status(call); });
    server.add_subscribe(contract::kSubscribeToLifecycleCompletion.spec(),
                         [this](bus::Subscription s) { subscribe_to_lifecycle_completion(std::move(s)); });
    server.add_subscribe(contract::kSubscribeToAllComponentStateChanges.spec(),
                         [this](bus::Subscription s) { subscribe_to_all_component_state_changes(std::move(s)); });
}

Result<void> HealthService::start(EventLoop& loop) {
    if (auto watched = manager_.watch_unit_status(std::string(kUnitPrefix),
                                                  [this](const systemd::UnitStatus& s) { on_unit_status(s); });
        !watched) {
        return watched;
    }
    if (auto attached = manager_.attach(loop); !attached) {
        return attached;
    }
    auto files = manager_.list_unit_files({"ggl.*.service"});
    if (!files) {
        return std::move(files).error();
    }
    auto loaded = manager_.list_units({"ggl.*.service"});
    if (!loaded) {
        return std::move(loaded).error();
    }
    std::set<std::string> names(files->begin(), files->end());
    for (const systemd::UnitStatus& unit : *loaded) {
        names.insert(unit.name);
    }
    for (const std::string& unit : names) {
        auto role = classify(unit);
        if (role && role->role == Role::Main && !components_.contains(role->component)) {
            if (auto loaded_component = load_component(role->component, false); !loaded_component) {
                GGL_LOGW("%s: %s", unit.c_str(), loaded_component.error().to_string().c_str());
            }
        }
    }
    GGL_LOGI("tracking %zu components", components_.size());
    return {};
}

std::optional<HealthService::UnitRole> HealthService::classify(const std::string& unit_name) {
    if (!unit_name.starts_with(kUnitPrefix) || !unit_name.ends_with(kUnitSuffix) ||
        unit_name.size() <= kUnitPrefix.size() + kUnitSuffix.size()) {
        return std::nullopt;
    }
    std::string core = unit_name.substr(kUnitPrefix.size(), unit_name.size() - kUnitPrefix.size() - kUnitSuffix.size());
    static constexpr std::pair<std::string_view, Role> kPhases[] = {
        {".install", Role::Install}, {".bootstrap", Role::Bootstrap}, {".recover", Role::Recover}};
    for (const auto& [suffix, role] : kPhases) {
        if (core.size() <= suffix.size() || !core.ends_with(suffix)) continue;
        std::string base = core.substr(0, core.size() - suffix.size());
        // Names hold dots: ggl.X.install.service is X's install unit only when X has a main unit.
        auto known = components_.find(base);
        if (known != components_.end() && known->second.has_main) {
            return UnitRole{base, role};
        }
        // Probed without loading anything: loading a unit that does not exist leaves a
        // not-found unit that signals in turn.
        auto main = manager_.loaded_unit_status(main_unit(base));
        if (main && *main && (*main)->load_state == "loaded") {
            return UnitRole{base, role};
        }
        auto file = manager_.list_unit_files({main_unit(base)});
        if (file && !file->empty()) {
            return UnitRole{base, role};
        }
    }
    return UnitRole{core, Role::Main};
}

void HealthService::on_unit_status(const systemd::UnitStatus& status) {
    GGL_LOGD("%s: %s/%s result=%s code=%d status=%d restarts=%u", status.name.c_str(), status.active_state.c_str(),
             status.sub_state.c_str(), status.result.c_str(), status.exec_main_code, status.exec_main_status,
             status.n_restarts);
    if (status.load_state == "not-found") {
        return; // someone asked for a unit that does not exist
    }
    auto role = classify(status.name);
    if (!role || role->role == Role::Recover) {
        return;
    }
    auto found = components_.find(role->component);
    if (found == components_.end() || !found->second.has_main) {
        if (role->role != Role::Main) {
            // Its main unit exists (classify saw it): read the component as it is now.
            (void)load_component(role->component, true);
            return;
        }
        // First met through its main unit's signal, which starts its record (never
        // LoadUnit here: for a unit name that does not exist that would signal again).
        Component& component = components_[role->component];
        component.units.main = status;
        component.has_main = true;
        load_phase_units(role->component, component);
        update(role->component, component, true);
        return;
    }
    Component& component = found->second;
    switch (role->role) {
    case Role::Main: {
        // A unit unloaded before lib/systemd could read it comes without its settings.
        systemd::UnitStatus previous = std::move(component.units.main);
        component.units.main = status;
        if (status.type.empty()) {
            component.units.main.type = previous.type;
            component.units.main.restart = previous.restart;
            component.units.main.start_limit_burst = previous.start_limit_burst;
        }
        component.has_main = true;
        break;
    }
    case Role::Install: component.units.install = status; break;
    case Role::Bootstrap: component.units.bootstrap = status; break;
    case Role::Recover: break;
    }
    update(role->component, component, true);
}

Result<HealthService::Component*> HealthService::load_component(const std::string& name, bool publish_change) {
    auto main = manager_.unit_status(main_unit(name));
    if (!main) {
        return std::move(main).error();
    }
    if (main->load_state == "not-found") {
        components_.erase(name);
        return no_component(name);
    }
    Component& component = components_[name];
    component.units.main = std::move(*main);
    component.has_main = true;
    load_phase_units(name, component);
    update(name, component, publish_change);
    return &component;
}

void HealthService::load_phase_units(const std::string& name, Component& component) {
    for (auto [phase, slot] :
         {std::pair{"install", &component.units.install}, std::pair{"bootstrap", &component.units.bootstrap}}) {
        // An install unit that matters (running, done, failed) is loaded.
        auto unit = manager_.loaded_unit_status(phase_unit(name, phase));
        if (unit && *unit && (*unit)->load_state == "loaded") {
            *slot = std::move(**unit);
        } else {
            slot->reset();
        }
    }
}

Result<HealthService::Component*> HealthService::find_component(const std::string& name) {
    // Whatever the manager has already said is taken in first, so a reply reflects it.
    if (auto processed = manager_.process(); !processed) {
        return std::move(processed).error();
    }
    auto found = components_.find(name);
    if (found == components_.end() || !found->second.has_main) {
        return load_component(name, true);
    }
    Component& component = found->second;
    if (component.units.main.active_state != "inactive" && component.units.main.active_state != "failed") {
        return &component; // a unit doing something is loaded: the record is current
    }
    // A unit at rest may have been removed since (its file deleted, the manager reloaded).
    auto file = manager_.list_unit_files({main_unit(name)});
    if (!file) {
        return std::move(file).error();
    }
    if (!file->empty()) {
        return &component;
    }
    auto loaded = manager_.loaded_unit_status(main_unit(name));
    if (!loaded) {
        return std::move(loaded).error();
    }
    if (!*loaded || (*loaded)->load_state == "not-found") {
        components_.erase(name);
        return no_component(name);
    }
    component.units.main = std::move(**loaded);
    update(name, component, true);
    return &component;
}

void HealthService::update(const std::string& name, Component& component, bool publish_change) {
    ComponentState unit_state = derive_state(component.units, ReportedState::None, &component.state);
    // A report holds until the units move on from the state it was made in.
    if (component.reported != ReportedState::None && unit_state.state != component.reported_over) {
        component.reported = ReportedState::None;
    }
    ComponentState next = derive_state(component.units, component.reported, &component.state);
    LifecycleState previous = component.state.state;
    component.state = std::move(next);
    if (publish_change && component.state.state != previous) {
        publish(name, component, previous);
    }
}

Map HealthService::status_map(const std::string& name, Component& component, bool fresh_version) {
    if (fresh_version || !component.version) {
        component.version = versions_.version_of(name);
    }
    const ComponentState& state = component.state;
    Map map{{"component_name", name}};
    if (component.version) {
        map.set("version", *component.version);
    }
    map.set("lifecycle_state", lifecycle_state_name(state.state));
    map.set("since", ms_of(state.since_usec));
    map.set("n_restarts", state.n_restarts);
    map.set("phase", state.phase);
    if (state.exit_status) map.set("exit_status", *state.exit_status);
    if (state.exit_signal) map.set("exit_signal", *state.exit_signal);
    return map;
}

void HealthService::publish(const std::string& name, Component& component, LifecycleState previous) {
    const ComponentState& state = component.state;
    GGL_LOGI("%s: %s -> %s (%s)", name.c_str(), std::string(lifecycle_state_name(previous)).c_str(),
             std::string(lifecycle_state_name(state.state)).c_str(), state.phase.c_str());
    auto send = [&name](std::vector<Subscriber>& subscribers, const Object& event) {
        std::erase_if(subscribers, [&](Subscriber& subscriber) {
            if (!subscriber.component.empty() && subscriber.component != name) {
                return !subscriber.subscription.active();
            }
            return !subscriber.subscription.send(event);
        });
    };
    if (!change_subscribers_.empty()) {
        Map event{{"component_name", name},
                  {"lifecycle_state", lifecycle_state_name(state.state)},
                  {"previous_state", lifecycle_state_name(previous)},
                  {"since", ms_of(state.since_usec)},
                  {"phase", state.phase},
                  {"n_restarts", state.n_restarts}};
        if (state.exit_status) event.set("exit_status", *state.exit_status);
        if (state.exit_signal) event.set("exit_signal", *state.exit_signal);
        send(change_subscribers_, Object(std::move(event)));
    }
    if (is_completion(state.state) && std::any_of(completion_subscribers_.begin(), completion_subscribers_.end(),
                                                  [&](const Subscriber& s) { return s.component == name; })) {
        send(completion_subscribers_, Object(status_map(name, component, false)));
    }
}

Result<Object> HealthService::get_status(const bus::Call& call) {
    auto named = named_component(call);
    if (!named) {
        return std::move(named).error();
    }
    return Object(status_map(named->name, *named->component, true));
}

Result<Object> HealthService::list_components(const bus::Call&) {
    if (auto processed = manager_.process(); !processed) {
        return std::move(processed).error();
    }
    auto files = manager_.list_unit_files({"ggl.*.service"});
    if (!files) {
        return std::move(files).error();
    }
    std::set<std::string> names;
    for (const std::string& unit : *files) {
        auto role = classify(unit);
        if (role && role->role == Role::Main) {
            names.insert(role->component);
        }
    }
    // Units loaded without a file in the unit path (transient, or files removed before a
    // reload) still run: list them too while the manager has them.
    for (const auto& [name, component] : components_) {
        if (component.has_main && component.units.main.load_state == "loaded" &&
            component.units.main.active_state != "inactive") {
            names.insert(name);
        }
    }
    List list;
    list.reserve(names.size());
    for (const std::string& name : names) {
        auto found = components_.find(name);
        Component* component = found != components_.end() && found->second.has_main ? &found->second : nullptr;
        if (component == nullptr) {
            auto loaded = load_component(name, true);
            if (!loaded) continue;
            component = *loaded;
        }
        list.emplace_back(status_map(name, *component, true));
    }
    return Object(Map{{"components", std::move(list)}});
}

Result<HealthService::NamedComponent> HealthService::named_component(const bus::Call& call) {
    auto name = component_name_param(call.param(param::kComponentName));
    if (!name) {
        return std::move(name).error();
    }
    auto component = find_component(*name);
    if (!component) {
        return std::move(component).error();
    }
    return NamedComponent{std::move(*name), *component};
}

namespace {

// Answers the call once the manager's job ends: {} when done, FAILURE naming the job result otherwise.
systemd::Manager::JobDone answer_when_done(std::shared_ptr<bus::Call> shared, const char* doing, std::string unit) {
    return [shared = std::move(shared), doing, unit = std::move(unit)](const systemd::JobResult& result) {
        if (result.done()) {
            shared->reply(Map{});
        } else {
            shared->fail(ErrorCode::Failure,
                         std::string(doing) + " " + unit + " ended with job result '" + result.result + "'");
        }
    };
}

} // namespace

void HealthService::restart_component(bus::Call call) {
    auto named = named_component(call);
    if (!named) {
        call.fail(std::move(named).error());
        return;
    }
    const std::string& name = named->name;
    named->component->reported = ReportedState::None;
    std::string unit = main_unit(name);
    // A BROKEN component hit the start limit or failed: the manager refuses to start it
    // until its failures are forgotten, install and bootstrap included.
    for (const std::string& reset : {phase_unit(name, "bootstrap"), phase_unit(name, "install"), unit}) {
        if (auto cleared = manager_.reset_failed_unit(reset); !cleared) {
            call.fail(std::move(cleared).error());
            return;
        }
    }
    auto shared = std::make_shared<bus::Call>(std::move(call));
    auto queued = manager_.restart_unit_async(unit, answer_when_done(shared, "restarting", unit));
    if (!queued) {
        shared->fail(std::move(queued).error());
    }
}

void HealthService::stop_component(bus::Call call) {
    auto named = named_component(call);
    if (!named) {
        call.fail(std::move(named).error());
        return;
    }
    std::string unit = main_unit(named->name);
    auto shared = std::make_shared<bus::Call>(std::move(call));
    auto queued = manager_.stop_unit_async(unit, answer_when_done(shared, "stopping", unit));
    if (!queued) {
        shared->fail(std::move(queued).error());
    }
}

Result<Object> HealthService::update_status(const bus::Call& call) {
    auto name = component_name_param(call.param(param::kComponentName));
    if (!name) {
        return std::move(name).error();
    }
    std::string_view state_name = call.param(param::kLifecycleState)->as_buffer();
    auto state = lifecycle_state_from_name(state_name);
    if (!state || (*state != LifecycleState::Running && *state != LifecycleState::Errored)) {
        return make_error(ErrorCode::Invalid,
                          "lifecycle_state must be RUNNING or ERRORED, not \"" + std::string(state_name) + "\"");
    }
    auto found = find_component(*name);
    if (!found) {
        return std::move(found).error();
    }
    Component& component = **found;
    // A unit that is already active shows no change of state: the log is what tells
    // that the component's report (IPC UpdateState) arrived.
    GGL_LOGI("%s reported %s", name->c_str(), std::string(state_name).c_str());
    component.reported = *state == LifecycleState::Running ? ReportedState::Running : ReportedState::Errored;
    component.reported_over = derive_state(component.units, ReportedState::None, &component.state).state;
    update(*name, component, true);
    if (*state == LifecycleState::Errored && component.units.main.active_state == "activating") {
        // The manager only knows of the failure once the start is cut short: the stopped
        // start then ends failed (its process killed), and the component BROKEN.
        std::string unit = main_unit(*name);
        auto stopped = manager_.stop_unit_async(unit, [unit](const systemd::JobResult& result) {
            GGL_LOGI("%s reported ERRORED while starting; stop job %s", unit.c_str(), result.result.c_str());
        });
        if (!stopped) {
            GGL_LOGW("cannot stop %s after it reported ERRORED: %s", unit.c_str(), stopped.error().to_string().c_str());
        }
    }
    return Object(Map{});
}

void HealthService::subscribe_to_lifecycle_completion(bus::Subscription subscription) {
    auto name = component_name_param(subscription.param(param::kComponentName));
    if (!name) {
        subscription.reject(std::move(name).error());
        return;
    }
    add_subscriber(completion_subscribers_, std::move(subscription), std::move(*name));
}

void HealthService::subscribe_to_all_component_state_changes(bus::Subscription subscription) {
    add_subscriber(change_subscribers_, std::move(subscription), {});
}

void HealthService::add_subscriber(std::vector<Subscriber>& list, bus::Subscription subscription,
                                   std::string component) {
    uint64_t id = next_subscriber_++;
    subscription.on_cancel([&list, id] { std::erase_if(list, [id](const Subscriber& s) { return s.id == id; }); });
    list.push_back(Subscriber{std::move(subscription), std::move(component), id});
}

} // namespace ggl::healthd
