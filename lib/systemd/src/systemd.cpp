// The service manager through sd-bus: the connection, unit properties, jobs and change signals.
#include "ggl/systemd.hpp"

#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "ggl/event_loop.hpp"

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
namespace {

constexpr const char* kDestination = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManagerInterface = "org.freedesktop.systemd1.Manager";
constexpr const char* kUnitInterface = "org.freedesktop.systemd1.Unit";
constexpr const char* kServiceInterface = "org.freedesktop.systemd1.Service";
constexpr const char* kPropertiesInterface = "org.freedesktop.DBus.Properties";
constexpr const char* kUnitPathPrefix = "/org/freedesktop/systemd1/unit";

// Owners of sd-bus objects, so that every early return releases them.
struct BusError {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    BusError() = default;
    BusError(const BusError&) = delete;
    BusError& operator=(const BusError&) = delete;
    ~BusError() { sd_bus_error_free(&error); }
};

struct Message {
    sd_bus_message* m = nullptr;
    Message() = default;
    Message(const Message&) = delete;
    Message& operator=(const Message&) = delete;
    ~Message() { sd_bus_message_unref(m); }
};

std::string errno_text(int r) { return std::strerror(r < 0 ? -r : r); }

bool is_connection_errno(int r) {
    return r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ESHUTDOWN || r == -ECONNREFUSED;
}

// A failed method call: the manager's own error names become our codes.
Error call_error(const std::string& what, const sd_bus_error& error, int r) {
    ErrorCode code = ErrorCode::Failure;
    if (sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit") ||
        sd_bus_error_has_name(&error, "org.freedesktop.systemd1.LoadFailed") ||
        sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchJob")) {
        code = ErrorCode::Noentry;
    } else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED) ||
               sd_bus_error_has_name(&error, "org.freedesktop.systemd1.Unauthorized")) {
        code = ErrorCode::Unauthorized;
    } else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_INVALID_ARGS)) {
        code = ErrorCode::Invalid;
    } else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_NO_REPLY) ||
               sd_bus_error_has_name(&error, SD_BUS_ERROR_TIMEOUT) || r == -ETIMEDOUT) {
        code = ErrorCode::Timeout;
    } else if (is_connection_errno(r) || sd_bus_error_has_name(&error, SD_BUS_ERROR_DISCONNECTED)) {
        code = ErrorCode::Noconn;
    }
    std::string detail = error.message != nullptr ? error.message : errno_text(r);
    return make_error(code, what + ": " + detail);
}

Error parse_error(const std::string& what, int r) {
    return make_error(ErrorCode::Remote, what + ": unexpected reply from the service manager: " + errno_text(r));
}

// sd-bus addresses escape everything but a few characters as %XX.
std::string escape_address_value(const std::string& value) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '/' || c == '.' || c == '\\') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The fields of UnitStatus that a property set carried.
enum Field : uint32_t {
    kLoadState = 1u << 0,
    kActiveState = 1u << 1,
    kSubState = 1u << 2,
    kResult = 1u << 3,
    kNRestarts = 1u << 4,
    kExecMainCode = 1u << 5,
    kExecMainStatus = 1u << 6,
    kMainPid = 1u << 7,
    kStateChange = 1u << 8,
    kActiveEnter = 1u << 9,
    kInactiveEnter = 1u << 10,
    kExecMainStart = 1u << 11,
    kExecMainExit = 1u << 12,
    kType = 1u << 13,
    kRestart = 1u << 14,
    kJob = 1u << 15,
    kStartLimitBurst = 1u << 16,
};

struct PropertyInfo {
    const char* name;
    char type;
    Field field;
};

constexpr PropertyInfo kProperties[] = {
    {"LoadState", 's', kLoadState},
    {"ActiveState", 's', kActiveState},
    {"SubState", 's', kSubState},
    {"Result", 's', kResult},
    {"NRestarts", 'u', kNRestarts},
    {"ExecMainCode", 'i', kExecMainCode},
    {"ExecMainStatus", 'i', kExecMainStatus},
    {"MainPID", 'u', kMainPid},
    {"StateChangeTimestamp", 't', kStateChange},
    {"ActiveEnterTimestamp", 't', kActiveEnter},
    {"InactiveEnterTimestamp", 't', kInactiveEnter},
    {"ExecMainStartTimestamp", 't', kExecMainStart},
    {"ExecMainExitTimestamp", 't', kExecMainExit},
    {"Type", 's', kType},
    {"Restart", 's', kRestart},
    {"Job", '(', kJob},
    {"StartLimitBurst", 'u', kStartLimitBurst},
};

