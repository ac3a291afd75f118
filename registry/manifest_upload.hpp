// Pushing manifests (distribution spec, "Pushing Manifests").
#pragma once

#include <string>

#include "registry/client.hpp"

namespace berth::registry {

// PUT /v2/<repository>/manifests/<reference> (a tag or a digest) with the body as it is and Content-Type
// media_type; every blob it names must be in the repository already. Returns the manifest's digest, checked against
// the registry's Docker-Content-Digest when it sends one. Errors read
// "writing manifest to <host>/<repository>:<reference>: <why>".
std::string put_manifest(RegistryClient& client, const std::string& reference, const std::string& media_type,
                         const std::string& body);

}  // namespace berth::registry
