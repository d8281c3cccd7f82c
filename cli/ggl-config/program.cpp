// ggl-config (`ggl config`): read and change the configuration, through ggconfigd or
// directly in its database (--db) when provisioning an image.
#include "config_verbs.hpp"

#include "ggl/cli/command_line.hpp"
#include "ggl/cli/error_report.hpp"
#include "programs.hpp"

using namespace ggl;
using namespace ggl::config_cli;

namespace {

constexpr const char* kProgramFooter = R"(Examples:
  ggl config set system/thingName dev-42
  ggl config get system/thingName
  ggl config list services --json
  ggl config set --path '["services","com.example.A","configuration","a/b"]' 1
  ggl config --db /mnt/image/var/lib/greengrass/config.db import config.yaml
  ggl config watch services/com.example.Hello

PATH is a/b/c (keys match case-insensitively); a key holding '/' needs --path JSON.
Without --db, verbs go through ggconfigd ($GGL_RUNTIME_DIR/gg_config). With --db PATH
they work on that sqlite file with the same rules, also while the daemon runs (its
subscribers are then not notified, and a warning says so).

Exit status: 0 ok; 1 not found or failed; 2 usage error; 3 cannot reach ggconfigd
(or the database is locked); 4 the store refused the request (CONFLICT, INVALID, ...).)";

constexpr const char* kGetFooter = R"(
Prints a string as it is, any other value as JSON (maps and lists indented).
--json prints strings as JSON too.

Examples:
  ggl config get system/thingName
  ggl config get services/aws.greengrass.NucleusLite/configuration --json=short

Exit status: 0 ok; 1 no such key; 2 usage error; 3 cannot reach ggconfigd; 4 refused.)";

constexpr const char* kSetFooter = R"(
VALUE is read as JSON when it is valid JSON (86400, true, null, [1,2], {"a":1}), else
taken as a string; --string always takes it as a string. A map merges into what is
stored. The write carries --timestamp MS, default now; a value stored with a newer
timestamp is kept (older loses, equal wins).

Examples:
  ggl config set system/thingName dev-42
  ggl config set services/com.example.A/configuration/port 8080
  ggl config set --string services/com.example.A/version 1.0
  ggl config set --path '["a","b/c"]' '{"x":1}'

Exit status: 0 ok (also when an older timestamp left the value as it was); 2 usage
error; 3 cannot reach ggconfigd; 4 refused: CONFLICT (a value onto a map or a map onto
a value) or INVALID.)";

constexpr const char* kListFooter = R"(
Prints the names of the keys under PATH (the top level without PATH), one per line;
--recursive prints every key below, as full paths; --json prints a JSON list (of
names, or with --recursive of key paths as lists).

Exit status: 0 ok; 1 no such key; 2 usage error; 3 cannot reach ggconfigd;
4 PATH holds a value, not a map (INVALID).)";

constexpr const char* kDeleteFooter = R"(
Deletes PATH and everything below it; a missing key is not an error. With
--timestamp MS, values written after MS are kept, and maps only go once empty.

Exit status: 0 ok; 2 usage error; 3 cannot reach ggconfigd; 4 refused.)";

constexpr const char* kWatchFooter = R"(
Prints one JSON line {"key_path":[...]} (with "deleted":true for deletes) for every
change at or below PATH, until Ctrl-C or --count events. PATH need not exist yet.
Needs ggconfigd (not --db).

Exit status: 0 ended by --count or by the daemon; 2 usage error (also with --db);
3 cannot reach ggconfigd; 4 the daemon ended the subscription with an error.)";

constexpr const char* kImportFooter = R"(
FILE is YAML, JSON (*.json), or a Greengrass v2 config.tlog (*.tlog, or a file of
{"TS","TP","W","V"} lines), replayed with its own timestamps and removals. YAML and
JSON merge at the top level with --timestamp MS (default now), all or nothing. A tlog
applies every line it can (in one transaction with --db), then names each line it
could not use. FILE "-" is standard input (YAML or a tlog); pipes such as /dev/stdin
work too. FILE is read once, whole, before anything is written; more than 64 MiB is
refused.

Exit status: 0 ok; 1 FILE missing or unreadable, or tlog lines skipped; 2 FILE is
malformed or too large (nothing written); 3 cannot reach ggconfigd; 4 refused
(CONFLICT).)";

constexpr const char* kExportFooter = R"(
Prints the tree under PATH (everything without PATH) as YAML, or as JSON with
--format json or --json. `ggl config import` reads either back.

Exit status: 0 ok; 1 no such key; 2 usage error; 3 cannot reach ggconfigd.)";

constexpr const char* kBackupFooter = R"(
Snapshots the whole configuration as NAME (default "default"), beside the database in
config.db.backups/NAME.db. Deployments take one before they change anything.

Exit status: 0 ok; 1 failed (disk); 2 usage error; 3 cannot reach ggconfigd;
4 refused (bad NAME).)";

