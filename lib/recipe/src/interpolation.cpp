// Recipe variable substitution, with values quoted for the shell context they land in.
#include "ggl/interpolation.hpp"

#include "ggl/json.hpp"

#include <cctype>
#include <charconv>
#include <vector>

namespace ggl {

std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

const Object* json_pointer_find(const Object& document, std::string_view pointer) {
    const Object* node = &document;
    if (pointer.empty()) {
        return node;
    }
    if (pointer.front() != '/') {
        return nullptr;
    }
    pointer.remove_prefix(1);
    while (true) {
        size_t slash = pointer.find('/');
        std::string_view raw = pointer.substr(0, slash);
        std::string token;
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
                token += raw[i + 1] == '0' ? '~' : '/';
                ++i;
            } else {
                token += raw[i];
            }
        }
        if (const Map* map = node->if_map()) {
            node = map->find(token);
        } else if (const List* list = node->if_list()) {
            size_t index = 0;
            auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), index);
            bool canonical = !token.empty() && (token == "0" || token.front() != '0');
            node = error == std::errc() && end == token.data() + token.size() && canonical && index < list->size()
                       ? &(*list)[index]
                       : nullptr;
        } else {
            node = nullptr;
        }
        if (node == nullptr || slash == std::string_view::npos) {
            return node;
        }
        pointer.remove_prefix(slash + 1);
    }
}

namespace {

enum class Namespace { Artifacts, Configuration, Work, Kernel, Iot };

struct Variable {
    std::string component; // empty: the component itself
    Namespace space = Namespace::Artifacts;
    std::string key; // "path", "decompressedPath", "/json/pointer", "rootPath", "thingName"
};

// Splits "configuration:/x" or "dep:artifacts:path" into a variable of a known
// namespace; nullopt for everything else, which stays as written.
std::optional<Variable> parse_variable(std::string_view inner) {
    auto namespace_of = [](std::string_view name) -> std::optional<Namespace> {
        if (name == "artifacts") return Namespace::Artifacts;
        if (name == "configuration") return Namespace::Configuration;
        if (name == "work") return Namespace::Work;
        if (name == "kernel") return Namespace::Kernel;
        if (name == "iot") return Namespace::Iot;
        return std::nullopt;
    };
    auto finish = [&](std::string component, std::string_view rest) -> std::optional<Variable> {
        size_t colon = rest.find(':');
        if (colon == std::string_view::npos) {
            return std::nullopt;
        }
        auto space = namespace_of(rest.substr(0, colon));
        std::string_view key = rest.substr(colon + 1);
        if (!space) {
            return std::nullopt;
        }
        bool known = false;
        switch (*space) {
        case Namespace::Artifacts: known = key == "path" || key == "decompressedPath"; break;
        case Namespace::Configuration: known = key.empty() || key.front() == '/'; break;
        case Namespace::Work: known = key == "path"; break;
        case Namespace::Kernel: known = component.empty() && key == "rootPath"; break;
        case Namespace::Iot: known = component.empty() && key == "thingName"; break;
        }
        if (!known) {
            return std::nullopt;
        }
        return Variable{std::move(component), *space, std::string(key)};
    };
    if (auto own = finish("", inner)) {
        return own;
    }
    size_t colon = inner.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return std::nullopt;
    }
    return finish(std::string(inner.substr(0, colon)), inner.substr(colon + 1));
}

// The text of a variable, or nullopt to leave it as written; errors when it names
// something that exists but cannot be resolved.
Result<std::optional<std::string>> resolve(const Variable& variable, const InterpolationContext& context) {
    const ComponentVariables* component = &context.component;
    if (!variable.component.empty() && variable.component != context.component.name) {
        component = nullptr;
        for (const ComponentVariables& dependency : context.dependencies) {
            if (dependency.name == variable.component) {
                component = &dependency;
            }
        }
        if (component == nullptr) {
            return std::optional<std::string>{};
        }
    }
    auto needs_version = [&]() -> Result<void> {
        if (component->version.empty()) {
            return make_error(ErrorCode::Invalid,
                              "the version of " + component->name + " is not known, so its paths cannot be resolved");
        }
        return {};
    };
    switch (variable.space) {
    case Namespace::Kernel: return std::optional<std::string>(context.root_path);
    case Namespace::Iot:
        if (!context.thing_name || context.thing_name->empty()) {
            return make_error(ErrorCode::Invalid,
                              "{iot:thingName} is used but no thing name is configured (system/thingName)");
        }
        return std::optional<std::string>(*context.thing_name);
    case Namespace::Work: return std::optional<std::string>(context.root_path + "/work/" + component->name);
    case Namespace::Artifacts: {
        if (auto known = needs_version(); !known) {
            return known.error();
        }
        const char* folder = variable.key == "path" ? "/packages/artifacts/" : "/packages/artifacts-unarchived/";
        return std::optional<std::string>(context.root_path + folder + component->name + "/" + component->version);
    }
    case Namespace::Configuration: {
        const Object* value = json_pointer_find(component->configuration, variable.key);
        if (value == nullptr) {
            return std::optional<std::string>{};
        }
        if (value->is_string()) {
            return std::optional<std::string>(value->as_string());
        }
        if (value->is_null()) {
            return std::optional<std::string>(std::string{});
        }
        return std::optional<std::string>(to_json(*value));
    }
    }
    return std::optional<std::string>{};
}

