// ggl deploy: local deployments through ggdeploymentd (gg_deployment), and their status.
#include "front_verbs.hpp"

#include "ggl/cli/command_line.hpp"
#include "ggl/cli/completion.hpp"
#include "ggl/cli/error_report.hpp"
#include "ggl/cli/exit_code.hpp"
#include "ggl/cli/json_input.hpp"
#include "ggl/cli/output.hpp"
#include "ggl/cli/subscription.hpp"
#include "ggl/file.hpp"
#include "ggl/json.hpp"
#include "ggl/services/deployment.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace ggl::front {
namespace {

namespace contract = services::deployment;
// Ctrl-C during --wait, as a shell reports a command ended by SIGINT.
constexpr int kExitInterrupted = 130;

constexpr const char* kProgramFooter = R"(Examples:
  ggl deploy local -r ./recipes -a ./artifacts -c com.example.Hello=1.0.0 --wait
  ggl deploy local -c com.example.Hello=1.1.0 --update-config '{"com.example.Hello":{"MERGE":{"greeting":"hi"}}}' --wait
  ggl deploy local -d com.example.Hello --wait
  ggl deploy status
  ggl deploy list --json

Exit status: 0 ok; 1 the deployment failed (or no such deployment); 2 usage error;
3 cannot reach ggdeploymentd; 4 ggdeploymentd refused the request.)";

constexpr const char* kLocalFooter = R"(
Queues a deployment of root components to the group (LOCAL_DEPLOYMENTS by default;
a group keeps its root components across deployments). Recipes come from --recipe-dir
(files NAME-VERSION.yaml|.json) or the store; artifacts from --artifact-dir laid out
as NAME/VERSION/FILE: a version's whole directory NAME/VERSION/ is copied into the
store, subdirectories too, listed or not (as the Greengrass CLI does), so that
{artifacts:path} finds every file; listed artifacts get their Digest checked and
their Permission; symbolic links in it are refused. Everything is checked before
anything changes; on failure the device is put back as it was (--failure-policy none
leaves it).

--update-config takes {"NAME": {"MERGE": {...}, "RESET": ["/json/pointer", ...]}}, as
JSON or @FILE. --dry-run prints the plan (components added, updated and removed,
configuration changes, units written) and changes nothing. --wait follows the
deployment to its end (progress on a terminal) and prints why it failed.
A running component whose configuration changes and that subscribed with
SubscribeToValidateConfigurationUpdates sees the new configuration first: its REJECTED
report fails the deployment before anything changes; no report within
--validation-timeout lets it proceed.

Examples:
  ggl deploy local -r recipes -a artifacts -c com.example.Hello=1.0.0 --wait
  ggl deploy local -c com.example.Hello=1.0.0 --dry-run
  ggl deploy local -d com.example.Hello -g fleet-a --wait

Exit status: 0 queued (or, with --wait, succeeded); 1 the deployment failed; 2 usage
error; 3 cannot reach ggdeploymentd; 4 refused (INVALID request); 130 Ctrl-C stopped
--wait (the deployment goes on).)";

constexpr const char* kStatusFooter = R"(
Prints a deployment's state, steps, plan and failure (the most recent deployment when
no ID is given); --json prints the whole record.

Exit status: 0 the deployment succeeded, is queued or in progress; 1 it failed or
there is no such deployment; 3 cannot reach ggdeploymentd.)";

constexpr const char* kListFooter = R"(
Lists the recorded deployments, oldest first: ID, state, group, created, components.

Exit status: 0 ok; 3 cannot reach ggdeploymentd.)";

struct Arguments {
    cli::OutputFormat format = cli::OutputFormat::Human;
    double timeout_seconds = 10;
    std::string recipe_dir;
    std::string artifact_dir;
    std::vector<std::string> add;
    std::vector<std::string> remove;
    std::string update_config;
    std::string group;
    std::string failure_policy = "rollback";
    bool dry_run = false;
    bool wait = false;
    int component_timeout = 0;
    int validation_timeout = 0;
    std::vector<std::string> positionals;
};

