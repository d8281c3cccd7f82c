// Unit tests of device settings for recipes: the well-known config keys and configuration merging.
#include "ggl/device_settings.hpp"

#include <catch2/catch.hpp>

using namespace ggl;

namespace {

Recipe recipe_with_defaults(Map defaults) {
    Recipe recipe;
    recipe.name = "com.example.A";
    recipe.version = *SemVer::parse("1.0.0");
    recipe.default_configuration = std::move(defaults);
    recipe.dependencies.push_back({"com.example.Dep", "*", *VersionRange::parse("*"), DependencyType::Hard});
    return recipe;
}

} // namespace

TEST_CASE("the well-known keys are read case-insensitively") {
    Object tree = Map{{"System", Map{{"thingname", "dev-1"}, {"rootPath", "/gg"}, {"ROOTCAPATH", "/gg/ca.pem"}}},
                      {"services", Map{{"aws.greengrass.NucleusLite",
                                        Map{{"configuration", Map{{"awsRegion", "us-east-1"},
                                                                  {"runWithDefault", Map{{"posixUser", "u:g"}}}}}}}}}};
    DeviceSettings settings = device_settings_from_tree(tree);
    CHECK(settings.thing_name == "dev-1");
    CHECK(settings.root_path == "/gg");
    CHECK(settings.root_ca_path == "/gg/ca.pem");
    CHECK(settings.aws_region == "us-east-1");
    CHECK(settings.posix_user == "u:g");
}

TEST_CASE("the component's configuration is its defaults with the device's over them") {
    Object tree =
        Map{{"services", Map{{"com.example.A", Map{{"configuration", Map{{"b", Map{{"y", 9}}}, {"c", 3}}}}},
                             {"com.example.Dep", Map{{"version", "2.1.0"}, {"configuration", Map{{"port", 80}}}}}}}};
    DeviceSettings settings = device_settings_from_tree(tree);
    Recipe recipe = recipe_with_defaults(Map{{"a", 1}, {"b", Map{{"x", 1}, {"y", 2}}}});
    Object merged = settings.component_configuration(recipe);
    CHECK(merged == Object(Map{{"a", 1}, {"b", Map{{"x", 1}, {"y", 9}}}, {"c", 3}}));

    InterpolationContext context = settings.interpolation_context(recipe);
    REQUIRE(context.dependencies.size() == 1);
    CHECK(context.dependencies[0].version == "2.1.0");
    CHECK(context.dependencies[0].configuration == Object(Map{{"port", 80}}));
}

TEST_CASE("merging replaces values and lists, and merges maps") {
    Object into = Map{{"list", List{1, 2}}, {"map", Map{{"k", 1}}}, {"v", "a"}};
    merge_configuration(into, Map{{"list", List{3}}, {"map", Map{{"j", 2}}}, {"v", Map{{"now", "map"}}}});
    CHECK(into == Object(Map{{"list", List{3}}, {"map", Map{{"k", 1}, {"j", 2}}}, {"v", Map{{"now", "map"}}}}));
}
