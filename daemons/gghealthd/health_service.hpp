// The gg_health bus methods (docs/bus.md): component lifecycle states from the service
// manager's unit states and change signals, restart/stop, and state subscriptions.
#pragma once

#include "component_versions.hpp"
#include "lifecycle.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/systemd.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ggl::healthd {

// Everything runs on the event loop thread: the manager's signals arrive through the
// loop (Manager::attach), and every method is a loop handler; restart and stop answer
// when their job ends, without blocking the loop.
class HealthService {
public:
    HealthService(bus::Server& server, systemd::Manager& manager);

    // Watches the manager's ggl.* units and reads the state of every component that has
    // units now (silently: subscribers hear of changes from then on).
    Result<void> start(EventLoop& loop);

private:
    struct Component {
        ComponentUnits units;
        bool has_main = false;
        ComponentState state; // as published
        ReportedState reported = ReportedState::None;
        LifecycleState reported_over = LifecycleState::New; // the unit-derived state it applies to
        std::optional<std::string> version;
    };
    enum class Role { Main, Bootstrap, Install, Recover };
    struct UnitRole {
        std::string component;
        Role role = Role::Main;
    };

    void register_methods(bus::Server& server);
    Result<Object> get_status(const bus::Call& call);
    Result<Object> list_components(const bus::Call& call);
    void restart_component(bus::Call call);
    void stop_component(bus::Call call);
    Result<Object> update_status(const bus::Call& call);
    void subscribe_to_lifecycle_completion(bus::Subscription subscription);
    void subscribe_to_all_component_state_changes(bus::Subscription subscription);

    // ggl.<name>[.<phase>].service → component and role; nullopt for other units.
    std::optional<UnitRole> classify(const std::string& unit_name);
    void on_unit_status(const systemd::UnitStatus& status);
    // Reads a component's units from the manager; NOENTRY when it has no main unit.
    // What is read is newer than any signal not yet delivered (lib/systemd drops those),
    // so it replaces what the record held; publish tells subscribers of a change.
    Result<Component*> load_component(const std::string& name, bool publish);
    // Reads its loaded install and bootstrap units (without loading any).
    void load_phase_units(const std::string& name, Component& component);
    // The component, read from the manager when not tracked yet; NOENTRY when it has no units.
    Result<Component*> find_component(const std::string& name);
    struct NamedComponent {
        std::string name;
        Component* component;
    };
    // The call's component_name checked, and find_component of it.
    Result<NamedComponent> named_component(const bus::Call& call);
    // Derives the state again; publishes when it changed and publish is set.
    void update(const std::string& name, Component& component, bool publish);
    void publish(const std::string& name, Component& component, LifecycleState previous);
    Map status_map(const std::string& name, Component& component, bool fresh_version);

    systemd::Manager& manager_;
    ComponentVersions versions_;
    std::map<std::string, Component> components_;
    struct Subscriber {
        bus::Subscription subscription;
        std::string component; // empty: every component
        uint64_t id = 0;
    };
    void add_subscriber(std::vector<Subscriber>& list, bus::Subscription subscription, std::string component);
    uint64_t next_subscriber_ = 1;
    std::vector<Subscriber> completion_subscribers_;
    std::vector<Subscriber> change_subscribers_;
};

} // namespace ggl::healthd
