// The bus services' contracts (lib/bus/include/ggl/services/): method specs built from them,
// and their params to and from objects, a deployment request above all.
#include "ggl/json.hpp"
#include "ggl/recipe.hpp"
#include "ggl/semver.hpp"
#include "ggl/services/config.hpp"
#include "ggl/services/deployment.hpp"
#include "ggl/services/health.hpp"
#include "ggl/services/pubsub.hpp"

#include <catch2/catch.hpp>

using namespace ggl;

namespace {

Result<void> semver(std::string_view text) {
    auto parsed = SemVer::parse(text);
    if (!parsed) return std::move(parsed).error();
    return {};
}

const services::deployment::RequestRules kRules{is_valid_component_name, semver};

Map map_of(const char* json) {
    auto parsed = from_json(json);
    REQUIRE(parsed.ok());
    REQUIRE(parsed->is_map());
    return parsed->as_map();
}

std::string error_of(const char* json) {
    auto request = services::deployment::Request::from_object(map_of(json), kRules);
    REQUIRE_FALSE(request.ok());
    CHECK(request.error().code == ErrorCode::Invalid);
    return request.error().message;
}

} // namespace

TEST_CASE("a method spec is the contract's method, parameter for parameter") {
    bus::MethodSpec spec = services::config::kWrite.spec();
    CHECK(spec.name == "write");
    CHECK(spec.dispatch == bus::Dispatch::Loop);
    REQUIRE(spec.params.size() == 4);
    CHECK(spec.params[0].name == "key_path");
    CHECK(spec.params[0].type == bus::ParamType::List);
    CHECK(spec.params[0].required);
    CHECK(spec.params[3].name == "fail_if_older");
    CHECK_FALSE(spec.params[3].required);
    CHECK(spec.help == services::config::kWrite.help);
    CHECK(services::health::kListComponents.spec().params.empty());
    CHECK(services::deployment::kSubscribeToDeployment.kind == bus::MethodKind::Subscribe);
    CHECK(services::deployment::kCreateLocalDeployment.has_param("dry_run"));
    CHECK_FALSE(services::deployment::kCreateLocalDeployment.has_param("deployment_id"));
    CHECK(services::pubsub::kSubscribe.spec(bus::Dispatch::Worker).dispatch == bus::Dispatch::Worker);
}

TEST_CASE("the contracts' params have their wire keys") {
    CHECK(to_json(Object(services::config::key_path_params({"services", "a/b"}))) ==
          R"({"key_path":["services","a/b"]})");
    CHECK(to_json(Object(services::health::component_params("com.example.A"))) ==
          R"({"component_name":"com.example.A"})");
    CHECK(to_json(Object(services::deployment::id_params("x"))) == R"({"deployment_id":"x"})");
    CHECK(to_json(Object(services::pubsub::publish_params("t", Map{{"json", 1}}, "me"))) ==
          R"({"topic":"t","message":{"json":1},"sender":"me"})");
    CHECK(to_json(Object(services::pubsub::subscribe_params("a/#"))) == R"({"topic_filter":"a/#"})");
}

TEST_CASE("a deployment request survives a round trip through its params") {
    auto request = services::deployment::Request::from_object(
        map_of(R"({"recipe_directory_path":"/r","artifacts_directory_path":"/a",
                   "root_component_versions_to_add":{"com.example.B":"2.0.0","com.example.A":"1.2.3"},
                   "root_component_versions_to_remove":["com.example.C"],
                   "component_to_configuration":{"com.example.A":{"MERGE":{"x":1},"RESET":["/y",""]}},
                   "group_name":"fleet","failure_handling_policy":"DO_NOTHING","dry_run":true,
                   "timeout_seconds":60,"configuration_validation_timeout_seconds":7})"),
        kRules);
    REQUIRE(request.ok());
    CHECK(request->add.at("com.example.A") == "1.2.3");
    CHECK(request->remove == std::vector<std::string>{"com.example.C"});
    CHECK(request->group == "fleet");
    CHECK_FALSE(request->rollback);
    CHECK(request->dry_run);
    CHECK(request->timeout_seconds == 60);
    CHECK(request->configuration_validation_timeout_seconds == 7);
    Map params = request->to_object();
    CHECK(to_json(Object(params)) ==
          R"({"root_component_versions_to_add":{"com.example.A":"1.2.3","com.example.B":"2.0.0"},)"
          R"("root_component_versions_to_remove":["com.example.C"],"group_name":"fleet",)"
          R"("failure_handling_policy":"DO_NOTHING","dry_run":true,"timeout_seconds":60,)"
          R"("configuration_validation_timeout_seconds":7,"recipe_directory_path":"/r",)"
          R"("artifacts_directory_path":"/a",)"
          R"("component_to_configuration":{"com.example.A":{"MERGE":{"x":1},"RESET":["/y",""]}}})");
    auto again = services::deployment::Request::from_object(params, kRules);
    REQUIRE(again.ok());
    CHECK(to_json(Object(again->to_object())) == to_json(Object(params)));

    // Defaults: the local group, rollback, 300 s and 30 s.
    auto minimal =
        services::deployment::Request::from_object(map_of(R"({"root_component_versions_to_remove":["a"]})"), kRules);
    REQUIRE(minimal.ok());
    CHECK(minimal->group == services::deployment::kLocalGroup);
    CHECK(minimal->rollback);
    CHECK(minimal->timeout_seconds == 300);
    CHECK(minimal->configuration_validation_timeout_seconds == 30);
}

