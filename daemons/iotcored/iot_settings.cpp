// The device identity and endpoint from the configuration, every missing key named.
#include "iot_settings.hpp"

#include "ggl/aws_endpoint.hpp"
#include "ggl/text.hpp"

#include <algorithm>
#include <charconv>

namespace ggl::iotcored {

namespace {

// The child of map named key, any case (Greengrass users' files differ in case).
const Object* child(const Object* map, std::string_view key) {
    if (map == nullptr || !map->is_map()) {
        return nullptr;
    }
    for (const auto& [name, value] : map->as_map()) {
        if (ascii_iequals(name, key)) {
            return &value;
        }
    }
    return nullptr;
}

std::string text_of(const Object* value) {
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

// A whole number given as a number or a numeric string (configuration files differ); -1
// when it is neither.
int64_t integer_of(const Object& value) {
    int64_t number = -1;
    if (value.is_i64()) {
        number = value.as_i64();
    } else if (value.is_string()) {
        std::string_view text = value.as_string();
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error != std::errc() || end != text.data() + text.size()) number = -1;
    }
    return number;
}

// A port; 0 when absent; -1 when not a port.
int port_of(const Object* value) {
    if (value == nullptr || value->is_null()) {
        return 0;
    }
    int64_t port = integer_of(*value);
    return port >= 1 && port <= 65535 ? static_cast<int>(port) : -1;
}

} // namespace

Result<IotSettings> iot_settings_from(const Object& tree, const tls::ProxyEnvironment& environment) {
    const Object* system = child(&tree, "system");
    const Object* nucleus = child(child(child(&tree, "services"), kNucleus), "configuration");
    const Object* mqtt = child(nucleus, "mqtt");
    IotSettings settings;
    std::string problems;
    auto need = [&](std::string& into, const Object* value, const char* key) {
        into = text_of(value);
        if (into.empty()) problems += std::string(problems.empty() ? "" : "; ") + key + " is not set";
    };
    need(settings.thing_name, child(system, "thingName"), "system/thingName");
    need(settings.certificate_path, child(system, "certificateFilePath"), "system/certificateFilePath");
    need(settings.private_key, child(system, "privateKeyPath"), "system/privateKeyPath");
    need(settings.root_ca_path, child(system, "rootCaPath"), "system/rootCaPath");
    settings.pkcs11_module =
        text_of(child(child(child(child(&tree, "services"), kPkcs11Provider), "configuration"), "library"));
    std::string endpoint;
    need(endpoint, child(nucleus, "iotDataEndpoint"),
         "services/aws.greengrass.NucleusLite/configuration/iotDataEndpoint");
    int port = port_of(child(mqtt, "port"));
    if (port < 0) {
        problems += std::string(problems.empty() ? "" : "; ") +
                    "services/aws.greengrass.NucleusLite/configuration/mqtt/port must be a port number (8883, or "
                    "443 for ALPN x-amzn-mqtt-ca)";
    }
    if (auto where = tls::iot_mqtt_endpoint(endpoint, std::max(port, 0)); where) {
        settings.endpoint = where->host;
        settings.port = where->port;
        settings.offer_alpn = !where->alpn.empty();
    } else {
        problems += std::string(problems.empty() ? "" : "; ") + where.error().message;
    }
    if (const Object* keep_alive = child(mqtt, "keepAliveTimeoutMs"); keep_alive != nullptr && keep_alive->is_i64()) {
        // IoT Core treats less than 30 s as 30 s and allows at most 1200 s.
        int64_t seconds = keep_alive->as_i64() / 1000;
        settings.keep_alive = std::chrono::seconds(std::clamp<int64_t>(seconds, 30, 1200));
    }
    if (!settings.endpoint.empty()) {
        if (auto proxy = tls::proxy_for(settings.endpoint, child(nucleus, "networkProxy"), environment); proxy) {
            settings.proxy = std::move(*proxy);
        } else {
            problems += std::string(problems.empty() ? "" : "; ") + proxy.error().message;
        }
    }
    if (!problems.empty()) {
        return make_error(ErrorCode::Config, "not configured for AWS IoT Core: " + problems);
    }
    return settings;
}

SpoolSettings spool_settings_from(const Object& tree, std::string& problem) {
    const Object* spooler =
        child(child(child(child(child(&tree, "services"), kNucleus), "configuration"), "mqtt"), "spooler");
    SpoolSettings spool;
    const Object* max_bytes = child(spooler, "maxSizeBytes");
    const char* max_key = "maxSizeBytes";
    if (max_bytes == nullptr) {
        max_bytes = child(spooler, "maxSizeInBytes");
        max_key = "maxSizeInBytes";
    }
    if (max_bytes != nullptr && !max_bytes->is_null()) {
        if (int64_t value = integer_of(*max_bytes); value >= 0) {
            spool.max_bytes = static_cast<uint64_t>(value);
        } else {
            problem = std::string("mqtt/spooler/") + max_key + " must be a number of bytes; using " +
                      std::to_string(spool.max_bytes);
        }
    }
    if (const Object* keep = child(spooler, "keepQos0WhenOffline"); keep != nullptr && !keep->is_null()) {
        if (keep->is_bool()) {
            spool.keep_qos0 = keep->as_bool();
        } else if (keep->is_string() &&
                   (ascii_iequals(keep->as_string(), "true") || ascii_iequals(keep->as_string(), "false"))) {
            spool.keep_qos0 = ascii_iequals(keep->as_string(), "true");
        } else {
            problem += std::string(problem.empty() ? "" : "; ") +
                       "mqtt/spooler/keepQos0WhenOffline must be true or false; using false";
        }
    }
    return spool;
}

} // namespace ggl::iotcored
