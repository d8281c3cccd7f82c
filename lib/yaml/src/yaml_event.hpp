// libyaml's parser and events for the YAML loader: owners that release them, and what an event carries.
#pragma once

#include "ggl/yaml.hpp"

#include <yaml.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::yaml_detail {

class ParserHandle {
public:
    ParserHandle() { initialized_ = yaml_parser_initialize(&parser_) != 0; }
    ~ParserHandle() {
        if (initialized_) {
            yaml_parser_delete(&parser_);
        }
    }
    ParserHandle(const ParserHandle&) = delete;
    ParserHandle& operator=(const ParserHandle&) = delete;

    bool initialized() const { return initialized_; }
    yaml_parser_t* get() { return &parser_; }

private:
    yaml_parser_t parser_{};
    bool initialized_ = false;
};

class Event {
public:
    Event() = default;
    ~Event() { clear(); }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    void clear() {
        if (live_) {
            yaml_event_delete(&event_);
            live_ = false;
        }
    }
    // For libyaml to fill; the previous event is released first.
    yaml_event_t* fill() {
        clear();
        return &event_;
    }
    void mark_live() { live_ = true; }

    const yaml_event_t& operator*() const { return event_; }
    const yaml_event_t* operator->() const { return &event_; }
    yaml_event_type_t type() const { return event_.type; }

private:
    yaml_event_t event_{};
    bool live_ = false;
};

inline std::string mark_text(const yaml_mark_t& mark) {
    return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

inline const char* anchor_of(const yaml_event_t& ev) {
    switch (ev.type) {
    case YAML_SCALAR_EVENT: return reinterpret_cast<const char*>(ev.data.scalar.anchor);
    case YAML_SEQUENCE_START_EVENT: return reinterpret_cast<const char*>(ev.data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT: return reinterpret_cast<const char*>(ev.data.mapping_start.anchor);
    default: return nullptr;
    }
}

inline std::string_view scalar_text(const yaml_event_t& ev) {
    return {reinterpret_cast<const char*>(ev.data.scalar.value), ev.data.scalar.length};
}

inline const char* scalar_tag(const yaml_event_t& ev) { return reinterpret_cast<const char*>(ev.data.scalar.tag); }

inline SourcePosition position_of(const yaml_mark_t& mark) {
    return {static_cast<uint32_t>(mark.line + 1), static_cast<uint32_t>(mark.column + 1)};
}

} // namespace ggl::yaml_detail
