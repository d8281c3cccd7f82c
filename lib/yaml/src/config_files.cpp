// Configuration files read into the tree (ggl/config_files.hpp): Greengrass v2 config.tlog
// lines, YAML and JSON files.
#include "ggl/config_files.hpp"

#include "ggl/file.hpp"
#include "ggl/json.hpp"
#include "ggl/yaml.hpp"

#include <unistd.h>

namespace ggl::config {
namespace {

// Read once (a pipe has no second chance) and bounded.
Result<std::string> read_whole_file(const std::string& file) { return file::read(file, kMaxConfigFileBytes); }

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
    return parse_tlog_text(file, *content);
}

TlogParse parse_tlog_text(const std::string& file, std::string_view text) {
    TlogParse parse;
    std::string_view rest = text;
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

Result<ConfigInput> read_config_input(const std::string& file) {
    if (file == "-") {
        auto text = file::read_fd(STDIN_FILENO, kStandardInputName, kMaxConfigFileBytes);
        if (!text) {
            return std::move(text).error();
        }
        return ConfigInput{kStandardInputName, std::move(*text)};
    }
    auto text = read_whole_file(file);
    if (!text) {
        return std::move(text).error();
    }
    return ConfigInput{file, std::move(*text)};
}

namespace {

Result<Object> parse_config_document(const std::string& file, std::string_view text) {
    auto parsed = ends_with(file, ".json") ? from_json(text) : yaml_parse(text);
    if (!parsed) {
        Error error = std::move(parsed).error();
        error.message = file + ": " + error.message;
        return error;
    }
    return parsed;
}

} // namespace

Result<Map> load_config_file(const std::string& file) {
    auto text = read_whole_file(file);
    if (!text) {
        return std::move(text).error();
    }
    return parse_config_text(file, *text);
}

Result<Map> parse_config_text(const std::string& file, std::string_view text) {
    auto parsed = parse_config_document(file, text);
    if (!parsed) {
        return std::move(parsed).error();
    }
    if (parsed->is_null()) {
        return Map{}; // an empty file configures nothing
    }
    if (!parsed->is_map()) {
        return make_error(ErrorCode::Invalid, file + ": the top level must be a map of keys, not a " +
                                                  std::string(type_name(parsed->type())));
    }
    return std::move(parsed->as_map());
}

bool looks_like_tlog(std::string_view file, std::string_view text) {
    if (ends_with(file, ".tlog")) {
        return true;
    }
    std::string_view first_line = text.substr(0, text.find('\n'));
    if (first_line.empty()) {
        return false;
    }
    auto parsed = from_json(first_line);
    return parsed && parsed->is_map() && parsed->as_map().contains("TP") && parsed->as_map().contains("TS");
}

} // namespace ggl::config
