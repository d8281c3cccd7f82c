// Unit queries and jobs on the service manager: load, status, list, start/stop/restart (waited for or not), reload.
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

Result<std::string> Manager::State::load_unit(const std::string& name) {
    BusError error;
    Message reply;
    int r = call(
        kManagerPath, kManagerInterface, "LoadUnit",
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
Result<std::optional<std::string>> Manager::State::get_unit(const std::string& name) {
    BusError error;
    Message reply;
    int r = call(
        kManagerPath, kManagerInterface, "GetUnit",
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

Result<void> Manager::State::get_all(const std::string& path, const char* interface, const std::string& name,
                                     PropertySet& set, uint64_t* cookie) {
    BusError error;
    Message reply;
    int r = call(
        path.c_str(), kPropertiesInterface, "GetAll",
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
Result<UnitStatus> Manager::State::status_at(const std::string& path, const std::string& name, bool remember) {
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

Result<std::string> Manager::State::queue_job(const char* method, const std::string& name) {
    if (disconnected) {
        return make_error(ErrorCode::Noconn, "the connection to the service manager at " + where + " was lost");
    }
    BusError error;
    Message reply;
    int r = call(
        kManagerPath, kManagerInterface, method,
        [&](sd_bus_message* m) { return sd_bus_message_append(m, "ss", name.c_str(), "replace"); }, error, reply);
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

Result<void> Manager::State::queue_async(const char* method, const std::string& name, JobDone done) {
    auto job = queue_job(method, name);
    if (!job) {
        return std::move(job).error();
    }
    jobs.push_back(Job{std::move(*job), std::move(done), std::nullopt});
    return {};
}

Result<JobResult> Manager::State::run_job(const char* method, const std::string& name, bool wait) {
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

Result<void> Manager::reload() {
    BusError error;
    Message reply;
    int r = state_->call(
        kManagerPath, kManagerInterface, "Reload", [](sd_bus_message*) { return 0; }, error, reply);
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
    int r = state_->call(
        kManagerPath, kManagerInterface, "ResetFailedUnit",
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
        [&](sd_bus_message* m) { return append_states_and_patterns(m, patterns); }, error, reply);
    if (r < 0) {
        return call_error("cannot list units", error.error, r);
    }
    std::vector<std::pair<std::string, std::string>> found; // name, object path
    if ((r = sd_bus_message_enter_container(reply.m, SD_BUS_TYPE_ARRAY, "(ssssssouso)")) < 0) {
        return parse_error("ListUnitsByPatterns", r);
    }
    for (;;) {
        const char *name, *description, *load, *active, *sub, *following, *path, *job_type, *job_path;
        uint32_t job_id = 0;
        r = sd_bus_message_read(reply.m, "(ssssssouso)", &name, &description, &load, &active, &sub, &following, &path,
                                &job_id, &job_type, &job_path);
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
            if (status.error().code == ErrorCode::Noentry) continue; // unloaded meanwhile
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
        [&](sd_bus_message* m) { return append_states_and_patterns(m, patterns); }, error, reply);
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

} // namespace ggl::systemd
