// AWS IoT Core's limits on topics, filters, payloads and QoS, with errors that name them.
#include "iot_limits.hpp"

#include "ggl/topic.hpp"

#include <algorithm>
#include <set>

namespace ggl::iotcored {

namespace {

// What the slash limit counts: the topic after a basic-ingest prefix `$aws/rules/NAME/`.
std::string_view counted_part(std::string_view topic) {
    constexpr std::string_view kRules = "$aws/rules/";
    if (topic.substr(0, kRules.size()) != kRules) {
        return topic;
    }
    size_t slash = topic.find('/', kRules.size());
    return slash == std::string_view::npos ? std::string_view() : topic.substr(slash + 1);
}

Result<void> check_size(std::string_view what, std::string_view text) {
    if (text.size() > kMaxTopicBytes) {
        return make_error(ErrorCode::Invalid, std::string(what) + " is " + std::to_string(text.size()) +
                                                  " bytes; AWS IoT Core allows " + std::to_string(kMaxTopicBytes));
    }
    size_t slashes = static_cast<size_t>(std::count(text.begin(), text.end(), '/'));
    size_t counted = static_cast<size_t>(std::count(counted_part(text).begin(), counted_part(text).end(), '/'));
    if (counted > kMaxTopicSlashes) {
        return make_error(ErrorCode::Invalid, std::string(what) + " has " + std::to_string(slashes) +
                                                  " slashes; AWS IoT Core allows " + std::to_string(kMaxTopicSlashes) +
                                                  " (7 levels below the first)");
    }
    return {};
}

} // namespace

Result<void> check_publish_topic(std::string_view topic) {
    if (auto valid = topic::validate_topic(topic); !valid) {
        return make_error(ErrorCode::Invalid, "topic: " + valid.error().message);
    }
    return check_size("the topic", topic);
}

Result<void> check_topic_filter(std::string_view filter) {
    if (auto valid = topic::validate_filter(filter); !valid) {
        return make_error(ErrorCode::Invalid, "topic filter '" + std::string(filter) + "': " + valid.error().message);
    }
    return check_size("the topic filter '" + std::string(filter) + "'", filter);
}

Result<void> check_payload(std::string_view payload) {
    if (payload.size() > kMaxPayloadBytes) {
        return make_error(ErrorCode::Invalid, "the payload is " + std::to_string(payload.size()) +
                                                  " bytes; AWS IoT Core allows " + std::to_string(kMaxPayloadBytes) +
                                                  " (128 KiB)");
    }
    return {};
}

Result<void> check_qos(int64_t qos) {
    if (qos < 0 || qos > kMaxQos) {
        return make_error(ErrorCode::Invalid,
                          "qos " + std::to_string(qos) + ": AWS IoT Core supports QoS 0 and 1 (not 2)");
    }
    return {};
}

Result<void> check_filters(const std::vector<std::string>& filters) {
    if (filters.empty()) {
        return make_error(ErrorCode::Invalid, "no topic filter given");
    }
    if (filters.size() > kMaxFiltersPerSubscribe) {
        return make_error(ErrorCode::Invalid, std::to_string(filters.size()) +
                                                  " topic filters in one subscription; AWS IoT Core allows " +
                                                  std::to_string(kMaxFiltersPerSubscribe) + " per SUBSCRIBE");
    }
    std::set<std::string_view> seen;
    for (const std::string& filter : filters) {
        if (auto checked = check_topic_filter(filter); !checked) {
            return checked;
        }
        if (!seen.insert(filter).second) {
            return make_error(ErrorCode::Invalid, "topic filter '" + filter + "' is given twice");
        }
    }
    return {};
}

} // namespace ggl::iotcored
