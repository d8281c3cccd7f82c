// What a bus service's contract is made of (docs/bus.md): its name, and each method with its
// parameters. The server's method table and the typed client are both built from it, so
// a parameter is named once.
#pragma once

#include "ggl/bus_server.hpp"

#include <span>
#include <string_view>

namespace ggl::services {

// What every contract (ggl::services::<service>) spells its methods with.
using bus::MethodKind;
using bus::ParamType;

struct Param {
    std::string_view name;
    bus::ParamType type = bus::ParamType::Any;
    bool required = false;
    std::string_view help;
};

struct Method {
    std::string_view name;
    bus::MethodKind kind = bus::MethodKind::Call;
    std::span<const Param> params;
    std::string_view help;

    // The server's entry for this method (what `ggl.describe` advertises and checks).
    bus::MethodSpec spec(bus::Dispatch dispatch = bus::Dispatch::Loop) const;
    // Whether key is one of the method's parameters.
    bool has_param(std::string_view key) const;
};

} // namespace ggl::services