TEST_CASE("a malformed deployment request keeps its error text") {
    CHECK(error_of(R"({})") == "nothing to deploy: give root_component_versions_to_add, "
                               "root_component_versions_to_remove or component_to_configuration");
    CHECK(error_of(R"({"x":1})") == "unknown parameter \"x\"");
    CHECK(error_of(R"({"root_component_versions_to_add":[]})") ==
          "root_component_versions_to_add: expected a map of component name to version");
    CHECK(error_of(R"({"root_component_versions_to_add":{"../evil":"1.0.0"}})") ==
          "root_component_versions_to_add: \"../evil\" is not a valid component name");
    CHECK(error_of(R"({"root_component_versions_to_add":{"a":1}})") ==
          "root_component_versions_to_add.a: expected a version string");
    CHECK_THAT(error_of(R"({"root_component_versions_to_add":{"a":"1.0"}})"),
               Catch::StartsWith("root_component_versions_to_add.a: \"1.0\" is not a SemVer 2.0 version: "));
    CHECK(error_of(R"({"root_component_versions_to_remove":"a"})") ==
          "root_component_versions_to_remove: expected a list of component names");
    CHECK(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"root_component_versions_to_remove":["a"]})") ==
          "component a is both added and removed");
    CHECK(error_of(R"({"component_to_configuration":{"a":{"PATCH":{}}}})") ==
          "component_to_configuration.a: unknown key \"PATCH\" (expected MERGE or RESET)");
    CHECK(error_of(R"({"component_to_configuration":{"a":{"RESET":["x"]}}})") ==
          "component_to_configuration.a.RESET: expected JSON pointers (\"\" or \"/a/b\")");
    CHECK(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"recipe_directory_path":"rel"})") ==
          "recipe_directory_path: \"rel\" is not an absolute path");
    CHECK(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"artifacts_directory_path":1})") ==
          "artifacts_directory_path: expected a string (a directory path)");
    CHECK(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"group_name":"a/b"})") ==
          "group_name: expected a name without '/' or control characters");
    CHECK(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"failure_handling_policy":"MAYBE"})") ==
          "failure_handling_policy: expected ROLLBACK or DO_NOTHING");
    CHECK(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"dry_run":1})") ==
          "dry_run: expected true or false");
    CHECK(error_of(R"({"root_component_versions_to_add":{"a":"1.0.0"},"timeout_seconds":86401})") ==
          "timeout_seconds: expected a whole number of seconds, 1 to 86400");
}
