# cascade-master: io_uring zero-copy HTTP/1.1 server of verified images (and the origin).
COMPONENTS    += master
master_DIR    := userspace/master
master_BIN    := cascade-master
master_USES   := meter common
master_LDLIBS := -luring -ljansson
