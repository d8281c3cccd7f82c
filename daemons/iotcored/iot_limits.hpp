// AWS IoT Core's limits on what a device sends (docs/iot-core.md), checked before sending:
// a message that would break one gets an error that names the limit, never a
// disconnection from IoT Core.
#pragma once

#include "ggl/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::iotcored {

inline constexpr size_t kMaxPayloadBytes = 128 * 1024;
inline constexpr size_t kMaxTopicBytes = 256;
inline constexpr size_t kMaxTopicSlashes = 7;
inline constexpr size_t kMaxFiltersPerSubscribe = 8;
inline constexpr size_t kMaxSubscriptionsPerConnection = 50;
inline constexpr int kMaxQos = 1;

// A topic to publish to: a valid MQTT topic (no wildcards), at most 256 bytes and 7
// slashes; a basic-ingest prefix `$aws/rules/NAME/` does not count. INVALID otherwise.
Result<void> check_publish_topic(std::string_view topic);
// A filter to subscribe with: a valid MQTT filter within the same limits. INVALID otherwise.
Result<void> check_topic_filter(std::string_view filter);
Result<void> check_payload(std::string_view payload);
Result<void> check_qos(int64_t qos);
// The filters of one subscribe request: 1 to 8, each valid, none twice.
Result<void> check_filters(const std::vector<std::string>& filters);

} // namespace ggl::iotcored
