# cascade-swarm: thousands of simulated CWMP devices in one event-driven process.
COMPONENTS   += swarm
swarm_DIR    := tools/swarm
swarm_BIN    := cascade-swarm
swarm_USES   := cwmp common
swarm_LDLIBS := -lcurl -lmicrohttpd -ljansson -lm
