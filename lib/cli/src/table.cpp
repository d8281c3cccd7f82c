// The shared table/JSON printer of the ggl commands.
#include "ggl/cli/output.hpp"

#include "ggl/text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <utility>

namespace ggl::cli {
namespace {

constexpr std::string_view kColumnGap = "  ";

// Terminal columns taken by text: one per code point, which is right for the
// names, versions and paths tables hold.
size_t display_width(std::string_view text) {
    return static_cast<size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool has_control_characters(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
    });
}

std::string upper_case(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

} // namespace

bool is_json(OutputFormat format) { return format != OutputFormat::Human; }

JsonStyle json_style(OutputFormat format) {
    return format == OutputFormat::JsonShort ? JsonStyle::Short : JsonStyle::Pretty;
}

void print_json(const Object& value, JsonStyle style, std::FILE* out) {
    std::string text = to_json(value, style);
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
}

std::string format_cell(const Object& value) {
    switch (value.type()) {
    case Type::Null: return "-";
    case Type::String:
    case Type::Bytes: {
        std::string_view text = value.as_buffer();
        // A newline or escape sequence would break the columns: show those as JSON does.
        if (!is_valid_utf8(text) || has_control_characters(text)) {
            return to_json(value, JsonStyle::Short);
        }
        return std::string(text);
    }
    case Type::List: {
        std::string joined;
        for (const Object& item : value.as_list()) {
            if (!joined.empty()) {
                joined += ',';
            }
            joined += item.is_list() || item.is_map() ? to_json(item, JsonStyle::Short) : format_cell(item);
        }
        return joined.empty() ? "-" : joined;
    }
    default: return to_json(value, JsonStyle::Short);
    }
}

Table::Table(std::vector<std::string> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<Object> cells) {
    if (cells.size() != columns_.size()) { // a bug in the caller: nothing sensible to print
        std::fprintf(stderr, "Table::add_row: %zu cells for %zu columns\n", cells.size(), columns_.size());
        std::abort();
    }
    rows_.push_back(std::move(cells));
}

std::string Table::render(OutputFormat format) const {
    if (is_json(format)) {
        return to_json(to_object(), json_style(format)) + '\n';
    }
    return render_human();
}

void Table::print(OutputFormat format, std::FILE* out) const {
    std::string text = render(format);
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
}

std::string Table::render_human() const {
    std::vector<std::vector<std::string>> lines;
    lines.reserve(rows_.size() + 1);
    std::vector<std::string> header;
    for (const std::string& column : columns_) {
        header.push_back(upper_case(column));
    }
    lines.push_back(std::move(header));
    for (const auto& row : rows_) {
        std::vector<std::string> cells;
        for (const Object& cell : row) {
            cells.push_back(format_cell(cell));
        }
        lines.push_back(std::move(cells));
    }

    std::vector<size_t> widths(columns_.size(), 0);
    for (const auto& line : lines) {
        for (size_t i = 0; i < line.size(); ++i) {
            widths[i] = std::max(widths[i], display_width(line[i]));
        }
    }

    std::string out;
    for (const auto& line : lines) {
        std::string text;
        for (size_t i = 0; i < line.size(); ++i) {
            text += line[i];
            if (i + 1 < line.size()) {
                text.append(widths[i] - display_width(line[i]), ' ');
                text += kColumnGap;
            }
        }
        // An empty last cell would leave the padding of the cell before it.
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        out += text;
        out += '\n';
    }
    return out;
}

Object Table::to_object() const {
    List list;
    list.reserve(rows_.size());
    for (const auto& row : rows_) {
        Map object;
        object.reserve(columns_.size());
        for (size_t i = 0; i < columns_.size(); ++i) {
            object.append(columns_[i], row[i]);
        }
        list.emplace_back(std::move(object));
    }
    return list;
}

std::string format_local_time(int64_t ms, bool with_millis) {
    if (ms <= 0) {
        return "-";
    }
    time_t seconds = static_cast<time_t>(ms / 1000);
    struct tm local {};
    localtime_r(&seconds, &local);
    char text[40];
    size_t length = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    if (with_millis) {
        std::snprintf(text + length, sizeof text - length, ".%03d", static_cast<int>(ms % 1000));
    }
    return text;
}

} // namespace ggl::cli
