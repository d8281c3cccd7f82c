// ggl check's settings and device identity: thing name, certificate, private key, root CA, AWS IoT endpoints.
#include "check_context.hpp"

#include "ggl/file.hpp"
#include "ggl/tls_client.hpp"

namespace ggl::front {

std::string set_command(std::string_view key, std::string_view value) {
    return "ggl config set " + std::string(key) + " " + std::string(value);
}

// A setting holding text: nullopt when absent or empty. A value of another type or a
// failed read adds an error finding and gives nullopt as well.
std::optional<std::string> read_text(Context& context, const ConfigReader& read, const std::string& check,
                                     const std::string& key) {
    auto path = config::key_path_from_text(key);
    auto value = path ? read(*path) : Result<std::optional<Object>>(std::move(path).error());
    if (!value) {
        context.add(check, Status::Error, "cannot read " + key + ": " + value.error().to_string(),
                    "make sure ggconfigd answers (its bus check below), then run ggl check again");
        return std::nullopt;
    }
    if (!value->has_value() || (**value).is_null()) {
        return std::nullopt;
    }
    const std::string* text = (**value).if_string();
    if (text == nullptr) {
        context.add(check, Status::Error, key + " is a " + std::string(type_name((**value).type())) + ", not text",
                    set_command(key, "TEXT"));
        return std::nullopt;
    }
    if (text->empty()) return std::nullopt;
    return *text;
}

namespace {

// A file named by a setting, read whole; adds an error finding when it cannot be read.
std::optional<std::string> read_identity_file(Context& context, const std::string& check, const std::string& key,
                                              const std::string& path) {
    auto content = file::read(path);
    if (!content) {
        context.add(check, Status::Error, "cannot read " + path + " (" + key + "): " + content.error().message,
                    "check the path, and that the daemons' user may read it (" + set_command(key, "PATH") + ")");
        return std::nullopt;
    }
    return std::move(*content);
}

constexpr const char* kCloudOnly = " is not set (needed to connect to AWS IoT)";

// The certificate's validity now: not yet, expired, or for how many days more.
void report_validity(Context& context, const std::string& path, const std::string& key,
                     const check::CertificateInfo& info) {
    Status status = check::grade_validity(info, context.now_seconds);
    std::string detail = path + " (" + info.subject + ")";
    std::string remedy;
    if (context.now_seconds < info.not_before) {
        detail += " is not valid before " + check::format_utc(info.not_before);
        remedy = "check the clock, or install a certificate that is valid now";
    } else if (context.now_seconds > info.not_after) {
        detail += " expired on " + check::format_utc(info.not_after);
        remedy = "issue a new device certificate and point " + key + " at it";
    } else {
        int64_t days = (info.not_after - context.now_seconds) / 86400;
        detail += ", valid until " + check::format_utc(info.not_after) + " (" + std::to_string(days) + " days)";
        if (status == Status::Warning) {
            remedy = "renew the device certificate before it expires";
        }
    }
    context.add("device certificate", status, std::move(detail), std::move(remedy));
}

// The device certificate at `path`: its PEM when it reads as a certificate.
std::optional<std::string> check_certificate(Context& context, const std::optional<std::string>& path,
                                             const std::string& key, bool reported) {
    if (!path) {
        if (!reported) {
            context.add("device certificate", Status::Warning, key + kCloudOnly,
                        set_command(key, "/path/to/device.pem.crt"));
        }
        return std::nullopt;
    }
    std::optional<std::string> pem = read_identity_file(context, "device certificate", key, *path);
    if (!pem) {
        return std::nullopt;
    }
    auto info = check::read_certificate(*pem);
    if (!info) {
        context.add("device certificate", Status::Error, *path + ": " + info.error().message,
                    "point " + key + " at the device's PEM certificate");
        return std::nullopt;
    }
    report_validity(context, *path, key, *info);
    return pem;
}

// The private key at `path`, matched against the certificate when there is one.
void check_private_key(Context& context, const std::optional<std::string>& path, const std::string& key, bool reported,
                       const std::optional<std::string>& certificate_pem,
                       const std::optional<std::string>& certificate_path) {
    if (!path) {
        if (!reported) {
            context.add("private key", Status::Warning, key + kCloudOnly, set_command(key, "/path/to/private.pem.key"));
        }
        return;
    }
    if (tls::is_pkcs11_uri(*path)) {
        context.add("private key", Status::Skipped,
                    tls::redact_pin(*path) + " is on a PKCS#11 token: the AWS IoT TLS check opens it");
        return;
    }
    auto key_pem = read_identity_file(context, "private key", key, *path);
    if (key_pem && certificate_pem) {
        auto matches = check::key_matches_certificate(*certificate_pem, *key_pem);
        if (!matches) {
            context.add("private key", Status::Error, *path + ": " + matches.error().message,
                        "point " + key + " at the device's unencrypted PEM private key");
        } else if (!*matches) {
            context.add("private key", Status::Error, *path + " does not match the certificate " + *certificate_path,
                        "set " + key +
                            " to the key the certificate was issued for (or the "
                            "certificate to the one issued for this key)");
        } else {
            context.add("private key", Status::Ok, *path + " matches the certificate");
        }
    } else if (key_pem) {
        context.add("private key", Status::Skipped, *path + " is readable; no certificate to match it with");
    }
}

// The root CA at `path`: it holds at least one PEM certificate.
void check_root_ca(Context& context, const std::optional<std::string>& path, const std::string& key, bool reported) {
    if (!path) {
        if (!reported) {
            context.add("root CA", Status::Warning, key + kCloudOnly, set_command(key, "/path/to/AmazonRootCA1.pem"));
        }
        return;
    }
    if (auto ca_pem = read_identity_file(context, "root CA", key, *path)) {
        auto counted = check::count_certificates(*ca_pem);
        size_t count = counted ? *counted : 0;
        if (count == 0) {
            context.add("root CA", Status::Error, *path + " holds no PEM certificate",
                        "point " + key + " at the Amazon root CA (AmazonRootCA1.pem)");
        } else {
            context.add("root CA", Status::Ok,
                        *path + " (" + std::to_string(count) + (count == 1 ? " certificate)" : " certificates)"));
        }
    }
}

} // namespace

void check_thing_name(Context& context, const ConfigReader& read) {
    size_t before = context.findings.size();
    auto thing_name = read_text(context, read, "thing name", "system/thingName");
    if (thing_name) {
        context.add("thing name", Status::Ok, *thing_name);
    } else if (context.findings.size() == before) {
        context.add("thing name", Status::Error, "system/thingName is not set",
                    set_command("system/thingName", "NAME"));
    }
}

void check_identity(Context& context, const ConfigReader& read) {
    const std::string certificate_key = "system/certificateFilePath";
    const std::string private_key_key = "system/privateKeyPath";
    const std::string root_ca_key = "system/rootCaPath";
    size_t before = context.findings.size();
    auto certificate_path = read_text(context, read, "device certificate", certificate_key);
    auto private_key_path = read_text(context, read, "private key", private_key_key);
    auto root_ca_path = read_text(context, read, "root CA", root_ca_key);
    // A setting of the wrong type, reported by read_text, is not reported again as unset.
    auto reported = [&](std::string_view check) {
        for (size_t i = before; i < context.findings.size(); ++i) {
            if (context.findings[i].check == check) return true;
        }
        return false;
    };
    bool certificate_reported = reported("device certificate");
    bool private_key_reported = reported("private key");
    bool root_ca_reported = reported("root CA");

    auto certificate_pem = check_certificate(context, certificate_path, certificate_key, certificate_reported);
    check_private_key(context, private_key_path, private_key_key, private_key_reported, certificate_pem,
                      certificate_path);
    check_root_ca(context, root_ca_path, root_ca_key, root_ca_reported);
}

void check_endpoints(Context& context, const ConfigReader& read) {
    std::vector<std::string> unset;
    std::string detail;
    size_t before = context.findings.size();
    for (const char* name : {"iotDataEndpoint", "iotCredEndpoint"}) {
        auto value = read_text(context, read, "AWS IoT endpoints", kNucleusConfiguration + "/" + name);
        if (value) {
            detail += (detail.empty() ? "" : ", ") + std::string(name) + " " + *value;
        } else {
            unset.push_back(name);
        }
    }
    if (context.findings.size() != before) return; // a value of the wrong type was reported
    if (unset.empty()) {
        context.add("AWS IoT endpoints", Status::Ok, detail);
        return;
    }
    std::string names = unset.front() + (unset.size() > 1 ? " and " + unset.back() : "");
    context.add("AWS IoT endpoints", Status::Warning,
                names + (unset.size() > 1 ? " are" : " is") + " not set (needed only to connect to AWS IoT)",
                set_command(kNucleusConfiguration + "/" + unset.front(), "HOST"));
}

} // namespace ggl::front
