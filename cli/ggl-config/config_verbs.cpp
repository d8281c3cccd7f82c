// The `ggl config` verbs, written once for the daemon and for --db.
#include "config_verbs.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/cli/subscription.hpp"
#include "ggl/config_files.hpp"
#include "ggl/json.hpp"
#include "ggl/yaml.hpp"

#include <cmath>
#include <cstdio>

namespace ggl::config_cli {
namespace {

// Missing keys end with 1 whether the daemon or the database said so (docs/cli.md:
// not found); everything else follows the shared mapping.
int report(const Error& error) {
    int status = cli::report_error(error);
    return error.code == ErrorCode::Noentry ? cli::kExitFailed : status;
}

Result<std::unique_ptr<ConfigAccess>> access_for(const GlobalOptions& options, bool changes_config) {
    if (options.db_path.empty()) {
        auto ms = static_cast<int64_t>(std::ceil(options.timeout_seconds * 1000.0));
        return make_bus_access(std::chrono::milliseconds(ms < 1 ? 1 : ms));
    }
    auto access = make_database_access(options.db_path);
    if (access && changes_config && daemon_is_running()) {
        cli::report_warning("ggconfigd is running: this change goes to the database directly and its "
                            "subscribers are not notified (omit --db to go through the daemon)");
    }
    return access;
}

// PATH from --path (JSON list) or from the first positional ("a/b/c"); the positionals
// that follow it are returned in rest.
Result<config::KeyPath> key_path_of(const VerbArguments& arguments, bool path_required, size_t& next_positional) {
    next_positional = 0;
    if (!arguments.path_json.empty()) {
        auto parsed = from_json(arguments.path_json);
        if (!parsed) {
            return make_error(ErrorCode::Invalid, "--path is not JSON: " + parsed.error().message);
        }
        auto path = config::key_path_from_object(*parsed);
        if (!path) {
            return make_error(ErrorCode::Invalid, "--path: " + path.error().message);
        }
        return path;
    }
    if (arguments.positionals.empty()) {
        if (path_required) {
            return make_error(ErrorCode::Invalid, "a key PATH (a/b/c) or --path JSON is required");
        }
        return config::KeyPath{};
    }
    next_positional = 1;
    return config::key_path_from_text(arguments.positionals[0]);
}

Result<void> no_more_positionals(const VerbArguments& arguments, size_t used) {
    if (arguments.positionals.size() > used) {
        return make_error(ErrorCode::Invalid, "unexpected argument '" + arguments.positionals[used] + "'");
    }
    return {};
}

// A bad command line is a usage error, whatever layer noticed it.
int usage(const Error& error) { return cli::report_usage_error(error.message); }

JsonStyle style_of(const GlobalOptions& options) {
    return options.format == cli::OutputFormat::JsonShort ? JsonStyle::Short : JsonStyle::Pretty;
}

void print_leaf_paths(const Object& value, config::KeyPath& path, List* json_paths) {
    if (const Map* map = value.if_map()) {
        for (const auto& [name, child] : *map) {
            path.push_back(name);
            if (json_paths) {
                json_paths->push_back(config::key_path_to_object(path));
            } else {
                std::printf("%s\n", config::key_path_to_text(path).c_str());
            }
            print_leaf_paths(child, path, json_paths);
            path.pop_back();
        }
    }
}

// PATH (key_path_of()) and nothing after it. root_refusal, when given, is the error
// for the root path, which comes before one for an extra argument.
Result<config::KeyPath> only_key_path(const VerbArguments& arguments, bool path_required,
                                      const char* root_refusal = nullptr) {
    size_t used = 0;
    auto path = key_path_of(arguments, path_required, used);
    if (!path) {
        return path;
    }
    if (root_refusal != nullptr && path->empty()) {
        return make_error(ErrorCode::Invalid, root_refusal);
    }
    if (auto extra = no_more_positionals(arguments, used); !extra) {
        return std::move(extra).error();
    }
    return path;
}

// Returns act(access) on the configuration (access_for()), or the exit status of not
// reaching it.
template <typename Act>
int with_access(const GlobalOptions& options, bool changes_config, Act&& act) {
    auto access = access_for(options, changes_config);
    if (!access) {
        return report(access.error());
    }
    return act(**access);
}

// The exit status of a verb that ends with done.
int status_of(const Result<void>& done) { return done ? cli::kExitOk : report(done.error()); }

// backup and restore: at most one NAME, "default" when none is given.
int run_snapshot(const GlobalOptions& options, const VerbArguments& arguments, const char* too_many,
                 bool changes_config, Result<void> (ConfigAccess::*snapshot)(const std::string& name)) {
    if (arguments.positionals.size() > 1) {
        return cli::report_usage_error(too_many);
    }
    return with_access(options, changes_config, [&](ConfigAccess& access) -> int {
        std::string name = arguments.positionals.empty() ? "default" : arguments.positionals[0];
        return status_of((access.*snapshot)(name));
    });
}

} // namespace

int run_get(const GlobalOptions& options, const VerbArguments& arguments) {
    auto path = only_key_path(arguments, true);
    if (!path) {
        return usage(path.error());
    }
    return with_access(options, false, [&](ConfigAccess& access) -> int {
        auto value = access.read(*path);
        if (!value) {
            return report(value.error());
        }
        // Scalars print raw so that shell scripts can use them: $(ggl config get system/thingName).
        if (!cli::is_json(options.format) && value->is_string()) {
            std::printf("%s\n", value->as_string().c_str());
        } else {
            cli::print_json(*value, style_of(options));
        }
        return cli::kExitOk;
    });
}

int run_set(const GlobalOptions& options, const VerbArguments& arguments) {
    size_t used = 0;
    auto path = key_path_of(arguments, true, used);
    if (!path) {
        return usage(path.error());
    }
    if (path->empty()) {
        return cli::report_usage_error("set needs a key PATH, not the root");
    }
    if (arguments.positionals.size() <= used) {
        return cli::report_usage_error("set needs a VALUE after the PATH");
    }
    if (auto extra = no_more_positionals(arguments, used + 1); !extra) {
        return usage(extra.error());
    }
    const std::string& text = arguments.positionals[used];
    Object value = text;
    if (!arguments.force_string) {
        if (auto parsed = from_json(text)) {
            value = std::move(*parsed);
        }
    }
    return with_access(options, true, [&](ConfigAccess& access) -> int {
        return status_of(access.write(*path, value, arguments.timestamp));
    });
}

int run_list(const GlobalOptions& options, const VerbArguments& arguments) {
    auto path = only_key_path(arguments, false);
    if (!path) {
        return usage(path.error());
    }
    return with_access(options, false, [&](ConfigAccess& access) -> int {
        if (arguments.recursive) {
            auto tree = access.read(*path);
            if (!tree) {
                return report(tree.error());
            }
            if (!tree->is_map()) {
                return report(
                    make_error(ErrorCode::Invalid, config::key_path_to_text(*path) + " holds a value, not a map"));
            }
            config::KeyPath walk = *path;
            if (cli::is_json(options.format)) {
                List paths;
                print_leaf_paths(*tree, walk, &paths);
                cli::print_json(paths, style_of(options));
            } else {
                print_leaf_paths(*tree, walk, nullptr);
            }
            return cli::kExitOk;
        }
        auto names = access.list(*path);
        if (!names) {
            return report(names.error());
        }
        if (cli::is_json(options.format)) {
            List list;
            for (auto& name : *names) {
                list.emplace_back(name);
            }
            cli::print_json(list, style_of(options));
        } else {
            for (const auto& name : *names) {
                std::printf("%s\n", name.c_str());
            }
        }
        return cli::kExitOk;
    });
}

int run_delete(const GlobalOptions& options, const VerbArguments& arguments) {
    auto path = only_key_path(arguments, true, "delete needs a key PATH; the whole tree cannot be deleted");
    if (!path) {
        return usage(path.error());
    }
    return with_access(options, true, [&](ConfigAccess& access) -> int {
        return status_of(access.remove(*path, arguments.timestamp));
    });
}

int run_watch(const GlobalOptions& options, const VerbArguments& arguments) {
    auto path = only_key_path(arguments, false);
    if (!path) {
        return usage(path.error());
    }
    if (!options.db_path.empty()) {
        return cli::report_usage_error("watch needs ggconfigd: changes are announced by the daemon (drop --db)");
    }
    return with_access(options, false, [&](ConfigAccess& access) -> int {
        // Ctrl-C or SIGTERM: the subscription is cancelled on the bus and watch exits 0.
        cli::install_stop_handlers();
        uint64_t seen = 0;
        return status_of(access.watch(*path, [&](const Object& event) {
            // JSON lines, flushed as they come, for `| while read` loops.
            cli::print_json(event,
                            options.format == cli::OutputFormat::JsonPretty ? JsonStyle::Pretty : JsonStyle::Short);
            ++seen;
            return arguments.count == 0 || seen < arguments.count;
        }));
    });
}

int run_import(const GlobalOptions& options, const VerbArguments& arguments) {
    if (arguments.positionals.size() != 1) {
        return cli::report_usage_error("import needs exactly one FILE");
    }
    // Read once ("-", /dev/stdin and <(...) are pipes: a second read would find them
    // drained), and before reaching the store: a broken file changes nothing.
    auto input = config::read_config_input(arguments.positionals[0]);
    if (!input) {
        Error error = std::move(input).error();
        return error.code == ErrorCode::Range ? usage(error) : report(error);
    }
    const std::string& name = input->name;
    bool tlog = config::looks_like_tlog(name, input->text);
    Result<Map> content = Map{};
    if (!tlog) {
        content = config::parse_config_text(name, input->text);
        if (!content) {
            return usage(content.error());
        }
    }
    return with_access(options, true, [&](ConfigAccess& access) -> int {
        if (!tlog) {
            return status_of(access.write({}, Object(std::move(*content)), arguments.timestamp));
        }
        std::vector<std::string> problems;
        auto applied = access.replay_tlog(name, input->text, problems);
        if (!applied) {
            return report(applied.error());
        }
        for (const auto& problem : problems) {
            cli::print_error(problem);
        }
        if (!problems.empty()) {
            std::fprintf(stderr, "%s: imported %zu entries of %s; %zu lines skipped\n", cli::program_label().c_str(),
                         *applied, name.c_str(), problems.size());
            return cli::kExitFailed;
        }
        return cli::kExitOk;
    });
}

int run_export(const GlobalOptions& options, const VerbArguments& arguments) {
    auto path = only_key_path(arguments, false);
    if (!path) {
        return usage(path.error());
    }
    bool json = arguments.export_format == "json" || cli::is_json(options.format);
    return with_access(options, false, [&](ConfigAccess& access) -> int {
        auto tree = access.read(*path);
        if (!tree) {
            return report(tree.error());
        }
        if (json) {
            cli::print_json(*tree, style_of(options));
        } else {
            auto yaml = to_yaml(*tree);
            if (!yaml) {
                return report(yaml.error());
            }
            std::fwrite(yaml->data(), 1, yaml->size(), stdout);
            if (!yaml->empty() && yaml->back() != '\n') {
                std::fputc('\n', stdout);
            }
        }
        return cli::kExitOk;
    });
}

int run_backup(const GlobalOptions& options, const VerbArguments& arguments) {
    return run_snapshot(options, arguments, "backup takes at most one NAME", false, &ConfigAccess::backup);
}

int run_restore(const GlobalOptions& options, const VerbArguments& arguments) {
    return run_snapshot(options, arguments, "restore takes at most one NAME", true, &ConfigAccess::restore);
}

} // namespace ggl::config_cli
