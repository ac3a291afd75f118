// Container records: <graph root>/containers/<id>/container.json, one directory per container, which also holds
// the container's bundle (userdata/config.json, generated /etc files), its rootfs and its writable layer.
// Every operation holds <graph root>/containers.lock: shared for reads, exclusive for changes, so names stay
// unique and a record is never seen half-written (each file is replaced atomically).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/file_lock.hpp"
#include "common/files.hpp"

namespace berth::storage {

// Podman's states, as `ps` and `inspect` show them.
enum class ContainerState { created, running, paused, stopped, exited };

std::string state_name(ContainerState state);
std::optional<ContainerState> parse_state(const std::string& name);

// A published port as the record keeps it (netns::PortMapping's fields, Podman's types.PortMapping).
struct PublishedPort {
    std::string host_ip;  // "" is every address
    uint16_t container_port = 0;
    uint16_t host_port = 0;
    uint16_t range = 1;
    std::string protocol = "tcp";
    bool operator==(const PublishedPort&) const = default;
};

struct ContainerRecord {
    std::string id;  // 64 lower-case hex digits
    std::string name;
    std::string image_id;              // "sha256:..."
    std::string image_name;            // as the container was created from ("docker.io/library/busybox:latest")
    std::vector<std::string> command;  // the process args
    // The command line that created it (argv as the kernel has it: /proc/self/cmdline), and how many of its last
    // words are the image and the process args: `generate systemd --new` runs it again.
    std::vector<std::string> create_command;
    int create_arguments = 0;
    int64_t created_ns = 0;  // unix time in nanoseconds
    std::map<std::string, std::string> labels;
    std::string driver;               // rootfs driver: "overlay" or "vfs"
    std::vector<std::string> layers;  // the image's chain ids, bottom first (overlay's lower directories)
    bool remove_after_exit = false;   // --rm
    std::string stop_signal = "SIGTERM";
    bool tty = false;
    bool interactive = false;
    bool rootless = false;  // created by an unprivileged user: its files belong to subordinate ids
    // The seccomp profile: "" berth's default, "unconfined", or the name of a profile file in userdata.
    std::string seccomp_profile;
    std::string restart_policy = "no";  // --restart: no, on-failure, always, unless-stopped
    int restart_max = 0;                // on-failure:N (0: no limit)
    int restart_count = 0;              // restarts by the monitor since the last start by a user
    bool stopped_by_user = false;       // stop or kill: the monitor must not restart it
    uint64_t log_max_size = 0;          // --log-opt max-size (0: no limit)
    std::string network;                // the network mode as --network gives it again ("slirp4netns", "berth")
    std::vector<PublishedPort> ports;   // -p and -P, host ports chosen
    std::vector<std::string> volumes;   // the names of the volumes it mounts (volumes/), anonymous ones included
    std::string pod;                    // the id of its pod (pods/), "" for none

    ContainerState state = ContainerState::created;
    int pid = 0;                      // the container's first process while running
    uint64_t pid_start_time = 0;      // its start time (clock ticks since boot, /proc/PID/stat field 22)
    int monitor_pid = 0;              // the process that reaps the container
    uint64_t monitor_start_time = 0;  // its start time, as pid_start_time
    std::string boot_id;              // /proc/sys/kernel/random/boot_id when it started
    int64_t started_ns = 0;           // unix time in nanoseconds, 0 when never started
    int64_t finished_ns = 0;          // likewise for the last exit
    int exit_code = 0;
    std::string error;  // why the last start failed, when it did

    bool operator==(const ContainerRecord&) const = default;
};

// The paths of one container's directory.
struct ContainerPaths {
    std::string directory;  // <graph root>/containers/<id>
    std::string record;     // .../container.json
    std::string userdata;   // .../userdata: config.json (the bundle), hosts, hostname, resolv.conf
    std::string spec;       // .../userdata/config.json
    std::string rootfs;     // .../rootfs: overlay's mount point, or vfs' copy of the image
    std::string upper;      // .../diff: overlay's upper (writable) layer, kept across starts
    std::string work;       // .../work: overlay's work directory
};

class ContainerStore {
public:
    explicit ContainerStore(std::string graph_root);

    ContainerPaths paths_of(const std::string& id) const;

    // Creates the container's directory and record under the exclusive lock and returns the record written.
    // `prepare` runs under the lock too, after the directory exists, to fill it (bundle, rootfs) and complete the
    // record; when it throws nothing is left behind. Throws
    // Error with Podman's message when the name is taken:
    // `the container name "web" is already in use by <id>. You have to remove that container to be able to
    // reuse that name: that name is already in use`.
    using Prepare = std::function<void(const ContainerPaths&, ContainerRecord&)>;
    ContainerRecord create(ContainerRecord record, const Prepare& prepare = {});

    // All containers, oldest first. A record that cannot be read is skipped with a warning naming it.
    std::vector<ContainerRecord> list() const;

    // A container by full id, name, or unique id prefix. Nothing when none matches; Error for an ambiguous prefix.
    std::optional<ContainerRecord> find(const std::string& name_or_id) const;

    // Gives a container a new name under the exclusive lock; Podman's message when another container has it.
    ContainerRecord rename(const std::string& id, const std::string& new_name);

    // Changes a record under the exclusive lock: `change` gets the current record and edits it (all but the name,
    // which rename() changes). Throws Error when the container no longer exists.
    ContainerRecord update(const std::string& id, const std::function<void(ContainerRecord&)>& change);

    // Removes the record first (the container is gone for everyone at once), then its directory; `remove_files`
    // removes the directory tree (rootless callers remove it inside their user namespace). No error when missing.
    void remove(const std::string& id, const std::function<void(const std::string&)>& remove_files);

    // The image ids containers use (an image in use is not removed).
    std::vector<std::string> images_in_use() const;

    FileLock lock_exclusive() const;
    const std::string& containers_dir() const { return containers_dir_; }

private:
    FileLock lock_for_reading() const;
    FileLock lock_for_change() const;
    std::optional<ContainerRecord> load(const std::string& id) const;
    // `containers_fd` is the containers directory, or AT_FDCWD to read by the full path.
    std::optional<ContainerRecord> load_at(int containers_fd, const std::string& id) const;
    void write(const ContainerRecord& record, Durability durability) const;
    std::vector<std::string> ids() const;  // the ids of the containers' directories, unread

    // Names: <containers>/names/<name> is a symlink to the id of the container that has the name, so that
    // finding a container by name and checking a new name read one record, not all of them.
    static void check_name(const std::string& name);
    std::optional<ContainerRecord> named(const std::string& name) const;
    void index_names() const;
    void link_name(const std::string& name, const std::string& id, Durability durability) const;
    void unlink_name(const std::string& name, const std::string& id) const;

    std::string containers_dir_;
    std::string names_dir_;
    std::string lock_path_;
};

// A new random container id (64 hex digits).
std::string new_container_id();

// A random Podman-style name, "adjective_surname".
std::string random_container_name();

// Whether a name is one Podman accepts: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool valid_container_name(const std::string& name);

}  // namespace berth::storage
