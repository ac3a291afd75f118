// Telling a live process from a dead one whose pid was reused, or from one of an earlier boot: a pid is only
// trusted together with its start time and the boot it started in.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::runtime {

// The start time field (22) of a /proc/PID/stat text, in clock ticks since boot; nothing when malformed.
std::optional<uint64_t> parse_stat_start_time(std::string_view stat_text);

// The start time of a process; nothing when there is no such process or it has ended (a zombie).
std::optional<uint64_t> process_start_time(pid_t pid);

// This boot's id (/proc/sys/kernel/random/boot_id), "" when unreadable.
std::string current_boot_id();

// Whether `pid` is still the process that started at `start_time` in boot `boot_id`.
bool same_process_alive(pid_t pid, uint64_t start_time, const std::string& boot_id);

}  // namespace berth::runtime