struct PropertySet {
    UnitStatus values;
    uint32_t present = 0;
};

void store_string(PropertySet& set, Field field, const char* value) {
    std::string text = value != nullptr ? value : "";
    switch (field) {
    case kLoadState: set.values.load_state = std::move(text); break;
    case kActiveState: set.values.active_state = std::move(text); break;
    case kSubState: set.values.sub_state = std::move(text); break;
    case kResult: set.values.result = std::move(text); break;
    case kType: set.values.type = std::move(text); break;
    case kRestart: set.values.restart = std::move(text); break;
    default: return;
    }
    set.present |= field;
}

void store_number(PropertySet& set, Field field, uint64_t value) {
    switch (field) {
    case kNRestarts: set.values.n_restarts = static_cast<uint32_t>(value); break;
    case kExecMainCode: set.values.exec_main_code = static_cast<int32_t>(value); break;
    case kExecMainStatus: set.values.exec_main_status = static_cast<int32_t>(value); break;
    case kMainPid: set.values.main_pid = static_cast<uint32_t>(value); break;
    case kStateChange: set.values.state_change_usec = value; break;
    case kActiveEnter: set.values.active_enter_usec = value; break;
    case kInactiveEnter: set.values.inactive_enter_usec = value; break;
    case kExecMainStart: set.values.exec_main_start_usec = value; break;
    case kExecMainExit: set.values.exec_main_exit_usec = value; break;
    case kJob: set.values.job_id = static_cast<uint32_t>(value); break;
    case kStartLimitBurst: set.values.start_limit_burst = static_cast<uint32_t>(value); break;
    default: return;
    }
    set.present |= field;
}

// Reads an a{sv} of properties, keeping the ones UnitStatus has.
int read_properties(sd_bus_message* m, PropertySet& set) {
    int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
    if (r < 0) return r;
    while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
        const char* name = nullptr;
        if ((r = sd_bus_message_read_basic(m, SD_BUS_TYPE_STRING, &name)) < 0) return r;
        const PropertyInfo* info = nullptr;
        for (const PropertyInfo& candidate : kProperties) {
            if (std::strcmp(candidate.name, name) == 0) {
                info = &candidate;
                break;
            }
        }
        char type = 0;
        const char* contents = nullptr;
        if ((r = sd_bus_message_peek_type(m, &type, &contents)) < 0) return r;
        if (info != nullptr && info->type == '(' && contents != nullptr && std::strcmp(contents, "(uo)") == 0) {
            // Job: (id, object path); id 0 when there is none.
            uint32_t id = 0;
            const char* path = nullptr;
            if ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, contents)) < 0) return r;
            if ((r = sd_bus_message_read(m, "(uo)", &id, &path)) < 0) return r;
            if ((r = sd_bus_message_exit_container(m)) < 0) return r;
            store_number(set, info->field, id);
        } else if (info == nullptr || contents == nullptr || contents[0] != info->type || contents[1] != '\0') {
            if ((r = sd_bus_message_skip(m, "v")) < 0) return r;
        } else {
            if ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, contents)) < 0) return r;
            if (info->type == 's') {
                const char* value = nullptr;
                if ((r = sd_bus_message_read_basic(m, 's', &value)) < 0) return r;
                store_string(set, info->field, value);
            } else if (info->type == 'u') {
                uint32_t value = 0;
                if ((r = sd_bus_message_read_basic(m, 'u', &value)) < 0) return r;
                store_number(set, info->field, value);
            } else if (info->type == 'i') {
                int32_t value = 0;
                if ((r = sd_bus_message_read_basic(m, 'i', &value)) < 0) return r;
                store_number(set, info->field, static_cast<uint64_t>(static_cast<uint32_t>(value)));
            } else {
                uint64_t value = 0;
                if ((r = sd_bus_message_read_basic(m, 't', &value)) < 0) return r;
                store_number(set, info->field, value);
            }
            if ((r = sd_bus_message_exit_container(m)) < 0) return r;
        }
        if ((r = sd_bus_message_exit_container(m)) < 0) return r;
    }
    if (r < 0) return r;
    return sd_bus_message_exit_container(m);
}

