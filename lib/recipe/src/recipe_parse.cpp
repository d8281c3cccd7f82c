// Reading a recipe file: YAML or JSON (with comments) to a document, syntax errors and node positions for problems.
#include "ggl/recipe.hpp"

#include "ggl/json.hpp"
#include "ggl/platform.hpp"
#include "ggl/text.hpp"
#include "ggl/yaml.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace ggl {
namespace {

// JSON with // and /* */ comments (Greengrass nucleus lite's own examples have them):
// the comments become spaces so that error positions stay those of the file.
std::string blank_json_comments(std::string_view text) {
    std::string out(text);
    for (size_t i = 0; i < out.size(); ++i) {
        char c = out[i];
        if (c == '"') {
            i = json_string_end(out, i);
        } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '/') {
            while (i < out.size() && out[i] != '\n') {
                out[i++] = ' ';
            }
        } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '*') {
            size_t end = out.find("*/", i + 2);
            size_t stop = end == std::string::npos ? out.size() : end + 2;
            for (; i < stop; ++i) {
                if (out[i] != '\n') {
                    out[i] = ' ';
                }
            }
            --i;
        }
    }
    return out;
}

// "line 4, column 7: message" from a codec error, split into where and what.
RecipeProblem syntax_problem(const std::string& message, std::string_view syntax) {
    // The YAML reader starts with "line L, column C: ", the JSON one has it after a prefix.
    for (size_t at = message.find("line "); at != std::string::npos; at = message.find("line ", at + 1)) {
        size_t digits = at + 5;
        size_t end = message.find_first_not_of("0123456789", digits);
        if (end == digits || end == std::string::npos || message.compare(end, 9, ", column ") != 0) {
            continue;
        }
        size_t column_end = message.find_first_not_of("0123456789", end + 9);
        if (column_end == end + 9) {
            continue;
        }
        std::string rest = column_end == std::string::npos ? "" : message.substr(column_end);
        if (rest.starts_with(": ")) {
            rest.erase(0, 2);
        }
        auto number = [&](size_t from, size_t to) {
            return static_cast<uint32_t>(std::strtoul(message.substr(from, to - from).c_str(), nullptr, 10));
        };
        SourcePosition position{number(digits, end), number(end + 9, column_end)};
        return {"", "invalid " + std::string(syntax) + ": " + rest, position, true};
    }
    return {"", "invalid " + std::string(syntax) + ": " + message, {}, true};
}

// Positions of the nodes of a JSON text that from_json accepted (comments blanked), in
// the shape NodePositions has for YAML. Columns count characters, as libyaml's do.
class JsonPositions {
public:
    explicit JsonPositions(std::string_view text) : text_(text) {}

    NodePositions scan() {
        NodePositions root;
        if (text_.starts_with("\xEF\xBB\xBF")) {
            i_ = 3;
        }
        skip_space();
        value(root);
        return root;
    }

private:
    char peek() const { return i_ < text_.size() ? text_[i_] : '\0'; }
    SourcePosition here() const { return {line_, column_}; }

    void advance() {
        char c = text_[i_++];
        if (c == '\n') {
            ++line_;
            column_ = 1;
        } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
            ++column_;
        }
    }

    void skip_space() {
        while (i_ < text_.size() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            advance();
        }
    }

    // The decoded content of the string at the cursor; the cursor moves past it.
    std::string string() {
        size_t start = i_;
        advance();
        bool escaped = false;
        while (i_ < text_.size() && peek() != '"') {
            if (peek() == '\\') {
                escaped = true;
                advance();
            }
            if (i_ < text_.size()) {
                advance();
            }
        }
        if (i_ < text_.size()) {
            advance();
        }
        std::string_view token = text_.substr(start, i_ - start);
        if (!escaped) {
            return std::string(token.substr(1, token.size() >= 2 ? token.size() - 2 : 0));
        }
        auto decoded = from_json(token);
        return decoded && decoded->is_string() ? decoded->as_string() : std::string(token);
    }

    // The items of the object or array at the cursor, each read by item() from its start;
    // the cursor moves past the closing bracket.
    template <typename ReadItem>
    void items(char close, ReadItem&& item) {
        advance();
        for (skip_space(); i_ < text_.size() && peek() != close;) {
            item();
            skip_space();
            if (peek() == ',') {
                advance();
                skip_space();
            }
        }
        if (i_ < text_.size()) {
            advance();
        }
    }

    void value(NodePositions& out) {
        out.at = here();
        char c = peek();
        if (c == '{') {
            std::vector<std::string> keys;
            items('}', [&] {
                SourcePosition key_at = here();
                std::string key = string();
                skip_space();
                if (peek() == ':') {
                    advance();
                }
                skip_space();
                NodePositions child;
                value(child);
                child.key_at = key_at;
                // A repeated key keeps its first place and takes the last value, as from_json does.
                auto known = std::find(keys.begin(), keys.end(), key);
                if (known != keys.end()) {
                    out.children[static_cast<size_t>(known - keys.begin())] = std::move(child);
                } else {
                    keys.push_back(std::move(key));
                    out.children.push_back(std::move(child));
                }
            });
        } else if (c == '[') {
            items(']', [&] { value(out.children.emplace_back()); });
        } else if (c == '"') {
            string();
        } else {
            while (i_ < text_.size() && std::string_view(",]} \t\r\n").find(peek()) == std::string_view::npos) {
                advance();
            }
        }
    }

    std::string_view text_;
    size_t i_ = 0;
    uint32_t line_ = 1;
    uint32_t column_ = 1;
};

bool has_step_expressions(const Manifest& manifest) {
    return std::any_of(std::begin(kAllPhases), std::end(kAllPhases), [&](Phase phase) {
        const auto& step = manifest.lifecycle.step(phase);
        return step && (!step->timeout_expression.empty() || !step->requires_privilege_expression.empty());
    });
}

} // namespace

RecipeLoad load_recipe_text(std::string_view text, RecipeSyntax syntax, std::string source) {
    std::string json_text = syntax == RecipeSyntax::Json ? blank_json_comments(text) : std::string();
    Result<Object> document = syntax == RecipeSyntax::Json ? from_json(json_text) : yaml_parse(text);
    if (!document) {
        RecipeLoad load;
        load.source = std::move(source);
        load.problems.push_back(
            syntax_problem(document.error().message, syntax == RecipeSyntax::Json ? "JSON" : "YAML"));
        return load;
    }
    RecipeLoad load = load_recipe_object(*document, source);
    // Timeout and RequiresPrivilege expressions are checked when units are generated,
    // and name their place then.
    bool has_expressions =
        load.recipe && std::any_of(load.recipe->manifests.begin(), load.recipe->manifests.end(), has_step_expressions);
    if (load.problems.empty() && load.warnings.empty() && !has_expressions) {
        return load;
    }
    // Positions cost a tree as large as the document; they are only needed to report, so
    // they are collected when there is something to report, and the load is repeated.
    NodePositions positions;
    if (syntax == RecipeSyntax::Json) {
        positions = JsonPositions(json_text).scan();
    } else if (!yaml_parse(text, &positions)) {
        return load;
    }
    return load_recipe_object(*document, std::move(source), &positions);
}

RecipeLoad load_recipe_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        RecipeLoad load;
        load.source = path;
        load.problems.push_back({"", std::string("cannot read the file: ") + std::strerror(errno), {}, false});
        return load;
    }
    std::ostringstream content;
    content << file.rdbuf();
    return load_recipe_text(content.str(), recipe_syntax_for(path), path);
}

} // namespace ggl
