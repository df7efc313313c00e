# Shared code: logging, parsing of sizes/durations/addresses, SHA-256, atomic files.
COMPONENTS   += common
common_DIR   := userspace/common
common_LDLIBS := -lcrypto -linih