constexpr const char* kRestoreFooter = R"(
Replaces the whole configuration with snapshot NAME (default "default"), in one
transaction; subscribers of keys that differ are notified.

Exit status: 0 ok; 1 no such snapshot; 2 usage error; 3 cannot reach ggconfigd;
4 refused.)";

using Verb = cli::VerbEntry<VerbArguments, int (*)(const GlobalOptions& options, const VerbArguments& arguments)>;

void add_path(CLI::App& verb, VerbArguments& arguments, const char* positionals_help) {
    verb.add_option("ARGS", arguments.positionals, positionals_help)->check(cli::completer(config_path_candidates));
    verb.add_option("--path", arguments.path_json, "The key path as a JSON list of names, instead of PATH")
        ->type_name("JSON");
}

void add_timestamp(CLI::App& verb, VerbArguments& arguments) {
    verb.add_option("--timestamp", arguments.timestamp, "Milliseconds since the epoch (default now)")
        ->type_name("MS")
        ->check(cli::non_negative_integer());
}

void add_get(CLI::App& verb, VerbArguments& arguments) { add_path(verb, arguments, "PATH"); }

void add_set(CLI::App& verb, VerbArguments& arguments) {
    add_path(verb, arguments, "PATH VALUE (only VALUE with --path)");
    verb.add_flag("--string", arguments.force_string, "Store VALUE as a string even when it reads as JSON");
    add_timestamp(verb, arguments);
}

void add_list(CLI::App& verb, VerbArguments& arguments) {
    add_path(verb, arguments, "PATH (default: the top level)");
    verb.add_flag("-r,--recursive", arguments.recursive, "List every key below PATH, as full paths");
}

void add_delete(CLI::App& verb, VerbArguments& arguments) {
    add_path(verb, arguments, "PATH");
    add_timestamp(verb, arguments);
}

void add_watch(CLI::App& verb, VerbArguments& arguments) {
    add_path(verb, arguments, "PATH (default: everything)");
    verb.add_option("--count", arguments.count, "Stop after N events")->type_name("N")->check(cli::positive_integer());
}

void add_import(CLI::App& verb, VerbArguments& arguments) {
    verb.add_option("FILE", arguments.positionals, "YAML, JSON or config.tlog file; - for standard input")
        ->check(cli::file_names());
    add_timestamp(verb, arguments);
}

void add_export(CLI::App& verb, VerbArguments& arguments) {
    add_path(verb, arguments, "PATH (default: everything)");
    verb.add_option("--format", arguments.export_format, "yaml (default) or json")
        ->type_name("FORMAT")
        ->check(cli::choices({"yaml", "json"}));
}

void add_name(CLI::App& verb, VerbArguments& arguments) {
    verb.add_option("NAME", arguments.positionals, "Snapshot name (default \"default\")");
}

constexpr Verb kVerbs[] = {
    {"get", "Print the value or map at PATH", kGetFooter, add_get, run_get},
    {"set", "Write VALUE at PATH (maps merge)", kSetFooter, add_set, run_set},
    {"list", "List the keys under PATH, one per line", kListFooter, add_list, run_list},
    {"delete", "Delete PATH and everything below it", kDeleteFooter, add_delete, run_delete},
    {"watch", "Print a JSON line for every change at or below PATH", kWatchFooter, add_watch, run_watch},
    {"import", "Merge a YAML, JSON or config.tlog file", kImportFooter, add_import, run_import},
    {"export", "Print the tree under PATH as YAML or JSON", kExportFooter, add_export, run_export},
    {"backup", "Snapshot the configuration as NAME", kBackupFooter, add_name, run_backup},
    {"restore", "Replace the configuration with snapshot NAME", kRestoreFooter, add_name, run_restore},
};

// Added to the program and to every verb, so they work before or after the verb.
void add_global_options(CLI::App& app, GlobalOptions& options) {
    cli::add_output_option(app, options.format);
    app.add_option("--db", options.db_path, "Work on this sqlite database directly, without ggconfigd")
        ->type_name("PATH");
    cli::add_timeout_option(app, options.timeout_seconds, "Seconds to wait for ggconfigd (default 10)");
}

} // namespace

int ggl::programs::ggl_config(int argc, char** argv) {
    const cli::ProgramText program{
        "ggl config", "Read and change the ggl configuration, through ggconfigd or in its database.", kProgramFooter};
    GlobalOptions options;
    VerbArguments arguments;
    return cli::run_verb_program(program, argc, argv, kVerbs, options, arguments, add_global_options,
                                 [&](const Verb& verb) -> int {
                                     // --db: before the verb reads anything (import may read stdin), the ggl
                                     // executable hands the command over to ggl-config-db (config_access.hpp).
                                     if (!options.db_path.empty()) {
                                         if (auto reached = reach_database(); !reached)
                                             return cli::report_error(reached.error());
                                     }
                                     return verb.run(options, arguments);
                                 });
}
