// Output of every ggl command: people get aligned tables, scripts get JSON (--json).
#pragma once

#include "ggl/json.hpp"
#include "ggl/object.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace ggl::cli {

// Chosen by --json[=pretty|short]; Human when the option is absent.
enum class OutputFormat { Human, JsonPretty, JsonShort };

bool is_json(OutputFormat format);
// The JSON style to use when a command prints JSON even for people (Human is Pretty).
JsonStyle json_style(OutputFormat format);

// Writes value as JSON and a newline to out, and flushes so streamed lines reach pipes now.
void print_json(const Object& value, JsonStyle style, std::FILE* out = stdout);

// Rows of named cells: printed for people as columns under upper-case headers, or as
// a JSON array with one object per row, keyed by column name.
class Table {
public:
    explicit Table(std::vector<std::string> columns);

    // One cell per column, in column order (anything else is a bug: the program aborts).
    void add_row(std::vector<Object> cells);
    size_t row_count() const { return rows_.size(); }
    bool empty() const { return rows_.empty(); }

    std::string render(OutputFormat format) const;
    void print(OutputFormat format, std::FILE* out = stdout) const;

private:
    std::string render_human() const;
    Object to_object() const;

    std::vector<std::string> columns_;
    std::vector<std::vector<Object>> rows_;
};

// Milliseconds since the epoch as local "2026-11-22 07:39:10" (with_millis: ".479"
// added); "-" for 0 or less (never happened).
std::string format_local_time(int64_t ms, bool with_millis = false);

// How a single value reads in a table cell: text as is, null as "-", lists joined with
// commas, anything else as compact JSON.
std::string format_cell(const Object& value);

} // namespace ggl::cli
