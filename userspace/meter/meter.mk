# eBPF meters' userspace library (no binary): the group egress meter (tc
# clsact egress, per-group bytes and caps) and the CPU occupancy meter
# (sched_switch), plus the command logic of cascade-meter / cascadectl meter.
COMPONENTS    += meter
meter_DIR     := userspace/meter
meter_USES    := common
meter_LDLIBS  := -lbpf -lelf -lz -lnl-route-3 -lnl-3 -ljansson -lm

# libnl's headers live under /usr/include/libnl3.
$(BUILD)/obj/userspace/meter/%.o: ALL_CFLAGS += -I/usr/include/libnl3
