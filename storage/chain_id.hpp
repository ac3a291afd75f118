// Chain ids of a layer stack, as the OCI image spec defines them.
#pragma once

#include <string>
#include <vector>

namespace berth::storage {

// ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)), bottom layer first.
// Throws Error naming a diff id that is not a sha256 digest.
std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

}  // namespace berth::storage
