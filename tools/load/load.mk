# cascade-load: the project's HTTP load generator and download client (epoll, hand-written HTTP/1.1 GET).
COMPONENTS  += load
load_DIR    := tools/load
load_BIN    := cascade-load
load_USES   := common
load_LDLIBS := -ljansson
