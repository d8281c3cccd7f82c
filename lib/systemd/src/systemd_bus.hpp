// sd-bus plumbing for the service manager's files: names, message owners, errors, unit property sets (systemd_bus.cpp).
#pragma once

#include "ggl/systemd.hpp"

#include <systemd/sd-bus.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::systemd::bus_detail {

inline constexpr const char* kDestination = "org.freedesktop.systemd1";
inline constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
inline constexpr const char* kManagerInterface = "org.freedesktop.systemd1.Manager";
inline constexpr const char* kUnitInterface = "org.freedesktop.systemd1.Unit";
inline constexpr const char* kServiceInterface = "org.freedesktop.systemd1.Service";
inline constexpr const char* kPropertiesInterface = "org.freedesktop.DBus.Properties";
inline constexpr const char* kUnitPathPrefix = "/org/freedesktop/systemd1/unit";

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

std::string errno_text(int r);
bool is_connection_errno(int r);
// A failed method call: the manager's own error names become our codes.
Error call_error(const std::string& what, const sd_bus_error& error, int r);
Error parse_error(const std::string& what, int r);

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

struct PropertySet {
    UnitStatus values;
    uint32_t present = 0;
};

// Reads an a{sv} of properties, keeping the ones UnitStatus has.
int read_properties(sd_bus_message* m, PropertySet& set);
// Lays the carried properties over a known status.
void overlay(UnitStatus& status, const PropertySet& set);
bool ends_with(const std::string& text, std::string_view suffix);

} // namespace ggl::systemd::bus_detail
