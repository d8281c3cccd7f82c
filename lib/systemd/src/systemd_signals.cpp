// Change signals from the service manager: matches, queued while a call blocks, then laid over known statuses and delivered.
#include "systemd_state.hpp"

#include <poll.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <unordered_map>

namespace ggl::systemd {

using namespace bus_detail;

bool Manager::State::watched(const std::string& unit) const {
    for (const Watch& watch : watches) {
        if (unit.starts_with(watch.prefix)) return true;
    }
    return false;
}

int Manager::State::on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* state = static_cast<State*>(userdata);
    uint32_t id = 0;
    const char* path = nullptr;
    const char* unit = nullptr;
    const char* result = nullptr;
    if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0) {
        return 0;
    }
    for (Job& job : state->jobs) {
        if (job.path == path && !job.result) {
            job.result = result;
            if (job.done) {
                state->events.push_back(Event{EventKind::JobFinished, path, {}, 0, false});
            }
        }
    }
    return 0;
}

int Manager::State::on_unit_new_or_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* state = static_cast<State*>(userdata);
    const char* unit = nullptr;
    const char* path = nullptr;
    if (sd_bus_message_read(m, "so", &unit, &path) < 0 || !state->watched(unit)) {
        return 0;
    }
    bool removed = std::strcmp(sd_bus_message_get_member(m), "UnitRemoved") == 0;
    state->events.push_back(Event{removed ? EventKind::Removed : EventKind::Loaded, unit, {}, 0, false});
    return 0;
}

int Manager::State::on_properties_changed(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* state = static_cast<State*>(userdata);
    const char* path = sd_bus_message_get_path(m);
    char* decoded = nullptr;
    if (path == nullptr || sd_bus_path_decode(path, kUnitPathPrefix, &decoded) <= 0) {
        return 0;
    }
    std::string unit(decoded);
    std::free(decoded);
    if (!state->watched(unit)) {
        return 0;
    }
    const char* interface = nullptr;
    if (sd_bus_message_read(m, "s", &interface) < 0 ||
        (std::strcmp(interface, kUnitInterface) != 0 && std::strcmp(interface, kServiceInterface) != 0)) {
        return 0;
    }
    Event event{EventKind::Changed, std::move(unit), {}, 0, std::strcmp(interface, kUnitInterface) == 0};
    if (read_properties(m, event.properties) < 0) {
        return 0;
    }
    (void)sd_bus_message_get_cookie(m, &event.cookie);
    state->events.push_back(std::move(event));
    return 0;
}

Result<void> Manager::State::add_manager_match(const char* member, sd_bus_message_handler_t handler) {
    sd_bus_slot* slot = nullptr;
    // A direct connection's messages carry no sender, so only match it on a bus.
    const char* sender = scope == Scope::System ? kDestination : nullptr;
    int r = sd_bus_match_signal(bus, &slot, sender, kManagerPath, kManagerInterface, member, handler, this);
    if (r < 0) {
        return make_error(ErrorCode::Failure, std::string("cannot watch ") + member + ": " + errno_text(r));
    }
    slots.push_back(slot);
    return {};
}

Result<void> Manager::State::add_properties_match() {
    if (properties_slot != nullptr) return {};
    std::string rule = "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                       "path_namespace='/org/freedesktop/systemd1/unit'";
    if (scope == Scope::System) {
        rule += ",sender='org.freedesktop.systemd1'";
    }
    int r = sd_bus_add_match(bus, &properties_slot, rule.c_str(), on_properties_changed, this);
    if (r < 0) {
        return make_error(ErrorCode::Failure, "cannot watch unit properties: " + errno_text(r));
    }
    return {};
}

// Runs the callbacks for what sd-bus dispatched, unless a blocking call is under way.
void Manager::State::deliver() {
    if (in_delivery) return; // a callback called process(): the outer loop goes on
    in_delivery = true;
    while (blocking == 0 && !events.empty()) {
        delivering.swap(events);
        for (Event& event : delivering) {
            deliver_one(event);
        }
        delivered += delivering.size();
        delivering.clear();
    }
    in_delivery = false;
}

void Manager::State::deliver_one(Event& event) {
    if (event.kind == EventKind::JobFinished) {
        auto it = std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.path == event.unit; });
        if (it == jobs.end() || !it->result) return;
        JobDone done = std::move(it->done);
        JobResult result{*it->result};
        jobs.erase(it);
        if (done) done(result);
        return;
    }
    if (event.kind == EventKind::Removed) {
        known.erase(event.unit);
        return;
    }
    if (event.kind == EventKind::Loaded) {
        // Names only: fetching the status of a unit that was loaded and unloaded
        // meanwhile would load it again, and signal again.
        size_t count = watches.size();
        for (size_t i = 0; i < count; ++i) {
            if (watches[i].names && event.unit.starts_with(watches[i].prefix)) watches[i].names(event.unit);
        }
        return;
    }
    bool wants_status = false;
    for (const Watch& watch : watches) {
        wants_status = wants_status || (watch.statuses && event.unit.starts_with(watch.prefix));
    }
    std::optional<UnitStatus> status; // a copy: callbacks may read units, which updates known
    if (wants_status) {
        auto it = known.find(event.unit);
        if (it == known.end()) {
            // First met in a signal: its history is what the signals queued now tell,
            // so they all apply; what they never carry (Type=, Restart=, ...) is read
            // from the unit if it is still loaded. Never LoadUnit here: a unit
            // unloaded meanwhile would be loaded again, signal again, and so on.
            Known entry;
            entry.complete = false;
            auto path = get_unit(event.unit);
            if (path && *path) {
                if (auto fetched = status_at(**path, event.unit, false)) {
                    entry.status = std::move(*fetched);
                }
            }
            entry.status.name = event.unit;
            it = known.emplace(event.unit, std::move(entry)).first;
        }
        if (event.cookie != 0 && event.cookie < it->second.fence) {
            return; // older than a status a caller has read since
        }
        overlay(it->second.status, event.properties);
        it->second.complete = it->second.complete || event.unit_interface;
        if (!it->second.complete) {
            return; // its Unit-interface signal follows
        }
        status = it->second.status;
    }
    // Callbacks may add watches: iterate by index over a stable count.
    size_t count = watches.size();
    for (size_t i = 0; i < count; ++i) {
        if (!event.unit.starts_with(watches[i].prefix)) continue;
        if (watches[i].names) watches[i].names(event.unit);
        if (watches[i].statuses && status) watches[i].statuses(*status);
    }
}

Result<void> Manager::watch_units(const std::string& prefix, UnitChanged callback) {
    if (auto matched = state_->add_properties_match(); !matched) {
        return matched;
    }
    state_->watches.push_back(State::Watch{prefix, std::move(callback), nullptr});
    return {};
}

Result<void> Manager::watch_unit_status(const std::string& prefix, UnitStatusChanged callback) {
    if (auto matched = state_->add_properties_match(); !matched) {
        return matched;
    }
    state_->watches.push_back(State::Watch{prefix, nullptr, std::move(callback)});
    return {};
}

} // namespace ggl::systemd
