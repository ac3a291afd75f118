#include "registry/manifest_upload.hpp"

#include "common/digest.hpp"
#include "common/error.hpp"

namespace berth::registry {

std::string put_manifest(RegistryClient& client, const std::string& reference, const std::string& media_type,
                         const std::string& body) {
    bool by_digest = reference.find(':') != std::string::npos;
    std::string what =
        "writing manifest to " + client.host() + "/" + client.repository() + (by_digest ? "@" : ":") + reference;
    std::string digest = sha256_digest(body);
    if (by_digest && reference != digest) throw Error(what + ": the manifest's digest is " + digest);
    RequestBody request{-1, body, 0, body.size(), nullptr};
    HttpReply reply = client.send("PUT", client.repository_url("/manifests/" + reference),
                                  {"Content-Type: " + media_type}, &request, what);
    if (!reply.success()) throw Error(what + ": " + reply.error_text);
    const std::string* stored = reply.header("docker-content-digest");
    if (stored != nullptr && !stored->empty() && *stored != digest)
        throw Error(what + ": the registry stored it as " + *stored + " instead of " + digest);
    return digest;
}

}  // namespace berth::registry
