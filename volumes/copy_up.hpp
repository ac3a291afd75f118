// Podman's copy-up: what an image has at a volume's mount point goes into the volume on its first use.
#pragma once

#include <string>
#include <vector>

namespace berth::volumes {

// The directories that make up `path` of an image merged from `layer_dirs` (unpacked layers with overlayfs
// whiteouts, bottom first): each layer's own directory at that path, from the lowest one that counts. A layer
// that whites the path out, makes it opaque or puts something else than a directory there (or on the way
// there) hides the layers below it. Nothing when the image has no directory at `path`.
std::vector<std::string> image_path_layers(const std::vector<std::string>& layer_dirs, const std::string& path);

// Copies the image's directory at `path` into `target` (made, must not exist): contents merged as the rootfs
// would merge them, owners, modes, times and xattrs kept, and `target` itself given the owner and mode of the
// topmost layer's directory. Returns false, making nothing, when the image has no directory there. Rootless
// callers run it inside the user namespace, where the owners exist.
bool copy_up_image_path(const std::vector<std::string>& layer_dirs, const std::string& path, const std::string& target);

}  // namespace berth::volumes
