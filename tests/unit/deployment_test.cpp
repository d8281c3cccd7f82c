// ggdeploymentd's pure parts: dependency resolution and request/record validation.
#include "deployment_record.hpp"
#include "resolver.hpp"

#include "ggl/json.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace ggl;
using namespace ggl::deployment;

namespace {

// A recipe with dependencies given as {name, requirement, hard}.
std::shared_ptr<const Recipe> recipe(const std::string& name, const std::string& version,
                                     std::vector<std::tuple<std::string, std::string, bool>> dependencies = {}) {
    std::string text =
        "RecipeFormatVersion: '2020-01-25'\nComponentName: " + name + "\nComponentVersion: '" + version + "'\n";
    if (!dependencies.empty()) {
        text += "ComponentDependencies:\n";
        for (const auto& [dependency, requirement, hard] : dependencies) {
            text += "  " + dependency + ":\n    VersionRequirement: '" + requirement +
                    "'\n    DependencyType: " + (hard ? "HARD" : "SOFT") + "\n";
        }
    }
    text += "Manifests:\n  - Lifecycle:\n      run: echo hi\n";
    RecipeLoad load = load_recipe_text(text, RecipeSyntax::Yaml, name + "-" + version + ".yaml");
    REQUIRE(load.ok());
    return std::make_shared<const Recipe>(std::move(*load.recipe));
}

void add(CandidateIndex& index, std::shared_ptr<const Recipe> r, bool in_store = false) {
    index[r->name].push_back(Candidate{r, r->name + "-" + r->version.to_string() + ".yaml", in_store});
}

std::map<std::string, std::string> versions_of(const Resolution& resolution) {
    std::map<std::string, std::string> versions;
    for (const auto& resolved : resolution) {
        versions[resolved.candidate->name()] = resolved.candidate->version().to_string();
    }
    return versions;
}

std::vector<std::string> order_of(const Resolution& resolution) {
    std::vector<std::string> order;
    for (const auto& resolved : resolution) order.push_back(resolved.candidate->name());
    return order;
}

} // namespace

TEST_CASE("resolution picks the highest version satisfying every requirement") {
    CandidateIndex index;
    add(index, recipe("app", "1.0.0", {{"lib", "^1.2.0", true}}));
    add(index, recipe("lib", "1.1.0"));
    add(index, recipe("lib", "1.4.2"));
    add(index, recipe("lib", "2.0.0"));
    auto resolved = resolve({{"LOCAL_DEPLOYMENTS", {{"app", "1.0.0"}}}}, index);
    REQUIRE(resolved.ok());
    CHECK(versions_of(*resolved) == std::map<std::string, std::string>{{"app", "1.0.0"}, {"lib", "1.4.2"}});
    CHECK(order_of(*resolved) == std::vector<std::string>{"lib", "app"});
    CHECK(resolved->back().required_by == std::vector<std::string>{"group LOCAL_DEPLOYMENTS"});
}

TEST_CASE("resolution orders dependency chains, soft and hard, dependencies first") {
    CandidateIndex index;
    add(index, recipe("a", "1.0.0", {{"b", "*", true}}));
    add(index, recipe("b", "1.0.0", {{"c", ">=1.0.0 <2.0.0", false}}));
    add(index, recipe("c", "1.5.0"));
    auto resolved = resolve({{"G", {{"a", "1.0.0"}}}}, index);
    REQUIRE(resolved.ok());
    CHECK(order_of(*resolved) == std::vector<std::string>{"c", "b", "a"});
}

TEST_CASE("groups accumulate requirements; incompatible pins are a conflict naming the chain") {
    CandidateIndex index;
    add(index, recipe("a", "1.0.0", {{"lib", "^2.0.0", true}}));
    add(index, recipe("lib", "1.0.0"));
    add(index, recipe("lib", "2.1.0"));
    auto resolved = resolve({{"G1", {{"a", "1.0.0"}}}, {"G2", {{"lib", "1.0.0"}}}}, index);
    REQUIRE_FALSE(resolved.ok());
    CHECK(resolved.error().code == ErrorCode::Conflict);
    const std::string& message = resolved.error().message;
    CHECK_THAT(message, Catch::Contains("no version of lib satisfies every requirement"));
    CHECK_THAT(message, Catch::Contains("\"^2.0.0\" from a 1.0.0 (required by group G1)"));
    CHECK_THAT(message, Catch::Contains("\"1.0.0\" from group G2"));
    CHECK_THAT(message, Catch::Contains("available: 1.0.0, 2.1.0"));
}