// Lays the carried properties over a known status.
void overlay(UnitStatus& status, const PropertySet& set) {
    const UnitStatus& v = set.values;
    if (set.present & kLoadState) status.load_state = v.load_state;
    if (set.present & kActiveState) status.active_state = v.active_state;
    if (set.present & kSubState) status.sub_state = v.sub_state;
    if (set.present & kResult) status.result = v.result;
    if (set.present & kNRestarts) status.n_restarts = v.n_restarts;
    if (set.present & kExecMainCode) status.exec_main_code = v.exec_main_code;
    if (set.present & kExecMainStatus) status.exec_main_status = v.exec_main_status;
    if (set.present & kMainPid) status.main_pid = v.main_pid;
    if (set.present & kStateChange) status.state_change_usec = v.state_change_usec;
    if (set.present & kActiveEnter) status.active_enter_usec = v.active_enter_usec;
    if (set.present & kInactiveEnter) status.inactive_enter_usec = v.inactive_enter_usec;
    if (set.present & kExecMainStart) status.exec_main_start_usec = v.exec_main_start_usec;
    if (set.present & kExecMainExit) status.exec_main_exit_usec = v.exec_main_exit_usec;
    if (set.present & kType) status.type = v.type;
    if (set.present & kRestart) status.restart = v.restart;
    if (set.present & kJob) status.job_id = v.job_id;
    if (set.present & kStartLimitBurst) status.start_limit_burst = v.start_limit_burst;
}

