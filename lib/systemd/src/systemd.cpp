// The service manager through sd-bus: connecting (system bus or the user manager's socket), and processing it on an event loop.
#include "systemd_state.hpp"

#include <systemd/sd-bus.h>

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

namespace {

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

Manager::State::~State() {
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

Result<void> Manager::State::subscribe() {
    BusError error;
    Message reply;
    int r = call(
        kManagerPath, kManagerInterface, "Subscribe", [](sd_bus_message*) { return 0; }, error, reply);
    if (r < 0) {
        return call_error("cannot subscribe to the service manager at " + where, error.error, r);
    }
    return {};
}

Result<void> Manager::State::process() {
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
void Manager::State::on_loop_turn(bool before_wait) {
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
            return make_error(ErrorCode::Noconn, "XDG_RUNTIME_DIR is not set: cannot find the user manager's socket "
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
    for (auto [member, handler] :
         {std::pair{"JobRemoved", &State::on_job_removed}, std::pair{"UnitNew", &State::on_unit_new_or_removed},
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
