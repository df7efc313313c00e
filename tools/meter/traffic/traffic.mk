# cascade-meter-traffic: the meters' test traffic tool (serve N bytes per
# connection with an optional SO_MARK set after the request, fetch and time).
COMPONENTS          += meter_traffic
meter_traffic_DIR   := tools/meter/traffic
meter_traffic_BIN   := cascade-meter-traffic
meter_traffic_USES  := common
