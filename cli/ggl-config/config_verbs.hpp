// What the `ggl config` verbs take from the command line, and the verbs themselves.
#pragma once

#include "config_access.hpp"

#include "ggl/cli/completion.hpp"
#include "ggl/cli/output.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ggl::config_cli {

// Options accepted before or after any verb.
struct GlobalOptions {
    cli::OutputFormat format = cli::OutputFormat::Human;
    std::string db_path; // --db: the database file instead of ggconfigd
    double timeout_seconds = 10;
};

struct VerbArguments {
    std::vector<std::string> positionals;
    std::string path_json; // --path '["a","b/c"]'
    bool force_string = false;
    std::optional<int64_t> timestamp;
    bool recursive = false;
    std::string export_format = "yaml";
    uint64_t count = 0; // watch --count; 0: until interrupted
};

// Verbs return the process exit status.
int run_get(const GlobalOptions& options, const VerbArguments& arguments);
int run_set(const GlobalOptions& options, const VerbArguments& arguments);
int run_list(const GlobalOptions& options, const VerbArguments& arguments);
int run_delete(const GlobalOptions& options, const VerbArguments& arguments);
int run_watch(const GlobalOptions& options, const VerbArguments& arguments);
int run_import(const GlobalOptions& options, const VerbArguments& arguments);
int run_export(const GlobalOptions& options, const VerbArguments& arguments);
int run_backup(const GlobalOptions& options, const VerbArguments& arguments);
int run_restore(const GlobalOptions& options, const VerbArguments& arguments);

// Completion of PATH (path_completion.cpp): "a/b/" completes to the keys under a/b, a
// map's with a trailing '/'. None when neither ggconfigd nor the --db file answers.
std::vector<cli::Candidate> config_path_candidates(const cli::CompletionContext& context);

} // namespace ggl::config_cli