TEST_CASE("a requirement dropped in a later round causes no spurious conflict") {
    // Round 1 picks top 2.0.0, whose dependency wants x ^2, against root x 1.0.0; top
    // must then fall back to 1.0.0, which accepts x 1.
    CandidateIndex index;
    add(index, recipe("top", "2.0.0", {{"x", "^2.0.0", true}}));
    add(index, recipe("top", "1.0.0", {{"x", "^1.0.0", true}}));
    add(index, recipe("x", "1.0.0"));
    add(index, recipe("x", "2.0.0"));
    auto resolved = resolve({{"G", {{"top", "*"}, {"x", "1.0.0"}}}}, index);
    REQUIRE(resolved.ok());
    CHECK(versions_of(*resolved) == std::map<std::string, std::string>{{"top", "1.0.0"}, {"x", "1.0.0"}});
}

TEST_CASE("a missing recipe, a cycle and builtin dependencies") {
    CandidateIndex index;
    add(index, recipe("a", "1.0.0", {{"missing", "1.0.0", true}}));
    auto missing = resolve({{"G", {{"a", "1.0.0"}}}}, index);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::Noentry);
    CHECK_THAT(missing.error().message, Catch::Contains("no recipe for missing"));
    CHECK_THAT(missing.error().message, Catch::Contains("from a 1.0.0"));

    CandidateIndex cyclic;
    add(cyclic, recipe("p", "1.0.0", {{"q", "*", true}}));
    add(cyclic, recipe("q", "1.0.0", {{"p", "*", true}}));
    auto cycle = resolve({{"G", {{"p", "1.0.0"}}}}, cyclic);
    REQUIRE_FALSE(cycle.ok());
    CHECK_THAT(cycle.error().message, Catch::Contains("dependency cycle: p -> q -> p"));

    CandidateIndex builtin;
    add(builtin,
        recipe("a", "1.0.0",
               {{"aws.greengrass.Nucleus", ">=2.0.0", true}, {"aws.greengrass.TokenExchangeService", "^2.0.0", true}}));
    auto with_builtin = resolve({{"G", {{"a", "1.0.0"}}}}, builtin);
    REQUIRE(with_builtin.ok());
    CHECK(order_of(*with_builtin) == std::vector<std::string>{"a"});
}

TEST_CASE("a version already in the store is used from the store") {
    // A version is immutable once deployed: the store copy comes with its artifacts, so a
    // later deployment that only names it needs no artifact directory.
    CandidateIndex index;
    add(index, recipe("a", "1.0.0"), false);
    add(index, recipe("a", "1.0.0"), true);
    add(index, recipe("a", "0.9.0"), true);
    auto resolved = resolve({{"G", {{"a", "1.0.0"}}}}, index);
    REQUIRE(resolved.ok());
    CHECK(resolved->front().candidate->in_store);
    CHECK(resolved->front().candidate->version().to_string() == "1.0.0");
}

TEST_CASE("an unparsable requirement names the group and component") {
    CandidateIndex index;
    add(index, recipe("a", "1.0.0"));
    auto resolved = resolve({{"G", {{"a", "not a range"}}}}, index);
    REQUIRE_FALSE(resolved.ok());
    CHECK(resolved.error().code == ErrorCode::Invalid);
    CHECK_THAT(resolved.error().message, Catch::Contains("group G"));
}

TEST_CASE("create_local_deployment params are checked, naming the field") {
    auto error_of = [](const char* json) {
        auto params = from_json(json);
        REQUIRE(params.ok());
        auto request = parse_request(params->as_map());
        REQUIRE_FALSE(request.ok());
        CHECK(request.error().code == ErrorCode::Invalid);
        return request.error().message;
    };
    CHECK_THAT(error_of(R"({})"), Catch::Contains("nothing to deploy"));
    CHECK_THAT(error_of(R"({"root_component_versions_to_add":{"../evil":"1.0.0"}})"),
               Catch::Contains("\"../evil\" is not a valid component name"));
    CHECK_THAT(error_of(R"({"root_component_versions_to_add":{"a":"1.0"}})"),
               Catch::Contains("root_component_versions_to_add.a: \"1.0\" is not a SemVer 2.0 version"));
    CHECK_THAT(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"recipe_directory_path":"rel/dir"})"),
               Catch::Contains("recipe_directory_path: \"rel/dir\" is not an absolute path"));
    CHECK_THAT(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"failure_handling_policy":"MAYBE"})"),
               Catch::Contains("failure_handling_policy"));
    CHECK_THAT(error_of(R"({"component_to_configuration":{"a":{"MERGE":[1]}}})"),
               Catch::Contains("component_to_configuration.a.MERGE: expected a map"));
    CHECK_THAT(error_of(R"({"component_to_configuration":{"a":{"RESET":["no-slash"]}}})"),
               Catch::Contains("component_to_configuration.a.RESET"));
    CHECK_THAT(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"group_name":"a/b"})"),
               Catch::Contains("group_name"));
    CHECK_THAT(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"extra":1})"),
               Catch::Contains("unknown parameter \"extra\""));
    CHECK_THAT(
        error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"root_component_versions_to_remove":["a"]})"),
        Catch::Contains("both added and removed"));
    CHECK_THAT(
        error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"configuration_validation_timeout_seconds":0})"),
        Catch::Contains("configuration_validation_timeout_seconds: expected a whole number of seconds"));
}