services::DeploymentClient client_for(const Arguments& arguments) {
    bus::ClientOptions options;
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(arguments.timeout_seconds * 1000));
    return services::DeploymentClient(options);
}

Result<std::string> absolute_directory(const std::string& path, const char* what) {
    std::error_code error;
    auto absolute = std::filesystem::absolute(path, error);
    if (error || !std::filesystem::is_directory(absolute)) {
        return make_error(ErrorCode::Invalid, std::string(what) + " " + path + " is not a directory");
    }
    return absolute.lexically_normal().string();
}

void print_failure(const Object& failure, const char* label, std::FILE* out) {
    std::string component = string_field(failure, "component");
    std::string phase = string_field(failure, "phase");
    std::string reason = string_field(failure, "reason");
    if (component.empty()) {
        std::fprintf(out, "%s: %s\n", label, reason.c_str());
    } else {
        std::fprintf(out, "%s: %s failed in phase %s: %s\n", label, component.c_str(), phase.c_str(), reason.c_str());
    }
    if (const Object* journal = find_field(failure, "journal");
        journal && journal->is_list() && !journal->as_list().empty()) {
        std::fprintf(out, "Last lines of %s's log:\n", component.c_str());
        for (const Object& line : journal->as_list()) {
            if (line.is_buffer())
                std::fprintf(out, "  %.*s\n", static_cast<int>(line.as_buffer().size()), line.as_buffer().data());
        }
    }
}

void print_plan(const Object& plan, std::FILE* out) {
    const Object* components = find_field(plan, "components");
    if (components && components->is_list()) {
        for (const Object& component : components->as_list()) {
            std::string action = string_field(component, "action");
            std::string line = "  " + action + std::string(action.size() < 8 ? 8 - action.size() : 1, ' ') +
                               string_field(component, "component_name") + " " + string_field(component, "version");
            if (std::string previous = string_field(component, "previous_version");
                !previous.empty() && action == "update") {
                line += " (from " + previous + ")";
            }
            std::fprintf(out, "%s\n", line.c_str());
            // The version's artifact directory, copied whole into the store.
            if (std::string directory = string_field(component, "artifact_directory"); !directory.empty()) {
                long long files = static_cast<long long>(int_field(component, "artifact_files"));
                std::fprintf(out, "          artifacts copied from %s (%lld file%s)\n", directory.c_str(), files,
                             files == 1 ? "" : "s");
            }
        }
    }
    const Object* removed = find_field(plan, "removed");
    if (removed && removed->is_list()) {
        for (const Object& component : removed->as_list()) {
            std::fprintf(out, "  remove  %s %s\n", string_field(component, "component_name").c_str(),
                         string_field(component, "version").c_str());
        }
    }
    const Object* configuration = find_field(plan, "configuration");
    if (configuration && configuration->is_map() && !configuration->as_map().empty()) {
        std::fprintf(out, "  configuration: %s\n", to_json(*configuration).c_str());
    }
    const Object* units = find_field(plan, "units");
    if (units && units->is_list() && !units->as_list().empty()) {
        std::fprintf(out, "  units written: %s\n", cli::format_cell(*units).c_str());
    }
}

// The whole record, for people.
void print_status(const Object& status) {
    std::printf("Deployment %s\n", string_field(status, "deployment_id").c_str());
    std::printf("  state:   %s\n", string_field(status, "state").c_str());
    std::printf("  group:   %s\n", string_field(status, "group_name").c_str());
    std::printf("  created: %s\n", cli::format_local_time(int_field(status, "created")).c_str());
    std::printf("  updated: %s\n", cli::format_local_time(int_field(status, "updated")).c_str());
    if (const Object* plan = find_field(status, "plan"); plan && plan->is_map()) {
        std::printf("Plan:\n");
        print_plan(*plan, stdout);
    }
    if (const Object* steps = find_field(status, "steps"); steps && steps->is_list()) {
        std::printf("Steps:\n");
        for (const Object& step : steps->as_list()) {
            std::printf("  %s  %s\n", cli::format_local_time(int_field(step, "time")).c_str(),
                        string_field(step, "message").c_str());
        }
    }
    if (const Object* failure = find_field(status, "failure")) print_failure(*failure, "Failure", stdout);
    if (const Object* failure = find_field(status, "rollback_failure"))
        print_failure(*failure, "Rollback failure", stdout);
}

