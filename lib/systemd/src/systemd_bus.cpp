// sd-bus plumbing for the service manager: errors from failed calls, and unit properties read into a PropertySet.
#include "systemd_bus.hpp"

#include <cerrno>
#include <cstring>

namespace ggl::systemd::bus_detail {

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

namespace {

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

} // namespace

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

} // namespace ggl::systemd::bus_detail
