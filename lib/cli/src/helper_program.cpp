// Handing a verb over to its helper program in ggl's libexec directory (helper_program.hpp).
#include "ggl/cli/helper_program.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/env.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#ifndef GGL_HELPER_DIR
#error "GGL_HELPER_DIR (the helpers' directory relative to bin/) comes from lib/cli/CMakeLists.txt"
#endif

namespace ggl::cli {
namespace {

std::vector<std::string>& command_line() {
    static std::vector<std::string> words;
    return words;
}

} // namespace

std::string helper_path(std::string_view name) {
    // executable_dir() is the real path (/proc/self/exe): ".." can be resolved lexically.
    std::filesystem::path path = env::executable_dir() + "/" GGL_HELPER_DIR "/" + std::string(name);
    return path.lexically_normal().string();
}

void remember_command_line(int argc, char** argv) { command_line().assign(argv, argv + argc); }

Error run_in_helper(std::string_view name) {
    std::string path = helper_path(name);
    if (command_line().empty()) command_line().push_back(program_label());
    std::vector<char*> argv;
    for (std::string& word : command_line()) argv.push_back(word.data());
    argv.push_back(nullptr);
    // What is buffered goes out once, before the helper's own output.
    std::fflush(nullptr);
    ::execv(path.c_str(), argv.data());
    int err = errno;
    return make_error(ErrorCode::Failure, "cannot run the helper program " + path + " that '" + program_label() +
                                              "' needs: " + std::strerror(err) + " (is ggl installed completely?)");
}

} // namespace ggl::cli