int exit_for_state(const std::string& state) {
    return state == "SUCCEEDED" || state == "QUEUED" || state == "IN_PROGRESS" ? cli::kExitOk : cli::kExitFailed;
}

// Follows a deployment to its end; returns the final status, or null when Ctrl-C
// stopped the following (the deployment goes on).
Result<Object> follow(services::DeploymentClient& client, const std::string& id, bool show_progress) {
    Object final_status;
    auto start = std::chrono::steady_clock::now();
    cli::install_stop_handlers();
    auto followed = cli::stream_subscription(
        client.bus(), contract::kSubscribeToDeployment.name, contract::id_params(id), client.bus().options().timeout,
        [&](const Object& event) {
            if (show_progress) {
                double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                std::fprintf(stderr, "[%6.2fs] %s\n", elapsed, string_field(event, "message").c_str());
            }
            const Object* final = find_field(event, "final");
            if (final && final->is_bool() && final->as_bool()) {
                if (const Object* status = find_field(event, "status")) final_status = *status;
                return false;
            }
            return true;
        });
    if (!followed) return std::move(followed).error();
    if (*followed == cli::StreamEnd::Stopped) {
        return Object();
    }
    if (final_status.is_null()) {
        // The subscription ended without a final event: ask for the record.
        return client.get_deployment_status(id);
    }
    return final_status;
}

int run_local(const Arguments& arguments) {
    contract::Request request;
    if (!arguments.recipe_dir.empty()) {
        auto dir = absolute_directory(arguments.recipe_dir, "recipe directory");
        if (!dir) return cli::report_usage_error(dir.error().message);
        request.recipe_directory = *dir;
    }
    if (!arguments.artifact_dir.empty()) {
        auto dir = absolute_directory(arguments.artifact_dir, "artifact directory");
        if (!dir) return cli::report_usage_error(dir.error().message);
        request.artifacts_directory = *dir;
    }
    for (const std::string& item : arguments.add) {
        size_t equals = item.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == item.size()) {
            return cli::report_usage_error("--add \"" + item + "\": expected NAME=VERSION");
        }
        request.add[item.substr(0, equals)] = item.substr(equals + 1);
    }
    request.remove = arguments.remove;
    if (!arguments.update_config.empty()) {
        std::string text = arguments.update_config;
        if (text.starts_with("@")) {
            auto content = file::read(text.substr(1));
            if (!content) return cli::report_usage_error("--update-config: " + content.error().message);
            text = *content;
        }
        auto parsed = cli::read_json_object(text, "--update-config");
        if (!parsed) return cli::report_error(parsed.error());
        request.configuration = std::move(*parsed);
    }
    if (!arguments.group.empty()) request.group = arguments.group;
    request.rollback = arguments.failure_policy != "none";
    request.dry_run = arguments.dry_run;
    if (arguments.component_timeout > 0) request.timeout_seconds = arguments.component_timeout;
    if (arguments.validation_timeout > 0)
        request.configuration_validation_timeout_seconds = arguments.validation_timeout;

    services::DeploymentClient client = client_for(arguments);
    auto created = client.create_local_deployment(request);
    if (!created) return cli::report_error(created.error(), "creating the deployment");
    std::string id = string_field(*created, contract::param::kDeploymentId);
    if (!arguments.wait && !arguments.dry_run) {
        if (cli::is_json(arguments.format)) {
            cli::print_json(*created, cli::json_style(arguments.format));
        } else {
            std::printf("%s\n", id.c_str());
        }
        return cli::kExitOk;
    }
    bool progress = !cli::is_json(arguments.format) && ::isatty(STDERR_FILENO) && !arguments.dry_run;
    auto status = follow(client, id, progress);
    if (!status) return cli::report_error(status.error(), "following deployment " + id);
    if (status->is_null()) {
        std::fprintf(stderr, "Stopped following deployment %s; it goes on (ggl deploy status %s).\n", id.c_str(),
                     id.c_str());
        return kExitInterrupted;
    }
    std::string state = string_field(*status, "state");
    if (cli::is_json(arguments.format)) {
        cli::print_json(*status, cli::json_style(arguments.format));
        return exit_for_state(state);
    }
    if (arguments.dry_run) {
        if (const Object* failure = find_field(*status, "failure")) {
            print_failure(*failure, "Rejected", stderr);
            return cli::kExitFailed;
        }
        std::printf("Dry run of deployment %s: nothing was changed. The deployment would:\n", id.c_str());
        if (const Object* plan = find_field(*status, "plan")) print_plan(*plan, stdout);
        return cli::kExitOk;
    }
    if (state == "SUCCEEDED") {
        std::printf("Deployment %s succeeded.\n", id.c_str());
        return cli::kExitOk;
    }
    std::fprintf(stderr, "Deployment %s: %s\n", id.c_str(), state.c_str());
    if (const Object* failure = find_field(*status, "failure")) print_failure(*failure, "Failure", stderr);
    if (const Object* failure = find_field(*status, "rollback_failure"))
        print_failure(*failure, "Rollback failure", stderr);
    return cli::kExitFailed;
}

