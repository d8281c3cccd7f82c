// ProgramOptions on CLI11 (libggl-cli is built with exceptions, ggl_cli11_targets()): see
// program_options.hpp.
#include "ggl/cli/program_options.hpp"

#include "ggl/cli/command_line.hpp"

#include <utility>

namespace ggl::cli {

struct ProgramOptions::Impl {
    CLI::App app;
    Impl(const std::string& name, const std::string& description) : app(description, name) {}
};

ProgramOptions::ProgramOptions(const std::string& name, const std::string& description, const std::string& footer)
    : impl_(std::make_unique<Impl>(name, description)) {
    if (!footer.empty()) {
        set_footer(impl_->app, footer);
    }
}

ProgramOptions::~ProgramOptions() = default;

void ProgramOptions::text(const std::string& names, std::string& value, const std::string& help,
                          const std::string& value_name, bool required, Rule rule) {
    CLI::Option* option = impl_->app.add_option(names, value, help)->type_name(value_name);
    if (required) {
        option->required();
    }
    if (rule) {
        option->check(CLI::Validator([rule = std::move(rule)](std::string& given) { return rule(given); }, "", ""));
    }
}

void ProgramOptions::integer(const std::string& names, size_t& value, const std::string& help,
                             const std::string& value_name, int64_t low, int64_t high) {
    impl_->app.add_option(names, value, help)->type_name(value_name)->check(integer_in(low, high));
}

void ProgramOptions::flag(const std::string& names, bool& value, const std::string& help) {
    impl_->app.add_flag(names, value, help);
}

std::optional<int> ProgramOptions::parse(int argc, char** argv) { return parse_command_line(impl_->app, argc, argv); }

} // namespace ggl::cli
