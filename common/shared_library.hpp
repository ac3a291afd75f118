// Libraries berth loads with dlopen on first use, so that commands that never need them do not pay for loading
// them at start-up (libcurl, libarchive, libcrypto): opening one, resolving its symbols, and loading it once per
// process with the failure kept for every later caller.
#pragma once

#include <mutex>
#include <string>

#include "common/error.hpp"

namespace berth {

// An open library (never closed: its functions are used for the life of the process).
class SharedLibrary {
public:
    // Throws Error("load NAME: <why> (install the PACKAGE package)").
    SharedLibrary(const char* name, const char* package);

    // Sets `function` to the symbol; throws Error("load NAME: no symbol SYMBOL").
    template <typename Function>
    void resolve(const char* symbol, Function& function) const {
        function = reinterpret_cast<Function>(address(symbol));
    }

private:
    void* address(const char* symbol) const;
    const char* name_;
    void* handle_ = nullptr;
};

// The result of `load` (a function returning the library's table), computed once per process for each table
// type; a failure is rethrown to every caller.
template <typename Table>
const Table& load_once(Table (*load)()) {
    static std::once_flag once;
    static Table table;
    static std::string failure;
    std::call_once(once, [load] {
        try {
            table = load();
        } catch (const Error& error) {
            failure = error.what();
        }
    });
    if (!failure.empty()) throw Error(failure);
    return table;
}

}  // namespace berth