int run_status(const Arguments& arguments) {
    services::DeploymentClient client = client_for(arguments);
    std::string id = arguments.positionals.empty() ? "" : arguments.positionals.front();
    if (id.empty()) {
        auto listed = client.list_deployments();
        if (!listed) return cli::report_error(listed.error(), "listing deployments");
        const Object* deployments = find_field(*listed, "deployments");
        if (!deployments || !deployments->is_list() || deployments->as_list().empty()) {
            cli::print_error("no deployments yet");
            return cli::kExitFailed;
        }
        id = string_field(deployments->as_list().back(), "deployment_id");
    }
    auto status = client.get_deployment_status(id);
    if (!status) {
        if (status.error().remote && status.error().code == ErrorCode::Noentry) {
            cli::print_error("no deployment " + id);
            return cli::kExitFailed;
        }
        return cli::report_error(status.error(), "reading deployment " + id);
    }
    if (cli::is_json(arguments.format)) {
        cli::print_json(*status, cli::json_style(arguments.format));
    } else {
        print_status(*status);
    }
    return exit_for_state(string_field(*status, "state"));
}

int run_list(const Arguments& arguments) {
    services::DeploymentClient client = client_for(arguments);
    auto listed = client.list_deployments();
    if (!listed) return cli::report_error(listed.error(), "listing deployments");
    cli::Table table({"id", "state", "group", "created", "components"});
    if (const Object* deployments = find_field(*listed, "deployments"); deployments && deployments->is_list()) {
        for (const Object& deployment : deployments->as_list()) {
            const Object* components = find_field(deployment, "components");
            table.add_row({string_field(deployment, "deployment_id"), string_field(deployment, "state"),
                           string_field(deployment, "group_name"),
                           cli::is_json(arguments.format)
                               ? Object(int_field(deployment, "created"))
                               : Object(cli::format_local_time(int_field(deployment, "created"))),
                           components ? *components : Object(List{})});
        }
    }
    table.print(arguments.format);
    return cli::kExitOk;
}

using Verb = cli::VerbEntry<Arguments, int (*)(const Arguments& arguments)>;

