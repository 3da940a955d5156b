/*
 * LD_PRELOAD shim that records, in order, the first call of every function of chosen
 * modules (the ferry binary, its plugins). Used only by scripts/layout/order.py to write the
 * symbol order that packs the code a sync runs into few pages (see docs/packaging.md).
 *
 * Page-level measurements (pagemap) cannot tell which functions ran: the kernel maps a
 * faulting page's 64 KiB neighbourhood ("fault-around"). So this shim writes an int3 at the
 * first byte of each listed function; the first call traps, the handler logs the function,
 * puts the byte back and resumes at it. Plugins are patched right after dlopen loads them.
 *
 * FERRY_TRACE_SYMS: lines "<module basename> <hex vaddr>", the functions to watch.
 * FERRY_TRACE_OUT:  file that gets one line "<module basename> <hex vaddr>" per first call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

struct site {
    uintptr_t address;
    uintptr_t vaddr;
    unsigned char original;
    int hit;
};

struct module {
    char name[128];
    uintptr_t *vaddrs;
    size_t count;
    struct site *sites; /* sorted by address once published */
    uintptr_t low, high;
    int published;
};

#define MAX_MODULES 32
static struct module modules[MAX_MODULES];
static size_t module_count;
static int out_fd = -1;

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void log_hit(const struct module *m, uintptr_t vaddr) {
    char line[192];
    size_t n = strlen(m->name);
    memcpy(line, m->name, n);
    line[n++] = ' ';
    char hex[20];
    int k = 0;
    do {
        hex[k++] = "0123456789abcdef"[vaddr & 15];
        vaddr >>= 4;
    } while (vaddr);
    while (k)
        line[n++] = hex[--k];
    line[n++] = '\n';
    if (write(out_fd, line, n) < 0) {
        /* nothing to do from a signal handler */
    }
}

static void on_trap(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)info;
    ucontext_t *uc = context;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] - 1;
    for (size_t i = 0; i < module_count; i++) {
        struct module *m = &modules[i];
        if (!__atomic_load_n(&m->published, __ATOMIC_ACQUIRE) || pc < m->low || pc >= m->high)
            continue;
        size_t lo = 0, hi = m->count;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (m->sites[mid].address < pc)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < m->count && m->sites[lo].address == pc) {
            struct site *s = &m->sites[lo];
            if (__atomic_exchange_n(&s->hit, 1, __ATOMIC_ACQ_REL) == 0) {
                log_hit(m, s->vaddr);
                __atomic_store_n((unsigned char *)pc, s->original, __ATOMIC_RELEASE);
            }
            /* Another thread may still be restoring the byte: this one traps again until it is. */
            uc->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
            return;
        }
    }
    abort(); /* an int3 that is not ours */
}

static int by_address(const void *a, const void *b) {
    uintptr_t x = ((const struct site *)a)->address, y = ((const struct site *)b)->address;
    return x < y ? -1 : x > y;
}

static int patch_object(struct dl_phdr_info *info, size_t size, void *unused) {
    (void)size;
    (void)unused;
    const char *path = info->dlpi_name;
    char exe[4096];
    if (!path || !*path) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return 0;
        exe[n] = 0;
        path = exe;
    }
    const char *name = base_name(path);
    for (size_t i = 0; i < module_count; i++) {
        struct module *m = &modules[i];
        if (m->published || strcmp(m->name, name) != 0)
            continue;
        for (int p = 0; p < info->dlpi_phnum; p++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[p];
            if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
                continue;
            uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)4095;
            uintptr_t end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            if (mprotect((void *)start, end - start, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
                perror("trace_first_calls: mprotect");
                abort();
            }
        }
        m->sites = calloc(m->count, sizeof *m->sites);
        for (size_t k = 0; k < m->count; k++) {
            struct site *s = &m->sites[k];
            s->vaddr = m->vaddrs[k];
            s->address = info->dlpi_addr + s->vaddr;
        }
        qsort(m->sites, m->count, sizeof *m->sites, by_address);
        m->low = m->sites[0].address;
        m->high = m->sites[m->count - 1].address + 1;
        for (size_t k = 0; k < m->count; k++) {
            unsigned char *code = (unsigned char *)m->sites[k].address;
            m->sites[k].original = *code;
        }
        __atomic_store_n(&m->published, 1, __ATOMIC_RELEASE);
        for (size_t k = 0; k < m->count; k++)
            *(volatile unsigned char *)m->sites[k].address = 0xCC;
    }
    return 0;
}

void *dlopen(const char *file, int mode) {
    static void *(*real_dlopen)(const char *, int);
    if (!real_dlopen)
        real_dlopen = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    void *handle = real_dlopen(file, mode);
    if (handle && module_count)
        dl_iterate_phdr(patch_object, NULL);
    return handle;
}

static void load_symbols(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        abort();
    }
    char name[128];
    unsigned long vaddr;
    while (fscanf(f, "%127s %lx", name, &vaddr) == 2) {
        struct module *m = NULL;
        for (size_t i = 0; i < module_count; i++)
            if (strcmp(modules[i].name, name) == 0)
                m = &modules[i];
        if (!m) {
            if (module_count == MAX_MODULES)
                abort();
            m = &modules[module_count++];
            strcpy(m->name, name);
        }
        if ((m->count & (m->count - 1)) == 0)
            m->vaddrs = realloc(m->vaddrs, (m->count ? m->count * 2 : 16) * sizeof *m->vaddrs);
        m->vaddrs[m->count++] = vaddr;
    }
    fclose(f);
}

__attribute__((constructor)) static void start(void) {
    const char *symbols = getenv("FERRY_TRACE_SYMS"), *out = getenv("FERRY_TRACE_OUT");
    if (!symbols || !out)
        return;
    out_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) {
        perror(out);
        abort();
    }
    load_symbols(symbols);
    struct sigaction action = {0};
    action.sa_sigaction = on_trap;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGTRAP, &action, NULL);
    dl_iterate_phdr(patch_object, NULL);
}
