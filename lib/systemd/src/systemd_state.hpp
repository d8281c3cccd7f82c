// Manager::State, shared by the service manager's files: the sd-bus connection, watches, jobs and queued signals.
#pragma once

#include "systemd_bus.hpp"

#include "ggl/event_loop.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ggl::systemd {

struct Manager::State {
    sd_bus* bus = nullptr;
    Scope scope = Scope::System;
    std::string where; // for messages: "the system bus", or the private socket path
    std::vector<sd_bus_slot*> slots;
    sd_bus_slot* properties_slot = nullptr;

    struct Watch {
        std::string prefix;
        UnitChanged names;
        UnitStatusChanged statuses;
    };
    std::vector<Watch> watches;
    // Last status known of each watched unit, by name, for laying signals over, and the
    // serial of the reply it was read from: signals sent before it are older than it.
    struct Known {
        UnitStatus status;
        uint64_t fence = 0;
        // False for a unit first met in a signal until a Unit-interface signal (which
        // carries ActiveState) came: the manager sends Service properties first.
        bool complete = true;
    };
    std::unordered_map<std::string, Known> known;

    struct Job {
        std::string path;
        JobDone done; // empty for a blocking wait
        std::optional<std::string> result; // set by JobRemoved
    };
    std::vector<Job> jobs;

    // Signals dispatched by sd-bus and not yet handed to callbacks.
    enum class EventKind { Changed, Loaded, Removed, JobFinished };
    struct Event {
        EventKind kind;
        std::string unit; // or the job path
        bus_detail::PropertySet properties;
        uint64_t cookie = 0; // the signal's serial
        bool unit_interface = false; // org.freedesktop.systemd1.Unit (else .Service)
    };
    std::vector<Event> events;
    std::vector<Event> delivering;
    int blocking = 0; // >0 while a blocking call runs: callbacks wait for process()

    bool disconnected = false;
    std::function<void(const Error&)> disconnect_callback;

    EventLoop* loop = nullptr;
    uint32_t loop_events = 0;
    std::shared_ptr<State*> self = std::make_shared<State*>(this);

    // --- method calls

    template <typename Append>
    int call(const char* path, const char* interface, const char* method, Append&& append, bus_detail::BusError& error,
             bus_detail::Message& reply) {
        bus_detail::Message request;
        int r = sd_bus_message_new_method_call(bus, &request.m, bus_detail::kDestination, path, interface, method);
        if (r < 0) return r;
        if ((r = append(request.m)) < 0) return r;
        ++blocking;
        r = sd_bus_call(bus, request.m, 0, &error.error, &reply.m);
        --blocking;
        // Replies map the manager's errors to errnos too (NoSuchUnit is ENOENT): only a
        // closed connection means it is gone.
        if (r < 0 && sd_bus_is_open(bus) <= 0) {
            disconnected = true;
        }
        return r;
    }

    // --- signals (sd-bus callbacks only queue; deliver() runs the callbacks)

    bool in_delivery = false;
    uint64_t delivered = 0; // events handed to callbacks so far

    // --- connection (systemd.cpp)
    ~State();
    Result<void> subscribe();
    Result<void> process();
    void on_loop_turn(bool before_wait);

    // --- unit queries and jobs (systemd_units.cpp)
    Result<std::string> load_unit(const std::string& name);
    Result<std::optional<std::string>> get_unit(const std::string& name);
    Result<void> get_all(const std::string& path, const char* interface, const std::string& name,
                         bus_detail::PropertySet& set, uint64_t* cookie);
    Result<UnitStatus> status_at(const std::string& path, const std::string& name, bool remember = true);
    Result<std::string> queue_job(const char* method, const std::string& name);
    Result<void> queue_async(const char* method, const std::string& name, JobDone done);
    Result<JobResult> run_job(const char* method, const std::string& name, bool wait);

    // --- change signals (systemd_signals.cpp)
    bool watched(const std::string& unit) const;
    static int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*);
    static int on_unit_new_or_removed(sd_bus_message* m, void* userdata, sd_bus_error*);
    static int on_properties_changed(sd_bus_message* m, void* userdata, sd_bus_error*);
    Result<void> add_manager_match(const char* member, sd_bus_message_handler_t handler);
    Result<void> add_properties_match();
    void deliver();
    void deliver_one(Event& event);
};

} // namespace ggl::systemd
