// Unpacked layers, one directory per chain id: <graph root>/layers/<hex>/{diff/,layer.json}.
// A layer is unpacked into a temporary directory and renamed into place in one step, so a listed
// layer is always complete; two processes unpacking the same layer both succeed and one copy stays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::storage {

class LayerStore {
public:
    explicit LayerStore(std::string graph_root);

    bool contains(const std::string& chain_id) const;
    // The layer's file tree.
    std::string diff_path(const std::string& chain_id) const;
    // Bytes of file content in the layer, as recorded when it was unpacked.
    uint64_t size_of(const std::string& chain_id) const;

    // A layer being unpacked; removed with its content unless committed.
    class Pending {
    public:
        Pending(Pending&& other) noexcept;
        Pending& operator=(Pending&&) = delete;
        Pending(const Pending&) = delete;
        ~Pending();
        // Where to unpack the layer's files.
        std::string diff_path() const { return directory_ + "/diff"; }

    private:
        friend class LayerStore;
        explicit Pending(std::string directory) : directory_(std::move(directory)) {}
        std::string directory_;  // empty once committed
    };

    Pending begin(const std::string& chain_id);
    // Writes the layer's record and moves it into place. When another process committed the same
    // layer first, that one is kept and this one discarded.
    void commit(Pending& pending, const std::string& chain_id, const std::string& diff_id,
                const std::string& blob_digest, uint64_t size);
    // Removes a layer directory (no error when missing).
    void remove(const std::string& chain_id);
    std::vector<std::string> list() const;
    // Temporary directories of processes that no longer run (a pull killed with SIGKILL).
    void remove_stale_temporaries();

private:
    std::string layers_dir_;
};

}  // namespace berth::storage
