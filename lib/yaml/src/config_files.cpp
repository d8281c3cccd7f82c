// Configuration files read into the tree (ggl/config_files.hpp): Greengrass v2 config.tlog
// lines, YAML and JSON files.
#include "ggl/config_files.hpp"

#include "ggl/json.hpp"
#include "ggl/yaml.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ggl::config {
namespace {

Result<std::string> read_whole_file(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return make_error(errno == ENOENT ? ErrorCode::Noentry : ErrorCode::Failure,
                          file + ": cannot read: " + std::strerror(errno));
    }
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) {
        return make_error(ErrorCode::Failure, file + ": read error");
    }
    return content.str();
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// One line of a tlog; the problem text when it cannot be used.
Result<TlogEntry> parse_tlog_line(std::string_view line) {
    if (line.find('\0') != std::string_view::npos) {
        return make_error(ErrorCode::Parse, "holds NUL bytes (a truncated or padded write)");
    }
    auto parsed = from_json(line);
    if (!parsed) {
        return make_error(ErrorCode::Parse, "not JSON: " + parsed.error().message);
    }
    const Map* object = parsed->if_map();
    if (!object) {
        return make_error(ErrorCode::Parse, "not a JSON object");
    }
    TlogEntry entry;
    const Object* ts = object->find("TS");
    if (!ts || !ts->is_i64()) {
        return make_error(ErrorCode::Parse, "TS must be an integer timestamp");
    }
    entry.timestamp = ts->as_i64();
    const Object* tp = object->find("TP");
    if (!tp) {
        return make_error(ErrorCode::Parse, "TP (the key path) is missing");
    }
    auto path = key_path_from_object(*tp);
    if (!path) {
        return make_error(ErrorCode::Parse, "TP: " + path.error().message);
    }
    if (path->empty()) {
        return make_error(ErrorCode::Parse, "TP is empty");
    }
    entry.key_path = std::move(*path);
    const Object* what = object->find("W");
    if (!what || !what->is_string()) {
        return make_error(ErrorCode::Parse, "W must be a string");
    }
    // The Java nucleus writes these; the others it logs are about timestamps only.
    const std::string& kind = what->as_string();
    if (kind == "changed") {
        entry.kind = TlogEntry::Kind::Changed;
    } else if (kind == "removed") {
        entry.kind = TlogEntry::Kind::Removed;
    } else if (kind == "interiorAdded") {
        entry.kind = TlogEntry::Kind::InteriorAdded;
    } else if (kind == "timestampUpdated" || kind == "childChanged" || kind == "initialized") {
        entry.kind = TlogEntry::Kind::Ignored;
    } else {
        return make_error(ErrorCode::Parse, "unknown W \"" + kind + "\"");
    }
    if (const Object* value = object->find("V")) {
        entry.value = *value;
    }
    return entry;
}

} // namespace

Result<TlogParse> parse_tlog_file(const std::string& file) {
    auto content = read_whole_file(file);
    if (!content) {
        return std::move(content).error();
    }
    TlogParse parse;
    std::string_view rest = *content;
    size_t line_number = 0;
    while (!rest.empty()) {
        size_t newline = rest.find('\n');
        std::string_view line = rest.substr(0, newline);
        rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
        ++line_number;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.find_first_not_of(" \t") == std::string_view::npos) {
            continue;
        }
        auto entry = parse_tlog_line(line);
        if (!entry) {
            parse.problems.push_back(file + ":" + std::to_string(line_number) + ": " + entry.error().message);
            continue;
        }
        entry->line = line_number;
        parse.entries.push_back(std::move(*entry));
    }
    return parse;
}

namespace {

Result<Object> parse_config_file(const std::string& file) {
    if (!ends_with(file, ".json")) {
        return yaml_parse_file(file);  // its errors already start with the file name
    }
    auto content = read_whole_file(file);
    if (!content) {
        return std::move(content).error();
    }
    auto parsed = from_json(*content);
    if (!parsed) {
        return make_error(parsed.error().code, file + ": " + parsed.error().message);
    }
    return parsed;
}

} // namespace

Result<Map> load_config_file(const std::string& file) {
    auto parsed = parse_config_file(file);
    if (!parsed) {
        return std::move(parsed).error();
    }
    if (parsed->is_null()) {
        return Map{};  // an empty file configures nothing
    }
    if (!parsed->is_map()) {
        return make_error(ErrorCode::Invalid, file + ": the top level must be a map of keys, not a " +
                                                  std::string(type_name(parsed->type())));
    }
    return std::move(parsed->as_map());
}

bool looks_like_tlog(const std::string& file) {
    if (ends_with(file, ".tlog")) {
        return true;
    }
    std::ifstream in(file, std::ios::binary);
    std::string first_line;
    if (!in || !std::getline(in, first_line)) {
        return false;
    }
    auto parsed = from_json(first_line);
    return parsed && parsed->is_map() && parsed->as_map().contains("TP") && parsed->as_map().contains("TS");
}

} // namespace ggl::config
