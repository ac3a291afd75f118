#include "common/shared_library.hpp"

#include <dlfcn.h>

namespace berth {

SharedLibrary::SharedLibrary(const char* name, const char* package) : name_(name) {
    handle_ = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr)
        throw Error(std::string("load ") + name + ": " + ::dlerror() + " (install the " + package + " package)");
}

void* SharedLibrary::address(const char* symbol) const {
    void* found = ::dlsym(handle_, symbol);
    if (found == nullptr) throw Error(std::string("load ") + name_ + ": no symbol " + symbol);
    return found;
}

}  // namespace berth