bool ends_with(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

Result<Scope> scope_from_environment() {
    const char* value = std::getenv("GGL_SYSTEMD_SCOPE");
    if (value == nullptr || *value == '\0' || std::strcmp(value, "system") == 0) {
        return Scope::System;
    }
    if (std::strcmp(value, "user") == 0) {
        return Scope::User;
    }
    return make_error(ErrorCode::Invalid,
                      std::string("GGL_SYSTEMD_SCOPE is \"") + value + "\": expected \"system\" or \"user\"");
}

struct Manager::State {
    sd_bus* bus = nullptr;
    Scope scope = Scope::System;
    std::string where;  // for messages: "the system bus", or the private socket path
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
        JobDone done;                       // empty for a blocking wait
        std::optional<std::string> result;  // set by JobRemoved
    };
    std::vector<Job> jobs;

    // Signals dispatched by sd-bus and not yet handed to callbacks.
    enum class EventKind { Changed, Loaded, Removed, JobFinished };
    struct Event {
        EventKind kind;
        std::string unit;  // or the job path
        PropertySet properties;
        uint64_t cookie = 0;  // the signal's serial
        bool unit_interface = false;  // org.freedesktop.systemd1.Unit (else .Service)
    };
    std::vector<Event> events;
    std::vector<Event> delivering;
    int blocking = 0;  // >0 while a blocking call runs: callbacks wait for process()

    bool disconnected = false;
    std::function<void(const Error&)> disconnect_callback;

    EventLoop* loop = nullptr;
    uint32_t loop_events = 0;
    std::shared_ptr<State*> self = std::make_shared<State*>(this);

    ~State() {
        self.reset();
        if (loop != nullptr && bus != nullptr) {
            loop->remove_fd(sd_bus_get_fd(bus));
        }
        for (sd_bus_slot* slot : slots) {
            sd_bus_slot_unref(slot);
        }
        sd_bus_slot_unref(properties_slot);
        // Closed without a flush: sd-bus writes each message as it is sent when the socket
        // takes it, so only what a full socket refused is dropped, and flushing that
        // would wait on a manager that is not reading (it may be busy stopping this very
        // process).
        if (bus != nullptr) {
            sd_bus_close_unref(bus);
        }
    }

    bool watched(const std::string& unit) const {
        for (const Watch& watch : watches) {
            if (unit.starts_with(watch.prefix)) return true;
        }
        return false;
    }

    // --- method calls

    template <typename Append>
    int call(const char* path, const char* interface, const char* method, Append&& append, BusError& error,
             Message& reply) {
        Message request;
        int r = sd_bus_message_new_method_call(bus, &request.m, kDestination, path, interface, method);
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

    Result<void> subscribe() {
        BusError error;
        Message reply;
        int r = call(kManagerPath, kManagerInterface, "Subscribe", [](sd_bus_message*) { return 0; }, error, reply);
        if (r < 0) {
            return call_error("cannot subscribe to the service manager at " + where, error.error, r);
        }
        return {};
    }

    Result<std::string> load_unit(const std::string& name) {
        BusError error;
        Message reply;
        int r = call(kManagerPath, kManagerInterface, "LoadUnit",
                     [&](sd_bus_message* m) { return sd_bus_message_append(m, "s", name.c_str()); }, error, reply);
        if (r < 0) {
            return call_error("cannot load " + name, error.error, r);
        }
        const char* path = nullptr;
        if ((r = sd_bus_message_read(reply.m, "o", &path)) < 0) {
            return parse_error("LoadUnit " + name, r);
        }
        return std::string(path);
    }

    // The object path of a loaded unit; nullopt when the manager has not loaded it.
    Result<std::optional<std::string>> get_unit(const std::string& name) {
        BusError error;
        Message reply;
        int r = call(kManagerPath, kManagerInterface, "GetUnit",
                     [&](sd_bus_message* m) { return sd_bus_message_append(m, "s", name.c_str()); }, error, reply);
        if (r < 0) {
            if (sd_bus_error_has_name(&error.error, "org.freedesktop.systemd1.NoSuchUnit")) {
                return std::optional<std::string>();
            }
            return call_error("cannot look up " + name, error.error, r);
        }
        const char* path = nullptr;
        if ((r = sd_bus_message_read(reply.m, "o", &path)) < 0) {
            return parse_error("GetUnit " + name, r);
        }
        return std::optional<std::string>(path);
    }

    Result<void> get_all(const std::string& path, const char* interface, const std::string& name, PropertySet& set,
                         uint64_t* cookie) {
        BusError error;
        Message reply;
        int r = call(path.c_str(), kPropertiesInterface, "GetAll",
                     [&](sd_bus_message* m) { return sd_bus_message_append(m, "s", interface); }, error, reply);
        if (r < 0) {
            return call_error("cannot read the properties of " + name, error.error, r);
        }
        if ((r = read_properties(reply.m, set)) < 0) {
            return parse_error("properties of " + name, r);
        }
        if (cookie != nullptr && sd_bus_message_get_cookie(reply.m, cookie) < 0) {
            *cookie = 0;
        }
        return {};
    }

    // remember: a status read for a caller replaces what is known of a watched unit, and
    // signals sent before it are dropped from then on.
    Result<UnitStatus> status_at(const std::string& path, const std::string& name, bool remember = true) {
        PropertySet set;
        uint64_t fence = 0;
        if (auto read = get_all(path, kUnitInterface, name, set, &fence); !read) {
            return std::move(read).error();
        }
        if (ends_with(name, ".service")) {
            if (auto read = get_all(path, kServiceInterface, name, set, nullptr); !read) {
                return std::move(read).error();
            }
        }
        set.values.name = name;
        if (remember && watched(name)) {
            known.insert_or_assign(name, Known{set.values, fence, true});
        }
        return std::move(set.values);
    }

    Result<std::string> queue_job(const char* method, const std::string& name) {
        if (disconnected) {
            return make_error(ErrorCode::Noconn, "the connection to the service manager at " + where + " was lost");
        }
        BusError error;
        Message reply;
        int r = call(kManagerPath, kManagerInterface, method,
                     [&](sd_bus_message* m) { return sd_bus_message_append(m, "ss", name.c_str(), "replace"); },
                     error, reply);
        if (r < 0) {
            std::string verb = std::strcmp(method, "StartUnit") == 0  ? "start"
                               : std::strcmp(method, "StopUnit") == 0 ? "stop"
                                                                      : "restart";
            Error failed = call_error("cannot " + verb + " " + name, error.error, r);
            if (sd_bus_error_has_name(&error.error, "org.freedesktop.systemd1.NoSuchUnit")) {
                failed = make_error(ErrorCode::Noentry, "cannot " + verb + " " + name + ": unit not found");
            }
            return failed;
        }
        const char* job = nullptr;
        if ((r = sd_bus_message_read(reply.m, "o", &job)) < 0) {
            return parse_error(std::string(method) + " " + name, r);
        }
        return std::string(job);
    }

    Result<void> queue_async(const char* method, const std::string& name, JobDone done) {
        auto job = queue_job(method, name);
        if (!job) {
            return std::move(job).error();
        }
        jobs.push_back(Job{std::move(*job), std::move(done), std::nullopt});
        return {};
    }

    Result<JobResult> run_job(const char* method, const std::string& name, bool wait) {
        auto job = queue_job(method, name);
        if (!job) {
            return std::move(job).error();
        }
        if (!wait) {
            return JobResult{"queued"};
        }
        jobs.push_back(Job{*job, nullptr, std::nullopt});
        ++blocking;
        int r = 0;
        for (;;) {
            auto it = std::find_if(jobs.begin(), jobs.end(), [&](const Job& j) { return j.path == *job; });
            if (it != jobs.end() && it->result) {
                JobResult result{*it->result};
                jobs.erase(it);
                --blocking;
                return result;
            }
            r = sd_bus_process(bus, nullptr);
            if (r < 0) break;
            if (r > 0) continue;
            r = sd_bus_wait(bus, UINT64_MAX);
            if (r < 0 && r != -EINTR) break;
        }
        --blocking;
        std::erase_if(jobs, [&](const Job& j) { return j.path == *job; });
        disconnected = disconnected || is_connection_errno(r) || sd_bus_is_open(bus) <= 0;
        return make_error(disconnected ? ErrorCode::Noconn : ErrorCode::Failure,
                          "waiting for the job of " + name + ": " + errno_text(r));
    }

    // --- signals (sd-bus callbacks only queue; deliver() runs the callbacks)

    static int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
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

    static int on_unit_new_or_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
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

    static int on_properties_changed(sd_bus_message* m, void* userdata, sd_bus_error*) {
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

    Result<void> add_manager_match(const char* member, sd_bus_message_handler_t handler) {
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

    Result<void> add_properties_match() {
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
    void deliver() {
        if (in_delivery) return;  // a callback called process(): the outer loop goes on
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
    bool in_delivery = false;
    uint64_t delivered = 0;  // events handed to callbacks so far

    void deliver_one(Event& event) {
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
        std::optional<UnitStatus> status;  // a copy: callbacks may read units, which updates known
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
                return;  // older than a status a caller has read since
            }
            overlay(it->second.status, event.properties);
            it->second.complete = it->second.complete || event.unit_interface;
            if (!it->second.complete) {
                return;  // its Unit-interface signal follows
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

    Result<void> process() {
        if (disconnected) {
            return make_error(ErrorCode::Noconn, "the connection to the service manager at " + where + " was lost");
        }
        for (;;) {
            int r = sd_bus_process(bus, nullptr);
            if (r < 0) {
                disconnected = true;
                return make_error(ErrorCode::Noconn,
                                  "the connection to the service manager at " + where + " was lost: " + errno_text(r));
            }
            if (r == 0) break;
        }
        deliver();
        if (disconnected) {
            return make_error(ErrorCode::Noconn, "the connection to the service manager at " + where + " was lost");
        }
        return {};
    }

    // The loop's view: process, report a lost connection once, watch for writability.
    // Before the loop blocks, callbacks may have queued work that other before-wait hooks
    // (a bus server's flush) already passed: then the loop goes round once more.
    void on_loop_turn(bool before_wait) {
        if (loop == nullptr) return;
        uint64_t delivered_before = delivered;
        auto processed = process();
        if (before_wait && delivered != delivered_before && loop != nullptr) {
            loop->post([] {});
        }
        if (!processed) {
            loop->remove_fd(sd_bus_get_fd(bus));
            loop = nullptr;
            if (disconnect_callback) {
                auto callback = std::move(disconnect_callback);
                disconnect_callback = nullptr;
                callback(processed.error());
            }
            return;
        }
        int wanted = sd_bus_get_events(bus);
        uint32_t events_now = EPOLLIN | ((wanted > 0 && (wanted & POLLOUT)) ? uint32_t{EPOLLOUT} : 0u);
        if (events_now != loop_events) {
            if (loop->modify_fd(sd_bus_get_fd(bus), events_now)) {
                loop_events = events_now;
            }
        }
    }
};

Manager::Manager(std::unique_ptr<State> state) : state_(std::move(state)) {}
Manager::Manager(Manager&&) noexcept = default;
Manager& Manager::operator=(Manager&&) noexcept = default;
Manager::~Manager() = default;

Result<Manager> Manager::connect(Scope scope) {
    auto state = std::make_unique<State>();
    state->scope = scope;
    int r = 0;
    if (scope == Scope::System) {
        state->where = "the system bus";
        r = sd_bus_open_system_with_description(&state->bus, "ggl-systemd");
        if (r < 0) {
            return make_error(ErrorCode::Noconn, "cannot connect to the system bus: " + errno_text(r));
        }
    } else {
        const char* runtime = std::getenv("XDG_RUNTIME_DIR");
        if (runtime == nullptr || *runtime == '\0') {
            return make_error(ErrorCode::Noconn,
                              "XDG_RUNTIME_DIR is not set: cannot find the user manager's socket "
                              "($XDG_RUNTIME_DIR/systemd/private)");
        }
        state->where = std::string(runtime) + "/systemd/private";
        std::string address = "unix:path=" + escape_address_value(state->where);
        if ((r = sd_bus_new(&state->bus)) < 0 || (r = sd_bus_set_address(state->bus, address.c_str())) < 0 ||
            (r = sd_bus_set_description(state->bus, "ggl-systemd")) < 0 || (r = sd_bus_start(state->bus)) < 0) {
            return make_error(ErrorCode::Noconn,
                              "cannot connect to the user service manager at " + state->where + ": " + errno_text(r));
        }
    }
    for (auto [member, handler] : {std::pair{"JobRemoved", &State::on_job_removed},
                                   std::pair{"UnitNew", &State::on_unit_new_or_removed},
                                   std::pair{"UnitRemoved", &State::on_unit_new_or_removed}}) {
        if (auto added = state->add_manager_match(member, handler); !added) {
            return std::move(added).error();
        }
    }
    if (auto subscribed = state->subscribe(); !subscribed) {
        Error error = std::move(subscribed).error();
        if (error.code == ErrorCode::Failure) error.code = ErrorCode::Noconn;
        return error;
    }
    return Manager(std::move(state));
}

Scope Manager::scope() const { return state_->scope; }

Result<void> Manager::reload() {
    BusError error;
    Message reply;
    int r = state_->call(kManagerPath, kManagerInterface, "Reload", [](sd_bus_message*) { return 0; }, error, reply);
    if (r < 0) {
        return call_error("cannot reload the service manager", error.error, r);
    }
    return {};
}

Result<JobResult> Manager::start_unit(const std::string& name, bool wait) {
    return state_->run_job("StartUnit", name, wait);
}

Result<JobResult> Manager::stop_unit(const std::string& name, bool wait) {
    return state_->run_job("StopUnit", name, wait);
}

Result<JobResult> Manager::restart_unit(const std::string& name, bool wait) {
    return state_->run_job("RestartUnit", name, wait);
}

Result<void> Manager::start_unit_async(const std::string& name, JobDone done) {
    return state_->queue_async("StartUnit", name, std::move(done));
}

Result<void> Manager::stop_unit_async(const std::string& name, JobDone done) {
    return state_->queue_async("StopUnit", name, std::move(done));
}

Result<void> Manager::restart_unit_async(const std::string& name, JobDone done) {
    return state_->queue_async("RestartUnit", name, std::move(done));
}

Result<void> Manager::reset_failed_unit(const std::string& name) {
    BusError error;
    Message reply;
    int r = state_->call(kManagerPath, kManagerInterface, "ResetFailedUnit",
                         [&](sd_bus_message* m) { return sd_bus_message_append(m, "s", name.c_str()); }, error, reply);
    if (r < 0) {
        if (sd_bus_error_has_name(&error.error, "org.freedesktop.systemd1.NoSuchUnit")) {
            return {};
        }
        return call_error("cannot reset the failed state of " + name, error.error, r);
    }
    return {};
}

Result<UnitStatus> Manager::unit_status(const std::string& name) {
    auto path = state_->load_unit(name);
    if (!path) {
        return std::move(path).error();
    }
    return state_->status_at(*path, name);
}

Result<std::optional<UnitStatus>> Manager::loaded_unit_status(const std::string& name) {
    auto path = state_->get_unit(name);
    if (!path) {
        return std::move(path).error();
    }
    if (!*path) {
        return std::optional<UnitStatus>();
    }
    auto status = state_->status_at(**path, name);
    if (!status) {
        return std::move(status).error();
    }
    return std::optional<UnitStatus>(std::move(*status));
}

namespace {

// The (states, patterns) arguments of ListUnitsByPatterns and ListUnitFilesByPatterns:
// no state filter, then the patterns.
int append_states_and_patterns(sd_bus_message* m, const std::vector<std::string>& patterns) {
    int r = sd_bus_message_append_strv(m, nullptr);
    if (r < 0) return r;
    if ((r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "s")) < 0) return r;
    for (const std::string& pattern : patterns) {
        if ((r = sd_bus_message_append_basic(m, SD_BUS_TYPE_STRING, pattern.c_str())) < 0) return r;
    }
    return sd_bus_message_close_container(m);
}

} // namespace

Result<std::vector<UnitStatus>> Manager::list_units(const std::vector<std::string>& patterns) {
    BusError error;
    Message reply;
    int r = state_->call(
        kManagerPath, kManagerInterface, "ListUnitsByPatterns",
        [&](sd_bus_message* m) { return append_states_and_patterns(m, patterns); },
        error, reply);
    if (r < 0) {
        return call_error("cannot list units", error.error, r);
    }
    std::vector<std::pair<std::string, std::string>> found;  // name, object path
    if ((r = sd_bus_message_enter_container(reply.m, SD_BUS_TYPE_ARRAY, "(ssssssouso)")) < 0) {
        return parse_error("ListUnitsByPatterns", r);
    }
    for (;;) {
        const char *name, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
        uint32_t job_id = 0;
        r = sd_bus_message_read(reply.m, "(ssssssouso)", &name, &description, &load, &active, &sub, &following,
                                &path, &job_id, &job_type, &job_path);
        if (r < 0) return parse_error("ListUnitsByPatterns", r);
        if (r == 0) break;
        found.emplace_back(name, path);
    }
    std::sort(found.begin(), found.end());
    std::vector<UnitStatus> units;
    units.reserve(found.size());
    for (const auto& [name, path] : found) {
        auto status = state_->status_at(path, name);
        if (!status) {
            if (status.error().code == ErrorCode::Noentry) continue;  // unloaded meanwhile
            return std::move(status).error();
        }
        units.push_back(std::move(*status));
    }
    return units;
}

Result<std::vector<std::string>> Manager::list_unit_files(const std::vector<std::string>& patterns) {
    BusError error;
    Message reply;
    int r = state_->call(
        kManagerPath, kManagerInterface, "ListUnitFilesByPatterns",
        [&](sd_bus_message* m) { return append_states_and_patterns(m, patterns); },
        error, reply);
    if (r < 0) {
        return call_error("cannot list unit files", error.error, r);
    }
    std::vector<std::string> names;
    if ((r = sd_bus_message_enter_container(reply.m, SD_BUS_TYPE_ARRAY, "(ss)")) < 0) {
        return parse_error("ListUnitFilesByPatterns", r);
    }
    for (;;) {
        const char *path, *file_state;
        r = sd_bus_message_read(reply.m, "(ss)", &path, &file_state);
        if (r < 0) return parse_error("ListUnitFilesByPatterns", r);
        if (r == 0) break;
        const char* slash = std::strrchr(path, '/');
        names.emplace_back(slash != nullptr ? slash + 1 : path);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
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

void Manager::on_disconnect(std::function<void(const Error& error)> callback) {
    state_->disconnect_callback = std::move(callback);
}

int Manager::fd() const { return sd_bus_get_fd(state_->bus); }

Result<void> Manager::process() { return state_->process(); }

Result<void> Manager::attach(EventLoop& loop) {
    if (state_->loop != nullptr) {
        return make_error(ErrorCode::Invalid, "the manager connection is already attached to a loop");
    }
    int fd = sd_bus_get_fd(state_->bus);
    if (fd < 0) {
        return make_error(ErrorCode::Noconn, "the manager connection has no fd: " + errno_text(fd));
    }
    std::weak_ptr<State*> token = state_->self;
    auto turn = [token](bool before_wait) {
        if (auto self = token.lock(); self && *self != nullptr) {
            (*self)->on_loop_turn(before_wait);
        }
    };
    if (auto added = loop.add_fd(fd, EPOLLIN, [turn](uint32_t) { turn(false); }); !added) {
        return added;
    }
    state_->loop = &loop;
    state_->loop_events = EPOLLIN;
    loop.add_before_wait([turn] { turn(true); });
    return {};
}

} // namespace ggl::systemd
