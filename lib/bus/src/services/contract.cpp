// Method specs from the services' contracts (ggl/services/contract.hpp).
#include "ggl/services/contract.hpp"

namespace ggl::services {

bus::MethodSpec Method::spec(bus::Dispatch dispatch) const {
    bus::MethodSpec spec{std::string(name), {}, std::string(help), dispatch};
    spec.params.reserve(params.size());
    for (const Param& param : params) {
        spec.params.push_back({std::string(param.name), param.type, param.required, std::string(param.help)});
    }
    return spec;
}

bool Method::has_param(std::string_view key) const {
    for (const Param& param : params) {
        if (param.name == key) {
            return true;
        }
    }
    return false;
}

} // namespace ggl::services
