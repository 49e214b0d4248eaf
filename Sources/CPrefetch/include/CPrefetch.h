#ifndef COTAUDIT_CPREFETCH_H
#define COTAUDIT_CPREFETCH_H

/// Asks the processor to bring the cache line holding `address` in ahead of its use, without
/// waiting for it: Swift has no such instruction of its own. Inline, so that a call costs the one
/// instruction.
static inline void cotaudit_prefetch(const void *address) {
    __builtin_prefetch(address);
}

#endif
