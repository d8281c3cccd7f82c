// Where and as whom iotcored connects: the device identity and the endpoint, from the
// configuration keys Greengrass users already have (docs/iot-core.md).
#pragma once

#include "ggl/aws_endpoint.hpp"
#include "ggl/error.hpp"
#include "ggl/http_proxy.hpp"
#include "ggl/object.hpp"
#include "ggl/tls_client.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ggl::iotcored {

inline constexpr const char* kNucleus = "aws.greengrass.NucleusLite";
// The Greengrass PKCS#11 provider component, whose configuration/library names the
// PKCS#11 module of a pkcs11: key.
inline constexpr const char* kPkcs11Provider = "aws.greengrass.crypto.Pkcs11Provider";

struct IotSettings {
    std::string thing_name; // system/thingName: the MQTT client id
    std::string certificate_path; // system/certificateFilePath
    std::string private_key; // system/privateKeyPath: a file, or a pkcs11: URI
    std::string pkcs11_module; // services/aws.greengrass.crypto.Pkcs11Provider/configuration/library
    std::string root_ca_path; // system/rootCaPath
    std::string endpoint; // .../iotDataEndpoint, without a :port
    // The endpoint's :port when it has one (it overrides), else .../mqtt/port, else 8883;
    // ALPN x-amzn-mqtt-ca, as IoT Core requires on 443: when mqtt/port is 443 or the
    // connection goes to port 443 (tls::iot_mqtt_endpoint decides both).
    int port = tls::kDefaultMqttPort;
    bool offer_alpn = false;
    std::chrono::seconds keep_alive{60}; // .../mqtt/keepAliveTimeoutMs (IoT Core: 30 s to 1200 s)
    std::optional<tls::ProxySettings> proxy; // .../networkProxy, or https_proxy

    bool alpn() const { return offer_alpn; }
    tls::Identity identity() const { return {certificate_path, private_key, root_ca_path, pkcs11_module}; }
    tls::Endpoint tls_endpoint() const { return {endpoint, port, offer_alpn ? tls::kMqttAlpn : ""}; }
    bool operator==(const IotSettings&) const = default;
};

// The offline spool, under .../mqtt/spooler with the Java nucleus's names and defaults.
struct SpoolSettings {
    uint64_t max_bytes = 2621440; // maxSizeBytes (or the Java nucleus's maxSizeInBytes): 2.5 MiB
    bool keep_qos0 = false; // keepQos0WhenOffline: spool QoS 0 messages too
    bool operator==(const SpoolSettings&) const = default;
};

// What iotcored reads from the configuration each time a key changes.
struct IotConfiguration {
    std::optional<IotSettings> settings; // none: not (yet) configured, why_not says why
    std::string why_not;
    SpoolSettings spool;
    std::string spool_problem; // a spooler key that was not understood (its default kept)
};

// The settings from the configuration tree ({system: {...}, services: {...}}, as
// gg_config's read of the root gives it). CONFIG naming every key that is missing or
// wrong, so that one look at `ggl iot status` tells what to set.
Result<IotSettings> iot_settings_from(const Object& tree, const tls::ProxyEnvironment& environment = {});

// The spool settings from the same tree; a value that is not understood keeps its
// default and is named in problem.
SpoolSettings spool_settings_from(const Object& tree, std::string& problem);

} // namespace ggl::iotcored