void add_local(CLI::App& verb, Arguments& arguments) {
    verb.add_option("-r,--recipe-dir", arguments.recipe_dir, "Directory of recipes (NAME-VERSION.yaml|.json)")
        ->type_name("DIR");
    verb.add_option("-a,--artifact-dir", arguments.artifact_dir, "Directory of artifacts (NAME/VERSION/FILE)")
        ->type_name("DIR");
    // One value each time, as getopt_long users expect: "-c a=1 b" leaves b unexpected.
    verb.add_option("-c,--add", arguments.add, "Add or update a root component (repeatable)")
        ->type_name("NAME=VERSION")
        ->allow_extra_args(false);
    verb.add_option("-d,--remove", arguments.remove, "Remove a root component (repeatable)")
        ->type_name("NAME")
        ->allow_extra_args(false)
        ->check(cli::completer(component_candidates));
    verb.add_option("--update-config", arguments.update_config,
                    "Configuration updates {\"NAME\":{\"MERGE\":{...},\"RESET\":[...]}}, or @FILE")
        ->type_name("JSON");
    verb.add_option("-g,--group", arguments.group, "Deployment group (default LOCAL_DEPLOYMENTS)")->type_name("GROUP");
    verb.add_option("--failure-policy", arguments.failure_policy, "On failure: rollback (default) or none")
        ->type_name("POLICY")
        ->check(cli::choices({"rollback", "none"}));
    verb.add_flag("--dry-run", arguments.dry_run, "Print the plan and change nothing");
    verb.add_flag("--wait", arguments.wait, "Follow the deployment to its end; exit 1 if it fails");
    verb.add_option("--component-timeout", arguments.component_timeout,
                    "Seconds for the components to start (default 300)")
        ->type_name("SECONDS")
        ->check(cli::integer_in(1, 86400));
    verb.add_option("--validation-timeout", arguments.validation_timeout,
                    "Seconds for components that subscribed to configuration validation to report (default 30)")
        ->type_name("SECONDS")
        ->check(cli::integer_in(1, 86400));
}

// The recorded deployments' ids, newest first; none when ggdeploymentd does not answer.
std::vector<cli::Candidate> deployment_candidates(const cli::CompletionContext&) {
    bus::ClientOptions options;
    options.timeout = cli::kCompletionTimeout;
    services::DeploymentClient client(options);
    auto listed = client.list_deployments();
    std::vector<cli::Candidate> ids;
    const Object* deployments = listed ? find_field(*listed, "deployments") : nullptr;
    if (deployments != nullptr && deployments->is_list()) {
        for (const Object& deployment : deployments->as_list()) {
            ids.insert(ids.begin(), {string_field(deployment, "deployment_id"), string_field(deployment, "state")});
        }
    }
    return ids;
}

void add_status(CLI::App& verb, Arguments& arguments) {
    verb.add_option("ID", arguments.positionals, "Deployment id (default: the most recent)")
        ->check(cli::completer(deployment_candidates));
}

void add_nothing(CLI::App&, Arguments&) {}

constexpr Verb kVerbs[] = {
    {"local", "Deploy components from local recipes and artifacts", kLocalFooter, add_local, run_local},
    {"status", "Print a deployment's state, steps and failure", kStatusFooter, add_status, run_status},
    {"list", "List the recorded deployments", kListFooter, add_nothing, run_list},
};

void add_global_options(CLI::App& app, Arguments& arguments) {
    cli::add_output_option(app, arguments.format);
    cli::add_timeout_option(app, arguments.timeout_seconds, "Seconds to wait for ggdeploymentd to answer (default 10)");
}

} // namespace

int run_deploy_command(int argc, char** argv) {
    const cli::ProgramText program{
        "ggl deploy", "Deploy components locally through ggdeploymentd, and follow deployments.", kProgramFooter};
    Arguments arguments;
    return cli::run_verb_program(program, argc, argv, kVerbs, arguments, add_global_options);
}

} // namespace ggl::front
