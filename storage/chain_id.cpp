#include "storage/chain_id.hpp"

#include "common/digest.hpp"
#include "common/error.hpp"

namespace berth::storage {

std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids) {
    std::vector<std::string> chain;
    chain.reserve(diff_ids.size());
    for (const auto& diff_id : diff_ids) {
        if (!is_sha256_digest(diff_id))
            throw Error("layer diff id \"" + diff_id + "\": not a sha256 digest (sha256: and 64 lowercase hex digits)");
        chain.push_back(chain.empty() ? diff_id : sha256_digest(chain.back() + " " + diff_id));
    }
    return chain;
}

}  // namespace berth::storage
