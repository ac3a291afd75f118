#include "common/digest.hpp"

#include "common/crypto_library.hpp"
#include "common/error.hpp"

namespace berth {
namespace {

constexpr std::string_view sha256_prefix = "sha256:";
constexpr size_t sha256_hex_length = 64;

struct ContextDeleter {
    void operator()(EVP_MD_CTX* context) const noexcept { libcrypto().EVP_MD_CTX_free(context); }
};
using ContextPtr = std::unique_ptr<EVP_MD_CTX, ContextDeleter>;

ContextPtr new_context() {
    ContextPtr context(libcrypto().EVP_MD_CTX_new());
    if (!context) throw Error("sha256: cannot allocate a digest context");
    if (libcrypto().EVP_DigestInit_ex(context.get(), libcrypto().EVP_sha256(), nullptr) != 1)
        throw Error("sha256: cannot initialise a digest");
    return context;
}

std::string finish_context(EVP_MD_CTX* context) {
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (libcrypto().EVP_DigestFinal_ex(context, raw, &length) != 1) throw Error("sha256: cannot finish a digest");
    static constexpr char hex_digits[] = "0123456789abcdef";
    std::string digest(sha256_prefix);
    digest.reserve(sha256_prefix.size() + 2 * size_t{length});
    for (unsigned int i = 0; i < length; ++i) {
        digest += hex_digits[raw[i] >> 4];
        digest += hex_digits[raw[i] & 0x0f];
    }
    return digest;
}

}  // namespace

struct Sha256::Context {
    ContextPtr context = new_context();
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
    if (!context_) context_ = std::make_unique<Context>();
    if (size == 0) return;
    if (libcrypto().EVP_DigestUpdate(context_->context.get(), data, size) != 1)
        throw Error("sha256: cannot update a digest");
}

std::string Sha256::finish() {
    if (!context_) context_ = std::make_unique<Context>();
    std::string digest = finish_context(context_->context.get());
    if (libcrypto().EVP_DigestInit_ex(context_->context.get(), libcrypto().EVP_sha256(), nullptr) != 1)
        throw Error("sha256: cannot initialise a digest");
    return digest;
}

std::string Sha256::peek() const {
    ContextPtr copy(libcrypto().EVP_MD_CTX_new());
    if (!copy) throw Error("sha256: cannot allocate a digest context");
    if (context_) {
        if (libcrypto().EVP_MD_CTX_copy_ex(copy.get(), context_->context.get()) != 1)
            throw Error("sha256: cannot copy a digest");
    } else if (libcrypto().EVP_DigestInit_ex(copy.get(), libcrypto().EVP_sha256(), nullptr) != 1) {
        throw Error("sha256: cannot initialise a digest");
    }
    return finish_context(copy.get());
}

std::string sha256_digest(std::string_view data) {
    Sha256 hash;
    hash.update(data);
    return hash.finish();
}

bool is_sha256_digest(std::string_view text) {
    if (text.size() != sha256_prefix.size() + sha256_hex_length || !text.starts_with(sha256_prefix)) return false;
    for (char c : text.substr(sha256_prefix.size()))
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string digest_hex(std::string_view digest) {
    if (!is_sha256_digest(digest))
        throw Error("invalid digest \"" + std::string(digest) + "\": expected sha256: and 64 lowercase hex digits");
    return std::string(digest.substr(sha256_prefix.size()));
}

}  // namespace berth
