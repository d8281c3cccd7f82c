// `ggl bus list` and `ggl bus describe`: which services are up, and what they offer.
#include "bus_verbs.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/env.hpp"
#include "ggl/log.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace ggl::bus_cli {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kDescribe = "ggl.describe";

// Socket files in dir whose names are service names, sorted. A missing dir has none.
Result<std::vector<std::string>> socket_names(const std::string& dir) {
    std::unique_ptr<DIR, int (*)(DIR*)> stream(::opendir(dir.c_str()), ::closedir);
    if (!stream) {
        if (errno == ENOENT) {
            return std::vector<std::string>{};
        }
        return make_error(ErrorCode::Failure, "cannot read " + dir + ": " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(stream.get())) {
        std::string name = entry->d_name;
        if (!env::is_valid_service_name(name)) {
            continue;
        }
        struct stat info {};
        if (::stat((dir + '/' + name).c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) {
            names.push_back(std::move(name));
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Method names a service offers, without the ggl.* methods every service has.
Object offered_methods(const Object& description) {
    const Map* map = description.if_map();
    const Object* methods = map ? map->find("methods") : nullptr;
    if (methods == nullptr || !methods->is_list()) {
        return nullptr;
    }
    List names;
    for (const Object& method : methods->as_list()) {
        const Map* fields = method.if_map();
        const Object* name = fields ? fields->find("name") : nullptr;
        if (name != nullptr && name->is_string() && !name->as_string().starts_with("ggl.")) {
            names.emplace_back(name->as_string());
        }
    }
    return names;
}

Object field(const Object& object, std::string_view key) {
    const Map* map = object.if_map();
    const Object* value = map ? map->find(key) : nullptr;
    return value ? *value : Object{};
}

std::string text_field(const Object& object, std::string_view key) {
    Object value = field(object, key);
    return value.is_buffer() ? std::string(value.as_buffer()) : std::string{};
}

struct ServiceProbe {
    std::string name;
    std::string path;
    bool live = false;
    Object description; // null when the service did not describe itself
};

// Connects (a refused connection is a stale socket left by a daemon that died) and
// asks for ggl.describe. A socket that speaks another protocol, or a service too busy
// to answer within the timeout, is live without a description.
void probe(ServiceProbe& service, milliseconds timeout) {
    bus::ClientOptions options;
    options.timeout = timeout;
    auto client = bus::Client::for_path(service.path, options);
    if (auto connected = client.connect(); !connected) {
        GGL_LOGD("skipping stale socket %s: %s", service.path.c_str(), connected.error().message.c_str());
        return;
    }
    service.live = true;
    auto description = client.call(kDescribe, {});
    if (description) {
        service.description = std::move(*description);
    } else {
        GGL_LOGD("%s: no description: %s", service.name.c_str(), description.error().to_string().c_str());
    }
}

void print_method(const Object& method) {
    std::string name = text_field(method, "name");
    std::string kind = text_field(method, "kind");
    std::string help = text_field(method, "help");
    std::string text = "\n" + (name.empty() ? "?" : name) + " (" + (kind.empty() ? "call" : kind) + ")\n";
    if (!help.empty()) {
        text += "    " + help + "\n";
    }
    Object params = field(method, "params");
    if (params.is_list() && !params.as_list().empty()) {
        cli::Table table({"param", "type", "required", "help"});
        for (const Object& param : params.as_list()) {
            Object required = field(param, "required");
            table.add_row({field(param, "name"), field(param, "type"),
                           required.is_bool() && required.as_bool() ? "yes" : "no", field(param, "help")});
        }
        std::string rendered = table.render(cli::OutputFormat::Human);
        size_t start = 0;
        while (start < rendered.size()) {
            size_t end = rendered.find('\n', start);
            text += "    " + rendered.substr(start, end - start + 1);
            start = end + 1;
        }
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
}

void print_description(const Object& description, std::string_view service) {
    std::string name = text_field(description, "service");
    std::string version = text_field(description, "version");
    std::printf("Service: %s\nVersion: %s\n", name.empty() ? std::string(service).c_str() : name.c_str(),
                version.empty() ? "-" : version.c_str());
    Object methods = field(description, "methods");
    if (methods.is_list()) {
        for (const Object& method : methods.as_list()) {
            print_method(method);
        }
    }
    std::fflush(stdout);
}

} // namespace

int run_list(const GlobalOptions& options, const VerbArguments&) {
    std::string dir = env::runtime_dir();
    if (!options.socket_path.empty()) {
        return cli::report_usage_error("--socket names one service; list looks at every socket in " + dir +
                                       " (set GGL_RUNTIME_DIR to look elsewhere)");
    }
    auto names = socket_names(dir);
    if (!names) {
        return report_bus_error(names.error(), options);
    }

    std::vector<ServiceProbe> services;
    for (std::string& name : *names) {
        std::string path = dir + '/' + name;
        // Connecting needs write permission; without it the service is up but out of reach.
        if (::access(path.c_str(), W_OK) != 0) {
            cli::report_warning("no permission to connect to " + path);
            continue;
        }
        services.push_back(ServiceProbe{std::move(name), std::move(path), false, {}});
    }

    // All at once, so that the listing waits at most one --timeout however many
    // services are slow to answer.
    std::vector<std::thread> probes;
    for (ServiceProbe& service : services) {
        probes.emplace_back(probe, std::ref(service), timeout_of(options));
    }
    for (std::thread& thread : probes) {
        thread.join();
    }

    cli::Table table({"service", "version", "methods"});
    for (const ServiceProbe& service : services) {
        if (service.live) {
            table.add_row({service.name, field(service.description, "version"), offered_methods(service.description)});
        }
    }
    table.print(options.format);
    return cli::kExitOk;
}

std::vector<cli::Candidate> service_candidates(const cli::CompletionContext&) {
    std::string dir = env::runtime_dir();
    auto names = socket_names(dir);
    std::vector<cli::Candidate> candidates;
    for (const std::string& name : names ? *names : std::vector<std::string>{}) {
        // Only services that accept a connection: a refused one is a stale socket.
        bus::ClientOptions options;
        options.timeout = cli::kCompletionTimeout;
        if (bus::Client::for_path(dir + '/' + name, options).connect()) {
            candidates.push_back({name, {}});
        }
    }
    return candidates;
}

std::vector<cli::Candidate> method_candidates(const cli::CompletionContext& context) {
    if (context.positionals.empty()) {
        return {};
    }
    GlobalOptions options;
    options.socket_path = context.option("--socket");
    options.timeout_seconds = std::chrono::duration<double>(cli::kCompletionTimeout).count();
    auto client = client_for(options, context.positionals.front());
    auto description = client ? client->call(kDescribe, {}) : Result<Object>(client.error());
    Object methods = description ? field(*description, "methods") : Object{};
    // subscribe takes the subscribe methods, call and notify the others.
    bool subscribing = !context.verbs.empty() && context.verbs.back() == "subscribe";
    std::vector<cli::Candidate> candidates;
    for (const Object& method : methods.is_list() ? methods.as_list() : List{}) {
        std::string kind = text_field(method, "kind");
        if ((kind == "subscribe") == subscribing) {
            std::string help = text_field(method, "help");
            candidates.push_back({text_field(method, "name"), help.empty() ? kind : help});
        }
    }
    return candidates;
}

int run_describe(const GlobalOptions& options, const VerbArguments& arguments) {
    auto client = client_for(options, arguments.service);
    if (!client) {
        return report_bus_error(client.error(), options);
    }
    auto description = client->call(kDescribe, {});
    if (!description) {
        return report_bus_error(description.error(), options);
    }
    if (cli::is_json(options.format)) {
        cli::print_json(*description, cli::json_style(options.format));
    } else {
        print_description(*description, arguments.service);
    }
    return cli::kExitOk;
}

} // namespace ggl::bus_cli