// Where in a /bin/sh script a character stands. An approximation of the POSIX shell
// lexer good enough to quote values: quotes, escapes, $( ), ${ }, backquotes,
// comments and here-documents.
class ShellLexer {
public:
    enum class Context { Unquoted, Single, Double, Backtick, CommandSub, Param, Comment, Heredoc, HeredocQuoted };

    Context context() const { return stack_.back().context; }
    const std::string& heredoc_delimiter() const { return stack_.back().delimiter; }

    // Advances over text[i...]; returns how many characters it consumed (at least 1).
    size_t step(std::string_view text, size_t i) {
        char c = text[i];
        Frame& top = stack_.back();
        bool at_line_start = i == 0 || text[i - 1] == '\n';
        switch (top.context) {
        case Context::Heredoc:
        case Context::HeredocQuoted:
            if (at_line_start && ends_heredoc(text, i, top)) {
                size_t end = text.find('\n', i);
                stack_.pop_back();
                start_pending_heredoc_if_any(text, end);
                return end == std::string_view::npos ? text.size() - i : end - i;
            }
            if (top.context == Context::Heredoc) {
                if (c == '\\') return 2;
                if (auto consumed = open_expansion(text, i)) return consumed;
            }
            return 1;
        case Context::Single:
            if (c == '\'') stack_.pop_back();
            return 1;
        case Context::Comment:
            if (c == '\n') {
                stack_.pop_back();
                return newline(text, i);
            }
            return 1;
        case Context::Double:
            if (c == '\\') return 2;
            if (c == '"') {
                stack_.pop_back();
                return 1;
            }
            if (auto consumed = open_expansion(text, i)) return consumed;
            return 1;
        default: break;
        }
        // Unquoted-like contexts.
        if (c == '\\') return 2;
        if (c == '\'') {
            stack_.push_back({Context::Single});
            return 1;
        }
        if (c == '"') {
            stack_.push_back({Context::Double});
            return 1;
        }
        if (c == '`' && top.context == Context::Backtick) {
            stack_.pop_back();
            return 1;
        }
        if (auto consumed = open_expansion(text, i)) return consumed;
        if (top.context == Context::CommandSub && c == '(') {
            ++top.depth;
            return 1;
        }
        if (top.context == Context::CommandSub && c == ')') {
            if (top.depth-- == 0) stack_.pop_back();
            return 1;
        }
        if (top.context == Context::Param && c == '}') {
            stack_.pop_back();
            return 1;
        }
        if (c == '#' && (i == 0 || std::string_view(" \t\n;&|()").find(text[i - 1]) != std::string_view::npos)) {
            stack_.push_back({Context::Comment});
            return 1;
        }
        if (c == '<' && i + 1 < text.size() && text[i + 1] == '<' && (i + 2 >= text.size() || text[i + 2] != '<')) {
            return here_document_operator(text, i);
        }
        if (c == '\n') return newline(text, i);
        return 1;
    }

private:
    struct Frame {
        Context context;
        std::string delimiter = {};
        bool strip_tabs = false;
        int depth = 0;
    };
    struct PendingHeredoc {
        std::string delimiter;
        bool quoted;
        bool strip_tabs;
    };

    size_t open_expansion(std::string_view text, size_t i) {
        if (text[i] == '`') {
            stack_.push_back({Context::Backtick});
            return 1;
        }
        if (text[i] == '$' && i + 1 < text.size()) {
            if (text[i + 1] == '(') {
                stack_.push_back({Context::CommandSub});
                return 2;
            }
            if (text[i + 1] == '{') {
                stack_.push_back({Context::Param});
                return 2;
            }
        }
        return 0;
    }

    size_t here_document_operator(std::string_view text, size_t i) {
        size_t j = i + 2;
        bool strip_tabs = j < text.size() && text[j] == '-';
        if (strip_tabs) ++j;
        while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
        std::string delimiter;
        bool quoted = false;
        while (j < text.size() && std::string_view(" \t\n;&|<>()").find(text[j]) == std::string_view::npos) {
            char c = text[j];
            if (c == '\'' || c == '"') {
                quoted = true;
                size_t close = text.find(c, j + 1);
                if (close == std::string_view::npos) break;
                delimiter.append(text.substr(j + 1, close - j - 1));
                j = close + 1;
            } else if (c == '\\' && j + 1 < text.size()) {
                quoted = true;
                delimiter += text[j + 1];
                j += 2;
            } else {
                delimiter += c;
                ++j;
            }
        }
        if (!delimiter.empty()) {
            pending_.push_back({delimiter, quoted, strip_tabs});
        }
        return j - i;
    }

