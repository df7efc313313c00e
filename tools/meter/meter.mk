# cascade-meter: the eBPF meters' loader and inspector (attach, detach,
# group, cap, show, top); and cascade-meter-traffic, the test traffic tool.
COMPONENTS        += meter_tool
meter_tool_DIR    := tools/meter
meter_tool_BIN    := cascade-meter
meter_tool_USES   := meter common

include tools/meter/traffic/traffic.mk
