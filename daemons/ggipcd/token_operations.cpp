// ValidateAuthorizationToken: whether a token is the SVCUID of a deployed component
// (what the token exchange and stream manager components ask).
#include "operations.hpp"

namespace ggl::ipc {

namespace {

void validate_authorization_token(Request& request) {
    auto token = required_string(request, "token");
    if (!token) return;
    if (!request.services.tokens->component_of(*token)) {
        request.stream->fail(IpcError{"InvalidTokenError", "Invalid token used when trying to authorize"});
        return;
    }
    request.stream->respond(Map{{"isValid", true}});
}

} // namespace

void add_token_operations(OperationTable& table) {
    // No policy: the answer only says whether a token is one of the issued ones.
    table.add({model_name("ValidateAuthorizationToken"), "", validate_authorization_token});
}

} // namespace ggl::ipc