TEST_CASE("the configuration validation timeout defaults to Greengrass's 30 s and survives the record") {
    auto params = from_json(R"({"root_component_versions_to_add":{"a":"1.0.0"}})");
    REQUIRE(params.ok());
    auto request = parse_request(params->as_map());
    REQUIRE(request.ok());
    CHECK(request->configuration_validation_timeout_seconds == 30);
    params->as_map().set("configuration_validation_timeout_seconds", int64_t{7});
    request = parse_request(params->as_map());
    REQUIRE(request.ok());
    auto again = parse_request(request->to_object());
    REQUIRE(again.ok());
    CHECK(again->configuration_validation_timeout_seconds == 7);
}

TEST_CASE("a deployment record survives a round trip through its file") {
    auto directory = std::filesystem::temp_directory_path() / ("ggl-deployment-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory);
    RecordStore store(directory);
    REQUIRE(store.prepare().ok());
    auto params = from_json(R"({"root_component_versions_to_add":{"com.example.A":"1.2.3"},
                                "component_to_configuration":{"com.example.A":{"MERGE":{"x":1},"RESET":["/y"]}},
                                "failure_handling_policy":"DO_NOTHING","group_name":"fleet"})");
    REQUIRE(params.ok());
    auto request = parse_request(params->as_map());
    REQUIRE(request.ok());
    Record record;
    record.id = new_deployment_id();
    REQUIRE(is_valid_deployment_id(record.id));
    record.state = State::FailedRollbackComplete;
    record.request = *request;
    record.sequence = 7;
    record.changes_started = true;
    record.touched = {"com.example.A"};
    Failure failure;
    failure.component = "com.example.A";
    failure.phase = "run";
    failure.reason = "the component became BROKEN";
    failure.exit_status = 3;
    failure.journal = {"line one", "line two"};
    record.failure = failure;
    record.phase = kAwaitingReboot;
    record.boot_id = "2b4f0c7e-boot";
    record.resume = Map{{"targets", List{"com.example.A"}}};
    REQUIRE(store.save(record).ok());

    std::vector<std::string> problems;
    // A corrupt record beside it is reported, not fatal.
    {
        std::FILE* bad = std::fopen((directory / "00000000-0000-4000-8000-000000000000.json").c_str(), "w");
        std::fputs("{not json", bad);
        std::fclose(bad);
    }
    auto loaded = store.load_all(problems);
    REQUIRE(loaded.size() == 1);
    CHECK(problems.size() == 1);
    const Record& back = loaded.front();
    CHECK(back.id == record.id);
    CHECK(back.state == State::FailedRollbackComplete);
    CHECK(back.sequence == 7);
    CHECK(back.request.group == "fleet");
    CHECK_FALSE(back.request.rollback);
    CHECK(back.request.add.at("com.example.A") == "1.2.3");
    CHECK(back.changes_started);
    CHECK(back.touched == std::vector<std::string>{"com.example.A"});
    REQUIRE(back.failure);
    CHECK(back.failure->exit_status == 3);
    CHECK(back.failure->journal.size() == 2);
    // A deployment awaiting a reboot keeps what it needs to resume in the next boot.
    CHECK(back.phase == "awaiting-reboot");
    CHECK(back.boot_id == "2b4f0c7e-boot");
    CHECK(back.resume == record.resume);
    CHECK(string_field(back.summary(), "phase") == "awaiting-reboot");
    std::filesystem::remove_all(directory);
}

TEST_CASE("deployment ids are random version 4 UUIDs") {
    std::string a = new_deployment_id();
    std::string b = new_deployment_id();
    CHECK(a != b);
    CHECK(a[14] == '4');
    CHECK(is_valid_deployment_id(a));
    CHECK_FALSE(is_valid_deployment_id("../../etc/passwd"));
    CHECK_FALSE(is_valid_deployment_id(""));
}
