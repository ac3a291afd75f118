// SHA-256 digests in the OCI form "sha256:<64 lowercase hex digits>".
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace berth {

// An incremental SHA-256 over bytes given in pieces.
class Sha256 {
public:
    Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    ~Sha256();

    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // The digest of everything given so far, "sha256:<hex>"; the object starts over afterwards.
    std::string finish();
    // The digest of everything given so far, leaving the object able to take more.
    std::string peek() const;

private:
    struct Context;
    std::unique_ptr<Context> context_;
};

// "sha256:<hex>" of the bytes.
std::string sha256_digest(std::string_view data);

// Whether the text is exactly "sha256:" followed by 64 lowercase hex digits.
bool is_sha256_digest(std::string_view text);

// The hex part of a valid digest; throws Error naming the text when it is not one.
std::string digest_hex(std::string_view digest);

}  // namespace berth
