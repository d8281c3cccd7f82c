// Reaching an AWS endpoint: AWS IoT Core's MQTT endpoint from the Greengrass keys, and a
// TCP connect bounded in time that a caller can stop, and a blocking send of every byte
// (docs/iot-core.md).
#pragma once

#include "ggl/error.hpp"
#include "ggl/fd.hpp"
#include "ggl/tls_client.hpp"

#include <netdb.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace ggl::tls {

inline constexpr int kDefaultMqttPort = 8883;
inline constexpr int kMqttAlpnPort = 443; // where IoT Core wants ALPN x-amzn-mqtt-ca
inline constexpr const char* kMqttAlpn = "x-amzn-mqtt-ca";

// Where MQTT goes: iotDataEndpoint's host; its own :port, else mqtt_port (0: not set),
// else 8883; ALPN x-amzn-mqtt-ca when mqtt_port or the port is 443. CONFIG when
// iotDataEndpoint's :port is not a number from 1 to 65535.
Result<Endpoint> iot_mqtt_endpoint(std::string_view iot_data_endpoint, int mqtt_port);

// A TCP connection to the first of addresses that accepts within timeout (each), waited
// for in 100 ms slices so that stop, when given and true, ends it early: the connected
// non-blocking socket, or none and why in words ("Connection refused", "no answer within
// 10 s").
UniqueFd connect_tcp(const addrinfo* addresses, std::chrono::milliseconds timeout, std::string& why,
                     const std::function<bool()>& stop = {});

// Writes all of data to the socket fd (blocking; no SIGPIPE): false when the connection
// ends or a send fails first.
bool send_all(int fd, std::string_view data);

} // namespace ggl::tls
