// libFuzzer's driver, from the runtime that -sanitize=fuzzer links (clang's
// compiler-rt): runs `callback` on generated inputs with libFuzzer's command line.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