    size_t newline(std::string_view text, size_t i) {
        start_pending_heredoc_if_any(text, i);
        return 1;
    }

    void start_pending_heredoc_if_any(std::string_view, size_t) {
        if (pending_.empty()) return;
        // Bodies follow in order; the last pushed is read first.
        for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
            stack_.push_back({it->quoted ? Context::HeredocQuoted : Context::Heredoc, it->delimiter, it->strip_tabs});
        }
        pending_.clear();
    }

    static bool ends_heredoc(std::string_view text, size_t i, const Frame& frame) {
        size_t end = text.find('\n', i);
        std::string_view line = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        if (frame.strip_tabs) {
            while (!line.empty() && line.front() == '\t') line.remove_prefix(1);
        }
        return line == frame.delimiter;
    }

    std::vector<Frame> stack_{Frame{Context::Unquoted}};
    std::vector<PendingHeredoc> pending_;
};

bool has_line(std::string_view value, std::string_view delimiter) {
    size_t start = 0;
    while (start <= value.size()) {
        size_t end = value.find('\n', start);
        std::string_view line =
            value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        while (!line.empty() && line.front() == '\t') line.remove_prefix(1);
        if (line == delimiter) return true;
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return false;
}

Result<std::string> quote_for(ShellLexer& lexer, std::string_view value, std::string_view variable) {
    using Context = ShellLexer::Context;
    std::string out;
    switch (lexer.context()) {
    case Context::Single:
        // Close the quotes, write the quote escaped, reopen: 'it'\''s'.
        for (char c : value) {
            out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        return out;
    case Context::Double:
    case Context::Heredoc:
        if (lexer.context() == Context::Heredoc && has_line(value, lexer.heredoc_delimiter())) {
            return make_error(ErrorCode::Invalid,
                              "the value of " + std::string(variable) + " would end the here-document it stands in");
        }
        for (char c : value) {
            bool special = c == '\\' || c == '$' || c == '`' || (c == '"' && lexer.context() == Context::Double);
            if (special) out += '\\';
            out += c;
        }
        return out;
    case Context::HeredocQuoted:
        if (has_line(value, lexer.heredoc_delimiter())) {
            return make_error(ErrorCode::Invalid,
                              "the value of " + std::string(variable) + " would end the here-document it stands in");
        }
        return std::string(value);
    case Context::Backtick:
        // The shell strips one backslash before \ ` $ inside `...` before it parses the
        // command: quote for the inner command, then escape for the backquote layer.
        for (char c : shell_quote(value)) {
            if (c == '\\' || c == '`' || c == '$') out += '\\';
            out += c;
        }
        return out;
    case Context::Comment:
        // A newline would end the comment and turn the rest of the value into commands.
        for (char c : value) out += c == '\n' ? ' ' : c;
        return out;
    default: return shell_quote(value);
    }
}

} // namespace

std::vector<std::string> recipe_variables_in(std::string_view text) {
    std::vector<std::string> found;
    for (size_t open = text.find('{'); open != std::string_view::npos; open = text.find('{', open + 1)) {
        size_t close = text.find_first_of("{}", open + 1);
        if (close != std::string_view::npos && text[close] == '}' &&
            parse_variable(text.substr(open + 1, close - open - 1))) {
            found.emplace_back(text.substr(open, close - open + 1));
        }
    }
    return found;
}

Result<std::string> interpolate(std::string_view text, const InterpolationContext& context,
                                InterpolationTarget target) {
    std::string out;
    out.reserve(text.size());
    ShellLexer lexer;
    size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '{') {
            size_t close = text.find_first_of("{}", i + 1);
            if (close != std::string_view::npos && text[close] == '}') {
                std::string_view whole = text.substr(i, close - i + 1);
                if (auto variable = parse_variable(text.substr(i + 1, close - i - 1))) {
                    auto value = resolve(*variable, context);
                    if (!value) {
                        return std::move(value).error();
                    }
                    if (value->has_value()) {
                        if (target == InterpolationTarget::Raw) {
                            out += **value;
                        } else {
                            auto quoted = quote_for(lexer, **value, whole);
                            if (!quoted) {
                                return std::move(quoted).error();
                            }
                            out += *quoted;
                        }
                        i = close + 1;
                        continue;
                    }
                }
            }
        }
        size_t consumed = target == InterpolationTarget::Shell ? lexer.step(text, i) : 1;
        consumed = std::min(consumed, text.size() - i);
        out.append(text.substr(i, consumed));
        i += consumed;
    }
    return out;
}

} // namespace ggl
